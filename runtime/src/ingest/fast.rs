//! The fast path of ingestion: the common shape of an event line, decoded in one pass over its
//! bytes.
//!
//! It takes lines whose `type` comes first, whose members are the event's declared fields (and
//! `time`, `id`), each once, with strings free of escapes and numbers written as integers. Any
//! other line — including every line that will be rejected — returns `None` and goes through
//! the general decoder, which is the one that knows every rule and every error message. So
//! this path never has to be right about a reject, only about the rows it builds, and those are
//! tested to be the general decoder's rows (`tests::agrees_with_the_general_decoder`).
//!
//! It saves the general decoder's whole-line UTF-8 pass (only string contents can be
//! non-ASCII, so only they are validated), its key matching through `str` comparisons, and
//! its bookkeeping for members that come before `type`.

use super::{EventSchema, Schema, check_epoch, number_field};
use crate::json::{Number, find_special};
use crate::row::{Kind, Row, RowBuffers, RowBuilder, Source};
use vigil_ir::EventTypeId;

/// Decodes `line` if it has the common shape; `None` sends it to the general decoder. The
/// buffers are left in `buffers` either way.
pub(super) fn decode(
    schema: &Schema,
    buffers: &mut RowBuffers,
    text: &str,
    line_no: u64,
) -> Option<Row> {
    let line = text.as_bytes();
    let mut c = Cursor {
        text,
        b: line,
        pos: 0,
    };
    // `{"type":` as written by most producers, else with blanks anywhere.
    if !c.literal(b"{\"type\":") {
        c.eat(b'{')?;
        if c.plain_str()? != "type" {
            return None;
        }
        c.eat(b':')?;
    }
    let ty = event_type(schema, &mut c)?;
    let ev = schema.events.get(ty as usize)?;
    // Presence is a 64-bit mask with the implicit `id` after the declared fields.
    if ev.fields.len() >= 63 {
        return None;
    }
    let mut row = RowBuilder::with_buffers(&ev.layout, std::mem::take(buffers));
    let time = members(&mut c, ev, &mut row);
    let done = time.filter(|_| {
        c.ws();
        c.pos == line.len() && row.present() & ev.required == ev.required
    });
    let Some(time) = done else {
        *buffers = row.into_buffers();
        return None;
    };
    let (row, back) = row.finish_reusing(ty, time, Source::Line(line_no));
    *buffers = back;
    Some(row)
}

/// The event type named by the string at the cursor.
fn event_type(schema: &Schema, c: &mut Cursor<'_>) -> Option<EventTypeId> {
    c.ws();
    for (name, ty) in &schema.quoted_types {
        if name.is_at(c.b, c.pos) {
            c.pos += name.len();
            return Some(*ty);
        }
    }
    schema.types.get(c.plain_str()?).copied()
}

/// The members after `type`, into `row`; the event time.
fn members(c: &mut Cursor<'_>, ev: &EventSchema, row: &mut RowBuilder<'_>) -> Option<i64> {
    let id = ev.layout.id_field();
    let mut time = None;
    let mut hint = 0;
    loop {
        c.ws();
        match c.b.get(c.pos)? {
            b',' => c.pos += 1,
            b'}' => {
                c.pos += 1;
                return time;
            }
            _ => return None,
        }
        c.ws();
        // `time` usually comes first, then the fields in declaration order: try the next
        // one's quoted name.
        if time.is_none() && c.literal(b"\"time\"") {
            c.eat(b':')?;
            time = Some(time_value(c)?);
            continue;
        }
        let i = match ev.fields.get(hint) {
            Some(f) if f.quoted.is_at(c.b, c.pos) => {
                c.pos += f.quoted.len();
                hint
            }
            _ => match c.plain_str()? {
                "time" => {
                    c.eat(b':')?;
                    if time.is_some() {
                        return None;
                    }
                    time = Some(time_value(c)?);
                    continue;
                }
                "id" => {
                    c.eat(b':')?;
                    if row.is_set(id) {
                        return None;
                    }
                    row.set_str(id, c.plain_str()?);
                    continue;
                }
                key => ev.field(key, hint)? as usize,
            },
        };
        c.eat(b':')?;
        hint = i + 1;
        let i = u16::try_from(i).ok()?;
        if row.is_set(i) {
            return None;
        }
        let f = ev.fields.get(usize::from(i))?;
        c.ws();
        if c.literal(b"null") {
            if !f.optional {
                return None;
            }
            continue;
        }
        match f.kind {
            // Arrays are the general decoder's.
            Kind::Set(_) => return None,
            Kind::Str => row.set_str(i, c.plain_str()?),
            Kind::Enum | Kind::Unit => {
                let s = c.plain_str()?;
                let v = f.variants.iter().position(|v| **v == *s)?;
                row.set_word(i, v as u64);
            }
            Kind::Bool => {
                let b = if c.literal(b"true") {
                    true
                } else if c.literal(b"false") {
                    false
                } else {
                    return None;
                };
                row.set_word(i, u64::from(b));
            }
            Kind::Time if c.b.get(c.pos) == Some(&b'"') => {
                let t = c.time_str()?;
                row.set_word(i, t as u64);
            }
            Kind::Int | Kind::Float | Kind::Duration | Kind::Time => {
                let n = c.integer()?;
                row.set_word(i, number_field(f.kind, Number::Int(n)).ok()?);
            }
            Kind::Point => return None,
        }
    }
}

/// `time`: an RFC 3339 string or epoch milliseconds.
fn time_value(c: &mut Cursor<'_>) -> Option<i64> {
    c.ws();
    if c.b.get(c.pos) == Some(&b'"') {
        return c.time_str();
    }
    check_epoch(c.integer()?).ok()
}

/// A field's name as a JSON string, quotes included, as the fast path looks for it: names
/// of up to 14 characters are compared as two words under a mask, without a call.
#[derive(Debug)]
pub(super) struct QuotedName {
    bytes: Box<[u8]>,
    words: [u64; 2],
    masks: [u64; 2],
}

impl QuotedName {
    pub(super) fn new(name: &str) -> QuotedName {
        let bytes: Box<[u8]> = format!("\"{name}\"").into_bytes().into();
        let mut padded = [0u8; 16];
        let mut mask = [0u8; 16];
        for ((p, m), b) in padded.iter_mut().zip(&mut mask).zip(bytes.iter()) {
            *p = *b;
            *m = 0xff;
        }
        let words = |a: [u8; 16]| {
            let (lo, hi) = a.split_at(8);
            let word = |h: &[u8]| u64::from_le_bytes(h.try_into().unwrap_or_default());
            [word(lo), word(hi)]
        };
        QuotedName {
            words: words(padded),
            masks: words(mask),
            bytes,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether `b[pos..]` starts with the quoted name.
    fn is_at(&self, b: &[u8], pos: usize) -> bool {
        let load = |i: usize| {
            b.get(i..i + 8)
                .and_then(|w| w.try_into().ok())
                .map(u64::from_le_bytes)
        };
        match (self.bytes.len() <= 16, load(pos), load(pos + 8)) {
            (true, Some(w0), Some(w1)) => {
                ((w0 ^ self.words[0]) & self.masks[0]) | ((w1 ^ self.words[1]) & self.masks[1]) == 0
            }
            _ => b.get(pos..).is_some_and(|r| r.starts_with(&self.bytes)),
        }
    }
}

struct Cursor<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.ws();
        if self.b.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// A string without escapes or control characters.
    fn plain_str(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.pos;
        let end = start + find_special(self.b.get(start..)?)?;
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.pos = end + 1;
        // Both ends are at ASCII quotes, so on character boundaries.
        self.text.get(start..end)
    }

    /// An RFC 3339 time as a JSON string. The common form is read straight from the bytes up
    /// to the closing quote (it is digits and separators only, so it holds no escape); any
    /// other goes through `plain_str` and the general parser.
    fn time_str(&mut self) -> Option<i64> {
        let start = self.pos + 1;
        let rest = self.b.get(start..)?;
        // Times with an offset or `Z` and no fraction are 25 or 20 bytes long: a quote there
        // is tried first (the parse checks every byte before it), else the string's end is
        // searched for.
        let end = if rest.get(25) == Some(&b'"') {
            Some(25)
        } else if rest.get(20) == Some(&b'"') {
            Some(20)
        } else {
            find_special(rest).filter(|n| rest.get(*n) == Some(&b'"'))
        };
        if let Some(n) = end
            && let Some(t) = vigil_ir::time::parse_time_fast(rest.get(..n)?)
        {
            self.pos = start + n + 1;
            return Some(t);
        }
        vigil_ir::time::parse_time(self.plain_str()?).ok()
    }

    /// Consumes `word` if it comes next.
    fn literal(&mut self, word: &[u8]) -> bool {
        let found = self.b.get(self.pos..).is_some_and(|r| r.starts_with(word));
        if found {
            self.pos += word.len();
        }
        found
    }

    /// A JSON integer of at most 18 digits (what the general scanner reads as `Number::Int`
    /// without parsing text); fractions, exponents and longer numbers are left to it.
    fn integer(&mut self) -> Option<i64> {
        self.ws();
        let negative = self.b.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let start = self.pos;
        match self.b.get(self.pos)? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                while let Some(b'0'..=b'9') = self.b.get(self.pos) {
                    self.pos += 1;
                }
            }
            _ => return None,
        }
        let digits = self.b.get(start..self.pos)?;
        if digits.len() > 18 || matches!(self.b.get(self.pos), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let v = digits
            .iter()
            .fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
        Some(if negative { -v } else { v })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Parsed, general};
    use proptest::prelude::*;

    const TYPES: &str = r#"
        enum Category { noise, theft, fraud }
        event Call { caller: str, age: int, secs: duration, at: time?, region: str?,
                     ok: bool, category: Category, score: float? }
    "#;

    fn schema() -> Schema {
        let program = vigil_compiler::load::compile_sources(&[("types.vigil", TYPES)])
            .expect("types compile");
        Schema::new(&program)
    }

    /// The fast path's row equals the general decoder's whenever it gives one.
    fn check(schema: &Schema, line: &str) -> Option<Row> {
        let mut b = RowBuffers::default();
        let fast = decode(schema, &mut b, line, 7);
        let slow = match general(schema, &mut b, line, 7) {
            Ok(Parsed::Row(row)) => Some(row),
            _ => None,
        };
        if let Some(row) = &fast {
            assert_eq!(Some(row), slow.as_ref(), "line {line}");
        }
        fast
    }

    #[test]
    fn quoted_names_are_found_whatever_their_length() {
        for name in [
            "a",
            "caller",
            "exactly_14char",
            "fifteen_letters",
            "a_much_longer_field_name",
        ] {
            let q = QuotedName::new(name);
            let line = format!("  \"{name}\":1, \"{name}x\":2, \"{name}\"");
            assert!(q.is_at(line.as_bytes(), 2), "{name} at 2");
            let second = line.find(&format!("\"{name}x")).expect("second key");
            assert!(!q.is_at(line.as_bytes(), second), "{name}x is not {name}");
            let last = line.rfind('"').expect("quote") - name.len() - 1;
            assert!(
                q.is_at(line.as_bytes(), last),
                "{name} at the end of the line"
            );
            assert!(
                !q.is_at(line.as_bytes(), line.len()),
                "nothing after the end"
            );
        }
    }

    #[test]
    fn takes_the_common_shape() {
        let s = schema();
        let line = r#"{"type":"Call","time":"2021-11-01T00:00:03+08:00","caller":"+86170","age":76,"secs":7053,"region":"黑龙江","ok":true,"category":"fraud","id":"e1"}"#;
        assert!(check(&s, line).is_some());
        let spaced = r#" { "type" : "Call" , "time" : 1635696003000 , "caller" : "x" , "age" : -3 , "secs" : 0 , "ok" : false , "category" : "noise" , "at" : null } "#;
        assert!(check(&s, spaced).is_some());
        // Times in the common form are read in place, fractions and offsets included.
        for (time, at) in [
            ("2021-11-01T00:00:03.250+08:00", "2021-11-01t00:00:03z"),
            (
                "2021-11-01T00:00:03.123456789-05:30",
                "2021-11-01T00:00:03.5Z",
            ),
        ] {
            let line = format!(
                r#"{{"type":"Call","time":"{time}","caller":"x","age":1,"secs":1,"ok":true,"category":"noise","at":"{at}"}}"#
            );
            assert!(check(&s, &line).is_some(), "{line}");
        }
        // A quote 25 bytes in that is not the time's own end.
        let line = r#"{"type":"Call","time":"2021-11-01T00:00:03Z","ok":true,"caller":"x","age":1,"secs":1,"category":"noise"}"#;
        assert!(check(&s, line).is_some());
    }

    #[test]
    fn leaves_the_rest_to_the_general_decoder() {
        let s = schema();
        for line in [
            r#"{"time":1,"type":"Call","caller":"x","age":1,"secs":1,"ok":true,"category":"noise"}"#,
            r#"{"type":"Call","time":1,"caller":"a\"b","age":1,"secs":1,"ok":true,"category":"noise"}"#,
            r#"{"type":"Call","time":1,"caller":"x","age":1.5,"secs":1,"ok":true,"category":"noise"}"#,
            r#"{"type":"Call","time":1,"caller":"x","age":1,"secs":1,"ok":true}"#,
            r#"{"type":"Call","time":1,"caller":"x","caller":"y","age":1,"secs":1,"ok":true,"category":"noise"}"#,
            r#"{"type":"Call","time":1,"caller":"x","age":1,"secs":1,"ok":true,"category":"noise","extra":1}"#,
            r#"{"type":"Call","time":1,"caller":"x","age":01,"secs":1,"ok":true,"category":"noise"}"#,
            r#"{"type":"Call","time":1,"caller":"x","age":1,"secs":1,"ok":true,"category":"noise"} x"#,
            r#"{"type":"Nope","time":1}"#,
            // An escape inside a time: the general decoder reads it.
            r#"{"type":"Call","time":"2021-11-01T00:00:03\u005a","caller":"x","age":1,"secs":1,"ok":true,"category":"noise"}"#,
            r#"{"type":"Call","time":1,"caller":"x","age":1,"secs":1,"ok":true,"category":"noise","at":"2021-11-01T00:00:03+08:0\u0030"}"#,
            // The time given twice.
            r#"{"type":"Call","time":1,"time":2,"caller":"x","age":1,"secs":1,"ok":true,"category":"noise"}"#,
        ] {
            assert!(check(&s, line).is_none(), "{line}");
        }
    }

    /// A value for field `name`: most often a good one of its type, else anything.
    fn member(name: &'static str) -> impl Strategy<Value = Option<(&'static str, String)>> {
        let good = match name {
            "caller" | "region" | "id" => "[a-z黑龙江+0-9]{0,6}"
                .prop_map(|s| format!("\"{s}\""))
                .boxed(),
            "age" => (-1_000_000_000i64..1_000_000_000)
                .prop_map(|n| n.to_string())
                .boxed(),
            "secs" => (0i64..100_000).prop_map(|n| n.to_string()).boxed(),
            "at" => Just("\"2021-11-01T00:00:03+08:00\"".to_string()).boxed(),
            "ok" => prop::bool::ANY.prop_map(|b| b.to_string()).boxed(),
            "category" => prop::sample::select(vec!["\"noise\"", "\"theft\"", "\"fraud\""])
                .prop_map(str::to_string)
                .boxed(),
            _ => (-1000i64..1000).prop_map(|n| n.to_string()).boxed(),
        };
        let anything = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            Just("-0".to_string()),
            Just("1.5".to_string()),
            Just("1e3".to_string()),
            Just("\"PT1H\"".to_string()),
            Just("\"2021-11-01T00:00:03Z\"".to_string()),
            "[a-z黑\\\\\"]{0,4}".prop_map(|s| format!("\"{s}\"")),
            Just("\"x\"".to_string()),
            Just("{}".to_string()),
        ];
        // An unknown field always sends the line to the general decoder: make it rare.
        let (good_w, none_w) = if name == "extra" { (0, 8) } else { (8, 1) };
        prop_oneof![
            good_w => good.prop_map(move |v| Some((name, v))),
            1 => anything.prop_map(move |v| Some((name, v))),
            none_w => Just(None),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// Lines with every field (most values good, some of any kind, some fields missing,
        /// unknown ones added) in random order: whenever the fast path gives a row it is the
        /// general decoder's.
        #[test]
        fn agrees_with_the_general_decoder(
            members in (
                member("caller"), member("age"), member("secs"), member("at"),
                member("region"), member("ok"), member("category"), member("score"),
                member("id"), member("time"), member("extra"),
            ).prop_map(|t| vec![t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9, t.10])
                .prop_shuffle(),
            time in prop_oneof![Just("1635696003000"), Just("\"2021-11-01T00:00:03Z\"")],
            time_first in prop::bool::ANY,
        ) {
            let s = schema();
            let mut line = "{\"type\":\"Call\"".to_string();
            if time_first {
                line.push_str(&format!(",\"time\":{time}"));
            }
            for (k, v) in members.iter().flatten() {
                if *k == "time" && time_first {
                    continue;
                }
                line.push_str(&format!(",\"{k}\":{v}"));
            }
            line.push('}');
            check(&s, &line);
        }
    }
}
