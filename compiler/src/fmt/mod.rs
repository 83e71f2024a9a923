//! The canonical formatter (`vigil fmt`).
//!
//! Items are printed from their syntax trees; comments, which the trees do not hold, are put
//! back next to the code they were next to: a comment on its own line before the first output
//! line that starts after it, a comment that ended a line of code after the output line
//! holding that code. The formatter checks its own output: it parses it again and compares
//! every item's canonical text and every comment with the input, and refuses to write a file
//! when they differ.

mod print;

use crate::syntax::ast::{AlertAction, Expr, Item, StrLit};
use crate::syntax::{CommentKind, ParsedFile, parse_file};

use print::{Line, Printer};

/// Why a file was not formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The file has syntax errors; `vigil check` shows them.
    Syntax,
    /// The formatter would have changed the meaning or lost a comment: a bug in the formatter.
    Unsound(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Syntax => {
                f.write_str("the file has syntax errors; run `vigil check` to see them")
            }
            FormatError::Unsound(why) => write!(
                f,
                "internal error: the formatter changed the rule set ({why})"
            ),
        }
    }
}

/// One item in canonical form, without comments (used for the fingerprint and `diff`).
pub fn canonical_item(item: &Item) -> String {
    let mut p = Printer::default();
    p.item(item);
    render(&p.lines)
}

/// The text of an expression in canonical form, on one line.
pub fn expr_text(e: &Expr) -> String {
    print::expr(e)
}

/// An `alert` action in canonical form, on one line (its clauses in the author's order).
pub fn alert_text(a: &AlertAction) -> String {
    print::alert_text(a)
}

/// A string literal as it is written, quotes included.
pub fn string_text(s: &StrLit) -> String {
    print::string(s)
}

fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    for l in lines {
        push_line(&mut out, l.indent, &l.text);
    }
    out
}

fn push_line(out: &mut String, indent: usize, text: &str) {
    if !text.is_empty() {
        for _ in 0..indent {
            out.push_str("  ");
        }
        out.push_str(text);
    }
    out.push('\n');
}

/// Formats a whole file. Fails on syntax errors and when the result would not parse back to
/// the same items and comments.
pub fn format_file(text: &str) -> Result<String, FormatError> {
    let parsed = parse_file(text);
    if !parsed.errors.is_empty() || parsed.items.iter().any(|i| i.tree.is_none()) {
        return Err(FormatError::Syntax);
    }
    let out = format_parsed(text, &parsed);
    verify(text, &parsed, &out)?;
    Ok(out)
}

fn format_parsed(text: &str, parsed: &ParsedFile) -> String {
    let mut out = String::new();
    let mut comments = parsed.comments.iter().peekable();
    let mut prev_single_line: Option<(bool, crate::syntax::ItemTag)> = None;
    let mut prev_end = 0usize;

    for item in &parsed.items {
        let Some(tree) = &item.tree else { continue };
        let offset = item.offset;
        let mut p = Printer::default();
        p.item(tree);
        // Absolute anchors.
        let lines: Vec<Line> = p
            .lines
            .into_iter()
            .map(|l| Line {
                anchor: l.anchor + offset,
                ..l
            })
            .collect();

        // Comments before the item (between the previous item and this one).
        let mut leading: Vec<&crate::syntax::Comment> = Vec::new();
        while let Some(c) = comments.peek() {
            if c.span.start < offset {
                leading.push(c);
                comments.next();
            } else {
                break;
            }
        }
        // A trailing comment of the previous item's last line stays on that line.
        let mut first_leading = 0;
        if let Some(c) = leading.first()
            && prev_end > 0
            && !text[prev_end..c.span.start as usize].contains('\n')
        {
            if out.ends_with('\n') {
                out.pop();
            }
            out.push_str("  ");
            out.push_str(comment_text(text, c));
            out.push('\n');
            first_leading = 1;
        }
        let single_line = lines.len() == 1;
        if !out.is_empty() {
            let blank_in_source = has_blank_line(
                text,
                prev_end,
                leading.get(first_leading).map_or(offset, |c| c.span.start) as usize,
            );
            let keep_tight = matches!(prev_single_line, Some((true, tag)) if single_line && tag == item.tag)
                && !blank_in_source;
            if !keep_tight {
                out.push('\n');
            }
        }
        let mut last_comment_end = None::<usize>;
        for c in leading.iter().skip(first_leading) {
            if let Some(end) = last_comment_end
                && has_blank_line(text, end, c.span.start as usize)
            {
                out.push('\n');
            }
            push_line(&mut out, 0, comment_text(text, c));
            last_comment_end = Some(c.span.end as usize);
        }
        if let Some(end) = last_comment_end
            && has_blank_line(text, end, offset as usize)
        {
            out.push('\n');
        }

        // Comments inside the item.
        let item_end = item.span.end;
        let mut inner: Vec<&crate::syntax::Comment> = Vec::new();
        while let Some(c) = comments.peek() {
            if c.span.start < item_end {
                inner.push(c);
                comments.next();
            } else {
                break;
            }
        }
        // A comment right after the item's last code, on the same line, is a trailing comment
        // of that line.
        while let Some(c) = comments.peek() {
            let gap = &text[item_end as usize..c.span.start as usize];
            if !gap.contains('\n') {
                inner.push(c);
                comments.next();
            } else {
                break;
            }
        }
        emit_item(text, &lines, &inner, &mut out);
        prev_single_line = Some((single_line, item.tag));
        prev_end = inner.last().map_or(item_end as usize, |c| {
            (c.span.end as usize).max(item_end as usize)
        });
    }
    // Comments after the last item.
    let rest: Vec<_> = comments.collect();
    if !rest.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut last_end = None::<usize>;
        for c in rest {
            if let Some(end) = last_end
                && has_blank_line(text, end, c.span.start as usize)
            {
                out.push('\n');
            }
            push_line(&mut out, 0, comment_text(text, c));
            last_end = Some(c.span.end as usize);
        }
    }
    out
}

/// Writes an item's lines with its comments put back.
fn emit_item(text: &str, lines: &[Line], comments: &[&crate::syntax::Comment], out: &mut String) {
    // For each line, the comments that go before it and the one that trails it.
    let mut before: Vec<Vec<&str>> = vec![Vec::new(); lines.len() + 1];
    let mut trailing: Vec<Vec<&str>> = vec![Vec::new(); lines.len()];
    for c in comments {
        let start = c.span.start as usize;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let own_line = text[line_start..start].trim().is_empty();
        let body = comment_text(text, c);
        // `before` has a place before every line and one after the last; `trailing` has none
        // for an item without lines, and a comment left out would then fail `verify`.
        let place = if own_line {
            let next = lines
                .iter()
                .position(|l| l.anchor as usize > start)
                .unwrap_or(lines.len());
            before.get_mut(next)
        } else {
            let prev = lines
                .iter()
                .rposition(|l| (l.anchor as usize) < start)
                .unwrap_or(0);
            trailing.get_mut(prev)
        };
        if let Some(place) = place {
            place.push(body);
        }
    }
    let mut prev: Option<&Line> = None;
    for ((line, before_line), after_line) in lines.iter().zip(&before).zip(&trailing) {
        // Keep one blank line where the author left one between two lines of an item.
        if let Some(prev) = prev {
            let from = text[prev.anchor as usize..]
                .find('\n')
                .map_or(text.len(), |p| prev.anchor as usize + p);
            let to = before_line
                .first()
                .and_then(|_| {
                    // The first comment on a line of its own (not one trailing `prev`).
                    comments.iter().find(|c| (c.span.start as usize) > from)
                })
                .map_or(line.anchor as usize, |c| {
                    (c.span.start as usize).min(line.anchor as usize)
                });
            if from < to && has_blank_line(text, from, to) {
                out.push('\n');
            }
        }
        // A comment before a closing brace belongs inside the block.
        let comment_indent = if line.text == "}" {
            line.indent + 1
        } else {
            line.indent
        };
        for body in before_line {
            push_line(out, comment_indent, body);
        }
        let mut text_line = line.text.clone();
        for t in after_line {
            text_line.push_str("  ");
            text_line.push_str(t);
        }
        push_line(out, line.indent, &text_line);
        prev = Some(line);
    }
    for body in before.last().into_iter().flatten() {
        push_line(out, 0, body);
    }
}

fn comment_text<'a>(text: &'a str, c: &crate::syntax::Comment) -> &'a str {
    let t = &text[c.span.range()];
    if c.kind == CommentKind::Block {
        t
    } else {
        t.trim_end()
    }
}

/// Whether `text[from..to]` contains an empty line.
fn has_blank_line(text: &str, from: usize, to: usize) -> bool {
    if from >= to {
        return false;
    }
    let s = &text[from..to.min(text.len())];
    s.split('\n')
        .skip(1)
        .collect::<Vec<_>>()
        .split_last()
        .is_some_and(|(_, middle)| middle.iter().any(|l| l.trim().is_empty()))
}

/// Parses the output again: same items (canonical text), same comments in the same order.
fn verify(input: &str, parsed: &ParsedFile, out: &str) -> Result<(), FormatError> {
    let again = parse_file(out);
    if !again.errors.is_empty() || again.items.iter().any(|i| i.tree.is_none()) {
        return Err(FormatError::Unsound("the output does not parse".into()));
    }
    let canon = |p: &ParsedFile| -> Vec<String> {
        p.items
            .iter()
            .filter_map(|i| i.tree.as_deref().map(canonical_item))
            .collect()
    };
    if canon(parsed) != canon(&again) {
        return Err(FormatError::Unsound("an item changed".into()));
    }
    let comments = |text: &str, p: &ParsedFile| -> Vec<String> {
        p.comments
            .iter()
            .map(|c| comment_text(text, c).to_string())
            .collect()
    };
    if comments(input, parsed) != comments(out, &again) {
        return Err(FormatError::Unsound(
            "a comment was lost or moved out of order".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_keeps_comments() {
        let src = "// head\nunit a \"A\"   // trailing\nunit b\n\n/// doc\nrule r {  when c:E where c.x>=3 and c.y==\"a\" // why\n  // before alert\n  alert a }\n";
        let out = format_file(src).unwrap();
        assert_eq!(
            out,
            "// head\nunit a \"A\"  // trailing\nunit b\n\n/// doc\nrule r {\n  when c: E where c.x >= 3 and c.y == \"a\"  // why\n  // before alert\n  alert a\n}\n"
        );
        assert_eq!(format_file(&out).unwrap(), out);
    }

    #[test]
    fn refuses_files_with_syntax_errors() {
        assert_eq!(format_file("rule r { when }"), Err(FormatError::Syntax));
    }
}
