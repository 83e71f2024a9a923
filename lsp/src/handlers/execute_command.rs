//! `workspace/executeCommand`: `vigil.runTest` runs one `test` block with `vigil test` (the
//! language server does not link the runtime) and records the outcome for the code lens.
//! The saved files are what runs. `vigil.showDiagram` draws a workflow's state diagram.

use std::path::PathBuf;

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{ExecuteCommandParams, Uri};

use super::code_lens::{RUN_TEST, SHOW_DIAGRAM};
use crate::state::{Snapshot, TestRun};

/// A test to run: the command line and where to put the outcome.
pub(crate) struct Job {
    program: Vec<String>,
    files: Vec<PathBuf>,
    pub(crate) title: String,
    /// The document's key, for the code lens.
    pub(crate) key: String,
}

/// Reads the command's arguments: the document URI and the test's title.
pub(crate) fn prepare(
    snap: &Snapshot,
    p: &ExecuteCommandParams,
    program: &[String],
) -> Result<Job> {
    if p.command != RUN_TEST {
        return Err(Error::invalid_params(format!(
            "unknown command `{}`",
            p.command
        )));
    }
    let (doc, title) = document_and_name(snap, p, "[uri, test title]")?;
    let files = doc
        .ruleset
        .files(&snap.db)
        .iter()
        .map(|f| PathBuf::from(f.path(&snap.db)))
        .filter(|p| p.is_file())
        .collect();
    Ok(Job {
        program: program.to_vec(),
        files,
        title: title.to_string(),
        key: doc.file.path(&snap.db).clone(),
    })
}

/// A workflow's state diagram as a Markdown page with a Mermaid block (the open text, not only
/// what was saved), written under the temporary directory so the client can show it.
/// Returns the page's path and the diagram.
pub(crate) fn diagram(snap: &Snapshot, p: &ExecuteCommandParams) -> Result<(PathBuf, String)> {
    let (doc, name) = document_and_name(snap, p, "[uri, workflow name]")?;
    let mermaid = vigil_compiler::ide::workflow_diagram(&snap.db, doc.ruleset, name)
        .ok_or_else(|| Error::invalid_params(format!("no workflow `{name}`")))?;
    let dir = std::env::temp_dir().join(format!("vigil-diagrams-{}", std::process::id()));
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{safe}.md"));
    let page = format!("# workflow {name}\n\n```mermaid\n{mermaid}```\n");
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, page))
        .map_err(|e| Error {
            code: tower_lsp_server::jsonrpc::ErrorCode::ServerError(-32000),
            message: format!("cannot write the diagram: {e}").into(),
            data: None,
        })?;
    Ok((path, mermaid))
}

/// A command's arguments `[uri, name]`: the open document and the name.
fn document_and_name<'s, 'p>(
    snap: &'s Snapshot,
    p: &'p ExecuteCommandParams,
    expected: &str,
) -> Result<(&'s crate::state::Doc, &'p str)> {
    let (Some(uri), Some(name)) = (
        p.arguments.first().and_then(|v| v.as_str()),
        p.arguments.get(1).and_then(|v| v.as_str()),
    ) else {
        return Err(Error::invalid_params(format!("expected {expected}")));
    };
    let uri: Uri = uri
        .parse()
        .map_err(|_| Error::invalid_params("not a URI"))?;
    let doc = snap
        .doc(&uri)
        .ok_or_else(|| Error::invalid_params("unknown document"))?;
    Ok((doc, name))
}

/// Whether the command is `vigil.showDiagram`.
pub(crate) fn is_diagram(p: &ExecuteCommandParams) -> bool {
    p.command == SHOW_DIAGRAM
}

/// Runs the test (blocking) and returns its outcome and the JSON `vigil test` printed.
pub(crate) fn execute(job: &Job) -> std::result::Result<(TestRun, serde_json::Value), String> {
    let (program, lead) = job
        .program
        .split_first()
        .ok_or("no test command configured")?;
    let output = std::process::Command::new(program)
        .args(lead)
        .arg("test")
        .args(&job.files)
        .args(["--filter", &job.title, "--format", "json"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let found = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["test"].as_str() == Some(job.title.as_str()));
    let Some(value) = found else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output");
        return Err(format!("the test did not run: {first}"));
    };
    let passed = value
        .get("passed")
        .and_then(|p| p.as_bool())
        .unwrap_or(false);
    let failures = value.get("failures").and_then(|f| f.as_array());
    let summary = failures
        .and_then(|f| f.first()?.get("expectation")?.as_str())
        .map_or_else(
            || format!("{} expectation(s)", failures.map_or(0, Vec::len)),
            str::to_string,
        );
    Ok((TestRun { passed, summary }, value))
}
