//! Diagnostics for every file of every rule set, converted for publishing. The diagnostics
//! task compares them with what it published last and sends only the files that changed.

use tower_lsp_server::ls_types::{Diagnostic, Uri};
use vigil_compiler::ide;

use crate::convert;
use crate::state::Snapshot;

/// `(document key, URI, diagnostics)` for every file the server knows.
pub(crate) fn compute(snap: &Snapshot) -> Vec<(String, Uri, Vec<Diagnostic>)> {
    let mut out = Vec::new();
    for set in &snap.ws.sets {
        for file in set.ruleset.files(&snap.db) {
            let path = file.path(&snap.db);
            let Some(doc) = snap.ws.docs.get(path) else {
                continue;
            };
            let diags = ide::diagnostics::file_diagnostics(&snap.db, set.ruleset, *file)
                .iter()
                .map(|l| {
                    let related = ide::related(&snap.db, set.ruleset, l);
                    convert::diagnostic(snap, *file, l, related)
                })
                .collect();
            out.push((path.clone(), doc.uri.clone(), diags));
        }
    }
    out
}
