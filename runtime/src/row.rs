//! Events as typed rows, and keys.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use vigil_compiler::ir::{EventTypeId, Value};

/// Where an event came from: an input line, or a rule that emitted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// One-based line number in the input (or in the test file for test events).
    Line(u64),
    /// Emitted by this rule (or workflow).
    Derived(Arc<str>),
}

/// One event: its type, time, optional id, and a value per declared field (in declaration
/// order; `Value::Absent` for a missing optional field).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The event type.
    pub ty: EventTypeId,
    /// Event time, milliseconds since the epoch.
    pub time: i64,
    /// The optional `id` (the CloudEvents id in structured mode).
    pub id: Option<Arc<str>>,
    /// The input line or the emitting rule.
    pub source: Source,
    /// One value per declared field.
    pub fields: Box<[Value]>,
}

/// A shared event: windows and partial matches hold events without copying them.
pub type Event = Arc<Row>;

impl Row {
    /// Field number `i` (absent when out of range).
    pub fn field(&self, i: u16) -> &Value {
        self.fields.get(i as usize).unwrap_or(&Value::Absent)
    }

    /// The input line, for input events.
    pub fn line(&self) -> Option<u64> {
        match self.source {
            Source::Line(l) => Some(l),
            Source::Derived(_) => None,
        }
    }
}

/// A group, sequence, suppression or workflow key: a value usable in hash maps. Keys are
/// never floats, points or sets (the checker enforces it), so equality is plain.
#[derive(Debug, Clone)]
pub struct Key(pub Value);

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.0.total_cmp(&other.0) == std::cmp::Ordering::Equal
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.0 {
            Value::Absent => 0u8.hash(state),
            Value::Bool(b) => b.hash(state),
            Value::Int(i) | Value::Time(i) | Value::Duration(i) => i.hash(state),
            Value::Str(s) => s.hash(state),
            Value::Enum(e) => e.hash(state),
            Value::Float(f) => f.to_bits().hash(state),
            Value::Point(p) => {
                p.lat.to_bits().hash(state);
                p.lon.to_bits().hash(state);
            }
            Value::Set(s) => s.items.len().hash(state),
        }
    }
}

impl Key {
    /// The whole-rule key (no group or sequence key).
    pub fn none() -> Key {
        Key(Value::Absent)
    }

    /// Bytes whose order is the key order of SPEC §7 ("key in byte order"): strings by their
    /// UTF-8 bytes, numbers by value.
    pub fn sort_bytes(&self) -> Vec<u8> {
        match &self.0 {
            Value::Str(s) => s.as_bytes().to_vec(),
            Value::Int(i) | Value::Time(i) | Value::Duration(i) => {
                ((*i as u64) ^ (1 << 63)).to_be_bytes().to_vec()
            }
            Value::Bool(b) => vec![u8::from(*b)],
            Value::Enum(e) => e.to_be_bytes().to_vec(),
            _ => Vec::new(),
        }
    }
}
