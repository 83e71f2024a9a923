//! `textDocument/semanticTokens/full`: what each name is, from the checker's facts.

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{SemanticTokens, SemanticTokensParams, SemanticTokensResult};
use vigil_compiler::ide::highlight;

use crate::convert;
use crate::state::Snapshot;

pub(crate) fn run(
    snap: &Snapshot,
    p: SemanticTokensParams,
) -> Result<Option<SemanticTokensResult>> {
    let Some(doc) = snap.doc(&p.text_document.uri) else {
        return Ok(None);
    };
    let tokens = highlight::semantic_tokens(&snap.db, doc.ruleset, doc.file);
    let data = convert::semantic_tokens(&snap.db, doc.file, &tokens);
    Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
        result_id: None,
        data,
    })))
}
