//! A second event decoder, written from SPEC §7 ("Input" and "Decoding, precisely") alone on
//! top of serde_json, for the differential fuzz target: the fast decoder (`ingest`) must give
//! every line the answer this one gives — the same event with the same fields, or a reject for
//! one of the reasons that apply. It is slow and allocates, and shares no code with `ingest`
//! or `vigil_ir::time`, so that a mistake in one is not repeated in the other.
//!
//! Numbers are read from their literals with decimal arithmetic of its own (`Decimal`), floats
//! with the standard library's correctly rounded parser.
//!
//! Where the SPEC leaves a line's answer open (a member given twice, JSON nested deeper than
//! serde_json reads, a point with `lng`), the answer is `Unspecified` and nothing is compared.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use vigil_ir::{EventTypeId, FieldDef, Point, Program, Ty, Value};

use crate::RejectKind;

/// What SPEC §7 says a line decodes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Empty, or only spaces, tabs and carriage returns.
    Blank,
    /// A `$tick` at this time.
    Tick(i64),
    /// An event: its type, time, and each declared field's value then the `id`'s
    /// (`Value::Absent` when missing).
    Event {
        ty: EventTypeId,
        time: i64,
        fields: Vec<Value>,
    },
    /// Rejected, for any of these reasons (a line can be wrong in several ways at once, and the
    /// SPEC does not rank them).
    Rejected(Vec<RejectKind>),
    /// The SPEC does not say.
    Unspecified(&'static str),
}

/// The answer for one input line (without its newline) of `program`'s event types.
pub fn decode(program: &Program, line: &[u8]) -> Answer {
    let Ok(text) = std::str::from_utf8(line) else {
        return Answer::Rejected(vec![RejectKind::NotJson]);
    };
    if text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
        return Answer::Blank;
    }
    // Syntax first (serde_json's), then the values, numbers as their literals.
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => {}
        Err(e) if e.to_string().contains("recursion limit") => {
            return Answer::Unspecified("nested deeper than serde_json reads");
        }
        Err(_) => return Answer::Rejected(vec![RejectKind::NotJson]),
    }
    let Some(json) = Json::read(text) else {
        return Answer::Rejected(vec![RejectKind::NotJson]);
    };
    let Json::Object(members) = json else {
        return Answer::Rejected(vec![RejectKind::NotJson]);
    };
    let Some(top) = unique(&members) else {
        return Answer::Unspecified("a member given twice");
    };
    Line { program, top }.decode()
}

/// The members of an object by name, or `None` when a name repeats.
fn unique(members: &[(String, Json)]) -> Option<Vec<(&str, &Json)>> {
    let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let repeats = names.len() != members.len();
    (!repeats).then(|| members.iter().map(|(k, v)| (k.as_str(), v)).collect())
}

fn member<'j>(members: &[(&str, &'j Json)], name: &str) -> Option<&'j Json> {
    members.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
}

struct Line<'p, 'j> {
    program: &'p Program,
    top: Vec<(&'j str, &'j Json)>,
}

impl Line<'_, '_> {
    fn decode(&self) -> Answer {
        let mut reasons = Vec::new();
        let time = match member(&self.top, "time") {
            None | Some(Json::Null) => Err(vec![RejectKind::MissingField]),
            Some(Json::String(s)) => rfc3339(s).map_err(|_| vec![RejectKind::BadTime]),
            Some(Json::Number(n)) => epoch_ms(n).ok_or(vec![RejectKind::BadTime]),
            // Neither a string nor a number: the wrong JSON type for a time, or no time.
            Some(_) => Err(vec![RejectKind::BadTime, RejectKind::WrongType]),
        };
        let time = match time {
            Ok(t) => Some(t),
            Err(r) => {
                reasons.extend(r);
                None
            }
        };
        let ty = match member(&self.top, "type") {
            None | Some(Json::Null) => Err(RejectKind::MissingField),
            Some(Json::String(s)) if s == "$tick" => {
                return match time {
                    Some(t) => Answer::Tick(t),
                    None => Answer::Rejected(reasons),
                };
            }
            // A reload names a rule set by fingerprint; the fuzzed engine has none to find.
            Some(Json::String(s)) if s == "$reload" => {
                return match member(&self.top, "ruleset") {
                    None | Some(Json::Null) => Answer::Rejected(vec![RejectKind::MissingField]),
                    Some(Json::String(f)) if *f == self.program.fingerprint => {
                        Answer::Unspecified("a reload of the rule set in force")
                    }
                    Some(Json::String(_)) => Answer::Rejected(vec![RejectKind::Reload]),
                    Some(_) => Answer::Rejected(vec![RejectKind::WrongType]),
                };
            }
            Some(Json::String(s)) => self
                .program
                .events
                .iter()
                .position(|e| e.name == s.as_str())
                .and_then(|i| u32::try_from(i).ok())
                .ok_or(RejectKind::UnknownType),
            Some(_) => Err(RejectKind::WrongType),
        };
        let ty = match ty {
            Ok(ty) => ty,
            Err(r) => {
                reasons.push(r);
                return Answer::Rejected(reasons);
            }
        };
        let fields = match self.fields(ty) {
            Ok(fields) => fields,
            Err(Reason::Unspecified(why)) => return Answer::Unspecified(why),
            Err(Reason::Rejected(r)) => {
                reasons.extend(r);
                Vec::new()
            }
        };
        match time {
            Some(time) if reasons.is_empty() => Answer::Event { ty, time, fields },
            _ => Answer::Rejected(reasons),
        }
    }

    /// The declared fields' values then the `id`'s, or every reason they are wrong.
    fn fields(&self, ty: EventTypeId) -> Result<Vec<Value>, Reason> {
        let Some(event) = self.program.events.get(ty as usize) else {
            return Err(Reason::Rejected(vec![RejectKind::UnknownType]));
        };
        // CloudEvents structured mode: a `data` object holds the fields, and only it.
        let source = match member(&self.top, "data") {
            Some(Json::Object(data)) => {
                unique(data).ok_or(Reason::Unspecified("a member of `data` given twice"))?
            }
            _ => self
                .top
                .iter()
                .filter(|(k, _)| !matches!(*k, "type" | "time" | "id"))
                .copied()
                .collect(),
        };
        let mut values = Vec::new();
        let mut reasons = Vec::new();
        for f in &event.fields {
            match self.field(f, member(&source, &f.name)) {
                Ok(v) => values.push(v),
                Err(Reason::Rejected(r)) => reasons.extend(r),
                Err(u) => return Err(u),
            }
        }
        match member(&self.top, "id") {
            None | Some(Json::Null) => values.push(Value::Absent),
            Some(Json::String(s)) => values.push(Value::str(s)),
            Some(_) => reasons.push(RejectKind::WrongType),
        }
        if reasons.is_empty() {
            Ok(values)
        } else {
            Err(Reason::Rejected(reasons))
        }
    }

    fn field(&self, f: &FieldDef, json: Option<&Json>) -> Result<Value, Reason> {
        let wrong = || Reason::Rejected(vec![RejectKind::WrongType]);
        let json = match json {
            None | Some(Json::Null) if f.optional => return Ok(Value::Absent),
            None | Some(Json::Null) => {
                return Err(Reason::Rejected(vec![RejectKind::MissingField]));
            }
            Some(j) => j,
        };
        match (&f.ty, json) {
            (Ty::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
            (Ty::Int, Json::Number(n)) => integer(n).map(Value::Int).ok_or_else(wrong),
            (Ty::Float, Json::Number(n)) => n
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Value::Float)
                .ok_or_else(wrong),
            (Ty::Str, Json::String(s)) => Ok(Value::str(s)),
            (Ty::Enum(name), Json::String(s)) => self
                .program
                .enums
                .iter()
                .find(|e| e.name == *name)
                .and_then(|e| e.variants.iter().position(|v| v == s.as_str()))
                .and_then(|i| u32::try_from(i).ok())
                .map(Value::Enum)
                .ok_or_else(wrong),
            // A unit by its declared name (SPEC v0.2).
            (Ty::Unit, Json::String(s)) => self
                .program
                .units
                .iter()
                .position(|u| u.name == s.as_str())
                .and_then(|i| u32::try_from(i).ok())
                .map(Value::Unit)
                .ok_or_else(wrong),
            (Ty::Time, Json::String(s)) => rfc3339(s)
                .map(Value::Time)
                .map_err(|_| Reason::Rejected(vec![RejectKind::BadTime])),
            (Ty::Time, Json::Number(n)) => epoch_ms(n)
                .map(Value::Time)
                .ok_or(Reason::Rejected(vec![RejectKind::BadTime])),
            (Ty::Duration, Json::String(s)) => {
                iso_duration(s).map(Value::Duration).ok_or_else(wrong)
            }
            (Ty::Duration, Json::Number(n)) => seconds(n).map(Value::Duration).ok_or_else(wrong),
            (Ty::Point, Json::Object(members)) => {
                let members = unique(members).ok_or(Reason::Unspecified("a point member twice"))?;
                if member(&members, "lng").is_some() {
                    return Err(Reason::Unspecified("a point with `lng`"));
                }
                let degrees = |name: &str, limit: f64| match member(&members, name) {
                    Some(Json::Number(n)) => n.parse::<f64>().ok().filter(|d| d.abs() <= limit),
                    _ => None,
                };
                match (degrees("lat", 90.0), degrees("lon", 180.0)) {
                    (Some(lat), Some(lon)) => Ok(Value::Point(Point { lat, lon })),
                    _ => Err(wrong()),
                }
            }
            // SPEC v0.2: a JSON array of members of the element type, duplicates allowed.
            (Ty::Set(elem), Json::Array(items)) => {
                let member = FieldDef {
                    name: f.name.clone(),
                    ty: (**elem).clone(),
                    optional: false,
                };
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    match (&**elem, item) {
                        (Ty::Str | Ty::Int | Ty::Enum(_) | Ty::Unit, Json::Null) => {
                            return Err(wrong());
                        }
                        (Ty::Str | Ty::Int | Ty::Enum(_) | Ty::Unit, _) => {
                            values.push(self.field(&member, Some(item))?)
                        }
                        _ => return Err(Reason::Unspecified("not a set field's member type")),
                    }
                }
                Ok(Value::Set(std::sync::Arc::new(vigil_ir::SetValue::new(
                    values,
                ))))
            }
            (Ty::Set(_) | Ty::Zone | Ty::Error, _) => {
                if matches!(f.ty, Ty::Set(_)) && !matches!(json, Json::Array(_)) {
                    return Err(wrong());
                }
                Err(Reason::Unspecified("not an event field type"))
            }
            _ => Err(wrong()),
        }
    }
}

enum Reason {
    Rejected(Vec<RejectKind>),
    Unspecified(&'static str),
}

/// A number whose value is an integer within i64: `3`, `3.0` and `3e0` alike.
fn integer(literal: &str) -> Option<i64> {
    let d = Decimal::read(literal)?;
    if d.shift < 0
        && d.digits
            .iter()
            .rev()
            .take(d.shift.unsigned_abs() as usize)
            .any(|c| *c != 0)
    {
        return None;
    }
    d.truncated(0)
}

fn epoch_ms(literal: &str) -> Option<i64> {
    integer(literal).filter(|ms| (FIRST_MS..END_MS).contains(ms))
}

/// A number of seconds as milliseconds, digits beyond the millisecond truncated.
fn seconds(literal: &str) -> Option<i64> {
    Decimal::read(literal)?.truncated(3)
}

/// A JSON number literal as `±digits × 10^shift`, digits without leading zeros.
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    shift: i128,
}

impl Decimal {
    fn read(literal: &str) -> Option<Decimal> {
        let negative = literal.starts_with('-');
        let body = literal.trim_start_matches('-');
        let (mantissa, exp) = match body.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.trim_start_matches('+')),
            None => (body, "0"),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits: Vec<u8> = int
            .bytes()
            .chain(frac.bytes())
            .map(|c| c - b'0')
            .skip_while(|d| *d == 0)
            .collect();
        // Exponents of any length: those past i128 only ever mean zero or too large.
        let exp: i128 = exp.parse().unwrap_or(if exp.starts_with('-') {
            i128::from(i64::MIN)
        } else {
            i128::from(i64::MAX)
        });
        Some(Decimal {
            negative,
            digits,
            shift: exp - frac.len() as i128,
        })
    }

    /// The value times 10^`scale`, truncated toward zero, if within i64.
    fn truncated(&self, scale: i128) -> Option<i64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        let shift = self.shift + scale;
        // Digits kept before the point once shifted; zeros stand in past the last digit.
        let keep = self.digits.len() as i128 + shift;
        if keep <= 0 {
            return Some(0);
        }
        if keep > 19 {
            return None;
        }
        let mut v: i128 = 0;
        for i in 0..keep {
            let d = self.digits.get(i as usize).copied().unwrap_or(0);
            v = v * 10 + i128::from(d);
        }
        i64::try_from(if self.negative { -v } else { v }).ok()
    }
}

/// Days from 0001-01-01 to 1970-01-01.
const EPOCH_DAYS: i64 = 719_162;
/// Days from 0001-01-01 to 10000-01-01.
const END_DAYS: i64 = 9999 * 365 + 9999 / 4 - 9999 / 100 + 9999 / 400;
const DAY_MS: i64 = 86_400_000;
const FIRST_MS: i64 = -EPOCH_DAYS * DAY_MS;
const END_MS: i64 = (END_DAYS - EPOCH_DAYS) * DAY_MS;

fn leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days from 0001-01-01 to the first of `year`.
fn days_before_year(year: i64) -> i64 {
    let y = year - 1;
    y * 365 + y / 4 - y / 100 + y / 400
}

const MONTH_DAYS: [i64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// An RFC 3339 date-time with an offset, as epoch milliseconds.
fn rfc3339(s: &str) -> Result<i64, Unreadable> {
    let b = s.as_bytes();
    let digits = |from: usize, to: usize| -> Result<i64, Unreadable> {
        let part = b.get(from..to).ok_or(Unreadable)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return Err(Unreadable);
        }
        std::str::from_utf8(part)
            .ok()
            .and_then(|p| p.parse().ok())
            .ok_or(Unreadable)
    };
    let byte = |i: usize, allowed: &[u8]| -> Result<(), Unreadable> {
        match b.get(i) {
            Some(c) if allowed.contains(c) => Ok(()),
            _ => Err(Unreadable),
        }
    };
    let year = digits(0, 4)?;
    byte(4, b"-")?;
    let month = digits(5, 7)?;
    byte(7, b"-")?;
    let day = digits(8, 10)?;
    byte(10, b"Tt")?;
    let hour = digits(11, 13)?;
    byte(13, b":")?;
    let minute = digits(14, 16)?;
    byte(16, b":")?;
    let mut second = digits(17, 19)?;
    let mut at = 19;
    let mut millis = 0;
    if b.get(at) == Some(&b'.') {
        let start = at + 1;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == start {
            return Err(Unreadable);
        }
        let mut first3 = s
            .get(start..end.min(start + 3))
            .ok_or(Unreadable)?
            .to_string();
        while first3.len() < 3 {
            first3.push('0');
        }
        millis = first3.parse().map_err(|_| Unreadable)?;
        at = end;
    }
    let offset_minutes = match b.get(at) {
        Some(b'Z' | b'z') if b.len() == at + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == at + 6 => {
            byte(at + 3, b":")?;
            let (h, m) = (digits(at + 1, at + 3)?, digits(at + 4, at + 6)?);
            if h > 23 || m > 59 {
                return Err(Unreadable);
            }
            if *sign == b'-' {
                -(h * 60 + m)
            } else {
                h * 60 + m
            }
        }
        _ => return Err(Unreadable),
    };
    let month_index = usize::try_from(month - 1).map_err(|_| Unreadable)?;
    let month_days =
        MONTH_DAYS.get(month_index).ok_or(Unreadable)? + i64::from(month == 2 && leap(year));
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 60 {
        return Err(Unreadable);
    }
    if second == 60 {
        second = 59;
        millis = 999;
    }
    let before_month: i64 =
        MONTH_DAYS.iter().take(month_index).sum::<i64>() + i64::from(month > 2 && leap(year));
    let days = days_before_year(year) + before_month + day - 1 - EPOCH_DAYS;
    let ms = days * DAY_MS + ((hour * 60 + minute - offset_minutes) * 60 + second) * 1000 + millis;
    if (FIRST_MS..END_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(Unreadable)
    }
}

/// Not what the SPEC reads.
#[derive(Debug)]
struct Unreadable;

/// `P[nD][T[nH][nM][n[.f]S]]`, at least one part, integers but the seconds.
fn iso_duration(s: &str) -> Option<i64> {
    let rest = s.strip_prefix('P')?;
    let (date, time) = match rest.find('T') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut ms: i128 = 0;
    let mut parts = 0;
    if !date.is_empty() {
        let n = date.strip_suffix('D')?;
        ms += whole(n)? * 86_400_000;
        parts += 1;
    }
    if let Some(mut time) = time {
        if time.is_empty() {
            return None;
        }
        for (unit, size) in [('H', 3_600_000), ('M', 60_000)] {
            if let Some(i) = time.find(unit) {
                ms += whole(&time[..i])? * size;
                time = &time[i + 1..];
                parts += 1;
            }
        }
        if !time.is_empty() {
            let n = time.strip_suffix('S')?;
            let (int, frac) = match n.split_once('.') {
                Some((i, f)) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => (i, f),
                Some(_) => return None,
                None => (n, ""),
            };
            let frac3: String = frac.chars().chain("000".chars()).take(3).collect();
            ms += whole(int)? * 1000 + frac3.parse::<i128>().ok()?;
            parts += 1;
        }
    }
    if parts == 0 {
        return None;
    }
    i64::try_from(ms).ok()
}

fn whole(n: &str) -> Option<i128> {
    if n.is_empty() || n.len() > 30 || !n.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// A JSON value with the members of objects in order, repeats kept, and numbers as written.
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The value `raw` (valid JSON) holds, or `None` for a string serde_json will not read
    /// (a lone surrogate).
    fn read(raw: &str) -> Option<Json> {
        let raw = raw.trim_matches([' ', '\t', '\r', '\n']);
        Some(match raw.as_bytes().first()? {
            b'{' => {
                let Members(members) = serde_json::from_str(raw).ok()?;
                let mut read = Vec::new();
                for (k, v) in members {
                    read.push((k, Json::read(v.get())?));
                }
                Json::Object(read)
            }
            b'[' => {
                let items: Vec<&RawValue> = serde_json::from_str(raw).ok()?;
                let mut read = Vec::with_capacity(items.len());
                for item in items {
                    read.push(Json::read(item.get())?);
                }
                Json::Array(read)
            }
            b'"' => Json::String(serde_json::from_str(raw).ok()?),
            b't' => Json::Bool(true),
            b'f' => Json::Bool(false),
            b'n' => Json::Null,
            _ => Json::Number(raw.to_string()),
        })
    }
}

/// An object's members, as raw JSON each.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Members<'de>, D::Error> {
        d.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
            members.push(member);
        }
        Ok(Members(members))
    }
}
