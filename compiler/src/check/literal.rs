//! Literal text: numbers, string escapes, and message templates.

use smol_str::SmolStr;

use super::expr::ExprCx;
use crate::diagnostics::{BadTemplate, Diag};
use crate::syntax::ast::{self, StrLit};
use crate::syntax::{Span, parse_expr};
use vigil_ir::{Template, TemplatePart, Ty};

pub(crate) fn int(text: &str) -> Result<i64, String> {
    text.parse::<i64>()
        .map_err(|_| format!("larger than the largest int, {}", i64::MAX))
}

/// Applies the escapes `\"`, `\\`, `\n`, `\t`, `\r`, `\{`, `\}` and `\u{XXXX}`. On error returns
/// the reason and the byte offset of the bad escape in `raw`.
pub(crate) fn unescape(raw: &str) -> Result<String, (String, usize)> {
    if !raw.contains('\\') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '"')) => out.push('"'),
            Some((_, '\\')) => out.push('\\'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, '{')) => out.push('{'),
            Some((_, '}')) => out.push('}'),
            Some((_, 'u')) => {
                let rest = &raw[i + 2..];
                let hex = rest
                    .strip_prefix('{')
                    .and_then(|r| r.find('}').map(|end| &r[..end]));
                let ch = hex
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32);
                match (hex, ch) {
                    (Some(h), Some(ch)) => {
                        out.push(ch);
                        for _ in 0..h.len() + 2 {
                            chars.next();
                        }
                    }
                    _ => return Err(("bad `\\u{...}` escape".into(), i)),
                }
            }
            Some((_, other)) => return Err((format!("unknown escape `\\{other}`"), i)),
            None => return Err(("a `\\` at the end of the string".into(), i)),
        }
    }
    Ok(out)
}

/// The source-like text of an expression, for messages.
pub(crate) fn source_text(e: &ast::Expr) -> String {
    crate::fmt::expr_text(e)
}

/// Checks a message template and lowers it: literal text and `{expr}` parts, `{{` and `}}`
/// for braces. Every interpolated expression is checked in `cx`'s scope.
pub(crate) fn template(cx: &mut ExprCx<'_>, lit: &StrLit) -> Template {
    let raw = lit.raw.as_str();
    let base = lit.span.start + 1;
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    let bytes = raw.as_bytes();
    let flush_text =
        |text: &mut String, parts: &mut Vec<TemplatePart>, cx: &mut ExprCx<'_>, at: usize| {
            if text.is_empty() {
                return;
            }
            match unescape(text) {
                Ok(t) => parts.push(TemplatePart::Text(t)),
                Err((reason, _)) => cx.report(crate::diagnostics::BadString {
                    span: Span::new(base as usize + at, base as usize + at + 1),
                    reason,
                    help: None,
                }),
            }
            text.clear();
        };
    while let Some(&c) = bytes.get(i) {
        if c == b'\\' {
            let len = raw[i + 1..].chars().next().map_or(0, char::len_utf8);
            text.push_str(&raw[i..i + 1 + len]);
            i += 1 + len;
            continue;
        }
        if raw[i..].starts_with("{{") {
            text.push('{');
            i += 2;
            continue;
        }
        if raw[i..].starts_with("}}") {
            text.push('}');
            i += 2;
            continue;
        }
        if c == b'}' {
            cx.report(BadTemplate {
                span: Span::new(base as usize + i, base as usize + i + 1),
                reason: "a `}` without its `{`".into(),
                help: Some("write `}}` for a literal brace".into()),
            });
            i += 1;
            continue;
        }
        if c == b'{' {
            flush_text(&mut text, &mut parts, cx, i);
            let Some(end) = interpolation_end(&raw[i + 1..]) else {
                cx.report(BadTemplate {
                    span: Span::new(base as usize + i, base as usize + raw.len()),
                    reason: "a `{` is not closed".into(),
                    help: Some("write `{{` for a literal brace".into()),
                });
                break;
            };
            let inner = &raw[i + 1..i + 1 + end];
            let inner_start = base + u32::try_from(i + 1).unwrap_or(0);
            if inner.trim().is_empty() {
                cx.report(BadTemplate {
                    span: Span::new(base as usize + i, base as usize + i + end + 2),
                    reason: "an empty `{}`".into(),
                    help: Some("put an expression inside, such as `{c.callee}`".into()),
                });
            } else {
                match parse_expr(inner) {
                    Ok(e) => {
                        let e = shift_expr(e, inner_start);
                        let t = cx.check(&e, None);
                        if matches!(t.ty, Ty::Set(_) | Ty::Zone) {
                            cx.report(BadTemplate {
                                span: e.span,
                                reason: format!("{} cannot be printed", t.ty.described()),
                                help: None,
                            });
                        }
                        parts.push(TemplatePart::Expr(t.id));
                    }
                    Err(err) => cx.report(match err {
                        Diag::SyntaxError(s) => BadTemplate {
                            span: s.span.shift(inner_start),
                            reason: format!("in `{{{inner}}}`: {}", s.message),
                            help: s.help,
                        },
                        other => BadTemplate {
                            span: other.span().shift(inner_start),
                            reason: other.to_string(),
                            help: None,
                        },
                    }),
                }
            }
            i += end + 2;
            continue;
        }
        let len = raw[i..].chars().next().map_or(1, char::len_utf8);
        text.push_str(&raw[i..i + len]);
        i += len;
    }
    flush_text(&mut text, &mut parts, cx, raw.len());
    Template { parts }
}

/// The length of an interpolation's inside, up to its `}` (nested strings skipped).
fn interpolation_end(s: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => in_string = !in_string,
            '}' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

/// Moves every span in `e` by `by` bytes.
pub(crate) fn shift_expr(mut e: ast::Expr, by: u32) -> ast::Expr {
    fn walk(e: &mut ast::Expr, by: u32) {
        e.span = e.span.shift(by);
        match &mut e.kind {
            ast::ExprKind::Str(s) => s.span = s.span.shift(by),
            ast::ExprKind::Set(items) => items.iter_mut().for_each(|i| walk(i, by)),
            ast::ExprKind::Name(n) => n.span = n.span.shift(by),
            ast::ExprKind::Field(b, f) => {
                walk(b, by);
                f.span = f.span.shift(by);
            }
            ast::ExprKind::Call(n, args) => {
                n.span = n.span.shift(by);
                args.iter_mut().for_each(|a| walk(a, by));
            }
            ast::ExprKind::Unary(_, a) | ast::ExprKind::Paren(a) => walk(a, by),
            ast::ExprKind::Binary(_, a, b) => {
                walk(a, by);
                walk(b, by);
            }
            ast::ExprKind::If(c, a, b) => {
                walk(c, by);
                walk(a, by);
                walk(b, by);
            }
            _ => {}
        }
    }
    walk(&mut e, by);
    e
}

/// A name for messages: the text of a string literal, unescaped where possible.
pub(crate) fn string_value(lit: &StrLit) -> SmolStr {
    unescape(&lit.raw).map_or_else(|_| lit.raw.clone(), SmolStr::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(unescape(r#"a\"b\\c\n\u{4e2d}"#).unwrap(), "a\"b\\c\n中");
        assert!(unescape(r"\q").is_err());
    }
}
