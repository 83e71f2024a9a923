//! Schema-directed ingestion: one JSON line straight into a packed row.
//!
//! The scanner (`json.rs`) walks the object once; each known field is decoded by its declared
//! type directly into its slot (strings into the row's text, enum values to ordinals, times and
//! durations to milliseconds). Nothing generic is built. Fields that come before `type` are
//! remembered as byte ranges and decoded once the type is known.

mod fast;

use std::fmt;

use rustc_hash::FxHashMap;
use vigil_ir::{EventTypeId, Point, Program, Value};

use crate::json::{Next, Number, Scanner, SyntaxError};
use crate::lines::Line;
use crate::row::{Kind, Layout, Row, RowBuffers, RowBuilder, SetElem, Source};
use crate::rulesets::RELOAD;

/// Why an input line was not accepted. The reason's kind is counted in the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The reason, as counted in the summary.
    pub kind: RejectKind,
    /// What exactly was wrong, for a person.
    pub detail: String,
}

/// Reasons for rejecting an input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectKind {
    /// The line is not a JSON object (SPEC §7, "Decoding, precisely").
    NotJson = 0,
    /// `type` names no event type of the rule set.
    UnknownType = 3,
    /// A required field (`type` and `time` included) is absent or `null`.
    MissingField = 4,
    /// A field (or `type`, or `id`) is present with the wrong JSON type or out of range.
    WrongType = 5,
    /// `time` or a time field is not RFC 3339 or epoch milliseconds within years 0001–9999.
    BadTime = 6,
    /// The event is older than the watermark.
    Late = 7,
    /// The line is longer than the reader's limit (`--max-line-bytes`).
    TooLong = 8,
    /// The event is stamped more than `--max-skew` after the latest `$tick` before it (SPEC §9).
    Future = 9,
    /// A `$reload` line whose rule set cannot be had or cannot take the state over: the rule
    /// set before it goes on.
    Reload = 10,
}

impl RejectKind {
    /// Every reason, in code order.
    pub const ALL: [RejectKind; 9] = [
        RejectKind::NotJson,
        RejectKind::UnknownType,
        RejectKind::MissingField,
        RejectKind::WrongType,
        RejectKind::BadTime,
        RejectKind::Late,
        RejectKind::TooLong,
        RejectKind::Future,
        RejectKind::Reload,
    ];

    /// The reason's byte in snapshots.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The reason a snapshot's byte stands for. Codes 1 (`not_object`) and 2 (`missing_type`)
    /// of snapshots before 0.2 read as the reasons SPEC v0.2 gives those lines.
    pub fn from_code(code: u8) -> Option<RejectKind> {
        match code {
            1 => Some(RejectKind::NotJson),
            2 => Some(RejectKind::MissingField),
            _ => RejectKind::ALL.into_iter().find(|k| k.code() == code),
        }
    }

    /// The reason's name in records and the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::NotJson => "not_json",
            RejectKind::UnknownType => "unknown_type",
            RejectKind::MissingField => "missing_field",
            RejectKind::WrongType => "wrong_type",
            RejectKind::BadTime => "bad_time",
            RejectKind::Late => "late",
            RejectKind::TooLong => "too_long",
            RejectKind::Future => "future",
            RejectKind::Reload => "reload",
        }
    }
}

impl Reject {
    /// An event at `time` older than the watermark (SPEC §7): the one wording of the engine's
    /// and a split run's router.
    pub(crate) fn late(time: i64, watermark: i64, tz: &jiff::tz::TimeZone) -> Reject {
        Reject {
            kind: RejectKind::Late,
            detail: format!(
                "time {} is before the watermark {}",
                vigil_ir::time::format_time(time, tz),
                vigil_ir::time::format_time(watermark, tz)
            ),
        }
    }

    /// An event at `time` more than `skew` after the latest tick, at `tick` (`--max-skew`):
    /// the one wording of the engine's and a split run's router.
    pub(crate) fn future(time: i64, skew: i64, tick: i64, tz: &jiff::tz::TimeZone) -> Reject {
        Reject {
            kind: RejectKind::Future,
            detail: format!(
                "time {} is more than {} after the tick at {}",
                vigil_ir::time::format_time(time, tz),
                vigil_ir::time::format_duration(skew),
                vigil_ir::time::format_time(tick, tz)
            ),
        }
    }

    /// The reject as one JSON line (no newline), as `--rejects` files and the live server's
    /// rejects subject hold it: `{"line":N,"reason":"...","detail":"...","text":"..."}`.
    pub fn json(&self, line: u64, text: &[u8]) -> String {
        let mut o = format!(
            "{{\"line\":{line},\"reason\":\"{}\",\"detail\":",
            self.kind.as_str()
        );
        crate::record::push_str(&mut o, &self.detail);
        o.push_str(",\"text\":");
        crate::record::push_str(&mut o, &String::from_utf8_lossy(text));
        o.push('}');
        o
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

impl From<SyntaxError> for Reject {
    fn from(e: SyntaxError) -> Reject {
        reject(
            RejectKind::NotJson,
            format!("not JSON: {} at column {}", e.what, e.at + 1),
        )
    }
}

#[derive(Debug)]
struct FieldSchema {
    name: Box<str>,
    /// The name as a JSON string, quotes included (what the fast path compares).
    quoted: fast::QuotedName,
    kind: Kind,
    optional: bool,
    /// Variant names, for enum fields.
    variants: Vec<Box<str>>,
}

#[derive(Debug)]
struct EventSchema {
    fields: Vec<FieldSchema>,
    layout: Layout,
    /// Bit `i` set: field `i` is required.
    required: u64,
}

impl EventSchema {
    fn field(&self, name: &str, hint: usize) -> Option<u16> {
        // Lines usually list fields in declaration order: try the next one first.
        if let Some(f) = self.fields.get(hint)
            && &*f.name == name
        {
            return u16::try_from(hint).ok();
        }
        self.fields
            .iter()
            .position(|f| &*f.name == name)
            .and_then(|i| u16::try_from(i).ok())
    }
}

/// Up to this many event types are recognised by comparing their quoted names in place (a
/// few word compares each), more through the hash table.
const QUOTED_TYPES: usize = 6;

/// Everything the decoder needs to know about the rule set's event types.
#[derive(Debug)]
pub struct Schema {
    types: FxHashMap<Box<str>, EventTypeId>,
    /// With a few event types: their names quoted, compared in place before hashing.
    quoted_types: Vec<(fast::QuotedName, EventTypeId)>,
    events: Vec<EventSchema>,
}

impl Schema {
    /// The schema of `program`'s event types.
    pub fn new(program: &Program) -> Schema {
        let mut types = FxHashMap::default();
        let mut events = Vec::new();
        for (i, e) in program.events.iter().enumerate() {
            types.insert(
                Box::from(e.name.as_str()),
                u32::try_from(i).unwrap_or(u32::MAX),
            );
            let layout = Layout::new(e);
            let fields = e
                .fields
                .iter()
                .zip(&layout.slots)
                .map(|(f, (_, kind))| FieldSchema {
                    name: Box::from(f.name.as_str()),
                    quoted: fast::QuotedName::new(&f.name),
                    kind: *kind,
                    optional: f.optional,
                    variants: match set_elem(&f.ty) {
                        vigil_ir::Ty::Enum(name) => program
                            .enums
                            .iter()
                            .find(|en| en.name == *name)
                            .map(|en| en.variants.iter().map(|v| Box::from(v.as_str())).collect())
                            .unwrap_or_default(),
                        // A unit field holds the unit's declared name (SPEC v0.2).
                        vigil_ir::Ty::Unit => program
                            .units
                            .iter()
                            .map(|u| Box::from(u.name.as_str()))
                            .collect(),
                        _ => Vec::new(),
                    },
                })
                .collect();
            let required = e
                .fields
                .iter()
                .enumerate()
                .filter(|(i, f)| !f.optional && *i < 64)
                .fold(0u64, |m, (i, _)| m | 1 << i);
            events.push(EventSchema {
                fields,
                layout,
                required,
            });
        }
        let quoted_types = if types.len() <= QUOTED_TYPES {
            let mut q: Vec<_> = types
                .iter()
                .map(|(name, ty)| (fast::QuotedName::new(name), *ty))
                .collect();
            q.sort_by_key(|(_, ty)| *ty);
            q
        } else {
            Vec::new()
        };
        Schema {
            types,
            quoted_types,
            events,
        }
    }

    /// The row layout of event type `ty`.
    pub fn layout(&self, ty: EventTypeId) -> Option<&Layout> {
        self.events.get(ty as usize).map(|e| &e.layout)
    }
}

/// The `type` of a tick line (SPEC §7).
const TICK: &str = "$tick";

/// A decoded line that is not blank.
#[derive(Debug)]
enum Parsed {
    Row(Row),
    Tick(i64),
    Reload(String),
}

/// What one input line decoded to.
#[derive(Debug)]
pub enum Decoded {
    /// Empty or only white space: counted for line numbers, nothing else.
    Blank,
    /// An event, not yet checked against the watermark (the engine does that).
    Row(Row),
    /// `{"type":"$tick","time":T}` (SPEC §7): time `T` was seen, nothing else.
    Tick(i64),
    /// `{"type":"$reload","ruleset":F}`: go on with the rule set whose fingerprint is `F`.
    Reload(String),
    /// Not an event of the rule set, and why.
    Rejected(Reject),
}

/// Decodes input lines into rows apart from any engine, so that another thread can decode the
/// next lines while the engine runs the rules on earlier ones (`Engine::decoder`,
/// `Engine::push_decoded`, `pipeline::Decoding`).
#[derive(Debug)]
pub struct LineDecoder {
    schema: Schema,
    buffers: RowBuffers,
    /// The engine's watermark when the decoder was made: events before it will be rejected
    /// late (the pipeline keeps their text for the rejects file).
    pub(crate) watermark: i64,
}

impl LineDecoder {
    /// A decoder of `program`'s event types.
    pub fn new(program: &Program) -> LineDecoder {
        LineDecoder {
            schema: Schema::new(program),
            buffers: RowBuffers::default(),
            watermark: i64::MIN,
        }
    }

    /// Decodes `line`, the input's `line_no`th (one-based), which becomes the row's source.
    pub fn decode(&mut self, line: Line<'_>, line_no: u64) -> Decoded {
        if let Line::TooLong(len) = line {
            let detail = format!("the line is {len} bytes, over the limit (--max-line-bytes)");
            return Decoded::Rejected(reject(RejectKind::TooLong, detail));
        }
        // JSON's white space but the newline, which ends the line: anything else (a form
        // feed, a no-break space) makes the line not JSON.
        if line
            .bytes()
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r'))
        {
            return Decoded::Blank;
        }
        match decode(&self.schema, &mut self.buffers, line, line_no) {
            Ok(Parsed::Row(row)) => Decoded::Row(row),
            Ok(Parsed::Tick(time)) => Decoded::Tick(time),
            Ok(Parsed::Reload(fingerprint)) => Decoded::Reload(fingerprint),
            Err(r) => Decoded::Rejected(r),
        }
    }
}

/// Decodes one input line into a row, building it in `buffers` (kept for the next line).
fn decode(
    schema: &Schema,
    buffers: &mut RowBuffers,
    line: Line<'_>,
    line_no: u64,
) -> Result<Parsed, Reject> {
    // One validation of the whole line unless the reader did it for its buffer (SIMD: lines
    // carry CJK text, which the standard library's byte-at-a-time path for non-ASCII is slow
    // on); the standard library's only to say where a line that is not UTF-8 goes wrong.
    let text = match line {
        Line::Text(t) => t,
        Line::TooLong(_) => return Err(reject(RejectKind::TooLong, "the line is too long")),
        Line::Bytes(b) => match simdutf8::basic::from_utf8(b) {
            Ok(t) => t,
            Err(_) => {
                let at = std::str::from_utf8(b).err().map_or(0, |e| e.valid_up_to());
                let detail = format!("not UTF-8 at byte {at}");
                return Err(reject(RejectKind::NotJson, detail));
            }
        },
    };
    match fast::decode(schema, buffers, text, line_no) {
        Some(row) => Ok(Parsed::Row(row)),
        None => general(schema, buffers, text, line_no),
    }
}

/// The general decoder: every line, every reject with its reason.
fn general(
    schema: &Schema,
    buffers: &mut RowBuffers,
    text: &str,
    line_no: u64,
) -> Result<Parsed, Reject> {
    let mut d = Decoder {
        schema,
        sc: Scanner::new(text),
        scratch: String::new(),
        ty: None,
        row: None,
        time: None,
        pending: Vec::new(),
        pending_data: None,
        error: None,
        cloud: false,
        tick: false,
        reload: false,
        hint: 0,
        buffers: std::mem::take(buffers),
    };
    let result = d.run(line_no);
    if let Some(b) = d.buffers_back() {
        *buffers = b;
    }
    result
}

struct Decoder<'s, 'a> {
    schema: &'s Schema,
    sc: Scanner<'a>,
    scratch: String,
    ty: Option<EventTypeId>,
    row: Option<RowBuilder<'s>>,
    time: Option<Result<i64, Reject>>,
    /// (key, start, end) of values met before `type`.
    pending: Vec<(String, usize, usize)>,
    pending_data: Option<(usize, usize)>,
    error: Option<Reject>,
    /// A top-level `data` object was seen: a CloudEvent, whose fields come from it alone.
    cloud: bool,
    /// The line is a `$tick`.
    tick: bool,
    /// The line is a `$reload`.
    reload: bool,
    hint: usize,
    /// Row storage until the type is known.
    buffers: RowBuffers,
}

impl<'s, 'a> Decoder<'s, 'a> {
    fn run(&mut self, line_no: u64) -> Result<Parsed, Reject> {
        if self.sc.peek() != Some(b'{') {
            // Tell "not JSON" from "JSON but not an object" by checking the value's syntax.
            self.sc.skip(&mut self.scratch)?;
            self.sc.end()?;
            return Err(reject(RejectKind::NotJson, "expected a JSON object"));
        }
        self.object(false)?;
        self.sc.end()?;
        self.finish(line_no)
    }

    /// The row buffers, wherever they are now.
    fn buffers_back(&mut self) -> Option<RowBuffers> {
        match self.row.take() {
            Some(b) => Some(b.into_buffers()),
            None => Some(std::mem::take(&mut self.buffers)),
        }
    }

    fn fail(&mut self, r: Reject) {
        if self.error.is_none() {
            self.error = Some(r);
        }
    }

    /// The members of an object (the top level, or `data` when `in_data`).
    fn object(&mut self, in_data: bool) -> Result<(), Reject> {
        self.sc.expect(b'{', "expected `{`")?;
        if self.sc.eat(b'}') {
            return Ok(());
        }
        loop {
            // Keys are borrowed from the line unless they have escapes.
            let key: std::borrow::Cow<'a, str> = match self.sc.string_raw(&mut self.scratch)? {
                Some(k) => std::borrow::Cow::Borrowed(k),
                None => std::borrow::Cow::Owned(self.scratch.clone()),
            };
            self.sc.expect(b':', "expected `:`")?;
            self.member(&key, in_data)?;
            if self.sc.eat(b',') {
                continue;
            }
            self.sc.expect(b'}', "expected `,` or `}`")?;
            return Ok(());
        }
    }

    fn member(&mut self, key: &str, in_data: bool) -> Result<(), Reject> {
        match key {
            "type" if !in_data => {
                if self.sc.next_kind()? == Next::String {
                    let name = self.sc.string(&mut self.scratch)?;
                    if name == TICK {
                        self.tick = true;
                        return Ok(());
                    }
                    if name == RELOAD {
                        self.reload = true;
                        return Ok(());
                    }
                    match self.schema.types.get(name) {
                        Some(ty) => {
                            let ty = *ty;
                            self.ty = Some(ty);
                            let buffers = std::mem::take(&mut self.buffers);
                            self.row = self
                                .schema
                                .layout(ty)
                                .map(|l| RowBuilder::with_buffers(l, buffers));
                        }
                        None => {
                            let msg = format!("unknown event type `{name}`");
                            self.fail(reject(RejectKind::UnknownType, msg));
                        }
                    }
                } else if self.sc.next_kind()? == Next::Null {
                    self.sc.literal()?;
                    self.fail(reject(RejectKind::MissingField, "`type` is null"));
                } else {
                    self.sc.skip(&mut self.scratch)?;
                    self.fail(reject(RejectKind::WrongType, "`type` is not a string"));
                }
            }
            "time" if !in_data => {
                let t = self.time_value()?;
                self.time = Some(t);
            }

            "data" if !in_data && self.sc.peek() == Some(b'{') => {
                // CloudEvents: the fields come from `data` only.
                self.cloud = true;
                if self.ty.is_some() {
                    self.object(true)?;
                } else {
                    let start = self.sc.pos;
                    self.sc.skip(&mut self.scratch)?;
                    self.pending_data = Some((start, self.sc.pos));
                }
            }
            // A top-level member is a field unless the line turns out to be a CloudEvent
            // (a `data` object, before or after it): decoded at the end, `id` included, in
            // the order of the line (the fast path's, so that both build equal rows).
            name if !in_data => {
                let start = self.sc.pos;
                self.sc.skip(&mut self.scratch)?;
                self.pending.push((name.to_string(), start, self.sc.pos));
            }
            name => self.field_value(name)?,
        }
        Ok(())
    }

    /// The fingerprint a `$reload` line names in `ruleset` (its other members are ignored).
    fn reload_target(&mut self) -> Result<Parsed, Reject> {
        let Some((_, start, _)) = self.pending.iter().find(|(k, ..)| k == "ruleset") else {
            return Err(reject(RejectKind::MissingField, "no `ruleset` field"));
        };
        let source = self.sc.source();
        self.sc = Scanner::new(source);
        self.sc.pos = *start;
        if self.sc.next_kind()? != Next::String {
            return Err(reject(RejectKind::WrongType, "`ruleset` is not a string"));
        }
        let fingerprint = self.sc.string(&mut self.scratch)?.to_string();
        Ok(Parsed::Reload(fingerprint))
    }

    fn id_value(&mut self) -> Result<(), Reject> {
        let Some(layout) = self.ty.and_then(|t| self.schema.layout(t)) else {
            return self.sc.skip(&mut self.scratch).map_err(Reject::from);
        };
        let id = layout.id_field();
        match self.sc.next_kind()? {
            Next::String => {
                let s = self.sc.string(&mut self.scratch)?;
                if let Some(row) = self.row.as_mut() {
                    row.set_str(id, s);
                }
            }
            // No id, as if absent.
            Next::Null => {
                self.sc.literal()?;
            }
            _ => {
                self.sc.skip(&mut self.scratch)?;
                self.fail(reject(RejectKind::WrongType, "`id` is not a string"));
            }
        }
        Ok(())
    }

    fn time_value(&mut self) -> Result<Result<i64, Reject>, Reject> {
        let bad = |d: String| reject(RejectKind::BadTime, d);
        Ok(match self.sc.next_kind()? {
            Next::String => {
                let s = self.sc.string(&mut self.scratch)?;
                vigil_ir::time::parse_time(s).map_err(|why| bad(format!("`time` {s:?}: {why}")))
            }
            Next::Number => match self.sc.number()?.integer() {
                Some(ms) => check_epoch(ms),
                None => Err(bad("`time` is not whole milliseconds".into())),
            },
            Next::Null => {
                self.sc.literal()?;
                Err(reject(RejectKind::MissingField, "`time` is null"))
            }
            _ => {
                self.sc.skip(&mut self.scratch)?;
                Err(bad("`time` is not a string or a number".into()))
            }
        })
    }

    fn field_value(&mut self, name: &str) -> Result<(), Reject> {
        let Some(ev) = self.ty.and_then(|t| self.schema.events.get(t as usize)) else {
            return self.sc.skip(&mut self.scratch).map_err(Reject::from);
        };
        let Some((i, f)) = ev
            .field(name, self.hint)
            .and_then(|i| Some((i, ev.fields.get(i as usize)?)))
        else {
            // Unknown fields are ignored (forward compatibility).
            return self.sc.skip(&mut self.scratch).map_err(Reject::from);
        };
        self.hint = i as usize + 1;
        if self.sc.next_kind()? == Next::Null {
            self.sc.literal()?;
            if !f.optional {
                let msg = format!("required field `{name}` is null");
                self.fail(reject(RejectKind::MissingField, msg));
            }
            return Ok(());
        }
        let is_time = f.kind == Kind::Time;
        let next = self.sc.next_kind()?;
        if let Err(why) = self.decode_field(f, i)? {
            // A time field that is a string or a number but no valid time is a bad time;
            // any other JSON type, the wrong type.
            let kind = match next {
                Next::String | Next::Number if is_time => RejectKind::BadTime,
                _ => RejectKind::WrongType,
            };
            self.fail(reject(kind, format!("field `{name}`: {why}")));
        }
        Ok(())
    }

    /// Decodes the next value into field `i`; the inner error is a wrong type.
    fn decode_field(&mut self, f: &FieldSchema, i: u16) -> Result<Result<(), String>, Reject> {
        let kind = self.sc.next_kind()?;
        let expected = expected(f.kind);
        let wrong = |found: &str| Err(format!("expected {expected}, found {found}"));
        let Some(row) = self.row.as_mut() else {
            self.sc.skip(&mut self.scratch)?;
            return Ok(Ok(()));
        };
        Ok(match (f.kind, kind) {
            (Kind::Str, Next::String) => {
                let s = self.sc.string(&mut self.scratch)?;
                row.set_str(i, s);
                Ok(())
            }
            (Kind::Enum | Kind::Unit, Next::String) => {
                let s = self.sc.string(&mut self.scratch)?;
                match f.variants.iter().position(|v| **v == *s) {
                    Some(v) => {
                        row.set_word(i, v as u64);
                        Ok(())
                    }
                    None if f.kind == Kind::Unit => Err(format!("`{s}` is not a declared unit")),
                    None => Err(format!("`{s}` is not one of the enum's values")),
                }
            }
            (Kind::Time, Next::String) => {
                let s = self.sc.string(&mut self.scratch)?;
                vigil_ir::time::parse_time(s).map(|t| row.set_word(i, t as u64))
            }
            (Kind::Duration, Next::String) => {
                let s = self.sc.string(&mut self.scratch)?;
                vigil_ir::time::parse_iso_duration(s).map(|d| row.set_word(i, d as u64))
            }
            (Kind::Bool, Next::True | Next::False) => {
                let b = self.sc.literal()? == Next::True;
                row.set_word(i, u64::from(b));
                Ok(())
            }
            (Kind::Int | Kind::Float | Kind::Duration | Kind::Time, Next::Number) => {
                let n = self.sc.number()?;
                number_field(f.kind, n).map(|w| row.set_word(i, w))
            }
            (Kind::Set(elem), Next::Array) => match self.set_members(elem, &f.variants)? {
                Ok(members) => {
                    if let Some(row) = self.row.as_mut() {
                        row.set_set(i, members);
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
            (Kind::Point, Next::Object) => match self.point()? {
                Ok(p) => {
                    if let Some(row) = self.row.as_mut() {
                        row.set_point(i, p);
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
            (_, other) => {
                self.sc.skip(&mut self.scratch)?;
                wrong(match other {
                    Next::String => "a string",
                    Next::Number => "a number",
                    Next::True | Next::False => "a bool",
                    Next::Object => "an object",
                    Next::Array => "an array",
                    Next::Null => "null",
                })
            }
        })
    }

    /// The members of a `set<T>` field (SPEC v0.2): a JSON array of `T`s, duplicates allowed.
    /// The whole array is read even after a wrong member, which makes the field wrong.
    fn set_members(
        &mut self,
        elem: SetElem,
        names: &[Box<str>],
    ) -> Result<Result<Vec<Value>, String>, Reject> {
        self.sc.expect(b'[', "expected `[`")?;
        let mut members = Vec::new();
        let mut wrong: Option<String> = None;
        if self.sc.eat(b']') {
            return Ok(Ok(members));
        }
        loop {
            let member = match (elem, self.sc.next_kind()?) {
                (SetElem::Str, Next::String) => Ok(Value::str(self.sc.string(&mut self.scratch)?)),
                (SetElem::Int, Next::Number) => {
                    let n = self.sc.number()?;
                    number_field(Kind::Int, n).map(|w| Value::Int(w as i64))
                }
                (SetElem::Enum | SetElem::Unit, Next::String) => {
                    let s = self.sc.string(&mut self.scratch)?;
                    match names.iter().position(|v| **v == *s) {
                        Some(i) if elem == SetElem::Unit => Ok(Value::Unit(i as u32)),
                        Some(i) => Ok(Value::Enum(i as u32)),
                        None => Err(format!("`{s}` is not one of the set's values")),
                    }
                }
                (_, _) => {
                    self.sc.skip(&mut self.scratch)?;
                    let member = match elem {
                        SetElem::Str => Kind::Str,
                        SetElem::Int => Kind::Int,
                        SetElem::Enum => Kind::Enum,
                        SetElem::Unit => Kind::Unit,
                    };
                    Err(format!("a member is not {}", expected(member)))
                }
            };
            match member {
                Ok(v) => members.push(v),
                Err(e) => {
                    wrong.get_or_insert(e);
                }
            }
            if self.sc.eat(b',') {
                continue;
            }
            self.sc.expect(b']', "expected `,` or `]`")?;
            break;
        }
        Ok(match wrong {
            Some(e) => Err(e),
            None => Ok(members),
        })
    }

    fn point(&mut self) -> Result<Result<Point, String>, Reject> {
        self.sc.expect(b'{', "expected `{`")?;
        let mut lat = None;
        let mut lon = None;
        if !self.sc.eat(b'}') {
            loop {
                let key = self.sc.string(&mut self.scratch)?.to_string();
                self.sc.expect(b':', "expected `:`")?;
                let slot = match key.as_str() {
                    "lat" => Some(&mut lat),
                    "lon" | "lng" => Some(&mut lon),
                    _ => None,
                };
                match (slot, self.sc.next_kind()?) {
                    (Some(slot), Next::Number) => {
                        *slot = Some(self.sc.number()?.as_f64());
                    }
                    _ => self.sc.skip(&mut self.scratch)?,
                }
                if self.sc.eat(b',') {
                    continue;
                }
                self.sc.expect(b'}', "expected `,` or `}`")?;
                break;
            }
        }
        Ok(match (lat, lon) {
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                Ok(Point { lat, lon })
            }
            (Some(_), Some(_)) => Err("latitude or longitude out of range".into()),
            _ => Err("a point needs numeric `lat` and `lon`".into()),
        })
    }

    fn finish(&mut self, line_no: u64) -> Result<Parsed, Reject> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.reload {
            return self.reload_target();
        }
        if self.tick {
            return match self.time.take() {
                Some(time) => time.map(Parsed::Tick),
                None => Err(reject(RejectKind::MissingField, "no `time` field")),
            };
        }
        let Some(ty) = self.ty else {
            return Err(reject(RejectKind::MissingField, "no `type` field"));
        };
        let source = self.sc.source();
        for (name, start, end) in std::mem::take(&mut self.pending) {
            if name != "id" && self.cloud {
                continue;
            }
            self.sc = Scanner::new(source);
            self.sc.pos = start;
            let r = if name == "id" {
                self.id_value()
            } else {
                self.field_value(&name)
            };
            r?;
            debug_assert!(self.sc.pos <= end);
        }
        if let Some((start, _)) = self.pending_data.take() {
            self.sc = Scanner::new(source);
            self.sc.pos = start;
            self.object(true)?;
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let time = match self.time.take() {
            Some(t) => t?,
            None => return Err(reject(RejectKind::MissingField, "no `time` field")),
        };
        let (Some(ev), Some(row)) = (self.schema.events.get(ty as usize), self.row.as_ref()) else {
            return Err(reject(RejectKind::UnknownType, "no layout"));
        };
        let missing: Vec<String> = ev
            .fields
            .iter()
            .enumerate()
            .filter(|(i, f)| !f.optional && !row.is_set(*i as u16))
            .map(|(_, f)| format!("`{}`", f.name))
            .collect();
        if !missing.is_empty() {
            return Err(reject(
                RejectKind::MissingField,
                format!("missing required field {}", missing.join(", ")),
            ));
        }
        let Some(row) = self.row.take() else {
            return Err(reject(RejectKind::UnknownType, "no layout"));
        };
        let (row, buffers) = row.finish_reusing(ty, time, Source::Line(line_no));
        self.buffers = buffers;
        Ok(Parsed::Row(row))
    }
}

/// The type whose names a field's strings are: a set's members' for a `set<T>` field.
fn set_elem(ty: &vigil_ir::Ty) -> &vigil_ir::Ty {
    match ty {
        vigil_ir::Ty::Set(elem) => elem,
        other => other,
    }
}

fn expected(kind: Kind) -> &'static str {
    match kind {
        Kind::Bool => "a bool",
        Kind::Int => "an integer",
        Kind::Float => "a number",
        Kind::Str => "a string",
        Kind::Time => "an RFC 3339 time or epoch milliseconds",
        Kind::Duration => "seconds or an ISO 8601 duration",
        Kind::Point => "{\"lat\": .., \"lon\": ..}",
        Kind::Enum => "an enum value name",
        Kind::Unit => "a unit's declared name",
        Kind::Set(SetElem::Str) => "an array of strings",
        Kind::Set(SetElem::Int) => "an array of integers",
        Kind::Set(SetElem::Enum) => "an array of enum value names",
        Kind::Set(SetElem::Unit) => "an array of unit names",
    }
}

/// A JSON number as the word of an int, float, duration (seconds) or time (epoch ms) field.
fn number_field(kind: Kind, n: Number<'_>) -> Result<u64, String> {
    let wrong = |v: String| Err(format!("expected {}, found {v}", expected(kind)));
    match kind {
        Kind::Int => match n.integer() {
            Some(i) => Ok(i as u64),
            None => wrong(n.to_string()),
        },
        Kind::Float => match n.as_f64() {
            f if f.is_finite() => Ok(f.to_bits()),
            _ => wrong("a number beyond a float's range".into()),
        },
        // Seconds, digits beyond the millisecond truncated (SPEC §7), worked out exactly.
        Kind::Duration => match n.scaled(3) {
            Some(ms) => Ok(ms as u64),
            None => wrong("a number too large".into()),
        },
        Kind::Time => match n.integer() {
            Some(ms) => check_epoch(ms).map(|t| t as u64).map_err(|r| r.detail),
            None => wrong(n.to_string()),
        },
        _ => wrong("a number".into()),
    }
}

fn check_epoch(ms: i64) -> Result<i64, Reject> {
    if vigil_ir::time::in_range(ms) {
        Ok(ms)
    } else {
        let msg = format!("`time` {ms} lies outside years 0001–9999");
        Err(reject(RejectKind::BadTime, msg))
    }
}
