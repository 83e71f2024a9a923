//! `workspace/didChangeWatchedFiles`: files created, changed or deleted outside the editor.
//! Open documents keep the editor's text; lists, zones and calendars are read again.

use std::path::Path;

use tower_lsp_server::ls_types::{DidChangeWatchedFilesParams, FileChangeType};

use crate::state::{State, key};

pub(crate) fn apply(state: &mut State, p: DidChangeWatchedFilesParams) {
    for change in p.changes {
        let k = key(&change.uri);
        let is_rules = Path::new(&k).extension().is_some_and(|e| e == "vigil");
        if !is_rules || state.open.contains_key(&k) {
            continue;
        }
        if change.typ == FileChangeType::DELETED {
            state.forget(&change.uri);
        } else if let Ok(text) = std::fs::read_to_string(&k)
            && state.in_workspace(&k)
        {
            state.set_text(&change.uri, &text);
        }
    }
    state.db.reload_resources();
}
