//! Events as packed rows with fixed field offsets, and keys.
//!
//! A row is one block of 64-bit words laid out by its event type's `Layout` (a scalar takes one
//! word, a string or a point two), a presence bit per field, and one text buffer holding all of
//! its strings. Compiled conditions read fields at fixed offsets; the interpreter reads them as
//! `Value`s.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use vigil_compiler::ir::{EventType, EventTypeId, Point, Program, Ty, Value};

/// Where an event came from: an input line, or a rule that emitted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// One-based line number in the input (or in the test file for test events).
    Line(u64),
    /// Emitted by this rule (or workflow).
    Derived(Arc<str>),
}

/// How a field is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One word, 0 or 1.
    Bool,
    /// One word, two's complement.
    Int,
    /// One word, the bits of an `f64`.
    Float,
    /// Two words: byte offset into the row's text, and length.
    Str,
    /// One word, milliseconds since the epoch.
    Time,
    /// One word, milliseconds.
    Duration,
    /// Two words: latitude and longitude bits.
    Point,
    /// One word, the variant's position.
    Enum,
}

impl Kind {
    fn of(ty: &Ty) -> Kind {
        match ty {
            Ty::Bool => Kind::Bool,
            Ty::Int => Kind::Int,
            Ty::Float => Kind::Float,
            Ty::Time => Kind::Time,
            Ty::Duration => Kind::Duration,
            Ty::Point => Kind::Point,
            Ty::Enum(_) => Kind::Enum,
            _ => Kind::Str,
        }
    }

    /// Words the field takes.
    pub fn width(self) -> u32 {
        match self {
            Kind::Str | Kind::Point => 2,
            _ => 1,
        }
    }
}

/// The row layout of one event type: where each field's words are. The implicit `id` is the
/// last field (index `fields.len()`).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// (first word, kind) per field, `id` last.
    pub slots: Vec<(u32, Kind)>,
    /// Total words in a row.
    pub words: u32,
}

impl Layout {
    /// The layout of `event`.
    pub fn new(event: &EventType) -> Layout {
        let mut slots = Vec::with_capacity(event.fields.len() + 1);
        let mut words = 0;
        for f in &event.fields {
            let k = Kind::of(&f.ty);
            slots.push((words, k));
            words += k.width();
        }
        slots.push((words, Kind::Str));
        words += 2;
        Layout { slots, words }
    }

    /// Layouts of every event type of `program`, by type id.
    pub fn all(program: &Program) -> Vec<Layout> {
        program.events.iter().map(Layout::new).collect()
    }

    /// The field index of the implicit `id`.
    pub fn id_field(&self) -> u16 {
        u16::try_from(self.slots.len().saturating_sub(1)).unwrap_or(u16::MAX)
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The event type.
    pub ty: EventTypeId,
    /// Event time, milliseconds since the epoch.
    pub time: i64,
    /// The input line or the emitting rule.
    pub source: Source,
    /// Bit `i` set: field `i` is present.
    pub present: u64,
    /// The fields' words, as laid out by the type's `Layout`.
    pub words: Box<[u64]>,
    /// Every string field's text, one after another.
    pub text: Box<str>,
}

/// A shared event: windows and partial matches hold events without copying them.
pub type Event = Arc<Row>;

impl Row {
    /// Field `i` of a row laid out by `layout`, as a value (`Absent` when missing).
    pub fn value(&self, layout: &Layout, i: u16) -> Value {
        let Some(&(w, kind)) = layout.slots.get(i as usize) else {
            return Value::Absent;
        };
        if i >= 64 || self.present & (1 << i) == 0 {
            return Value::Absent;
        }
        let w = w as usize;
        let word = |k: usize| self.words.get(w + k).copied().unwrap_or(0);
        match kind {
            Kind::Bool => Value::Bool(word(0) != 0),
            Kind::Int => Value::Int(word(0) as i64),
            Kind::Float => Value::Float(f64::from_bits(word(0))),
            Kind::Time => Value::Time(word(0) as i64),
            Kind::Duration => Value::Duration(word(0) as i64),
            Kind::Enum => Value::Enum(word(0) as u32),
            Kind::Point => Value::Point(Point {
                lat: f64::from_bits(word(0)),
                lon: f64::from_bits(word(1)),
            }),
            Kind::Str => Value::str(self.str_at(word(0), word(1))),
        }
    }

    /// The text of string field `i`, without copying; `None` when missing or not a string.
    pub fn str_field(&self, layout: &Layout, i: u16) -> Option<&str> {
        let &(w, kind) = layout.slots.get(i as usize)?;
        if kind != Kind::Str || i >= 64 || self.present & (1 << i) == 0 {
            return None;
        }
        let w = w as usize;
        Some(self.str_at(*self.words.get(w)?, *self.words.get(w + 1)?))
    }

    fn str_at(&self, start: u64, len: u64) -> &str {
        let start = start as usize;
        self.text.get(start..start + len as usize).unwrap_or("")
    }

    /// The input line, for input events.
    pub fn line(&self) -> Option<u64> {
        match self.source {
            Source::Line(l) => Some(l),
            Source::Derived(_) => None,
        }
    }
}

/// Storage reused from one row to the next while decoding.
#[derive(Debug, Default)]
pub struct RowBuffers {
    words: Vec<u64>,
    text: String,
}

/// Builds a row field by field.
pub struct RowBuilder<'l> {
    layout: &'l Layout,
    present: u64,
    words: Vec<u64>,
    text: String,
}

impl<'l> RowBuilder<'l> {
    /// An empty row of `layout`.
    pub fn new(layout: &'l Layout) -> RowBuilder<'l> {
        RowBuilder::with_buffers(layout, RowBuffers::default())
    }

    /// An empty row of `layout` built in reused buffers (see `finish_reusing`).
    pub fn with_buffers(layout: &'l Layout, buffers: RowBuffers) -> RowBuilder<'l> {
        let RowBuffers {
            mut words,
            mut text,
        } = buffers;
        words.clear();
        words.resize(layout.words as usize, 0);
        text.clear();
        RowBuilder {
            layout,
            present: 0,
            words,
            text,
        }
    }

    /// The finished row, with exactly sized storage, and the buffers back for the next row.
    pub fn finish_reusing(self, ty: EventTypeId, time: i64, source: Source) -> (Row, RowBuffers) {
        let row = Row {
            ty,
            time,
            source,
            present: self.present,
            words: Box::from(self.words.as_slice()),
            text: Box::from(self.text.as_str()),
        };
        (
            row,
            RowBuffers {
                words: self.words,
                text: self.text,
            },
        )
    }

    /// Gives the storage back without building a row.
    pub fn into_buffers(self) -> RowBuffers {
        RowBuffers {
            words: self.words,
            text: self.text,
        }
    }

    /// The presence bits so far.
    pub fn present(&self) -> u64 {
        self.present
    }

    /// Whether field `i` has been set.
    pub fn is_set(&self, i: u16) -> bool {
        i < 64 && self.present & (1 << i) != 0
    }

    fn mark(&mut self, i: u16) -> Option<usize> {
        if i >= 64 {
            return None;
        }
        self.present |= 1 << i;
        self.layout.slots.get(i as usize).map(|(w, _)| *w as usize)
    }

    /// Sets a one-word field (bool, int, time, duration, enum, or float bits).
    pub fn set_word(&mut self, i: u16, word: u64) {
        if let Some(w) = self.mark(i)
            && let Some(slot) = self.words.get_mut(w)
        {
            *slot = word;
        }
    }

    /// Sets a string field.
    pub fn set_str(&mut self, i: u16, s: &str) {
        let start = self.text.len() as u64;
        self.text.push_str(s);
        if let Some(w) = self.mark(i)
            && w + 1 < self.words.len()
        {
            self.words[w] = start;
            self.words[w + 1] = s.len() as u64;
        }
    }

    /// Sets a point field.
    pub fn set_point(&mut self, i: u16, p: Point) {
        if let Some(w) = self.mark(i)
            && w + 1 < self.words.len()
        {
            self.words[w] = p.lat.to_bits();
            self.words[w + 1] = p.lon.to_bits();
        }
    }

    /// Sets field `i` from a value of its type (absent leaves it unset).
    pub fn set_value(&mut self, i: u16, v: &Value) {
        match v {
            Value::Absent | Value::Set(_) => {}
            Value::Bool(b) => self.set_word(i, u64::from(*b)),
            Value::Int(x) | Value::Time(x) | Value::Duration(x) => self.set_word(i, *x as u64),
            Value::Float(f) => self.set_word(i, f.to_bits()),
            Value::Enum(e) => self.set_word(i, u64::from(*e)),
            Value::Str(s) => self.set_str(i, s),
            Value::Point(p) => self.set_point(i, *p),
        }
    }

    /// The finished row.
    pub fn finish(self, ty: EventTypeId, time: i64, source: Source) -> Row {
        Row {
            ty,
            time,
            source,
            present: self.present,
            words: self.words.into_boxed_slice(),
            text: self.text.into_boxed_str(),
        }
    }
}

/// Per-key state. Fx hashing: keys come from events, but the maps' order never reaches the
/// output (snapshots sort), and SipHash's DoS resistance costs a fifth of a window rule's time.
pub(crate) type KeyMap<V> = rustc_hash::FxHashMap<Key, V>;

/// A group, sequence, suppression or workflow key: a value usable in hash maps. Keys are
/// never floats, points or sets (the checker enforces it), so equality is plain.
#[derive(Debug, Clone)]
pub struct Key(pub Value);

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        match (&self.0, &other.0) {
            (Value::Str(a), Value::Str(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Int(a), Value::Int(b))
            | (Value::Time(a), Value::Time(b))
            | (Value::Duration(a), Value::Duration(b)) => a == b,
            (Value::Enum(a), Value::Enum(b)) => a == b,
            (a, b) => a.total_cmp(b) == std::cmp::Ordering::Equal,
        }
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

    /// The key order of SPEC §7 ("key in byte order"): the order of `sort_bytes`, without
    /// building them.
    pub fn byte_cmp(&self, other: &Key) -> std::cmp::Ordering {
        match (&self.0, &other.0) {
            (Value::Str(a), Value::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
            (
                Value::Int(a) | Value::Time(a) | Value::Duration(a),
                Value::Int(b) | Value::Time(b) | Value::Duration(b),
            ) => a.cmp(b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Enum(a), Value::Enum(b)) => a.cmp(b),
            _ => self.sort_bytes().cmp(&other.sort_bytes()),
        }
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

/// The word a value is stored as in a one-word field (`None` for strings, floats, points).
pub(crate) fn word_of(v: &Value) -> Option<u64> {
    match v {
        Value::Bool(b) => Some(u64::from(*b)),
        Value::Int(i) | Value::Time(i) | Value::Duration(i) => Some(*i as u64),
        Value::Enum(e) => Some(u64::from(*e)),
        _ => None,
    }
}
