//! `textDocument/inlayHint`: the types of bindings the source leaves implicit.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{InlayHint, InlayHintParams};
use vigil_compiler::ide::highlight;

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(snap: &Snapshot, p: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
    let Some(doc) = snap.doc(&p.text_document.uri) else {
        return Ok(None);
    };
    let start = convert::offset(&snap.db, doc.file, p.range.start);
    let end = convert::offset(&snap.db, doc.file, p.range.end);
    let hints = highlight::inlay_hints(&snap.db, doc.ruleset, doc.file)
        .into_iter()
        .filter(|h| start <= h.offset && h.offset <= end)
        .map(|h| convert::inlay_hint(&snap.db, doc.file, h))
        .collect();
    Ok(Some(hints))
}
