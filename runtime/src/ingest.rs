//! Schema-directed ingestion: one JSON line straight into a typed row.
//!
//! The decoder walks the JSON object once with serde's streaming visitor and writes each field
//! into its slot with its declared type: strings are interned, enum values become ordinals,
//! times and durations become milliseconds. No generic JSON tree is built, except for the
//! fields of an object whose `type` comes after them (those few are buffered as raw text).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use vigil_compiler::ir::{EventTypeId, Point, Program, Ty, Value};

use crate::row::{Row, Source};

/// Why an input line was not accepted. The reason's kind is counted in the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The reason, as counted in the summary.
    pub kind: RejectKind,
    /// What exactly was wrong, for a person.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
/// Reasons for rejecting an input line.
pub enum RejectKind {
    /// The line is not JSON.
    NotJson,
    /// The line is JSON but not an object.
    NotObject,
    /// No string `type` field.
    MissingType,
    /// `type` names no event type of the rule set.
    UnknownType,
    /// A required field is missing.
    MissingField,
    /// A field's value does not have its declared type.
    WrongType,
    /// `time` is missing or not a valid time.
    BadTime,
    /// The event is older than the watermark.
    Late,
}

impl RejectKind {
    /// The reason's name in records and the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::NotJson => "not_json",
            RejectKind::NotObject => "not_object",
            RejectKind::MissingType => "missing_type",
            RejectKind::UnknownType => "unknown_type",
            RejectKind::MissingField => "missing_field",
            RejectKind::WrongType => "wrong_type",
            RejectKind::BadTime => "bad_time",
            RejectKind::Late => "late",
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.detail)
    }
}

fn reject(kind: RejectKind, detail: impl Into<String>) -> Reject {
    Reject {
        kind,
        detail: detail.into(),
    }
}

#[derive(Debug, Clone)]
enum FieldKind {
    Bool,
    Int,
    Float,
    Str,
    Time,
    Duration,
    Point,
    Enum(Arc<HashMap<Box<str>, u32>>),
}

#[derive(Debug)]
struct EventSchema {
    fields: HashMap<Box<str>, u16>,
    kinds: Vec<(Box<str>, FieldKind, bool)>,
}

/// Everything the decoder needs to know about the rule set's event types.
#[derive(Debug)]
pub struct Schema {
    types: HashMap<Box<str>, EventTypeId>,
    events: Vec<EventSchema>,
}

impl Schema {
    pub fn new(program: &Program) -> Schema {
        let enums: HashMap<&str, Arc<HashMap<Box<str>, u32>>> = program
            .enums
            .iter()
            .map(|e| {
                let map = e
                    .variants
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Box::from(v.as_str()), u32::try_from(i).unwrap_or(u32::MAX)))
                    .collect();
                (e.name.as_str(), Arc::new(map))
            })
            .collect();
        let mut types = HashMap::new();
        let mut events = Vec::new();
        for (i, e) in program.events.iter().enumerate() {
            types.insert(
                Box::from(e.name.as_str()),
                u32::try_from(i).unwrap_or(u32::MAX),
            );
            let mut fields = HashMap::new();
            let mut kinds = Vec::new();
            for (j, f) in e.fields.iter().enumerate() {
                fields.insert(
                    Box::from(f.name.as_str()),
                    u16::try_from(j).unwrap_or(u16::MAX),
                );
                let kind = match &f.ty {
                    Ty::Bool => FieldKind::Bool,
                    Ty::Int => FieldKind::Int,
                    Ty::Float => FieldKind::Float,
                    Ty::Time => FieldKind::Time,
                    Ty::Duration => FieldKind::Duration,
                    Ty::Point => FieldKind::Point,
                    Ty::Enum(name) => {
                        FieldKind::Enum(enums.get(name.as_str()).cloned().unwrap_or_default())
                    }
                    _ => FieldKind::Str,
                };
                kinds.push((Box::from(f.name.as_str()), kind, f.optional));
            }
            events.push(EventSchema { fields, kinds });
        }
        Schema { types, events }
    }
}

/// Shares the text of repeated strings (keys, codes, places) between rows. Bounded: once
/// full, new strings are no longer interned, so memory does not grow with the stream.
#[derive(Debug, Default)]
pub struct Interner {
    map: HashMap<Box<str>, Arc<str>>,
}

const INTERNER_CAPACITY: usize = 1 << 16;

impl Interner {
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.map.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        if self.map.len() < INTERNER_CAPACITY {
            self.map.insert(Box::from(s), a.clone());
        }
        a
    }
}

/// Decodes one input line into a row.
pub fn decode(
    schema: &Schema,
    interner: &mut Interner,
    line: &[u8],
    line_no: u64,
) -> Result<Row, Reject> {
    let mut de = serde_json::Deserializer::from_slice(line);
    let outcome = LineSeed { schema, interner }
        .deserialize(&mut de)
        .map_err(|e| json_error(&e))?;
    de.end().map_err(|e| json_error(&e))?;
    let decoded = outcome?;
    Ok(Row {
        ty: decoded.ty,
        time: decoded.time,
        id: decoded.id,
        source: Source::Line(line_no),
        fields: decoded.fields.into_boxed_slice(),
    })
}

fn json_error(e: &serde_json::Error) -> Reject {
    if e.classify() == serde_json::error::Category::Data {
        reject(RejectKind::NotObject, "expected a JSON object")
    } else {
        reject(RejectKind::NotJson, format!("not JSON: {e}"))
    }
}

struct Decoded {
    ty: EventTypeId,
    time: i64,
    id: Option<Arc<str>>,
    fields: Vec<Value>,
}

struct LineSeed<'a> {
    schema: &'a Schema,
    interner: &'a mut Interner,
}

impl<'de> DeserializeSeed<'de> for LineSeed<'_> {
    type Value = Result<Decoded, Reject>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// The row being filled.
struct Partial<'a> {
    schema: &'a Schema,
    ty: Option<EventTypeId>,
    time: Option<Result<i64, Reject>>,
    id: Option<Arc<str>>,
    fields: Vec<Value>,
    seen: Vec<bool>,
    /// Fields (and a `data` object) met before `type`, decoded once the type is known.
    pending: Vec<(String, Box<RawValue>)>,
    pending_data: Option<Box<RawValue>>,
    error: Option<Reject>,
}

impl<'a> Partial<'a> {
    fn set_type(&mut self, name: &str) {
        match self.schema.types.get(name) {
            Some(ty) => {
                self.ty = Some(*ty);
                let n = self.schema.events[*ty as usize].kinds.len();
                self.fields = vec![Value::Absent; n];
                self.seen = vec![false; n];
            }
            None => self.fail(reject(
                RejectKind::UnknownType,
                format!("unknown event type `{name}`"),
            )),
        }
    }

    fn fail(&mut self, r: Reject) {
        if self.error.is_none() {
            self.error = Some(r);
        }
    }

    fn store(&mut self, slot: u16, name: &str, v: Result<Value, String>) {
        match v {
            Ok(v) => {
                if let Some(s) = self.fields.get_mut(slot as usize) {
                    *s = v;
                }
                if let Some(s) = self.seen.get_mut(slot as usize) {
                    *s = true;
                }
            }
            Err(why) => self.fail(reject(
                RejectKind::WrongType,
                format!("field `{name}`: {why}"),
            )),
        }
    }

    fn slot(&self, name: &str) -> Option<(u16, FieldKind, bool)> {
        let ev = &self.schema.events[self.ty? as usize];
        let slot = *ev.fields.get(name)?;
        let (_, kind, optional) = ev.kinds.get(slot as usize)?;
        Some((slot, kind.clone(), *optional))
    }

    fn finish(mut self, interner: &mut Interner) -> Result<Decoded, Reject> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let Some(ty) = self.ty else {
            return Err(reject(RejectKind::MissingType, "no `type` field"));
        };
        for (name, raw) in std::mem::take(&mut self.pending) {
            if let Some((slot, kind, optional)) = self.slot(&name) {
                let v = decode_raw(&raw, &kind, optional, interner);
                self.store(slot, &name, v);
            }
        }
        if let Some(raw) = self.pending_data.take() {
            let mut de = serde_json::Deserializer::from_str(raw.get());
            let seed = DataSeed {
                partial: &mut self,
                interner,
            };
            if let Err(e) = de.deserialize_map(seed) {
                return Err(reject(RejectKind::NotJson, format!("`data`: {e}")));
            }
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let time = match self.time {
            Some(t) => t?,
            None => return Err(reject(RejectKind::BadTime, "no `time` field")),
        };
        let ev = &self.schema.events[ty as usize];
        let missing: Vec<&str> = ev
            .kinds
            .iter()
            .zip(&self.seen)
            .filter(|((_, _, optional), seen)| !*optional && !**seen)
            .map(|((name, _, _), _)| &**name)
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            return Err(reject(
                RejectKind::MissingField,
                format!("missing required field {}", list.join(", ")),
            ));
        }
        Ok(Decoded {
            ty,
            time,
            id: self.id,
            fields: self.fields,
        })
    }
}

fn decode_raw(
    raw: &RawValue,
    kind: &FieldKind,
    optional: bool,
    interner: &mut Interner,
) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    FieldSeed {
        kind,
        optional,
        interner,
    }
    .deserialize(&mut de)
    .unwrap_or_else(|e| Err(e.to_string()))
}

impl<'de> Visitor<'de> for LineSeed<'_> {
    type Value = Result<Decoded, Reject>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut p = Partial {
            schema: self.schema,
            ty: None,
            time: None,
            id: None,
            fields: Vec::new(),
            seen: Vec::new(),
            pending: Vec::new(),
            pending_data: None,
            error: None,
        };
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match &*key {
                "type" => match map.next_value_seed(StrSeed)? {
                    Some(name) => p.set_type(&name),
                    None => p.fail(reject(RejectKind::MissingType, "`type` is not a string")),
                },
                "time" => p.time = Some(map.next_value_seed(TimeSeed)?),
                "id" => {
                    p.id = map
                        .next_value_seed(StrSeed)?
                        .map(|s| self.interner.intern(&s))
                }
                "data" if p.ty.is_some() => {
                    let seed = DataSeed {
                        partial: &mut p,
                        interner: self.interner,
                    };
                    map.next_value_seed(seed)?;
                }
                "data" => p.pending_data = Some(map.next_value::<Box<RawValue>>()?),
                name => match p.slot(name) {
                    Some((slot, kind, optional)) => {
                        let v = map.next_value_seed(FieldSeed {
                            kind: &kind,
                            optional,
                            interner: self.interner,
                        })?;
                        p.store(slot, name, v);
                    }
                    None if p.ty.is_none() => {
                        let raw = map.next_value::<Box<RawValue>>()?;
                        p.pending.push((name.to_string(), raw));
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
            }
        }
        Ok(p.finish(self.interner))
    }
}

/// The fields under a CloudEvents `data` object.
struct DataSeed<'p, 'a> {
    partial: &'p mut Partial<'a>,
    interner: &'p mut Interner,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DataSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if &*key == "time" && self.partial.time.is_none() {
                self.partial.time = Some(map.next_value_seed(TimeSeed)?);
                continue;
            }
            match self.partial.slot(&key) {
                Some((slot, kind, optional)) => {
                    let v = map.next_value_seed(FieldSeed {
                        kind: &kind,
                        optional,
                        interner: self.interner,
                    })?;
                    self.partial.store(slot, &key, v);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    // `data` that is not an object is not CloudEvents structured data: ignore it.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// A key, borrowed from the input when it has no escapes.
struct KeySeed;

enum KeyText<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl std::ops::Deref for KeyText<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            KeyText::Borrowed(s) => s,
            KeyText::Owned(s) => s,
        }
    }
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = KeyText<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = KeyText<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(KeyText::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(KeyText::Owned(v.to_string()))
    }
}

/// A string value (for `type` and `id`); `None` for anything else (numbers are accepted as
/// ids in their decimal form).
struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Option<KeyTextOwned>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

type KeyTextOwned = String;

impl<'de> Visitor<'de> for StrSeed {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// `time`: an RFC 3339 string with an offset, or integer epoch milliseconds.
struct TimeSeed;

impl<'de> DeserializeSeed<'de> for TimeSeed {
    type Value = Result<i64, Reject>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn bad_time(detail: impl Into<String>) -> Reject {
    reject(RejectKind::BadTime, detail)
}

impl<'de> Visitor<'de> for TimeSeed {
    type Value = Result<i64, Reject>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vigil_compiler::time::parse_time(v)
            .map_err(|why| bad_time(format!("`time` {v:?}: {why}"))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(check_epoch(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v)
            .map_err(|_| bad_time("`time` is too large"))
            .and_then(check_epoch))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Err(bad_time(format!(
            "`time` {v} is not whole milliseconds"
        ))))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err(bad_time("`time` is a bool")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(bad_time("`time` is null")))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Err(bad_time("`time` is an object")))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(bad_time("`time` is an array")))
    }
}

fn check_epoch(ms: i64) -> Result<i64, Reject> {
    jiff::Timestamp::from_millisecond(ms)
        .map(|_| ms)
        .map_err(|_| bad_time(format!("`time` {ms} is out of range")))
}

/// One field, decoded by its declared type.
struct FieldSeed<'k, 'i> {
    kind: &'k FieldKind,
    optional: bool,
    interner: &'i mut Interner,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = Result<Value, String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl FieldSeed<'_, '_> {
    fn expected(&self) -> &'static str {
        match self.kind {
            FieldKind::Bool => "a bool",
            FieldKind::Int => "an integer",
            FieldKind::Float => "a number",
            FieldKind::Str => "a string",
            FieldKind::Time => "an RFC 3339 time or epoch milliseconds",
            FieldKind::Duration => "seconds or an ISO 8601 duration",
            FieldKind::Point => "{\"lat\": .., \"lon\": ..}",
            FieldKind::Enum(_) => "an enum value name",
        }
    }

    fn wrong(&self, found: &str) -> Result<Value, String> {
        Err(format!("expected {}, found {found}", self.expected()))
    }

    fn number(&self, v: f64, integral: Option<i64>) -> Result<Value, String> {
        match self.kind {
            FieldKind::Float => Ok(Value::Float(v)),
            FieldKind::Int => match integral {
                Some(i) => Ok(Value::Int(i)),
                None if v.fract() == 0.0 && v.abs() < 9.0e18 => Ok(Value::Int(v as i64)),
                None => self.wrong(&format!("{v}")),
            },
            FieldKind::Duration => {
                let ms = (v * 1000.0).round();
                if ms.is_finite() && ms.abs() < 9.0e18 {
                    Ok(Value::Duration(ms as i64))
                } else {
                    self.wrong("a number too large")
                }
            }
            FieldKind::Time => match integral {
                Some(ms) => check_epoch(ms).map(Value::Time).map_err(|r| r.detail),
                None => self.wrong(&format!("{v}")),
            },
            _ => self.wrong("a number"),
        }
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, '_> {
    type Value = Result<Value, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(if self.optional {
            Ok(Value::Absent)
        } else {
            Err("is null, but the field is required".into())
        })
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(match self.kind {
            FieldKind::Bool => Ok(Value::Bool(v)),
            _ => self.wrong("a bool"),
        })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.number(v as f64, Some(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => self.number(v as f64, Some(i)),
            Err(_) => self.wrong("a number too large"),
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.number(v, None))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(match self.kind {
            FieldKind::Str => Ok(Value::Str(self.interner.intern(v))),
            FieldKind::Enum(variants) => match variants.get(v) {
                Some(i) => Ok(Value::Enum(*i)),
                None => Err(format!("`{v}` is not one of the enum's values")),
            },
            FieldKind::Time => vigil_compiler::time::parse_time(v).map(Value::Time),
            FieldKind::Duration => vigil_compiler::time::parse_iso_duration(v).map(Value::Duration),
            _ => self.wrong("a string"),
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if !matches!(self.kind, FieldKind::Point) {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(self.wrong("an object"));
        }
        let mut lat = None;
        let mut lon = None;
        while let Some(k) = map.next_key_seed(KeySeed)? {
            match &*k {
                "lat" => lat = map.next_value_seed(NumberSeed)?,
                "lon" | "lng" => lon = map.next_value_seed(NumberSeed)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match (lat, lon) {
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                Ok(Value::Point(Point { lat, lon }))
            }
            (Some(_), Some(_)) => Err("latitude or longitude out of range".into()),
            _ => Err("a point needs numeric `lat` and `lon`".into()),
        })
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.wrong("an array"))
    }
}

/// Any JSON value, as a number if it is one.
struct NumberSeed;

impl<'de> DeserializeSeed<'de> for NumberSeed {
    type Value = Option<f64>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NumberSeed {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}
