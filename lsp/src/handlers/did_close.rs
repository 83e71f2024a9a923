//! `textDocument/didClose`: the file on disk counts again.

use tower_lsp_server::ls_types::DidCloseTextDocumentParams;

use crate::state::State;

pub(crate) fn apply(state: &mut State, p: DidCloseTextDocumentParams) {
    state.close(&p.text_document.uri);
}
