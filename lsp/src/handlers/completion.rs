//! `textDocument/completion`: names that fit where the cursor is.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{CompletionParams, CompletionResponse};
use vigil_compiler::ide::completion;

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(snap: &Snapshot, p: CompletionParams) -> Result<Option<CompletionResponse>> {
    let Some((rs, file, offset)) = super::at(snap, &p.text_document_position) else {
        return Ok(None);
    };
    let items = completion::completions(&snap.db, rs, file, offset)
        .into_iter()
        .map(convert::completion)
        .collect();
    Ok(Some(CompletionResponse::Array(items)))
}
