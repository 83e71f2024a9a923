//! `textDocument/codeLens`: a "run" lens on each `test` block, showing the last outcome, and a
//! "diagram" lens on each workflow.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{CodeLens, CodeLensParams, Command};
use vigil_compiler::ide;

use crate::convert;
use crate::state::Snapshot;

/// The command a lens runs: arguments are the document URI and the test's title.
pub(crate) const RUN_TEST: &str = "vigil.runTest";

/// The command of a workflow's lens: arguments are the document URI and the workflow's name.
pub(crate) const SHOW_DIAGRAM: &str = "vigil.showDiagram";

pub(crate) fn run(snap: &Snapshot, p: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
    let Some(doc) = snap.doc(&p.text_document.uri) else {
        return Ok(None);
    };
    let results = snap.tests.lock().unwrap_or_else(|e| e.into_inner());
    let key = doc.file.path(&snap.db).clone();
    let diagrams = ide::workflows_in_file(&snap.db, doc.ruleset, doc.file)
        .into_iter()
        .map(|(name, span)| {
            let mut range = convert::range(&snap.db, doc.file, span);
            range.end = range.start;
            CodeLens {
                range,
                command: Some(Command {
                    title: "◇ Show diagram".to_string(),
                    command: SHOW_DIAGRAM.into(),
                    arguments: Some(vec![
                        serde_json::Value::String(p.text_document.uri.as_str().to_string()),
                        serde_json::Value::String(name),
                    ]),
                }),
                data: None,
            }
        });
    let lenses = ide::tests_in_file(&snap.db, doc.ruleset, doc.file)
        .into_iter()
        .map(|(title, span)| {
            let mut range = convert::range(&snap.db, doc.file, span);
            range.end = range.start;
            let label = match results.get(&(key.clone(), title.clone())) {
                None => "▶ Run test".to_string(),
                Some(r) if r.passed => "✓ passed · ▶ Run again".to_string(),
                Some(r) => format!("✗ failed: {} · ▶ Run again", r.summary),
            };
            CodeLens {
                range,
                command: Some(Command {
                    title: label,
                    command: RUN_TEST.into(),
                    arguments: Some(vec![
                        serde_json::Value::String(p.text_document.uri.as_str().to_string()),
                        serde_json::Value::String(title),
                    ]),
                }),
                data: None,
            }
        })
        .chain(diagrams)
        .collect();
    Ok(Some(lenses))
}
