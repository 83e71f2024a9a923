//! `textDocument/didOpen`: the editor's text replaces the file's.

use tower_lsp_server::ls_types::DidOpenTextDocumentParams;

use crate::state::{State, key};

pub(crate) fn apply(state: &mut State, p: DidOpenTextDocumentParams) {
    let doc = p.text_document;
    state.set_text(&doc.uri, &doc.text);
    state.open.insert(key(&doc.uri), doc.version);
}
