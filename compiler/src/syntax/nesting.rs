//! A bound on how deeply source text nests, checked before the text reaches pest.
//!
//! pest and the Pratt parser recurse once per bracket, per `list<...>` type and per prefix
//! operator (`not`, unary `-`); a long enough run overflows the stack, which aborts the
//! process (the language server too). pest can guard its own stack, but that check runs on
//! every rule call and costs an eighth of compiling a large rule set, so the bound is checked
//! here instead, in one pass over the bytes. What this counts is an over-estimate of the
//! parser's recursion: it may only ever count more than the parser nests, never less, so
//! strings and comments are skipped exactly as the grammar reads them.
//!
//! The depth of the expressions built from the parse (long chains of binary operators or
//! field accesses nest there without nesting here) has a bound of its own, [`MAX_DEPTH`],
//! kept by the parser as it builds them.

/// How deeply brackets, type arguments and prefix operators may nest. Real rules stay under
/// ten. pest spends ~15 KiB of stack per bracket in a debug build, and the language server
/// and the parallel checker run on 2 MiB threads.
pub const MAX_NESTING: u32 = 64;

/// How deeply an expression may nest, counting every operator, field access and call (a
/// chain of 200 `or`s is 200 deep). Every pass over an expression recurses, each far more
/// lightly than pest. CEL's parser stops at a similar bound (250).
pub const MAX_DEPTH: u32 = 256;

/// The byte offset of the first place where `source` nests deeper than [`MAX_NESTING`], or
/// `None` when it does not.
pub(crate) fn too_deep(source: &str) -> Option<usize> {
    let bytes = source.as_bytes();
    // The open brackets, each with the prefix operators that stood before it (they nest
    // around what the bracket holds), and the prefix operators since the last operand.
    let mut open: Vec<(u8, u32)> = Vec::new();
    let mut depth: u32 = 0;
    let mut prefixes: u32 = 0;
    // Whether the last token was a name: then a `<` may open a type argument.
    let mut after_name = false;
    let mut i = 0;
    // `rest`: the bytes from `i` on, `b` the first of them.
    while let Some(rest @ &[b, ..]) = bytes.get(i..) {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'/' if rest.get(1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', rest).map_or(bytes.len(), |n| i + n);
            }
            b'/' if rest.get(1) == Some(&b'*') => {
                match rest
                    .get(2..)
                    .and_then(|body| memchr::memmem::find(body, b"*/"))
                {
                    Some(n) => i = i + 2 + n + 2,
                    // Unterminated, it is no comment: `/` and `*` are operators.
                    None => {
                        (prefixes, after_name) = (0, false);
                        i += 1;
                    }
                }
            }
            b'"' => match string_end(bytes, i) {
                Some(end) => {
                    (prefixes, after_name) = (0, false);
                    i = end;
                }
                // The grammar reads nothing after a string it cannot end.
                None => return None,
            },
            b'(' | b'[' | b'{' => {
                depth += prefixes + 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
                open.push((b, prefixes));
                (prefixes, after_name) = (0, false);
                i += 1;
            }
            b'<' if after_name => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
                open.push((b, 0));
                (prefixes, after_name) = (0, false);
                i += 1;
            }
            b')' | b']' | b'}' | b'>' => {
                let opener = match b {
                    b')' => b'(',
                    b']' => b'[',
                    b'}' => b'{',
                    _ => b'<',
                };
                // Closing a bracket also closes the `<`s left open inside it (comparisons).
                // A closer with no opener (a syntax error) closes nothing.
                let innermost = if opener == b'<' {
                    open.last()
                        .filter(|(o, _)| *o == b'<')
                        .map(|_| open.len() - 1)
                } else {
                    open.iter().rposition(|(o, _)| *o == opener)
                };
                if let Some(at) = innermost {
                    for (_, before) in open.drain(at..) {
                        depth -= before + 1;
                    }
                }
                (prefixes, after_name) = (0, false);
                i += 1;
            }
            b'-' if rest.get(1) != Some(&b'>') => {
                prefixes += 1;
                if depth + prefixes > MAX_NESTING {
                    return Some(i);
                }
                after_name = false;
                i += 1;
            }
            _ if is_name_byte(b) => {
                let len = rest.iter().take_while(|&&c| is_name_byte(c)).count();
                if rest.get(..len) == Some(b"not".as_slice()) {
                    prefixes += 1;
                    if depth + prefixes > MAX_NESTING {
                        return Some(i);
                    }
                    after_name = false;
                } else {
                    (prefixes, after_name) = (0, true);
                }
                i += len;
            }
            _ => {
                (prefixes, after_name) = (0, false);
                i += 1;
            }
        }
    }
    None
}

/// Letters, digits, `_` and every byte of a non-ASCII character: more than the grammar's
/// names, which only makes `<` open a type argument in more places (counting more, never less).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Where the string starting at `bytes[start] == '"'` ends (just after its closing quote), read
/// as the grammar's `string` rule reads it: one line, `\` escapes, `{{` and `}}`, and `{...}`
/// interpolations that may hold quoted strings (a `{` that does not start one is a plain
/// character). `None` when the rule fails. Bytes stand for characters here: the delimiters are
/// all ASCII, and the bytes of other characters are never ASCII.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match *bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\n' => return None,
            b'\\' => i = escape_end(bytes, i)?,
            b'{' if bytes.get(i + 1) == Some(&b'{') => i += 2,
            b'{' => i = interpolation_end(bytes, i).unwrap_or(i + 1),
            _ => i += 1,
        }
    }
}

/// After the escape at `bytes[i] == '\\'`: it takes any character but a line break.
fn escape_end(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i + 1) {
        Some(b'\n') | None => None,
        Some(_) => Some(i + 2),
    }
}

/// Just after the `}` of the interpolation opened at `bytes[open] == '{'`, or `None` when
/// there is none on the line (the `{` is then a plain character).
fn interpolation_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        match *bytes.get(i)? {
            b'}' => return Some(i + 1),
            b'\n' => return None,
            b'"' => {
                i += 1;
                loop {
                    match *bytes.get(i)? {
                        b'"' => break,
                        b'\n' => return None,
                        b'\\' => i = escape_end(bytes, i)?,
                        _ => i += 1,
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, n: usize, close: &str) -> String {
        format!("{}x{}", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn brackets_types_and_prefixes_count_up_to_the_bound() {
        let max = MAX_NESTING as usize;
        for (open, close) in [("(", ")"), ("[", "]"), ("{", "}"), ("list<", ">")] {
            assert_eq!(too_deep(&nested(open, max, close)), None, "{open}");
            let deep = nested(open, max + 1, close);
            // At the opener's last character (the `<` of `list<`).
            let at = max * open.len() + open.len() - 1;
            assert_eq!(too_deep(&deep), Some(at), "{open}");
        }
        for prefix in ["not ", "-", "- "] {
            assert_eq!(too_deep(&format!("{}x", prefix.repeat(max))), None);
            let deep = format!("{}x", prefix.repeat(max + 1));
            assert_eq!(too_deep(&deep), Some(max * prefix.len()), "{prefix}");
        }
        // Prefixes before a bracket nest around all it holds.
        let half = max / 2;
        let mixed = format!("{}({}x)", "not ".repeat(half), "-".repeat(half));
        assert_eq!(too_deep(&mixed), Some(half * 4 + 1 + half - 1));
    }

    #[test]
    fn what_closes_or_ends_frees_its_depth() {
        let max = MAX_NESTING as usize;
        // Siblings, however many, do not nest.
        assert_eq!(too_deep(&"(x) ".repeat(max * 4)), None);
        assert_eq!(too_deep(&"not x and ".repeat(max * 4)), None);
        assert_eq!(too_deep(&"a - b ".repeat(max * 4)), None);
        // A comparison's `<` is closed with the bracket around it.
        assert_eq!(too_deep(&"(a < b) or ".repeat(max * 4)), None);
        // `->` is no prefix.
        assert_eq!(too_deep(&"->".repeat(max * 4)), None);
    }

    #[test]
    fn strings_and_comments_hold_no_nesting_but_hide_none() {
        let max = MAX_NESTING as usize;
        let deep = "(".repeat(max + 1);
        for quiet in [
            format!("\"{deep}\""),
            format!("\"{{lower(\\\"{deep}\\\")}}\" x"),
            format!("\"{{f(\"{deep}\")}}\""),
            format!("// {deep}\nx"),
            format!("/* {deep} */ x"),
        ] {
            assert_eq!(too_deep(&quiet), None, "{quiet}");
        }
        // A `{` that starts no interpolation is a plain character, and the string ends at the
        // next quote; what follows is code.
        let after = format!("\"{{\"{deep}\n\"");
        assert!(too_deep(&after).is_some());
        // An unterminated block comment is operators.
        assert!(too_deep(&format!("/* {deep}")).is_some());
        // The grammar reads nothing after a string it cannot end.
        assert_eq!(too_deep(&format!("\"abc\n{deep}")), None);
    }
}
