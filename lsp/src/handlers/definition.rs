//! `textDocument/definition`: where the name under the cursor is declared, in any file.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{GotoDefinitionParams, GotoDefinitionResponse};
use vigil_compiler::ide::{self, FileSpan};

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(
    snap: &Snapshot,
    p: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    let Some((rs, file, offset)) = super::at(snap, &p.text_document_position_params) else {
        return Ok(None);
    };
    let Some((_, def)) = ide::def_at(&snap.db, rs, file, offset) else {
        return Ok(None);
    };
    let Some(nav) = ide::definition(&snap.db, rs, &def) else {
        return Ok(None);
    };
    let at = FileSpan {
        file: nav.file,
        span: nav.name,
    };
    Ok(convert::location(snap, at).map(GotoDefinitionResponse::Scalar))
}
