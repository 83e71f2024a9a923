//! `textDocument/rename`: renames a declaration and every use across the rule set; refuses
//! names that are not identifiers or that are taken.

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{RenameParams, WorkspaceEdit};
use vigil_compiler::ide;

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(snap: &Snapshot, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
    let Some((rs, file, offset)) = super::at(snap, &p.text_document_position) else {
        return Ok(None);
    };
    match ide::rename(&snap.db, rs, file, offset, &p.new_name) {
        Ok(spans) => {
            let edits = spans.into_iter().map(|s| (s, p.new_name.clone())).collect();
            Ok(Some(convert::workspace_edit(snap, edits)))
        }
        Err(e) => Err(Error::invalid_params(e.to_string())),
    }
}
