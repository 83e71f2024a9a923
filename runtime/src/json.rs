//! A strict JSON scanner over one line: strings (borrowed when they have no escapes),
//! numbers, literals, and skipping whole values. Ingestion drives it field by field, so no
//! JSON tree is ever built. It accepts exactly RFC 8259 JSON (tested against serde_json).

/// A syntax error, with the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub at: usize,
    pub what: &'static str,
}

pub(crate) type Result<T> = std::result::Result<T, SyntaxError>;

/// A JSON number: an integer when it is written as one and fits, else its nearest `f64` (which
/// may be infinite) and its literal, for exact decimal reading (`Number::integer`,
/// `Number::scaled`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number<'a> {
    Int(i64),
    Float(f64, &'a str),
}

impl Number<'_> {
    /// The value as a float.
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f, _) => f,
        }
    }

    /// The value, when it is an integer within i64 (`3`, `3.0`, `30e-1` alike): read from
    /// the literal's digits, so `9007199254740993.0` is that integer, not its nearest float.
    pub(crate) fn integer(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(_, literal) => match scaled(literal, 0)? {
                (v, true) => Some(v),
                (_, false) => None,
            },
        }
    }

    /// The value times 10^`scale`, digits beyond the point truncated toward zero; `None`
    /// beyond i64. Exact: `4.35` seconds are 4350 milliseconds.
    pub(crate) fn scaled(self, scale: u32) -> Option<i64> {
        match self {
            Number::Int(i) => i.checked_mul(10i64.checked_pow(scale)?),
            Number::Float(_, literal) => scaled(literal, i64::from(scale)).map(|(v, _)| v),
        }
    }
}

impl std::fmt::Display for Number<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(_, literal) => f.write_str(literal),
        }
    }
}

/// The value of the JSON number `literal` times 10^`scale`, truncated toward zero, and
/// whether nothing was cut off; `None` beyond i64.
fn scaled(literal: &str, scale: i64) -> Option<(i64, bool)> {
    let (negative, unsigned) = match literal.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, literal),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], &unsigned[i + 1..]),
        None => (unsigned, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = int
        .bytes()
        .chain(frac.bytes())
        .skip_while(|d| *d == b'0')
        .collect();
    if digits.is_empty() {
        return Some((0, true));
    }
    // An exponent too long for i64 is beyond any i64 either way (or cut to zero).
    let exponent: i64 = match exponent.trim_start_matches('+').parse() {
        Ok(e) => e,
        Err(_) if exponent.starts_with('-') => return Some((0, false)),
        Err(_) => return None,
    };
    // value = digits × 10^shift
    let shift = exponent
        .checked_sub(frac.len() as i64)?
        .checked_add(scale)?;
    let (kept, cut) = if shift >= 0 {
        (&digits[..], &[][..])
    } else {
        let keep = digits
            .len()
            .saturating_sub(usize::try_from(shift.unsigned_abs()).ok()?);
        digits.split_at(keep)
    };
    let mut v: i128 = 0;
    for d in kept {
        v = v.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
        if v > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    for _ in 0..shift.max(0) {
        v = v.checked_mul(10)?;
        if v > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let v = i64::try_from(if negative { -v } else { v }).ok()?;
    Some((v, cut.iter().all(|d| *d == b'0')))
}

/// The kind of the next value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    String,
    Number,
    True,
    False,
    Null,
    Object,
    Array,
}

/// Nesting limit for skipped values (deeper input is rejected, not a stack overflow).
const MAX_DEPTH: u32 = 128;

/// Whether `c` ends the plain part of a string: `"`, `\\` or a control character.
const fn is_special(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}

/// The first `"`, `\\` or control character: one pass, eight bytes at a time (strings in
/// events are short, so this beats setting up a vector search).
pub(crate) fn find_special(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut i = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // A byte's high bit is set where it is zero after the xor (or below 0x20); the lowest
        // flagged byte is always a true match (borrows only flag bytes above one).
        let quote = w ^ (LO * u64::from(b'"'));
        let backslash = w ^ (LO * u64::from(b'\\'));
        let found = (quote.wrapping_sub(LO) & !quote)
            | (backslash.wrapping_sub(LO) & !backslash)
            | (w.wrapping_sub(LO * 0x20) & !w);
        let found = found & HI;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|c| is_special(*c))
        .map(|p| i + p)
}

pub(crate) struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    pub pos: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            b: text.as_bytes(),
            pos: 0,
        }
    }

    /// The whole line being scanned.
    pub fn source(&self) -> &'a str {
        self.text
    }

    pub fn err<T>(&self, what: &'static str) -> Result<T> {
        Err(SyntaxError { at: self.pos, what })
    }

    pub fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Skips blanks and returns the next byte without consuming it.
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.pos).copied()
    }

    pub fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, c: u8, what: &'static str) -> Result<()> {
        if self.eat(c) { Ok(()) } else { self.err(what) }
    }

    /// Only blanks remain.
    pub fn end(&mut self) -> Result<()> {
        if self.peek().is_none() {
            Ok(())
        } else {
            self.err("trailing characters after the object")
        }
    }

    pub fn next_kind(&mut self) -> Result<Next> {
        Ok(match self.peek() {
            Some(b'"') => Next::String,
            Some(b'-' | b'0'..=b'9') => Next::Number,
            Some(b't') => Next::True,
            Some(b'f') => Next::False,
            Some(b'n') => Next::Null,
            Some(b'{') => Next::Object,
            Some(b'[') => Next::Array,
            Some(_) => return self.err("expected a value"),
            None => return self.err("unexpected end of line"),
        })
    }

    /// A string; borrowed from the input unless it has escapes, in which case it is decoded
    /// into `scratch` and the returned slice points there.
    pub fn string<'s>(&mut self, scratch: &'s mut String) -> Result<&'s str>
    where
        'a: 's,
    {
        match self.string_raw(scratch)? {
            Some(s) => Ok(s),
            None => Ok(scratch.as_str()),
        }
    }

    /// A string: `Some` borrowed from the input when it has no escapes, else `None` with the
    /// decoded text in `scratch`.
    pub fn string_raw(&mut self, scratch: &mut String) -> Result<Option<&'a str>> {
        self.expect(b'"', "expected a string")?;
        let start = self.pos;
        let rest = self.b.get(start..).unwrap_or_default();
        let Some((end, special)) = find_special(rest).map(|off| (start + off, rest.get(off)))
        else {
            self.pos = self.b.len();
            return self.err("unterminated string");
        };
        self.pos = end;
        match special {
            Some(b'"') => {
                self.pos = end + 1;
                return Ok(Some(&self.text[start..end]));
            }
            Some(b'\\') => {}
            _ => return self.err("control character in a string"),
        }
        scratch.clear();
        scratch.push_str(&self.text[start..end]);
        self.escaped(scratch)?;
        Ok(None)
    }

    /// The rest of a string from its first `\`, decoded into `scratch`.
    fn escaped(&mut self, scratch: &mut String) -> Result<()> {
        loop {
            match self.b.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.b.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.b.get(self.pos) != Some(&b'\\')
                                    || self.b.get(self.pos + 1) != Some(&b'u')
                                {
                                    return self.err("unpaired surrogate");
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return self.err("unpaired surrogate");
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return self.err("unpaired surrogate");
                            } else {
                                hi
                            };
                            match char::from_u32(code) {
                                Some(c) => scratch.push(c),
                                None => return self.err("bad \\u escape"),
                            }
                            continue;
                        }
                        _ => return self.err("bad escape"),
                    };
                    scratch.push(c);
                    self.pos += 1;
                }
                Some(c) if *c < 0x20 => return self.err("control character in a string"),
                Some(_) => {
                    let run = self.pos;
                    while let Some(c) = self.b.get(self.pos) {
                        if *c == b'"' || *c == b'\\' || *c < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    scratch.push_str(&self.text[run..self.pos]);
                }
                None => return self.err("unterminated string"),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.b.get(self.pos) {
                Some(c @ b'0'..=b'9') => u32::from(c - b'0'),
                Some(c @ b'a'..=b'f') => u32::from(c - b'a' + 10),
                Some(c @ b'A'..=b'F') => u32::from(c - b'A' + 10),
                _ => return self.err("bad \\u escape"),
            };
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    pub fn number(&mut self) -> Result<Number<'a>> {
        self.ws();
        let start = self.pos;
        let negative = self.b.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = self.b.get(self.pos) {
                    self.pos += 1;
                }
            }
            _ => return self.err("expected a number"),
        }
        let int_end = self.pos;
        let mut integral = true;
        if self.b.get(self.pos) == Some(&b'.') {
            integral = false;
            self.pos += 1;
            let d = self.pos;
            while let Some(b'0'..=b'9') = self.b.get(self.pos) {
                self.pos += 1;
            }
            if self.pos == d {
                return self.err("expected digits after the decimal point");
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.pos) {
            integral = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.b.get(self.pos) {
                self.pos += 1;
            }
            let d = self.pos;
            while let Some(b'0'..=b'9') = self.b.get(self.pos) {
                self.pos += 1;
            }
            if self.pos == d {
                return self.err("expected digits in the exponent");
            }
        }
        if integral
            && int_end - int_start <= 18
            && let Some(digits) = self.b.get(int_start..int_end)
        {
            let v = digits
                .iter()
                .fold(0i64, |v, c| v * 10 + i64::from(c - b'0'));
            return Ok(Number::Int(if negative { -v } else { v }));
        }
        let text = &self.text[start..self.pos];
        if integral && let Ok(v) = text.parse::<i64>() {
            return Ok(Number::Int(v));
        }
        // Beyond f64 is infinite: still JSON, and out of range for any field.
        match text.parse::<f64>() {
            Ok(f) => Ok(Number::Float(f, text)),
            Err(_) => self.err("expected a number"),
        }
    }

    /// `true`, `false` or `null` (whichever comes next).
    pub fn literal(&mut self) -> Result<Next> {
        self.ws();
        let rest = self.b.get(self.pos..).unwrap_or_default();
        let (kind, len) = if rest.starts_with(b"true") {
            (Next::True, 4)
        } else if rest.starts_with(b"false") {
            (Next::False, 5)
        } else if rest.starts_with(b"null") {
            (Next::Null, 4)
        } else {
            return self.err("expected a value");
        };
        self.pos += len;
        Ok(kind)
    }

    /// Skips one value of any kind, checking its syntax.
    pub fn skip(&mut self, scratch: &mut String) -> Result<()> {
        self.skip_depth(scratch, 0)
    }

    fn skip_depth(&mut self, scratch: &mut String, depth: u32) -> Result<()> {
        if depth > MAX_DEPTH {
            return self.err("nested too deeply");
        }
        match self.next_kind()? {
            Next::String => self.string(scratch).map(|_| ()),
            Next::Number => self.number().map(|_| ()),
            Next::True | Next::False | Next::Null => self.literal().map(|_| ()),
            Next::Object => {
                self.pos += 1;
                if self.eat(b'}') {
                    return Ok(());
                }
                loop {
                    self.string(scratch)?;
                    self.expect(b':', "expected `:`")?;
                    self.skip_depth(scratch, depth + 1)?;
                    if self.eat(b',') {
                        continue;
                    }
                    return self.expect(b'}', "expected `,` or `}`");
                }
            }
            Next::Array => {
                self.pos += 1;
                if self.eat(b']') {
                    return Ok(());
                }
                loop {
                    self.skip_depth(scratch, depth + 1)?;
                    if self.eat(b',') {
                        continue;
                    }
                    return self.expect(b']', "expected `,` or `]`");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ours(text: &str) -> bool {
        let mut sc = Scanner::new(text);
        let mut scratch = String::new();
        sc.skip(&mut scratch).is_ok() && sc.end().is_ok()
    }

    fn serde(text: &str) -> bool {
        // Into a `Value`, so strings are decoded in full (lone surrogates rejected).
        serde_json::from_str::<serde_json::Value>(text).is_ok()
    }

    #[test]
    fn agrees_with_serde_on_tricky_inputs() {
        for t in [
            r#"{"a":1}"#,
            r#"{"a":-0.5e-3}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":"\u00e9\ud83d\ude00"}"#,
            r#"{"a":"\ud83d"}"#,
            r#"{"a":"\q"}"#,
            "{\"a\":\"\t\"}",
            r#"{"a":[1,2,]}"#,
            r#"{"a":{}}"#,
            r#"{,}"#,
            r#"{"a":1}x"#,
            r#"  {"a" : [ true , false , null ] }  "#,
            r#"{"a":123456789012345678901234567890}"#,
            r#"[]"#,
            r#""s""#,
            "nul",
            "",
            "{\"a\":\"\u{7f}\"}",
        ] {
            assert_eq!(ours(t), serde(t), "{t:?}");
        }
        // JSON's grammar has no range: a number beyond f64 is JSON (serde_json refuses it), and
        // out of range for any field (SPEC §7: `wrong_type`).
        assert!(ours(r#"{"a":1e400}"#));
    }

    #[test]
    fn numbers_and_escapes_decode_like_serde() {
        let mut scratch = String::new();
        let mut sc = Scanner::new(r#""a\"b\\c\u00e9\ud83d\ude00""#);
        assert_eq!(sc.string(&mut scratch).unwrap(), "a\"b\\cé😀");
        for (t, n) in [
            ("42", Number::Int(42)),
            ("-7", Number::Int(-7)),
            ("2.5", Number::Float(2.5, "2.5")),
            ("1e3", Number::Float(1000.0, "1e3")),
            ("9223372036854775807", Number::Int(i64::MAX)),
            (
                "9223372036854775808",
                Number::Float(9_223_372_036_854_775_808.0, "9223372036854775808"),
            ),
        ] {
            assert_eq!(Scanner::new(t).number().unwrap(), n, "{t}");
        }
    }

    proptest! {
        /// The word-at-a-time search finds exactly the first byte the table marks.
        #[test]
        fn find_special_agrees_with_the_table(
            bytes in prop::collection::vec(
                prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, 0x20u8..=0xff],
                0..40,
            ),
            plain in 0usize..24,
        ) {
            // Mostly plain text before the interesting bytes, so matches land in every lane.
            let mut input = vec![b'a'; plain];
            input.extend(bytes);
            let expected = input.iter().position(|c| is_special(*c));
            prop_assert_eq!(find_special(&input), expected);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn accepts_exactly_what_serde_accepts(s in r#"[\{\}\[\]":,0-9\-\.eE\+ tfrueanl\\u/bnrtx]{0,40}"#) {
            prop_assert_eq!(ours(&s), serde(&s), "{:?}", s);
        }

        #[test]
        fn mutated_event_lines_agree(cut in 0usize..120, insert in prop::sample::select(vec!["", "\"", "{", "}", ",", ":", "\\", "1", " ", "]"])) {
            let line = r#"{"type":"Call","time":"2021-11-25T19:00:00Z","data":{"a":[1,{"b":"x\"y"}],"n":-1.5e2},"ok":true}"#;
            let cut = cut.min(line.len());
            let s = format!("{}{}{}", &line[..cut], insert, &line[cut..]);
            prop_assert_eq!(ours(&s), serde(&s), "{:?}", s);
        }
    }
}
