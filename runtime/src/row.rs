//! Events as packed rows with fixed field offsets, and keys.
//!
//! A row is one block of 64-bit words laid out by its event type's `Layout` (a scalar takes one
//! word, a string or a point two), a presence bit per field, and one text buffer holding all of
//! its strings. Compiled conditions read fields at fixed offsets; the interpreter reads them as
//! `Value`s.

use std::hash::{Hash, Hasher};

use hashbrown::Equivalent;
use std::sync::Arc;

use vigil_ir::{EventType, EventTypeId, Point, Program, Ty, Value};

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
    /// One word, the unit's number (SPEC v0.2).
    Unit,
    /// Two words, like a string: the set's members encoded in the row's text (`SetText`),
    /// sorted and without duplicates (SPEC v0.2 `set<T>` fields).
    Set(SetElem),
}

/// What a `set<T>` field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetElem {
    Str,
    Int,
    Enum,
    Unit,
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
            Ty::Unit => Kind::Unit,
            Ty::Set(elem) => Kind::Set(match &**elem {
                Ty::Int => SetElem::Int,
                Ty::Enum(_) => SetElem::Enum,
                Ty::Unit => SetElem::Unit,
                _ => SetElem::Str,
            }),
            _ => Kind::Str,
        }
    }

    /// Words the field takes.
    pub fn width(self) -> u32 {
        match self {
            Kind::Str | Kind::Point | Kind::Set(_) => 2,
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
    /// The fields' words as laid out by the type's `Layout`, then the text of every string
    /// field packed as bytes: one allocation per row, not two, which matters when windows
    /// hold millions of rows and free them long after they were made.
    data: Box<[u64]>,
    /// How many of `data`'s words are fields (the rest hold text).
    words_len: u32,
    /// Bytes of text after the fields.
    text_len: u32,
}

/// A shared event: windows and partial matches hold events without copying them.
pub type Event = Arc<Row>;

impl Row {
    fn new(
        ty: EventTypeId,
        time: i64,
        source: Source,
        present: u64,
        words: &[u64],
        text: &str,
    ) -> Row {
        let mut data = Vec::with_capacity(words.len() + text.len().div_ceil(8));
        data.extend_from_slice(words);
        data.resize(data.capacity(), 0);
        let mut data = data.into_boxed_slice();
        let tail = data.get_mut(words.len()..).unwrap_or_default();
        // SAFETY: `u8` has no alignment or validity requirement, and the view covers exactly
        // the tail's bytes, which it borrows mutably while `tail` is not used.
        let bytes = unsafe {
            std::slice::from_raw_parts_mut(tail.as_mut_ptr().cast::<u8>(), tail.len() * 8)
        };
        // The tail holds `text.len().div_ceil(8)` words, so at least the text's bytes.
        if let Some(room) = bytes.get_mut(..text.len()) {
            room.copy_from_slice(text.as_bytes());
        }
        Row {
            ty,
            time,
            source,
            present,
            data,
            words_len: u32::try_from(words.len()).unwrap_or(u32::MAX),
            text_len: u32::try_from(text.len()).unwrap_or(u32::MAX),
        }
    }

    /// The fields' words, as laid out by the type's `Layout`.
    pub fn words(&self) -> &[u64] {
        self.data.get(..self.words_len as usize).unwrap_or_default()
    }

    /// Every string field's text, one after another.
    pub fn text(&self) -> &str {
        let tail = self.data.get(self.words_len as usize..).unwrap_or_default();
        // SAFETY: the tail's words are initialised, `u8` has no alignment or validity
        // requirement, and `text_len` is at most the tail's length in bytes (`Row::new`).
        let bytes =
            unsafe { std::slice::from_raw_parts(tail.as_ptr().cast::<u8>(), tail.len() * 8) };
        let bytes = bytes.get(..self.text_len as usize).unwrap_or_default();
        // SAFETY: `Row::new` copied these bytes from a `&str`, and nothing writes them after.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// Field `i` of a row laid out by `layout`, as a value (`Absent` when missing).
    pub fn value(&self, layout: &Layout, i: u16) -> Value {
        let Some(&(w, kind)) = layout.slots.get(i as usize) else {
            return Value::Absent;
        };
        if i >= 64 || self.present & (1 << i) == 0 {
            return Value::Absent;
        }
        let w = w as usize;
        let words = self.words();
        let word = |k: usize| words.get(w + k).copied().unwrap_or(0);
        match kind {
            Kind::Bool => Value::Bool(word(0) != 0),
            Kind::Int => Value::Int(word(0) as i64),
            Kind::Float => Value::Float(f64::from_bits(word(0))),
            Kind::Time => Value::Time(word(0) as i64),
            Kind::Duration => Value::Duration(word(0) as i64),
            Kind::Enum => Value::Enum(word(0) as u32),
            Kind::Unit => Value::Unit(word(0) as u32),
            Kind::Point => Value::Point(Point {
                lat: f64::from_bits(word(0)),
                lon: f64::from_bits(word(1)),
            }),
            Kind::Str => Value::str(self.str_at(word(0), word(1))),
            Kind::Set(elem) => set_text::decode(self.str_at(word(0), word(1)), elem),
        }
    }

    /// Asks the processor to start loading the row's fields and text: a row decoded on
    /// another thread is in that core's cache, not this one's, and its first read would
    /// otherwise wait for it (`pipeline::Decoding` calls this one row ahead).
    pub fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let start = self.data.as_ptr().cast::<i8>();
            // The first two cache lines: a row's words and the start of its text.
            let second = start.wrapping_add(64);
            // SAFETY: SSE is part of x86_64; a prefetch is a hint that reads nothing and
            // cannot fault, whatever the address.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(start);
                _mm_prefetch::<_MM_HINT_T0>(second);
            }
        }
    }

    /// The text of string field `i`, without copying; `None` when missing or not a string.
    pub fn str_field(&self, layout: &Layout, i: u16) -> Option<&str> {
        let &(w, kind) = layout.slots.get(i as usize)?;
        if kind != Kind::Str || i >= 64 || self.present & (1 << i) == 0 {
            return None;
        }
        let w = w as usize;
        let words = self.words();
        Some(self.str_at(*words.get(w)?, *words.get(w + 1)?))
    }

    fn str_at(&self, start: u64, len: u64) -> &str {
        let start = start as usize;
        self.text().get(start..start + len as usize).unwrap_or("")
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
        let row = Row::new(ty, time, source, self.present, &self.words, &self.text);
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
            && let Some([at, len]) = self.words.get_mut(w..w + 2)
        {
            *at = start;
            *len = s.len() as u64;
        }
    }

    /// Sets a point field.
    pub fn set_point(&mut self, i: u16, p: Point) {
        if let Some(w) = self.mark(i)
            && let Some([lat, lon]) = self.words.get_mut(w..w + 2)
        {
            *lat = p.lat.to_bits();
            *lon = p.lon.to_bits();
        }
    }

    /// Sets a `set<T>` field from its members (in any order, duplicates allowed).
    pub fn set_set(&mut self, i: u16, members: Vec<Value>) {
        let set = vigil_ir::SetValue::new(members);
        let start = self.text.len() as u64;
        set_text::encode(&set, &mut self.text);
        let len = self.text.len() as u64 - start;
        if let Some(w) = self.mark(i)
            && let Some([at, n]) = self.words.get_mut(w..w + 2)
        {
            *at = start;
            *n = len;
        }
    }

    /// Sets field `i` from a value of its type (absent leaves it unset).
    pub fn set_value(&mut self, i: u16, v: &Value) {
        match v {
            Value::Absent => {}
            Value::Set(s) => self.set_set(i, s.items.clone()),
            Value::Bool(b) => self.set_word(i, u64::from(*b)),
            Value::Int(x) | Value::Time(x) | Value::Duration(x) => self.set_word(i, *x as u64),
            Value::Float(f) => self.set_word(i, f.to_bits()),
            Value::Enum(e) | Value::Unit(e) => self.set_word(i, u64::from(*e)),
            Value::Str(s) => self.set_str(i, s),
            Value::Point(p) => self.set_point(i, *p),
        }
    }

    /// The finished row.
    pub fn finish(self, ty: EventTypeId, time: i64, source: Source) -> Row {
        Row::new(ty, time, source, self.present, &self.words, &self.text)
    }
}

/// A `set<T>` field's members as text in the row (the row's text is UTF-8): a string member
/// as its byte length, `:`, and its bytes; any other member as its number and `,`. Written
/// from a sorted `SetValue`, so reading gives the same order.
pub(crate) mod set_text {
    use std::fmt::Write;
    use std::sync::Arc;

    use super::SetElem;
    use vigil_ir::{SetValue, Value};

    pub(crate) fn encode(set: &SetValue, out: &mut String) {
        for v in &set.items {
            let _ = match v {
                Value::Str(s) => write!(out, "{}:{s}", s.len()),
                Value::Int(i) => write!(out, "{i},"),
                Value::Enum(e) | Value::Unit(e) => write!(out, "{e},"),
                _ => Ok(()),
            };
        }
    }

    /// The string members of an encoded `set<str>`, without copying.
    pub(crate) fn strs(mut text: &str) -> impl Iterator<Item = &str> {
        std::iter::from_fn(move || {
            let (len, rest) = text.split_once(':')?;
            let s = rest.get(..len.parse::<usize>().ok()?)?;
            text = rest.get(s.len()..).unwrap_or("");
            Some(s)
        })
    }

    /// The members of an encoded set of ints, enum values or units, as the words a row
    /// stores them as.
    pub(crate) fn words(mut text: &str) -> impl Iterator<Item = u64> {
        std::iter::from_fn(move || {
            let (n, rest) = text.split_once(',')?;
            text = rest;
            n.parse::<i64>().ok().map(|n| n as u64)
        })
    }

    pub(super) fn decode(mut text: &str, elem: SetElem) -> Value {
        let mut items = Vec::new();
        while !text.is_empty() {
            let item = if elem == SetElem::Str {
                let Some((len, rest)) = text.split_once(':') else {
                    break;
                };
                let len: usize = len.parse().unwrap_or(usize::MAX);
                let Some(s) = rest.get(..len) else { break };
                text = rest.get(len..).unwrap_or("");
                Value::str(s)
            } else {
                let Some((n, rest)) = text.split_once(',') else {
                    break;
                };
                text = rest;
                let Ok(n) = n.parse::<i64>() else { break };
                match elem {
                    SetElem::Int => Value::Int(n),
                    SetElem::Enum => Value::Enum(u32::try_from(n).unwrap_or(u32::MAX)),
                    _ => Value::Unit(u32::try_from(n).unwrap_or(u32::MAX)),
                }
            };
            items.push(item);
        }
        // Already sorted and unique: written from a `SetValue`.
        Value::Set(Arc::new(SetValue { items }))
    }
}

/// Per-key state. Fx hashing: keys come from events, but the maps' order never reaches the
/// output (snapshots sort), and SipHash's DoS resistance costs a fifth of a window rule's time.
/// hashbrown's map rather than std's, for lookups by a borrowed `KeyRef`.
pub(crate) type KeyMap<V> = hashbrown::HashMap<Key, V, rustc_hash::FxBuildHasher>;

/// A group, sequence, suppression or workflow key: a value usable in hash maps. Keys are
/// never floats, points or sets (the checker enforces it), so equality is plain.
#[derive(Debug, Clone)]
pub struct Key(pub Value);

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        KeyRef::Value(&self.0).equivalent(other)
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        KeyRef::Value(&self.0).hash(state)
    }
}

/// A key to look up without owning it: most keys are a string field of the event, read in
/// place, so that finding a key's state neither allocates nor counts references.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyRef<'a> {
    Str(&'a str),
    Value(&'a Value),
}

impl<'a> KeyRef<'a> {
    /// The key as a value, allocating for a string read in place.
    pub(crate) fn to_value(self) -> Value {
        match self {
            KeyRef::Str(s) => Value::str(s),
            KeyRef::Value(v) => v.clone(),
        }
    }

    fn as_str(self) -> Option<&'a str> {
        match self {
            KeyRef::Str(s) => Some(s),
            KeyRef::Value(Value::Str(s)) => Some(s),
            KeyRef::Value(_) => None,
        }
    }
}

/// `KeyRef::Str(s)` hashes as `Key(Value::Str(s))` does: lookups by either find one entry.
impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        if let Some(s) = self.as_str() {
            return s.hash(state);
        }
        let KeyRef::Value(v) = self else { return };
        match v {
            Value::Absent => 0u8.hash(state),
            Value::Bool(b) => b.hash(state),
            Value::Int(i) | Value::Time(i) | Value::Duration(i) => i.hash(state),
            Value::Str(s) => s.hash(state),
            Value::Enum(e) | Value::Unit(e) => e.hash(state),
            Value::Float(f) => f.to_bits().hash(state),
            Value::Point(p) => {
                p.lat.to_bits().hash(state);
                p.lon.to_bits().hash(state);
            }
            Value::Set(s) => s.items.len().hash(state),
        }
    }
}

impl hashbrown::Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        if let (Some(a), Value::Str(b)) = (self.as_str(), &key.0) {
            return std::ptr::eq(a, &**b) || a == &**b;
        }
        let KeyRef::Value(v) = self else { return false };
        match (v, &key.0) {
            (Value::Int(a), Value::Int(b))
            | (Value::Time(a), Value::Time(b))
            | (Value::Duration(a), Value::Duration(b)) => a == b,
            (Value::Enum(a), Value::Enum(b)) | (Value::Unit(a), Value::Unit(b)) => a == b,
            (a, b) => a.total_cmp(b) == std::cmp::Ordering::Equal,
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
            Value::Enum(e) | Value::Unit(e) => e.to_be_bytes().to_vec(),
            _ => Vec::new(),
        }
    }
}

/// The word a value is stored as in a one-word field (`None` for strings, floats, points).
pub(crate) fn word_of(v: &Value) -> Option<u64> {
    match v {
        Value::Bool(b) => Some(u64::from(*b)),
        Value::Int(i) | Value::Time(i) | Value::Duration(i) => Some(*i as u64),
        Value::Enum(e) | Value::Unit(e) => Some(u64::from(*e)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(kinds: &[Kind]) -> Layout {
        let mut slots = Vec::new();
        let mut words = 0;
        for &k in kinds {
            slots.push((words, k));
            words += k.width();
        }
        Layout { slots, words }
    }

    #[test]
    fn fields_and_text_survive_packing_into_one_buffer() {
        let l = layout(&[Kind::Str, Kind::Int, Kind::Str, Kind::Str]);
        // Text lengths around the word size, multi-byte characters, and an empty string.
        for (a, b) in [
            ("", ""),
            ("1234567", "8"),
            ("12345678", ""),
            ("福州市鼓楼区", "T02797x"),
        ] {
            let mut builder = RowBuilder::new(&l);
            builder.set_str(0, a);
            builder.set_word(1, (-42i64) as u64);
            builder.set_str(2, b);
            builder.set_str(3, "");
            let row = builder.finish(0, 7, Source::Line(1));
            assert_eq!(row.str_field(&l, 0), Some(a));
            assert_eq!(row.value(&l, 1), Value::Int(-42));
            assert_eq!(row.str_field(&l, 2), Some(b));
            assert_eq!(row.str_field(&l, 3), Some(""));
            assert_eq!(row.text(), format!("{a}{b}"));
            assert_eq!(row.words().len(), l.words as usize);
        }
    }

    #[test]
    fn a_key_read_in_place_finds_the_state_of_the_same_key_kept() {
        let mut map: KeyMap<u8> = KeyMap::default();
        map.insert(Key(Value::str("T02797")), 1);
        map.insert(Key(Value::Int(7)), 2);
        map.insert(Key(Value::str("7")), 3);
        assert_eq!(map.get(&KeyRef::Str("T02797")), Some(&1));
        assert_eq!(map.get(&KeyRef::Value(&Value::str("T02797"))), Some(&1));
        assert_eq!(map.get(&KeyRef::Value(&Value::Int(7))), Some(&2));
        assert_eq!(map.get(&KeyRef::Str("7")), Some(&3));
        assert_eq!(map.get(&KeyRef::Str("T0279")), None);
        assert_eq!(map.get(&KeyRef::Value(&Value::Int(8))), None);
        assert_eq!(KeyRef::Str("7").to_value(), Value::str("7"));
    }

    #[test]
    fn rows_built_in_reused_buffers_do_not_share_text() {
        let l = layout(&[Kind::Str]);
        let mut buffers = RowBuffers::default();
        let mut rows = Vec::new();
        for s in ["a long first string", "b"] {
            let mut builder = RowBuilder::with_buffers(&l, buffers);
            builder.set_str(0, s);
            let (row, back) = builder.finish_reusing(0, 0, Source::Line(1));
            buffers = back;
            rows.push(row);
        }
        assert_eq!(rows[0].str_field(&l, 0), Some("a long first string"));
        assert_eq!(rows[1].str_field(&l, 0), Some("b"));
        assert_eq!(rows[1].text(), "b");
    }
}
