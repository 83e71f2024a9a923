//! Source text of IR expressions, for reports that quote clauses (`test --coverage`,
//! `explain`).

use std::collections::BTreeMap;

use vigil_ir::{ExprArena, ExprId, Origin};

/// The rule set's files, read once each on demand.
#[derive(Default)]
pub struct Sources {
    texts: BTreeMap<String, String>,
}

/// Longest snippet quoted, in characters.
const SNIPPET: usize = 60;

impl Sources {
    /// The one-based line of expression `id` of the item at `origin`, and its text on one
    /// line (whitespace collapsed, long text cut with `…`).
    pub fn snippet(&mut self, origin: &Origin, arena: &ExprArena, id: ExprId) -> (usize, String) {
        let text = self
            .texts
            .entry(origin.file.clone())
            .or_insert_with(|| std::fs::read_to_string(&origin.file).unwrap_or_default());
        let span = arena.span(id);
        let start = (origin.offset + span.start) as usize;
        let end = ((origin.offset + span.end) as usize).min(text.len());
        let line = text.get(..start).map_or(0, |t| t.matches('\n').count() + 1);
        let snippet: String = text
            .get(start..end)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let snippet = if snippet.chars().count() > SNIPPET {
            format!("{}…", snippet.chars().take(SNIPPET - 1).collect::<String>())
        } else {
            snippet
        };
        (line, snippet)
    }
}
