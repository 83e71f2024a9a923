//! `textDocument/references`: every use of the name under the cursor in the rule set.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Location, ReferenceParams};
use vigil_compiler::ide;

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(snap: &Snapshot, p: ReferenceParams) -> Result<Option<Vec<Location>>> {
    let Some((rs, file, offset)) = super::at(snap, &p.text_document_position) else {
        return Ok(None);
    };
    let Some((_, def)) = ide::def_at(&snap.db, rs, file, offset) else {
        return Ok(None);
    };
    let refs = ide::references(&snap.db, rs, &def, p.context.include_declaration);
    Ok(Some(
        refs.into_iter()
            .filter_map(|r| convert::location(snap, r))
            .collect(),
    ))
}
