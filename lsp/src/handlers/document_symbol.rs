//! `textDocument/documentSymbol`: the outline of a file.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{DocumentSymbolParams, DocumentSymbolResponse};
use vigil_compiler::ide::symbols;

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(
    snap: &Snapshot,
    p: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>> {
    let Some(doc) = snap.doc(&p.text_document.uri) else {
        return Ok(None);
    };
    let syms = symbols::file_symbols(&snap.db, doc.ruleset, doc.file)
        .into_iter()
        .map(|s| convert::document_symbol(&snap.db, s))
        .collect();
    Ok(Some(DocumentSymbolResponse::Nested(syms)))
}
