//! `workspace/symbol`: declarations of every rule set whose name contains the query.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{WorkspaceSymbolParams, WorkspaceSymbolResponse};
use vigil_compiler::ide::symbols;

use crate::convert;
use crate::state::Snapshot;

/// At most this many symbols are returned.
const LIMIT: usize = 512;

pub(crate) fn run(
    snap: &Snapshot,
    p: WorkspaceSymbolParams,
) -> Result<Option<WorkspaceSymbolResponse>> {
    let mut out = Vec::new();
    for set in &snap.ws.sets {
        for s in symbols::workspace_symbols(&snap.db, set.ruleset, &p.query, LIMIT) {
            if out.len() < LIMIT
                && let Some(info) = convert::symbol_information(snap, s)
            {
                out.push(info);
            }
        }
    }
    Ok(Some(WorkspaceSymbolResponse::Flat(out)))
}
