//! `textDocument/hover`: the declaration, docs or type of what is under the cursor.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Hover, HoverParams};
use vigil_compiler::ide::hover;

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(snap: &Snapshot, p: HoverParams) -> Result<Option<Hover>> {
    let Some((rs, file, offset)) = super::at(snap, &p.text_document_position_params) else {
        return Ok(None);
    };
    Ok(hover::hover(&snap.db, rs, file, offset).map(|h| {
        let range = convert::range(&snap.db, file, h.span);
        convert::markdown(h.markdown, Some(range))
    }))
}
