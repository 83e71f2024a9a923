//! Rendering diagnostics: the human report (miette) and JSON. The language server converts the
//! same `Located` values and never rebuilds messages.

use std::fmt::Write as _;
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource};

use super::{Diag, Level};
use crate::line_index::LineIndex;

/// A diagnostic placed in a file: its spans are absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: String,
    pub text: Arc<str>,
    pub diag: Diag,
}

impl Located {
    pub fn level(&self) -> Level {
        self.diag.level()
    }

    /// One-based line and column of the primary span.
    pub fn line_col(&self) -> (u32, u32) {
        LineIndex::new(&self.text).human(&self.text, self.diag.span().start)
    }
}

/// The output formats of `vigil check --error-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderFormat {
    /// Source snippets with labels; `color` for a terminal.
    Human { color: bool },
    /// One JSON object per line.
    Json,
}

struct WithSource<'a> {
    diag: &'a Diag,
    source: NamedSource<Arc<str>>,
}

impl std::fmt::Debug for WithSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.diag.fmt(f)
    }
}

impl std::fmt::Display for WithSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.diag, f)
    }
}

impl std::error::Error for WithSource<'_> {}

impl Diagnostic for WithSource<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diag.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.level() {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diag.help()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.diag.labels()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
}

/// The human report for `diags`, one after another.
pub fn render_human(diags: &[Located], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for d in diags {
        let with = WithSource {
            diag: &d.diag,
            source: NamedSource::new(d.path.clone(), d.text.clone()).with_language("vigil"),
        };
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &with);
    }
    out
}

/// One JSON object per diagnostic, one per line.
pub fn render_json(diags: &[Located]) -> String {
    let mut out = String::new();
    for d in diags {
        let index = LineIndex::new(&d.text);
        let span = d.diag.span();
        let (line, column) = index.human(&d.text, span.start);
        let (end_line, end_column) = index.human(&d.text, span.end);
        let labels: Vec<serde_json::Value> = d
            .diag
            .labels()
            .into_iter()
            .flatten()
            .map(|l| {
                serde_json::json!({
                    "offset": l.offset(),
                    "length": l.len(),
                    "label": l.label(),
                })
            })
            .collect();
        let value = serde_json::json!({
            "file": d.path,
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "code": d.diag.code_str(),
            "severity": match d.level() { Level::Error => "error", Level::Warning => "warning" },
            "message": d.diag.to_string(),
            "labels": labels,
            "help": d.diag.help().map(|h| h.to_string()),
        });
        let _ = writeln!(out, "{value}");
    }
    out
}

/// `(errors, warnings)` among `diags`.
pub fn summary_counts(diags: &[Located]) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.level() == Level::Error).count();
    (errors, diags.len() - errors)
}
