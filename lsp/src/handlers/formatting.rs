//! `textDocument/formatting`: the same output as `vigil fmt`, as one edit. A file with syntax
//! errors is left alone (the diagnostics say why).

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{DocumentFormattingParams, TextEdit};
use vigil_compiler::fmt::{FormatError, format_file};
use vigil_compiler::syntax::Span;

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(snap: &Snapshot, p: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
    let Some(doc) = snap.doc(&p.text_document.uri) else {
        return Ok(None);
    };
    let text = doc.file.text(&snap.db);
    match format_file(text) {
        Ok(formatted) if formatted == **text => Ok(Some(Vec::new())),
        Ok(formatted) => Ok(Some(vec![TextEdit {
            range: convert::range(&snap.db, doc.file, Span::new(0, text.len())),
            new_text: formatted,
        }])),
        Err(FormatError::Syntax) => Ok(None),
        Err(e @ FormatError::Unsound(_)) => Err(Error {
            code: tower_lsp_server::jsonrpc::ErrorCode::InternalError,
            message: e.to_string().into(),
            data: None,
        }),
    }
}
