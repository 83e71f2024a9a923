//! `textDocument/prepareRename`: the name that a rename at the cursor would change.

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{PrepareRenameResponse, TextDocumentPositionParams};
use vigil_compiler::ide;

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(
    snap: &Snapshot,
    p: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>> {
    let Some((rs, file, offset)) = super::at(snap, &p) else {
        return Ok(None);
    };
    match ide::rename_target(&snap.db, rs, file, offset) {
        Ok((span, _)) => {
            let text = file.text(&snap.db);
            Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
                range: convert::range(&snap.db, file, span),
                placeholder: text.get(span.range()).unwrap_or("").to_string(),
            }))
        }
        Err(ide::RenameError::NothingToRename) => Ok(None),
        Err(e) => Err(Error::invalid_params(e.to_string())),
    }
}
