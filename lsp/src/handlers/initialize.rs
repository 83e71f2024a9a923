//! `initialize`: the server's capabilities and the workspace folders to load.

use std::path::PathBuf;

use tower_lsp_server::ls_types::*;

use super::code_lens::{RUN_TEST, SHOW_DIAGRAM};
use crate::convert;

/// The folders the client opened (each is a rule set).
#[allow(deprecated)] // `root_uri` is what older clients (Neovim 0.7) send.
pub(crate) fn roots(p: &InitializeParams) -> Vec<PathBuf> {
    let mut uris: Vec<&Uri> = p
        .workspace_folders
        .iter()
        .flatten()
        .map(|f| &f.uri)
        .collect();
    if uris.is_empty()
        && let Some(u) = &p.root_uri
    {
        uris.push(u);
    }
    uris.into_iter()
        .filter(|u| u.scheme().as_str() == "file")
        .filter_map(|u| u.to_file_path().map(|p| p.into_owned()))
        .collect()
}

pub(crate) fn result() -> InitializeResult {
    InitializeResult {
        server_info: Some(ServerInfo {
            name: "vigil".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        capabilities: ServerCapabilities {
            position_encoding: Some(PositionEncodingKind::UTF16),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::FULL),
                    save: Some(
                        SaveOptions {
                            include_text: Some(false),
                        }
                        .into(),
                    ),
                    ..Default::default()
                },
            )),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: Default::default(),
            })),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![".".into(), ":".into(), ">".into(), " ".into()]),
                ..Default::default()
            }),
            document_symbol_provider: Some(OneOf::Left(true)),
            workspace_symbol_provider: Some(OneOf::Left(true)),
            document_formatting_provider: Some(OneOf::Left(true)),
            semantic_tokens_provider: Some(
                SemanticTokensServerCapabilities::SemanticTokensOptions(SemanticTokensOptions {
                    legend: convert::token_legend(),
                    full: Some(SemanticTokensFullOptions::Bool(true)),
                    range: Some(false),
                    ..Default::default()
                }),
            ),
            inlay_hint_provider: Some(OneOf::Left(true)),
            folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                ..Default::default()
            })),
            code_lens_provider: Some(CodeLensOptions {
                resolve_provider: Some(false),
            }),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: vec![RUN_TEST.into(), SHOW_DIAGRAM.into()],
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}
