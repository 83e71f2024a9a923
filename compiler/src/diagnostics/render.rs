//! Rendering diagnostics: the human report (miette) and JSON. The language server converts the
//! same `Located` values and never rebuilds messages.

use std::fmt::Write as _;
use std::sync::Arc;

use std::collections::HashMap;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

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
}

/// The output formats of `vigil check --error-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderFormat {
    /// Source snippets with labels; `color` for a terminal.
    Human { color: bool },
    /// One JSON object per line.
    Json,
}

struct WithSource<'a, S> {
    diag: &'a Diag,
    source: S,
}

/// A file's text for miette, with its line starts. miette's own sources find a span's lines
/// by scanning from the start of the text, so a report of N diagnostics in a file of L bytes
/// read N × L bytes: 26,000 errors in a 2.7 MB rule set took three minutes to print. This
/// hands miette only the lines around the span, found by binary search, and shifts what it
/// reads back to the file's offsets and line numbers.
struct IndexedSource<'a> {
    name: &'a str,
    text: &'a str,
    /// `None` when the text has a carriage return that ends a line on its own: miette counts
    /// it as a line break and the index does not, so such a file is read whole.
    lines: Option<&'a LineIndex>,
}

impl SourceCode for IndexedSource<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let window = self.lines.and_then(|lines| {
            let first = span.offset();
            let last = first.checked_add(span.len())?;
            if last > self.text.len() {
                return None;
            }
            let line_of = |offset: usize| {
                lines.line_col(u32::try_from(offset).unwrap_or(u32::MAX)).0 as usize
            };
            // A line more than miette reads on either side: it stops where its own count says.
            let first_line = line_of(first).saturating_sub(context_lines_before + 1);
            let start = lines.line_start(first_line)? as usize;
            let end = lines
                .line_start(line_of(last) + context_lines_after + 2)
                .map_or(self.text.len(), |e| e as usize);
            Some((first_line, start, self.text.get(start..end)?))
        });
        let (inner, first_line, start) = match window {
            Some((first_line, start, part)) => {
                let shifted = SourceSpan::new((span.offset() - start).into(), span.len());
                let inner = part.read_span(&shifted, context_lines_before, context_lines_after)?;
                (inner, first_line, start)
            }
            None => (
                self.text
                    .read_span(span, context_lines_before, context_lines_after)?,
                0,
                0,
            ),
        };
        let read = inner.span();
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.to_string(),
                inner.data(),
                SourceSpan::new((read.offset() + start).into(), read.len()),
                inner.line() + first_line,
                inner.column(),
                inner.line_count() + first_line,
            )
            .with_language("vigil"),
        ))
    }
}

/// One line index per file text, built on first use, and whether the text has a carriage
/// return that ends a line on its own.
#[derive(Default)]
struct Indexes(HashMap<*const u8, (LineIndex, bool)>);

impl Indexes {
    fn of(&mut self, text: &Arc<str>) -> &(LineIndex, bool) {
        self.0
            .entry(Arc::as_ptr(text).cast::<u8>())
            .or_insert_with(|| {
                let lone_cr = text
                    .match_indices('\r')
                    .any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'));
                (LineIndex::new(text), lone_cr)
            })
    }
}

impl<S> std::fmt::Debug for WithSource<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.diag.fmt(f)
    }
}

impl<S> std::fmt::Display for WithSource<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.diag, f)
    }
}

impl<S> std::error::Error for WithSource<'_, S> {}

impl<S: SourceCode> Diagnostic for WithSource<'_, S> {
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

fn human_handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
}

/// The human report for `diags`, one after another.
pub fn render_human(diags: &[Located], color: bool) -> String {
    let handler = human_handler(color);
    let mut out = String::new();
    let mut indexes = Indexes::default();
    for d in diags {
        let (index, lone_cr) = indexes.of(&d.text);
        let with = WithSource {
            diag: &d.diag,
            source: IndexedSource {
                name: &d.path,
                text: &d.text,
                lines: (!lone_cr).then_some(index),
            },
        };
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &with);
    }
    out
}

/// One JSON object per diagnostic, one per line.
pub fn render_json(diags: &[Located]) -> String {
    let mut out = String::new();
    let mut indexes = Indexes::default();
    for d in diags {
        let (index, _) = indexes.of(&d.text);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SyntaxError;
    use crate::syntax::Span;

    /// The report miette makes from the whole text, the reference for `IndexedSource`.
    fn whole_text_report(d: &Located) -> String {
        let with = WithSource {
            diag: &d.diag,
            source: miette::NamedSource::new(d.path.clone(), d.text.clone()).with_language("vigil"),
        };
        let mut out = String::new();
        let _ = human_handler(false).render_report(&mut out, &with);
        out
    }

    #[test]
    fn a_span_read_through_the_line_index_renders_as_from_the_whole_text() {
        let mut lines = String::new();
        for i in 0..300 {
            lines.push_str(&format!(
                "rule r{i} {{ when c: Call where c.x > {i} alert desk }}\n"
            ));
        }
        let texts = [
            lines.clone(),
            lines.replace('\n', "\r\n"),
            // A lone carriage return is a line break to miette: read whole.
            lines.replace('\n', "\r"),
            "no line break at all".to_string(),
            "\n\n\nblank lines first\n\n".to_string(),
        ];
        for text in texts {
            let len = text.len();
            let spans = [
                (0, 4),
                (len / 2, 3),
                (len / 3, 40),
                (len.saturating_sub(5), 4),
                (len, 0),
            ];
            let text: Arc<str> = Arc::from(text);
            for (start, width) in spans {
                let d = Located {
                    path: "rules.vigil".into(),
                    text: text.clone(),
                    diag: SyntaxError {
                        span: Span::new(start, start + width),
                        message: "here".into(),
                        label: "this".into(),
                        help: None,
                    }
                    .into(),
                };
                assert_eq!(
                    render_human(std::slice::from_ref(&d), false),
                    whole_text_report(&d),
                    "span {start}+{width} of {:?}…",
                    &text[..20.min(text.len())]
                );
            }
        }
    }
}
