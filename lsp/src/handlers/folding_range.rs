//! `textDocument/foldingRange`: items, states, `events` blocks, long expressions, comments.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{FoldingRange, FoldingRangeParams};
use vigil_compiler::ide::symbols;

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(snap: &Snapshot, p: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
    let Some(doc) = snap.doc(&p.text_document.uri) else {
        return Ok(None);
    };
    let mut out: Vec<FoldingRange> = symbols::folding_ranges(&snap.db, doc.ruleset, doc.file)
        .into_iter()
        .map(|(span, kind)| convert::folding_range(&snap.db, doc.file, span, kind))
        .filter(|r| r.end_line > r.start_line)
        .collect();
    out.dedup_by(|a, b| a.start_line == b.start_line && a.end_line == b.end_line);
    Ok(Some(out))
}
