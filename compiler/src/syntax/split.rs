//! Cuts a file into items and collects its comments.
//!
//! An item starts at an item keyword (`rule`, `event`, ...) followed by a blank or a quote,
//! either outside every bracket or at the very start of a line. The second case is the
//! recovery: an item with an unclosed `{` ends where the next item begins at column 0, so
//! one missing brace does not swallow the rest of the file.

use super::{ItemTag, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommentKind {
    /// `// ...`
    Line,
    /// `/// ...`: documentation for the next item or field.
    Doc,
    /// `/* ... */`
    Block,
}

/// A comment with its absolute span (the text includes the `//` or `/* */`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Comment {
    pub kind: CommentKind,
    pub span: Span,
}

/// A run of source text that holds one item (or, for `tag == None`, text before the first
/// item that is not an item at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub tag: Option<ItemTag>,
    pub start: usize,
    /// Where the next chunk starts (or the end of the file).
    pub end: usize,
    /// The end of the last character that is neither blank nor comment.
    pub significant_end: usize,
}

pub(crate) struct Split {
    pub chunks: Vec<Chunk>,
    pub comments: Vec<Comment>,
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits `text` into item chunks; never fails.
pub(crate) fn split(text: &str) -> Split {
    let bytes = text.as_bytes();
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut comments = Vec::new();
    let mut depth: i32 = 0;
    let mut last_significant = 0usize;
    let mut at_line_start = true;
    let mut i = 0usize;

    let close_current = |chunks: &mut Vec<Chunk>, at: usize, last_significant: usize| {
        if let Some(prev) = chunks.last_mut() {
            prev.end = at;
            prev.significant_end = last_significant.clamp(prev.start, at);
        }
    };

    while let Some(&b) = bytes.get(i) {
        // Blanks are most of a file's bytes outside strings: skipped without decoding.
        match b {
            b'\n' => {
                at_line_start = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                at_line_start = false;
                i += 1;
                continue;
            }
            _ => {}
        }
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or(' ');
        let line_start_here = at_line_start;
        at_line_start = false;

        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if rest.starts_with("//") {
            let len = rest.find('\n').unwrap_or(rest.len());
            let kind = if rest.starts_with("///") && !rest.starts_with("////") {
                CommentKind::Doc
            } else {
                CommentKind::Line
            };
            comments.push(Comment {
                kind,
                span: Span::new(i, i + len),
            });
            i += len;
            continue;
        }
        if let Some(body) = rest.strip_prefix("/*") {
            let len = body.find("*/").map_or(rest.len(), |p| p + 4);
            comments.push(Comment {
                kind: CommentKind::Block,
                span: Span::new(i, i + len),
            });
            i += len;
            continue;
        }
        if c == '"' {
            let len = string_len(rest);
            i += len;
            last_significant = i;
            if chunks.is_empty() {
                chunks.push(Chunk {
                    tag: None,
                    start: i - len,
                    end: text.len(),
                    significant_end: i,
                });
            }
            continue;
        }
        if is_ident_char(c) {
            // ASCII a byte at a time; from the first other character on, by characters.
            let ascii = rest
                .bytes()
                .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
                .unwrap_or(rest.len());
            let len = if rest.as_bytes().get(ascii).is_some_and(|b| !b.is_ascii()) {
                rest[ascii..]
                    .char_indices()
                    .find(|&(_, ch)| !is_ident_char(ch))
                    .map_or(rest.len(), |(p, _)| ascii + p)
            } else {
                ascii
            };
            let word = &rest[..len];
            let next = rest[len..].chars().next();
            // After `:` or `->` a keyword names a type (`map m: str -> unit`, `const c:
            // unit`), unless it begins a line.
            let type_position = text
                .get(..last_significant)
                .and_then(|t| t.chars().next_back())
                .is_some_and(|p| p == ':' || p == '>');
            let starts_item = next.is_none_or(|n| n.is_whitespace() || n == '"')
                && ((depth <= 0 && !type_position) || line_start_here);
            match ItemTag::from_keyword(word).filter(|_| starts_item) {
                Some(tag) => {
                    close_current(&mut chunks, i, last_significant);
                    chunks.push(Chunk {
                        tag: Some(tag),
                        start: i,
                        end: text.len(),
                        significant_end: i + len,
                    });
                    depth = 0;
                }
                None if chunks.is_empty() => chunks.push(Chunk {
                    tag: None,
                    start: i,
                    end: text.len(),
                    significant_end: i + len,
                }),
                None => {}
            }
            i += len;
            last_significant = i;
            continue;
        }
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
        if chunks.is_empty() {
            chunks.push(Chunk {
                tag: None,
                start: i,
                end: text.len(),
                significant_end: i,
            });
        }
        i += c.len_utf8();
        last_significant = i;
    }
    close_current(&mut chunks, text.len(), last_significant);
    Split { chunks, comments }
}

/// Length in bytes of the string literal at the start of `rest` (which starts with `"`),
/// matching the grammar's `string` rule: one line, `\` escapes, and nested strings inside
/// `{...}` interpolations. An unterminated string ends at the end of the line.
fn string_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut i = 1;
    let mut in_braces = false;
    let mut in_nested = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => return i,
            b'\\' => {
                i += 2;
                continue;
            }
            b'"' if in_nested => in_nested = false,
            b'"' if in_braces => in_nested = true,
            b'"' => return i + 1,
            b'{' if !in_nested => in_braces = !rest[i..].starts_with("{{") || in_braces,
            b'}' if !in_nested => in_braces = false,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(text: &str) -> Vec<(Option<ItemTag>, String)> {
        split(text)
            .chunks
            .iter()
            .map(|c| (c.tag, text[c.start..c.significant_end].to_string()))
            .collect()
    }

    #[test]
    fn splits_items_and_keeps_comments() {
        let text =
            "// head\nunit a \"A\"\n/// doc\nevent E { rule: str }\nrule r { when e: E alert a }\n";
        let got = tags(text);
        assert_eq!(
            got,
            vec![
                (Some(ItemTag::Unit), "unit a \"A\"".to_string()),
                (Some(ItemTag::Event), "event E { rule: str }".to_string()),
                (
                    Some(ItemTag::Rule),
                    "rule r { when e: E alert a }".to_string()
                ),
            ]
        );
        let s = split(text);
        assert_eq!(s.comments.len(), 2);
        assert_eq!(s.comments[1].kind, CommentKind::Doc);
    }

    #[test]
    fn an_unclosed_brace_ends_at_the_next_item_in_column_zero() {
        let text = "rule r {\n  when e: E\nrule s { }\n";
        let got = tags(text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].1, "rule s { }");
    }

    #[test]
    fn a_keyword_in_a_type_position_does_not_split() {
        let text = "map m: str -> unit = { \"a\": desk }\nconst c: unit = desk\nunit desk";
        let got: Vec<Option<ItemTag>> = tags(text).into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            got,
            [
                Some(ItemTag::Map),
                Some(ItemTag::Const),
                Some(ItemTag::Unit)
            ]
        );
    }

    #[test]
    fn keywords_inside_strings_and_brackets_do_not_split() {
        let text = "test \"rule test\" { events { } }\nconst X = \"{\\\"event\\\"}\"";
        let got = tags(text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, Some(ItemTag::Const));
    }

    #[test]
    fn identifiers_and_blanks_beyond_ascii_split_as_ascii_ones_do() {
        // A CJK identifier, one that turns non-ASCII midway, an ideographic space and a
        // form feed between tokens, an item keyword right after a non-ASCII blank.
        let text = "const 名前 = 1\nconst ab名 = 2\u{3000}const x\u{c}= 3\nrule r { }";
        let got = tags(text);
        assert_eq!(
            got,
            vec![
                (Some(ItemTag::Const), "const 名前 = 1".to_string()),
                (Some(ItemTag::Const), "const ab名 = 2".to_string()),
                (Some(ItemTag::Const), "const x\u{c}= 3".to_string()),
                (Some(ItemTag::Rule), "rule r { }".to_string()),
            ]
        );
        // `rule` in column 0 after an unclosed brace starts an item; after a tab it does not.
        assert_eq!(tags("rule a {\nrule b { }").len(), 2);
        assert_eq!(tags("rule a {\n\trule b { }").len(), 1);
    }

    #[test]
    fn text_before_the_first_item_is_its_own_chunk() {
        let got = tags("oops\nrule r {}");
        assert_eq!(got[0], (None, "oops".to_string()));
        assert_eq!(got[1].0, Some(ItemTag::Rule));
    }
}
