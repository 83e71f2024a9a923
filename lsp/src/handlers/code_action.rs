//! `textDocument/codeAction`: the quick fixes diagnostics suggest ("did you mean `x`?").

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
};
use vigil_compiler::ide::{self, FileSpan};

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(snap: &Snapshot, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let Some(doc) = snap.doc(&p.text_document.uri) else {
        return Ok(None);
    };
    let start = convert::offset(&snap.db, doc.file, p.range.start);
    let end = convert::offset(&snap.db, doc.file, p.range.end);
    let mut out = Vec::new();
    for located in ide::diagnostics::file_diagnostics(&snap.db, doc.ruleset, doc.file) {
        let span = located.diag.span();
        if span.end < start || span.start > end {
            continue;
        }
        let Some(replacement) = located.diag.replacement() else {
            continue;
        };
        let related = ide::related(&snap.db, doc.ruleset, located);
        let diagnostic = convert::diagnostic(snap, doc.file, located, related);
        let at = FileSpan {
            file: doc.file,
            span,
        };
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Replace with `{replacement}`"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic]),
            edit: Some(convert::workspace_edit(
                snap,
                vec![(at, replacement.to_string())],
            )),
            is_preferred: Some(true),
            ..Default::default()
        }));
    }
    Ok(Some(out))
}
