//! One module per LSP method. Reads are plain functions over a `Snapshot` (the server runs them
//! off the async runtime, catching cancellation and panics); notifications that edit take the
//! `State`.

pub(crate) mod code_action;
pub(crate) mod code_lens;
pub(crate) mod completion;
pub(crate) mod definition;
pub(crate) mod did_change;
pub(crate) mod did_change_watched_files;
pub(crate) mod did_close;
pub(crate) mod did_open;
pub(crate) mod document_symbol;
pub(crate) mod execute_command;
pub(crate) mod folding_range;
pub(crate) mod formatting;
pub(crate) mod hover;
pub(crate) mod initialize;
pub(crate) mod inlay_hint;
pub(crate) mod prepare_rename;
pub(crate) mod references;
pub(crate) mod rename;
pub(crate) mod semantic_tokens;
pub(crate) mod workspace_symbol;

use tower_lsp_server::ls_types::TextDocumentPositionParams;
use vigil_compiler::db::{RuleSet, SourceFile};

use crate::convert;
use crate::state::Snapshot;

/// The rule set, file and byte offset a position names, if the document is known.
pub(crate) fn at(
    snap: &Snapshot,
    p: &TextDocumentPositionParams,
) -> Option<(RuleSet, SourceFile, u32)> {
    let doc = snap.doc(&p.text_document.uri)?;
    let offset = convert::offset(&snap.db, doc.file, p.position);
    Some((doc.ruleset, doc.file, offset))
}
