//! Output records (SPEC §7): alerts, transitions and overflow notices, and how they are written
//! as JSON Lines. Field order is fixed so that a replay gives byte-identical output.

use std::fmt::Write as _;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use vigil_ir::time::{TimeWriter, format_duration};
use vigil_ir::{Program, Severity, Value};

use crate::row::{Event, Source};

/// At most this many events are listed as an alert's evidence (SPEC §7).
pub const EVIDENCE_LIMIT: usize = 100;

#[derive(Debug, Clone, PartialEq)]
/// One output record.
pub enum Record {
    /// A rule or workflow raised an alert.
    Alert(AlertRecord),
    /// A workflow instance changed state (or started).
    Transition(TransitionRecord),
    /// A rule reached its cap on live keys and dropped an event instead of growing further.
    Overflow(OverflowRecord),
    /// After a reload, a workflow instance whose state no longer exists (SPEC §5).
    Orphan(OrphanRecord),
}

/// Who raised an alert.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A rule, by name.
    Rule(Arc<str>),
    /// A workflow state: its `on enter`, transition or deadline actions.
    Workflow {
        /// The workflow's name.
        workflow: Arc<str>,
        /// The state whose action raised the alert.
        state: Arc<str>,
    },
}

#[derive(Debug, Clone, PartialEq)]
/// An alert (SPEC §7).
pub struct AlertRecord {
    /// Deterministic id: a hash of origin, key, time and evidence.
    pub id: String,
    /// The rule or workflow state that raised it.
    pub origin: Origin,
    /// The action's severity, else the rule's.
    pub severity: Severity,
    /// The rule's or workflow's title.
    pub title: Option<Arc<str>>,
    /// Unit names.
    pub to: Vec<Arc<str>>,
    /// The group, sequence or instance key, else the suppression key, else absent (null).
    pub key: Value,
    /// When it fired, in milliseconds since the epoch.
    pub time: i64,
    /// The message with its interpolations filled in.
    pub message: Option<String>,
    /// Where each interpolation's value is in `message` (byte range) and its expression, so a
    /// unit's copy can show `…` for a value it may not see.
    pub interpolations: Vec<(std::ops::Range<usize>, vigil_ir::ExprId)>,
    /// The events that made it fire, at most `EVIDENCE_LIMIT`.
    pub evidence: Vec<Event>,
    /// How many events there were in all.
    pub evidence_total: usize,
    /// Raised by a rule in `mode shadow`: recorded, delivered to nobody.
    pub shadow: bool,
    /// The rule set's fingerprint.
    pub ruleset: Arc<str>,
}

#[derive(Debug, Clone, PartialEq)]
/// A workflow transition (SPEC §7).
pub struct TransitionRecord {
    /// The workflow's name.
    pub workflow: Arc<str>,
    /// The group, sequence or instance key, else the suppression key, else absent (null).
    pub key: Value,
    /// The state left; `None` when the instance started.
    pub from: Option<Arc<str>>,
    /// The state entered.
    pub to: Arc<str>,
    /// When it fired, in milliseconds since the epoch.
    pub time: i64,
    /// The event type, or `after 3d` for a deadline.
    pub cause: Arc<str>,
    /// The input line of the cause event, if it was an input event.
    pub line: Option<u64>,
    /// The event that caused it (SPEC v0.2: the start event for a start, the completing one
    /// for an `await`); `None` for a deadline.
    pub evidence: Option<Event>,
    /// The rule set's fingerprint.
    pub ruleset: Arc<str>,
}

#[derive(Debug, Clone, PartialEq)]
/// A rule at its key cap dropped an event.
pub struct OverflowRecord {
    /// The rule's name.
    pub rule: Arc<str>,
    /// The group, sequence or instance key, else the suppression key, else absent (null).
    pub key: Value,
    /// When it fired, in milliseconds since the epoch.
    pub time: i64,
    /// The cap on live keys.
    pub limit: usize,
    /// The input line of the dropped event.
    pub line: Option<u64>,
    /// The rule set's fingerprint.
    pub ruleset: Arc<str>,
}

#[derive(Debug, Clone, PartialEq)]
/// A workflow instance in a state that a reloaded rule set no longer has.
pub struct OrphanRecord {
    /// The workflow's name.
    pub workflow: Arc<str>,
    /// The group, sequence or instance key, else the suppression key, else absent (null).
    pub key: Value,
    /// The state it is in.
    pub state: Arc<str>,
    /// When it fired, in milliseconds since the epoch.
    pub time: i64,
    /// The fingerprint the instance started with.
    pub started_with: Arc<str>,
    /// The rule set's fingerprint.
    pub ruleset: Arc<str>,
}

impl Record {
    /// The fingerprint of the rule set that made it.
    pub fn ruleset(&self) -> &Arc<str> {
        match self {
            Record::Alert(a) => &a.ruleset,
            Record::Transition(t) => &t.ruleset,
            Record::Overflow(o) => &o.ruleset,
            Record::Orphan(o) => &o.ruleset,
        }
    }

    /// The record's event time.
    pub fn time(&self) -> i64 {
        match self {
            Record::Alert(a) => a.time,
            Record::Transition(t) => t.time,
            Record::Overflow(o) => o.time,
            Record::Orphan(o) => o.time,
        }
    }
}

/// A deterministic alert id: a hash of the origin, key, time and evidence (SPEC §7), so a
/// consumer can drop duplicates.
pub fn alert_id(origin: &Origin, key: &Value, time: i64, evidence: &[Event]) -> String {
    let mut h = Sha256::new();
    match origin {
        Origin::Rule(r) => {
            h.update(b"rule\0");
            h.update(r.as_bytes());
        }
        Origin::Workflow { workflow, state } => {
            h.update(b"workflow\0");
            h.update(workflow.as_bytes());
            h.update(b"\0");
            h.update(state.as_bytes());
        }
    }
    h.update(b"\0");
    hash_value(&mut h, key);
    h.update(time.to_be_bytes());
    for e in evidence {
        h.update(e.ty.to_be_bytes());
        h.update(e.time.to_be_bytes());
        match &e.source {
            Source::Line(l) => h.update(l.to_be_bytes()),
            Source::Derived(r) => h.update(r.as_bytes()),
        }
        // The content too: derived events have no line, and two of them at one time must
        // not share an id.
        h.update(e.present.to_be_bytes());
        for w in e.words() {
            h.update(w.to_be_bytes());
        }
        h.update((e.text().len() as u64).to_be_bytes());
        h.update(e.text().as_bytes());
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // A nibble is below 16: the lookups cannot miss (and compile without a check).
    let hex = |n: u8| char::from(HEX.get(usize::from(n & 15)).copied().unwrap_or(b'0'));
    let digest = h.finalize();
    digest
        .iter()
        .take(16)
        .fold(String::with_capacity(32), |mut s, b| {
            s.push(hex(b >> 4));
            s.push(hex(*b));
            s
        })
}

/// Feeds a key value into an id hash: a tag, then the value's bytes.
fn hash_value(h: &mut Sha256, v: &Value) {
    match v {
        Value::Absent => h.update([0]),
        Value::Bool(b) => h.update([1, u8::from(*b)]),
        Value::Int(i) => {
            h.update([2]);
            h.update(i.to_be_bytes());
        }
        Value::Float(f) => {
            h.update([3]);
            h.update(f.to_bits().to_be_bytes());
        }
        Value::Str(s) => {
            h.update([4]);
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
        Value::Time(t) => {
            h.update([5]);
            h.update(t.to_be_bytes());
        }
        Value::Duration(d) => {
            h.update([6]);
            h.update(d.to_be_bytes());
        }
        Value::Point(p) => {
            h.update([7]);
            h.update(p.lat.to_bits().to_be_bytes());
            h.update(p.lon.to_bits().to_be_bytes());
        }
        Value::Enum(e) => {
            h.update([8]);
            h.update(e.to_be_bytes());
        }
        Value::Unit(u) => {
            h.update([10]);
            h.update(u.to_be_bytes());
        }
        Value::Set(s) => {
            h.update([9]);
            for i in &s.items {
                hash_value(h, i);
            }
        }
    }
}

/// An event type's JSON keys, written once: `{"type":"Name"` and each field's `,"name":`
/// (evidence is most of what records write, and these never change).
#[derive(Debug)]
pub struct EventKeys {
    pub head: Box<str>,
    pub fields: Vec<Box<str>>,
}

impl EventKeys {
    /// The keys of every event type of `program`, by type id.
    pub fn all(program: &Program) -> Vec<EventKeys> {
        program
            .events
            .iter()
            .map(|ty| {
                let mut head = String::new();
                push_type_head(&mut head, &ty.name);
                let fields = ty
                    .fields
                    .iter()
                    .map(|f| {
                        let mut key = String::new();
                        push_field_key(&mut key, &f.name);
                        key.into_boxed_str()
                    })
                    .collect();
                EventKeys {
                    head: head.into_boxed_str(),
                    fields,
                }
            })
            .collect()
    }
}

/// `{"type":"Name"`: how an event's JSON starts.
fn push_type_head(o: &mut String, name: &str) {
    o.push_str("{\"type\":");
    push_str(o, name);
}

/// `,"name":`: a field's key after the one before it.
fn push_field_key(o: &mut String, name: &str) {
    o.push(',');
    push_str(o, name);
    o.push(':');
}

/// What records need to be written: names of types, fields and enum values, and the zone.
pub struct Writer<'a> {
    pub program: &'a Program,
    pub tables: &'a crate::interp::Tables,
}

impl Writer<'_> {
    /// The record as one JSON line (without the newline).
    pub fn json(&self, record: &Record) -> String {
        let mut o = String::new();
        self.write_json(record, &mut o);
        o
    }

    /// Appends the record as one JSON line (without the newline) to `o`.
    pub fn write_json(&self, record: &Record, o: &mut String) {
        o.reserve(capacity(record));
        match record {
            Record::Alert(a) => self.alert(a, o, None),
            Record::Transition(t) => {
                o.push_str("{\"kind\":\"transition\",\"workflow\":");
                push_str(o, &t.workflow);
                o.push_str(",\"key\":");
                self.value_json(&t.key, o);
                o.push_str(",\"from\":");
                match &t.from {
                    Some(f) => push_str(o, f),
                    None => o.push_str("null"),
                }
                o.push_str(",\"to\":");
                push_str(o, &t.to);
                o.push_str(",\"time\":");
                push_time(o, t.time, &self.tables.times);
                o.push_str(",\"cause\":");
                push_str(o, &t.cause);
                o.push_str(",\"line\":");
                match t.line {
                    Some(l) => {
                        let _ = write!(o, "{l}");
                    }
                    None => o.push_str("null"),
                }
                o.push_str(",\"evidence\":[");
                if let Some(e) = &t.evidence {
                    self.event_json(e, o, None);
                }
                o.push_str("],\"ruleset\":");
                push_str(o, &t.ruleset);
                o.push('}');
            }
            Record::Overflow(x) => {
                o.push_str("{\"kind\":\"overflow\",\"rule\":");
                push_str(o, &x.rule);
                o.push_str(",\"key\":");
                self.value_json(&x.key, o);
                o.push_str(",\"time\":");
                push_time(o, x.time, &self.tables.times);
                let _ = write!(o, ",\"limit\":{}", x.limit);
                o.push_str(",\"line\":");
                match x.line {
                    Some(l) => {
                        let _ = write!(o, "{l}");
                    }
                    None => o.push_str("null"),
                }
                o.push_str(",\"message\":\"the rule holds its maximum number of keys; this event was not added\"");
                o.push_str(",\"ruleset\":");
                push_str(o, &x.ruleset);
                o.push('}');
            }
            Record::Orphan(x) => {
                o.push_str("{\"kind\":\"orphan\",\"workflow\":");
                push_str(o, &x.workflow);
                o.push_str(",\"key\":");
                self.value_json(&x.key, o);
                o.push_str(",\"state\":");
                push_str(o, &x.state);
                o.push_str(",\"time\":");
                push_time(o, x.time, &self.tables.times);
                o.push_str(",\"started_with\":");
                push_str(o, &x.started_with);
                o.push_str(",\"message\":\"the state this instance is in no longer exists in the rule set\"");
                o.push_str(",\"ruleset\":");
                push_str(o, &x.ruleset);
                o.push('}');
            }
        }
    }

    /// An alert as delivered to one unit: evidence limited to the fields the unit may see.
    /// The key and the message are left out (listed under `"redacted"`) when `redaction` says
    /// they are computed from fields the unit may not see.
    pub fn alert_for_unit(
        &self,
        a: &AlertRecord,
        unit: u32,
        redaction: &crate::redact::Redaction,
    ) -> String {
        let mut o = String::with_capacity(alert_capacity(a));
        self.alert(a, &mut o, Some((unit, redaction)));
        o
    }

    fn alert(
        &self,
        a: &AlertRecord,
        o: &mut String,
        unit: Option<(u32, &crate::redact::Redaction)>,
    ) {
        let none = crate::redact::Redaction::default();
        let redaction = unit.map_or(&none, |(_, r)| r);
        let unit = unit.map(|(u, _)| u);
        o.push_str("{\"kind\":\"alert\",\"id\":");
        push_str(o, &a.id);
        match &a.origin {
            Origin::Rule(r) => {
                o.push_str(",\"rule\":");
                push_str(o, r);
            }
            Origin::Workflow { workflow, state } => {
                o.push_str(",\"workflow\":");
                push_str(o, workflow);
                o.push_str(",\"state\":");
                push_str(o, state);
            }
        }
        o.push_str(",\"severity\":");
        push_str(o, a.severity.as_str());
        if let Some(t) = &a.title {
            o.push_str(",\"title\":");
            push_str(o, t);
        }
        o.push_str(",\"to\":[");
        for (i, u) in a.to.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            push_str(o, u);
        }
        o.push_str("],\"key\":");
        if redaction.key {
            o.push_str("null");
        } else {
            self.value_json(&a.key, o);
        }
        o.push_str(",\"time\":");
        push_time(o, a.time, &self.tables.times);
        // A value the unit may not see reads `…` in its copy of the message (SPEC v0.2).
        let hidden: Vec<&std::ops::Range<usize>> = a
            .interpolations
            .iter()
            .filter(|(_, e)| redaction.hidden.contains(e))
            .map(|(r, _)| r)
            .collect();
        if let Some(m) = &a.message {
            o.push_str(",\"message\":");
            if hidden.is_empty() {
                push_str(o, m);
            } else {
                let mut shown = String::with_capacity(m.len());
                let mut at = 0;
                for r in &hidden {
                    shown.push_str(m.get(at..r.start).unwrap_or(""));
                    shown.push('…');
                    at = r.end;
                }
                shown.push_str(m.get(at..).unwrap_or(""));
                push_str(o, &shown);
            }
        }
        let message_redacted = !hidden.is_empty();
        if redaction.key || message_redacted {
            let parts: Vec<&str> = [
                (redaction.key, "\"key\""),
                (message_redacted, "\"message\""),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
            o.push_str(",\"redacted\":[");
            o.push_str(&parts.join(","));
            o.push(']');
        }
        if a.shadow {
            o.push_str(",\"shadow\":true");
        }
        o.push_str(",\"evidence\":[");
        for (i, e) in a.evidence.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            self.event_json(e, o, unit);
        }
        o.push(']');
        if a.evidence_total > a.evidence.len() {
            let _ = write!(o, ",\"evidence_total\":{}", a.evidence_total);
        }
        o.push_str(",\"ruleset\":");
        push_str(o, &a.ruleset);
        o.push('}');
    }

    /// An event as evidence: type, line, time, id and fields (those `unit` may see).
    pub fn event_json(&self, e: &Event, o: &mut String, unit: Option<u32>) {
        let Some(ty) = self.program.event(e.ty) else {
            o.push_str("null");
            return;
        };
        let allowed: Option<&[u16]> = unit.and_then(|u| {
            let sees = self.program.units.get(u as usize)?.sees.as_ref()?;
            Some(
                sees.iter()
                    .find(|(t, _)| *t == e.ty)
                    .map_or(&[][..], |(_, f)| f.as_slice()),
            )
        });
        let keys = self.tables.json_keys.get(e.ty as usize);
        match keys {
            Some(k) => o.push_str(&k.head),
            None => push_type_head(o, &ty.name),
        }
        match &e.source {
            Source::Line(l) => {
                o.push_str(",\"line\":");
                push_int(o, i128::from(*l));
            }
            Source::Derived(rule) => {
                o.push_str(",\"line\":null,\"derived_from\":");
                push_str(o, rule);
            }
        }
        o.push_str(",\"time\":");
        push_time(o, e.time, &self.tables.times);
        let layout = self.tables.layouts.get(e.ty as usize);
        if let Some(id) = layout.and_then(|l| e.str_field(l, l.id_field())) {
            o.push_str(",\"id\":");
            push_str(o, id);
        }
        for (i, f) in ty.fields.iter().enumerate() {
            let field = u16::try_from(i).unwrap_or(u16::MAX);
            if field >= 64 || e.present & (1 << field) == 0 {
                continue;
            }
            if let Some(allowed) = allowed
                && !allowed.iter().any(|a| *a as usize == i)
            {
                continue;
            }
            match keys.and_then(|k| k.fields.get(i)) {
                Some(key) => o.push_str(key),
                None => push_field_key(o, &f.name),
            }
            // Strings and integers straight from the row: evidence is most of what is
            // written, and a `Value` would copy every string.
            match layout.and_then(|l| l.slots.get(i)) {
                Some((_, crate::row::Kind::Str)) => {
                    match layout.and_then(|l| e.str_field(l, field)) {
                        Some(text) => push_str(o, text),
                        None => o.push_str("null"),
                    }
                }
                Some(&(w, crate::row::Kind::Int)) => {
                    push_int(
                        o,
                        i128::from(e.words().get(w as usize).copied().unwrap_or(0) as i64),
                    );
                }
                _ => self.field_json(&self.tables.field(e, field), &f.ty, o),
            }
        }
        o.push('}');
    }

    fn field_json(&self, v: &Value, ty: &vigil_ir::Ty, o: &mut String) {
        match (v, ty) {
            // A set of enum values by name, in the set's (declaration) order.
            (Value::Set(s), vigil_ir::Ty::Set(elem)) if matches!(**elem, vigil_ir::Ty::Enum(_)) => {
                o.push('[');
                for (i, item) in s.items.iter().enumerate() {
                    if i > 0 {
                        o.push(',');
                    }
                    self.field_json(item, elem, o);
                }
                o.push(']');
            }
            (Value::Enum(i), vigil_ir::Ty::Enum(name)) => {
                let variant = self
                    .program
                    .enums
                    .iter()
                    .find(|e| e.name == *name)
                    .and_then(|e| e.variants.get(*i as usize));
                match variant {
                    Some(v) => push_str(o, v),
                    None => {
                        let _ = write!(o, "{i}");
                    }
                }
            }
            _ => self.value_json(v, o),
        }
    }

    /// A value in JSON: times as RFC 3339 strings, durations as seconds, points as objects.
    pub fn value_json(&self, v: &Value, o: &mut String) {
        match v {
            Value::Absent => o.push_str("null"),
            Value::Bool(b) => o.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => push_int(o, i128::from(*i)),
            Value::Float(f) => push_float(o, *f),
            Value::Str(s) => push_str(o, s),
            Value::Time(t) => push_time(o, *t, &self.tables.times),
            Value::Duration(d) => {
                if d % 1000 == 0 {
                    push_int(o, i128::from(d / 1000));
                } else {
                    push_float(o, *d as f64 / 1000.0);
                }
            }
            Value::Point(p) => {
                o.push_str("{\"lat\":");
                push_float(o, p.lat);
                o.push_str(",\"lon\":");
                push_float(o, p.lon);
                o.push('}');
            }
            Value::Enum(i) => {
                let _ = write!(o, "{i}");
            }
            Value::Unit(u) => match self.program.units.get(*u as usize) {
                Some(unit) => push_str(o, &unit.name),
                None => {
                    let _ = write!(o, "{u}");
                }
            },
            Value::Set(s) => {
                o.push('[');
                for (i, item) in s.items.iter().enumerate() {
                    if i > 0 {
                        o.push(',');
                    }
                    self.value_json(item, o);
                }
                o.push(']');
            }
        }
    }

    /// A value as text in a message (SPEC §3): durations as `1h30m`, times in RFC 3339 in the
    /// rule set's zone, enum values by name when `enum_name` says which enum.
    pub fn value_text(&self, v: &Value, enum_name: Option<&str>, o: &mut String) {
        match v {
            Value::Absent => {}
            Value::Bool(b) => o.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(o, "{i}");
            }
            // At least one decimal, so a float reads as one (`4.0`, SPEC v0.2).
            Value::Float(f) => {
                let _ = write!(o, "{f:?}");
            }
            Value::Str(s) => o.push_str(s),
            Value::Time(t) => self.tables.times.write(o, *t),
            Value::Duration(d) => o.push_str(&format_duration(*d)),
            Value::Point(p) => {
                let _ = write!(o, "({}, {})", p.lat, p.lon);
            }
            Value::Unit(u) => match self.program.units.get(*u as usize) {
                Some(unit) => o.push_str(&unit.name),
                None => {
                    let _ = write!(o, "{u}");
                }
            },
            Value::Enum(i) => {
                let name = enum_name
                    .and_then(|n| self.program.enums.iter().find(|e| e.name == n))
                    .and_then(|e| e.variants.get(*i as usize));
                match name {
                    Some(n) => o.push_str(n),
                    None => {
                        let _ = write!(o, "{i}");
                    }
                }
            }
            Value::Set(s) => {
                o.push('[');
                for (i, item) in s.items.iter().enumerate() {
                    if i > 0 {
                        o.push_str(", ");
                    }
                    self.value_text(item, enum_name, o);
                }
                o.push(']');
            }
        }
    }
}

/// A time as a JSON string (RFC 3339 needs no escaping).
fn push_time(o: &mut String, ms: i64, times: &TimeWriter) {
    o.push('"');
    times.write(o, ms);
    o.push('"');
}

/// About how long a record's JSON is, so that writing it does not reallocate.
fn capacity(record: &Record) -> usize {
    match record {
        Record::Alert(a) => alert_capacity(a),
        _ => 512,
    }
}

fn alert_capacity(a: &AlertRecord) -> usize {
    let evidence: usize = a
        .evidence
        .iter()
        .map(|e| 96 + e.text().len() + 16 * e.words().len())
        .sum();
    384 + a.message.as_ref().map_or(0, |m| m.len()) + evidence
}

fn push_float(o: &mut String, f: f64) {
    if f.is_finite() {
        let _ = write!(o, "{f}");
    } else {
        o.push_str("null");
    }
}

/// Appends an integer in decimal, without the formatting machinery.
// PANIC SAFETY: an i128 has at most 39 digits, and the buffer holds 40.
#[allow(clippy::indexing_slicing)]
fn push_int(o: &mut String, v: i128) {
    let mut digits = [0u8; 40];
    let mut at = digits.len();
    let mut n = v.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        o.push('-');
    }
    for d in &digits[at..] {
        o.push(char::from(*d));
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_str(o: &mut String, s: &str) {
    o.push('"');
    if crate::json::find_special(s.as_bytes()).is_none() {
        o.push_str(s);
        o.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn integers_print_as_the_standard_library_prints_them(v in any::<i64>()) {
            let mut o = String::new();
            push_int(&mut o, i128::from(v));
            prop_assert_eq!(o, v.to_string());
        }

        #[test]
        fn strings_print_as_serde_json_prints_them(s in "[a-z\"\\\\\n\u{1}é黑]{0,12}") {
            let mut o = String::new();
            push_str(&mut o, &s);
            let back: String = serde_json::from_str(&o).expect("valid JSON");
            prop_assert_eq!(back, s);
        }
    }
}
