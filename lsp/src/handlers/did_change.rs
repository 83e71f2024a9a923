//! `textDocument/didChange`: full-text sync; only the changed file's input is set, so salsa
//! re-checks only the items that changed (and what depends on them).

use tower_lsp_server::ls_types::DidChangeTextDocumentParams;

use crate::state::{State, key};

pub(crate) fn apply(state: &mut State, p: DidChangeTextDocumentParams) {
    let Some(change) = p.content_changes.into_iter().last() else {
        return;
    };
    state.set_text(&p.text_document.uri, &change.text);
    state
        .open
        .insert(key(&p.text_document.uri), p.text_document.version);
}
