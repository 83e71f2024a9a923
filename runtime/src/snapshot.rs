//! Engine state as bytes: every window, partial match, suppression interval, workflow instance,
//! timer (with its absolute due time), the watermark and the lateness buffer.
//!
//! A snapshot names things (rules, workflows, states, event types, fields) rather than
//! numbering them, so it can be restored into a different version of the rule set: a rule whose
//! pattern is unchanged keeps its state, a changed one starts afresh; a workflow instance keeps
//! the fingerprint it started with and moves to the state of the same name, or is reported in
//! an orphan record when that state is gone (SPEC §5).

// PANIC SAFETY: the indexes here are typed ids (`RuleId`, `WorkflowId`, `StateId`) into
// `IdVec`s built from the program that made them, in bounds by construction (Cranelift's
// `PrimaryMap` argument); any other indexing in this module goes through `get`.
#![allow(clippy::indexing_slicing)]

use std::cmp::Reverse;
use std::collections::HashMap;

use sha2::{Digest, Sha256};
use std::sync::Arc;

use vigil_ir::text::{self, Identity};
use vigil_ir::{self as ir, IdVec, Point, Program, RuleId, SetValue, Value, WorkflowId};

use crate::engine::{Buffered, Engine, Stats};
use crate::ingest::RejectKind;
use crate::record::{OrphanRecord, Record};
use crate::row::{Event, Key, Kind, Row, RowBuilder, Source};
use crate::rules::PatternState;
use crate::sequence;
use crate::timers::{Timer, TimerKind};
use crate::windows::{self, Member};
use crate::workflow::{self, Instance};

/// Every snapshot starts with these seven bytes and one ASCII digit, its format version.
const MAGIC: &[u8; 7] = b"VIGILST";

/// The format `snapshot` writes. 7: the time of the latest `$tick` (for `--max-skew`, SPEC
/// §9), after the other counters. 6: workflow instances carry the number their workflow-level
/// timers (SPEC v0.2) are tied to, and such timers are stored (kind 2). 5: the counters
/// include `$tick` lines. 4 (up to 08739c7):
/// rules and workflows are identified by SHA-256 digests of their canonical IR text
/// (`vigil_ir::text`), and the snapshot ends with the SHA-256 of everything before it. 3 (up
/// to 0.1 at 8abd746): by a `DefaultHasher` of their `Debug` text, which no other build can
/// recompute; such a snapshot is restored only into the rule set it was written for (same
/// fingerprint), see `restore`.
pub const SNAPSHOT_FORMAT: u8 = 7;

/// The oldest format `restore` reads.
const OLDEST_FORMAT: u8 = 3;

/// Why a snapshot could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError(pub String);

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unreadable engine state: {}", self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

pub(crate) struct Enc {
    buf: Vec<u8>,
    rows: HashMap<*const Row, u32>,
}

impl Enc {
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub(crate) fn identity(&mut self, id: &Identity) {
        self.buf.extend_from_slice(id);
    }
    pub(crate) fn u64(&mut self, v: u64) {
        // LEB128: state is mostly small numbers.
        let mut v = v;
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(b);
                return;
            }
            self.buf.push(b | 0x80);
        }
    }
    pub(crate) fn i64(&mut self, v: i64) {
        self.u64(((v << 1) ^ (v >> 63)) as u64);
    }
    pub(crate) fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.buf.extend_from_slice(s.as_bytes());
    }
    pub(crate) fn opt_i64(&mut self, v: Option<i64>) {
        match v {
            Some(x) => {
                self.u8(1);
                self.i64(x);
            }
            None => self.u8(0),
        }
    }

    pub(crate) fn value(&mut self, v: &Value) {
        match v {
            Value::Absent => self.u8(0),
            Value::Bool(b) => {
                self.u8(1);
                self.bool(*b);
            }
            Value::Int(i) => {
                self.u8(2);
                self.i64(*i);
            }
            Value::Float(f) => {
                self.u8(3);
                self.u64(f.to_bits());
            }
            Value::Str(s) => {
                self.u8(4);
                self.str(s);
            }
            Value::Time(t) => {
                self.u8(5);
                self.i64(*t);
            }
            Value::Duration(d) => {
                self.u8(6);
                self.i64(*d);
            }
            Value::Point(p) => {
                self.u8(7);
                self.u64(p.lat.to_bits());
                self.u64(p.lon.to_bits());
            }
            Value::Enum(e) => {
                self.u8(8);
                self.u64(u64::from(*e));
            }
            Value::Unit(u) => {
                self.u8(10);
                self.u64(u64::from(*u));
            }
            Value::Set(s) => {
                self.u8(9);
                self.u64(s.items.len() as u64);
                for i in &s.items {
                    self.value(i);
                }
            }
        }
    }

    /// An event: in full the first time, by number afterwards (rows are shared).
    pub(crate) fn row(&mut self, program: &Program, layouts: &[crate::row::Layout], row: &Event) {
        let ptr = Arc::as_ptr(row);
        if let Some(id) = self.rows.get(&ptr).copied() {
            self.u8(1);
            self.u64(u64::from(id));
            return;
        }
        let id = u32::try_from(self.rows.len()).unwrap_or(u32::MAX);
        self.rows.insert(ptr, id);
        self.u8(0);
        let ty = program.event(row.ty);
        self.str(ty.map_or("", |t| t.name.as_str()));
        self.i64(row.time);
        match &row.source {
            Source::Line(l) => {
                self.u8(0);
                self.u64(*l);
            }
            Source::Derived(r) => {
                self.u8(1);
                self.str(r);
            }
        }
        // Fields by name, so a changed schema can still take the row.
        let layout = layouts.get(row.ty as usize);
        let fields: Vec<(&str, Value)> = ty
            .map(|t| {
                t.fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        (
                            f.name.as_str(),
                            layout.map_or(Value::Absent, |l| row.value(l, i as u16)),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let id_value = layout.map_or(Value::Absent, |l| row.value(l, l.id_field()));
        self.value(&id_value);
        let present: Vec<&(&str, Value)> = fields.iter().filter(|(_, v)| !v.is_absent()).collect();
        self.u64(present.len() as u64);
        for (name, v) in present {
            self.str(name);
            self.value(v);
        }
    }

    pub(crate) fn opt_row(
        &mut self,
        program: &Program,
        layouts: &[crate::row::Layout],
        row: Option<&Event>,
    ) {
        match row {
            Some(r) => {
                self.u8(1);
                self.row(program, layouts, r);
            }
            None => self.u8(0),
        }
    }
}

impl Engine {
    /// The engine's whole state as bytes (see `restore`). Records not yet taken are not part
    /// of it: take them first.
    pub fn snapshot(&self) -> Vec<u8> {
        let program = &*self.program;
        let layouts = &self.tables.layouts;
        let mut e = Enc {
            buf: Vec::with_capacity(4096),
            rows: HashMap::new(),
        };
        e.buf.extend_from_slice(MAGIC);
        e.u8(b'0' + SNAPSHOT_FORMAT);
        e.str(&self.program.fingerprint);
        e.u64(self.lines);
        e.opt_i64(self.clock.max_seen);
        e.i64(self.clock.watermark);
        e.u64(self.clock.arrivals);
        e.u64(self.numbering.timers);
        e.u64(self.numbering.pending);
        e.u64(self.numbering.generations);
        e.opt_i64(self.clock.last_tick);
        encode_stats(&mut e, &self.stats);

        let mut buffered: Vec<&Buffered> = self.clock.buffer.iter().map(|Reverse(b)| b).collect();
        buffered.sort();
        // Rows are recognised by address: keep these copies alive until encoding ends, so no
        // two of them share one.
        let copies: Vec<(u64, Event)> = buffered
            .iter()
            .map(|b| (b.arrival, Arc::new(b.row.clone())))
            .collect();
        e.u64(copies.len() as u64);
        for (arrival, row) in &copies {
            e.u64(*arrival);
            e.row(program, layouts, row);
        }

        let mut timers: Vec<&Timer> = self.timers.iter().collect();
        timers.sort();
        e.u64(timers.len() as u64);
        for t in timers {
            e.i64(t.due);
            e.u64(t.seq);
            match &t.kind {
                TimerKind::Absence { rule, key, id } => {
                    e.u8(0);
                    e.str(&self.names.rules[*rule]);
                    e.value(&key.0);
                    e.u64(*id);
                }
                TimerKind::Workflow {
                    workflow,
                    key,
                    generation,
                    timer,
                } => {
                    e.u8(1);
                    e.str(&self.names.workflows[*workflow]);
                    e.value(&key.0);
                    e.u64(*generation);
                    e.u64(*timer as u64);
                }
                TimerKind::WorkflowLevel {
                    workflow,
                    key,
                    born,
                    timer,
                } => {
                    e.u8(2);
                    e.str(&self.names.workflows[*workflow]);
                    e.value(&key.0);
                    e.u64(*born);
                    e.u64(*timer as u64);
                }
            }
        }

        e.u64(self.rules.len() as u64);
        for (r, state) in self.rules.iter_enumerated() {
            e.str(&self.names.rules[r]);
            e.identity(&self.identities().rules[r]);
            // A window rule's groups are its table's, and swept with it.
            e.i64(state.pattern.next_sweep(&self.windows));
            let mut supp: Vec<(&Key, &i64)> = state.suppressed_until.iter().collect();
            supp.sort_by(|a, b| a.0.0.total_cmp(&b.0.0));
            e.u64(supp.len() as u64);
            for (k, until) in supp {
                e.value(&k.0);
                e.i64(*until);
            }
            match &state.pattern {
                PatternState::Single => e.u8(0),
                PatternState::Window(slot) => {
                    e.u8(1);
                    if let Some(t) = self.windows.get(slot.table) {
                        t.encode_rule(&mut e, slot.bit, program, layouts);
                    } else {
                        e.u64(0);
                    }
                }
                PatternState::Sequence(seq) => {
                    e.u8(2);
                    seq.encode(&mut e, program, layouts);
                }
            }
        }

        e.u64(self.workflows.len() as u64);
        for (w, state) in self.workflows.iter_enumerated() {
            let wf = &program.workflows[w];
            e.str(&self.names.workflows[w]);
            e.identity(&self.identities().workflows[w]);
            state.encode(&mut e, wf, program, layouts);
        }
        // A checksum over everything before it: a flipped bit is refused, not restored.
        let sum = Sha256::digest(&e.buf);
        e.buf.extend_from_slice(&sum);
        e.buf
    }
}

fn encode_stats(e: &mut Enc, s: &Stats) {
    let [before @ .., ticks] = s.counts();
    for v in before {
        e.u64(v);
    }
    e.u64(s.rejected.len() as u64);
    for (k, v) in &s.rejected {
        e.u8(k.code());
        e.u64(*v);
    }
    e.u64(s.eval_errors.len() as u64);
    for (k, v) in &s.eval_errors {
        e.str(k);
        e.u64(*v);
    }
    e.u64(ticks);
}

// ---------------------------------------------------------------------------------------------
// Decoding

pub(crate) struct Dec<'b> {
    b: &'b [u8],
    pos: usize,
    /// The snapshot's format version.
    format: u8,
    rows: Vec<Option<Event>>,
}

impl Dec<'_> {
    /// The snapshot's format version, for parts that older formats lack.
    pub(crate) fn format(&self) -> u8 {
        self.format
    }
}

pub(crate) type R<T> = Result<T, SnapshotError>;

fn bad<T>(what: &str) -> R<T> {
    Err(SnapshotError(what.to_string()))
}

impl Dec<'_> {
    /// A rule's or workflow's stored identity; `None` in format 3, whose identities cannot be
    /// recomputed.
    pub(crate) fn identity(&mut self) -> R<Option<Identity>> {
        if self.format == 3 {
            self.u64()?;
            return Ok(None);
        }
        let bytes = self
            .b
            .get(self.pos..self.pos + 32)
            .ok_or_else(|| SnapshotError("truncated".into()))?;
        self.pos += 32;
        let mut id = [0; 32];
        id.copy_from_slice(bytes);
        Ok(Some(id))
    }
    pub(crate) fn u8(&mut self) -> R<u8> {
        let v = *self
            .b
            .get(self.pos)
            .ok_or_else(|| SnapshotError("truncated".into()))?;
        self.pos += 1;
        Ok(v)
    }
    pub(crate) fn u64(&mut self) -> R<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        bad("a number is too long")
    }
    pub(crate) fn len(&mut self) -> R<usize> {
        let n = self.u64()?;
        // No collection in a snapshot can be longer than the snapshot itself.
        if n > self.b.len() as u64 {
            return bad("a length is larger than the snapshot");
        }
        Ok(n as usize)
    }
    pub(crate) fn i64(&mut self) -> R<i64> {
        let u = self.u64()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    pub(crate) fn bool(&mut self) -> R<bool> {
        Ok(self.u8()? != 0)
    }
    pub(crate) fn str(&mut self) -> R<String> {
        let n = self.len()?;
        let bytes = self
            .b
            .get(self.pos..self.pos + n)
            .ok_or_else(|| SnapshotError("truncated".into()))?;
        self.pos += n;
        String::from_utf8(bytes.to_vec()).map_err(|_| SnapshotError("text is not UTF-8".into()))
    }
    pub(crate) fn opt_i64(&mut self) -> R<Option<i64>> {
        Ok(if self.u8()? == 1 {
            Some(self.i64()?)
        } else {
            None
        })
    }
    pub(crate) fn value(&mut self) -> R<Value> {
        self.value_in(false)
    }
    /// A value; `in_set` for an element of a set, which cannot be a set itself (the language
    /// has none, and a corrupt snapshot nesting them deeply would exhaust the stack).
    pub(crate) fn value_in(&mut self, in_set: bool) -> R<Value> {
        Ok(match self.u8()? {
            0 => Value::Absent,
            1 => Value::Bool(self.bool()?),
            2 => Value::Int(self.i64()?),
            3 => Value::Float(f64::from_bits(self.u64()?)),
            4 => Value::Str(Arc::from(self.str()?)),
            5 => Value::Time(self.i64()?),
            6 => Value::Duration(self.i64()?),
            7 => Value::Point(Point {
                lat: f64::from_bits(self.u64()?),
                lon: f64::from_bits(self.u64()?),
            }),
            8 => Value::Enum(u32::try_from(self.u64()?).unwrap_or(u32::MAX)),
            10 => Value::Unit(u32::try_from(self.u64()?).unwrap_or(u32::MAX)),
            9 if in_set => return bad("a set inside a set"),
            9 => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value_in(true)?);
                }
                Value::Set(Arc::new(SetValue::new(items)))
            }
            _ => return bad("unknown value tag"),
        })
    }

    /// A row, mapped onto `engine`'s program by type and field names; `None` when its type
    /// is no longer in the rule set.
    pub(crate) fn row(&mut self, engine: &Engine) -> R<Option<Event>> {
        if self.u8()? == 1 {
            let id = self.len()?;
            return Ok(self.rows.get(id).cloned().flatten());
        }
        let ty_name = self.str()?;
        let time = self.i64()?;
        let source = match self.u8()? {
            0 => Source::Line(self.u64()?),
            _ => Source::Derived(Arc::from(self.str()?)),
        };
        let id = self.value()?;
        let n = self.len()?;
        let mut fields = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.str()?;
            let v = self.value()?;
            fields.push((name, v));
        }
        let ty = engine.program.event_id(&ty_name);
        let row = ty.and_then(|ty| {
            let event = engine.program.event(ty)?;
            let layout = engine.tables.layouts.get(ty as usize)?;
            let mut b = RowBuilder::new(layout);
            for (name, v) in &fields {
                if let Some((i, f)) = event.field(name)
                    && value_fits(layout.slots.get(i as usize).map(|s| s.1), v, &f.ty)
                {
                    b.set_value(i, v);
                }
            }
            if let Value::Str(_) = id {
                b.set_value(layout.id_field(), &id);
            }
            Some(Arc::new(b.finish(ty, time, source)))
        });
        self.rows.push(row.clone());
        Ok(row)
    }

    pub(crate) fn opt_row(&mut self, engine: &Engine) -> R<Option<Event>> {
        Ok(if self.u8()? == 1 {
            self.row(engine)?
        } else {
            None
        })
    }
}

/// Whether a stored value still has the field's type (a changed schema may not).
fn value_fits(kind: Option<Kind>, v: &Value, ty: &ir::Ty) -> bool {
    matches!(
        (kind, v, ty),
        (Some(Kind::Bool), Value::Bool(_), _)
            | (Some(Kind::Int), Value::Int(_), _)
            | (Some(Kind::Float), Value::Float(_), _)
            | (Some(Kind::Str), Value::Str(_), _)
            | (Some(Kind::Time), Value::Time(_), _)
            | (Some(Kind::Duration), Value::Duration(_), _)
            | (Some(Kind::Point), Value::Point(_), _)
            | (Some(Kind::Enum), Value::Enum(_), ir::Ty::Enum(_))
            | (Some(Kind::Unit), Value::Unit(_), ir::Ty::Unit)
            | (Some(Kind::Set(_)), Value::Set(_), ir::Ty::Set(_))
    )
}

/// A timer as a snapshot holds it, named by its rule or workflow.
struct StoredTimer {
    due: i64,
    seq: u64,
    kind: u8,
    name: String,
    key: Value,
    a: u64,
    b: u64,
}

impl StoredTimer {
    fn read(d: &mut Dec<'_>) -> R<StoredTimer> {
        let due = d.i64()?;
        let seq = d.u64()?;
        let kind = d.u8()?;
        let name = d.str()?;
        let key = d.value()?;
        let (a, b) = match kind {
            0 => (d.u64()?, 0),
            1 | 2 => (d.u64()?, d.u64()?),
            _ => (0, 0),
        };
        Ok(StoredTimer {
            due,
            seq,
            kind,
            name,
            key,
            a,
            b,
        })
    }
}

/// What a snapshot stores to recognise each rule's and workflow's state (`vigil_ir::text`).
pub(crate) struct Identities {
    rules: IdVec<RuleId, Identity>,
    workflows: IdVec<WorkflowId, Identity>,
}

impl Engine {
    /// The identities of this engine's program, computed once.
    fn identities(&self) -> &Identities {
        self.tables.identities.get_or_init(|| {
            let p = &*self.program;
            Identities {
                rules: p.rules.map(|r| text::rule_identity(p, r)),
                workflows: p.workflows.map(|w| text::workflow_identity(p, w)),
            }
        })
    }
}

/// The engine's counters as a snapshot holds them.
struct Counters {
    lines: u64,
    max_seen: Option<i64>,
    watermark: i64,
    arrivals: u64,
    timer_seq: u64,
    timer_ids: u64,
    generations: u64,
    last_tick: Option<i64>,
}

/// A rule of this rule set whose state the snapshot holds, unchanged (same identity).
struct ReadRule {
    rule: RuleId,
    next_sweep: i64,
    suppressed_until: crate::row::KeyMap<i64>,
    /// A sequence rule's partial matches (a window rule's groups go to its table,
    /// `ReadSnapshot::windows`).
    sequence: Option<sequence::Saved>,
}

/// A workflow of this rule set and its instances; `same` when its definition is unchanged.
struct ReadWorkflow {
    workflow: WorkflowId,
    same: bool,
    instances: Vec<(Value, Instance)>,
}

/// Per rule or workflow: whether its state was kept.
type Kept<K> = IdVec<K, bool>;

/// A workflow instance whose workflow or state is gone: (workflow, key, state, fingerprint).
pub(crate) type Orphan = (String, Value, String, Arc<str>);

/// Everything a snapshot holds that this rule set can use, read before any of it touches the
/// engine: a snapshot that does not decode leaves the engine as it was.
struct ReadSnapshot {
    counters: Counters,
    stats: Stats,
    buffer: Vec<Buffered>,
    rules: Vec<ReadRule>,
    windows: Vec<RestoredWindow>,
    workflows: Vec<ReadWorkflow>,
    orphans: Vec<Orphan>,
    timers: Vec<Timer>,
}

impl Engine {
    /// Restores a snapshot taken by `snapshot`, possibly of another version of the rule set.
    /// Returns the number of input lines the snapshot had consumed. Orphaned workflow
    /// instances are reported as records (take them with `take_records`). On an error the
    /// engine is unchanged.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<u64, SnapshotError> {
        let read = self.read_snapshot(bytes)?;
        self.apply_snapshot(read);
        Ok(self.lines)
    }

    /// The fingerprint of the rule set a snapshot was taken with, read from its header
    /// (`None`: not a snapshot this build reads). Nothing else is checked: `restore` is.
    pub fn snapshot_ruleset(bytes: &[u8]) -> Option<String> {
        let format = match bytes.get(..8) {
            Some([m @ .., v]) if m == MAGIC && v.is_ascii_digit() => v - b'0',
            _ => return None,
        };
        if !(OLDEST_FORMAT..=SNAPSHOT_FORMAT).contains(&format) {
            return None;
        }
        let mut d = Dec {
            b: bytes,
            pos: 8,
            format,
            rows: Vec::new(),
        };
        d.str().ok()
    }

    fn read_snapshot(&self, bytes: &[u8]) -> R<ReadSnapshot> {
        let format = match bytes.get(..8) {
            Some([m @ .., v]) if m == MAGIC && v.is_ascii_digit() => v - b'0',
            _ => return bad("not a Vigil engine snapshot"),
        };
        if !(OLDEST_FORMAT..=SNAPSHOT_FORMAT).contains(&format) {
            return Err(SnapshotError(format!(
                "state format {format}, which this Vigil cannot read (it reads formats \
                 {OLDEST_FORMAT} to {SNAPSHOT_FORMAT}): run the Vigil that wrote it, or start \
                 again from the beginning with a fresh --state directory"
            )));
        }
        // Format 4 and later end with a checksum of the rest.
        let body = if format >= 4 {
            let Some((body, sum)) = bytes.split_last_chunk::<32>() else {
                return bad("truncated");
            };
            if Sha256::digest(body).as_slice() != sum {
                return bad(
                    "its checksum does not match: the state was damaged after it was written",
                );
            }
            body
        } else {
            bytes
        };
        let mut d = Dec {
            b: body,
            pos: 8,
            format,
            rows: Vec::new(),
        };
        let fingerprint = d.str()?;
        if format == 3 && fingerprint != self.program.fingerprint {
            // Format 3 identified rules by a hash no other build can recompute, so it cannot
            // tell which rules kept their meaning. Refuse rather than drop their state. (With
            // the same fingerprint it is taken whole, which holds only while lowering gives
            // the same IR for the same source as at 8abd746, aggregates included: a change
            // there must refuse format 3 too. `city-format3-line9000.snapshot` checks it.)
            return Err(SnapshotError(format!(
                "state format 3, written by an older Vigil for rule set {fingerprint}, cannot be \
                 carried over to a changed rule set ({}): resume with the rule set it was written \
                 for, which saves the state in format {SNAPSHOT_FORMAT}, then change the rule set \
                 (docs/DECISIONS.md, \"State across upgrades\")",
                self.program.fingerprint
            )));
        }
        let counters = Counters {
            lines: d.u64()?,
            max_seen: d.opt_i64()?,
            watermark: d.i64()?,
            arrivals: d.u64()?,
            timer_seq: d.u64()?,
            timer_ids: d.u64()?,
            generations: d.u64()?,
            last_tick: if format >= 7 { d.opt_i64()? } else { None },
        };
        let stats = decode_stats(&mut d)?;
        check_counts(&counters, &stats)?;

        let mut buffer = Vec::new();
        for _ in 0..d.len()? {
            let arrival = d.u64()?;
            if let Some(row) = d.row(self)? {
                let row = Arc::try_unwrap(row).unwrap_or_else(|a| (*a).clone());
                buffer.push(Buffered {
                    time: row.time,
                    arrival,
                    row,
                });
            }
        }

        let rule_index: HashMap<String, RuleId> = self
            .names
            .rules
            .iter_enumerated()
            .map(|(i, n)| (n.to_string(), i))
            .collect();
        let wf_index: HashMap<String, WorkflowId> = self
            .names
            .workflows
            .iter_enumerated()
            .map(|(i, n)| (n.to_string(), i))
            .collect();

        // Timers are read now and kept once the rules and workflows they belong to are known.
        let mut stored = Vec::new();
        for _ in 0..d.len()? {
            stored.push(StoredTimer::read(&mut d)?);
        }
        let (rules, windows, kept_rules) = self.read_rules(&mut d, &rule_index)?;
        let (workflows, orphans, kept_workflows) = self.read_workflows(&mut d, &wf_index)?;
        let timers =
            self.resolve_timers(stored, &rule_index, &wf_index, &kept_rules, &kept_workflows);
        Ok(ReadSnapshot {
            counters,
            stats,
            buffer,
            rules,
            windows,
            workflows,
            orphans,
            timers,
        })
    }

    /// The rules' states: those of unchanged rules (and their window groups), and which rules
    /// those are.
    fn read_rules(
        &self,
        d: &mut Dec<'_>,
        rule_index: &HashMap<String, RuleId>,
    ) -> R<(Vec<ReadRule>, Vec<RestoredWindow>, Kept<RuleId>)> {
        let program = &*self.program;
        let mut kept_rules: Kept<RuleId> = program.rules.map(|_| false);
        let mut rules = Vec::new();
        // Window rules' groups, merged into their tables once every rule is read.
        let mut windows = Vec::new();
        for _ in 0..d.len()? {
            let name = d.str()?;
            let identity = d.identity()?;
            let next_sweep = d.i64()?;
            // A format 3 snapshot reaches here only for the rule set it was written for.
            let target = rule_index
                .get(&name)
                .copied()
                .filter(|r| identity.is_none_or(|id| id == self.identities().rules[*r]));
            let mut suppressed_until = crate::row::KeyMap::default();
            for _ in 0..d.len()? {
                let k = d.value()?;
                let until = d.i64()?;
                suppressed_until.insert(Key(k), until);
            }
            let sequence = match d.u8()? {
                0 => None,
                1 => {
                    let groups = windows::decode_rule(d, self)?;
                    if let Some(r) = target {
                        windows.push((r, next_sweep, groups));
                    }
                    None
                }
                _ => {
                    // The rule's matcher says how many places its partial matches need.
                    let places = target.and_then(|r| match &self.rules[r].pattern {
                        PatternState::Sequence(seq) => Some(seq.waiting_places()),
                        _ => None,
                    });
                    Some(sequence::decode(d, self, places.unwrap_or(0))?)
                }
            };
            if let Some(rule) = target {
                kept_rules[rule] = true;
                rules.push(ReadRule {
                    rule,
                    next_sweep,
                    suppressed_until,
                    sequence,
                });
            }
        }

        Ok((rules, windows, kept_rules))
    }

    /// The workflows' instances, those whose workflow or state is gone as orphans, and which
    /// workflows are unchanged.
    fn read_workflows(
        &self,
        d: &mut Dec<'_>,
        wf_index: &HashMap<String, WorkflowId>,
    ) -> R<(Vec<ReadWorkflow>, Vec<Orphan>, Kept<WorkflowId>)> {
        let program = &*self.program;
        let mut kept_workflows: Kept<WorkflowId> = program.workflows.map(|_| false);
        let mut workflows = Vec::new();
        let mut orphans = Vec::new();
        for _ in 0..d.len()? {
            let name = d.str()?;
            let identity = d.identity()?;
            let target = wf_index.get(&name).copied();
            let same = target
                .is_some_and(|w| identity.is_none_or(|id| id == self.identities().workflows[w]));
            if let Some(w) = target
                && same
            {
                kept_workflows[w] = true;
            }
            let mut instances = Vec::new();
            for _ in 0..d.len()? {
                let saved = workflow::Saved::decode(d, self)?;
                match target.and_then(|w| program.workflows.get(w)) {
                    Some(wf) => match saved.resolve(wf) {
                        Ok(instance) => instances.push(instance),
                        Err(orphan) => orphans.push(orphan),
                    },
                    None => orphans.push(saved.orphan(&name)),
                }
            }
            if let Some(workflow) = target {
                workflows.push(ReadWorkflow {
                    workflow,
                    same,
                    instances,
                });
            }
        }

        Ok((workflows, orphans, kept_workflows))
    }

    /// The stored timers of rules and workflows whose state was kept.
    fn resolve_timers(
        &self,
        stored: Vec<StoredTimer>,
        rule_index: &HashMap<String, RuleId>,
        wf_index: &HashMap<String, WorkflowId>,
        kept_rules: &Kept<RuleId>,
        kept_workflows: &Kept<WorkflowId>,
    ) -> Vec<Timer> {
        let program = &*self.program;
        let mut timers = Vec::new();
        for s in stored {
            let kind = match s.kind {
                0 => rule_index
                    .get(&s.name)
                    .copied()
                    .filter(|r| kept_rules[*r])
                    .map(|r| TimerKind::Absence {
                        rule: r,
                        key: Key(s.key.clone()),
                        id: s.a,
                    }),
                // A state's timer (1) by entry generation, a workflow-level one (2) by instance.
                1 | 2 => wf_index
                    .get(&s.name)
                    .copied()
                    .filter(|w| kept_workflows[*w])
                    .map(|workflow| {
                        let (key, timer) = (Key(s.key.clone()), s.b as usize);
                        if s.kind == 1 {
                            TimerKind::Workflow {
                                workflow,
                                key,
                                generation: s.a,
                                timer,
                            }
                        } else {
                            TimerKind::WorkflowLevel {
                                workflow,
                                key,
                                born: s.a,
                                timer,
                            }
                        }
                    }),
                _ => None,
            };
            let Some(kind) = kind else { continue };
            let order = match &kind {
                TimerKind::Absence { rule, .. } => program.rules[*rule].origin.order,
                TimerKind::Workflow { workflow, .. }
                | TimerKind::WorkflowLevel { workflow, .. } => {
                    program.workflows[*workflow].origin.order
                }
            };
            timers.push(Timer {
                due: s.due,
                order,
                seq: s.seq,
                kind,
            });
        }
        timers
    }

    /// Puts what `read_snapshot` read into the engine. Rules and workflows the snapshot does
    /// not hold (new ones, or changed rules) keep their fresh state.
    fn apply_snapshot(&mut self, read: ReadSnapshot) {
        let Counters {
            lines,
            max_seen,
            watermark,
            arrivals,
            timer_seq,
            timer_ids,
            generations,
            last_tick,
        } = read.counters;
        self.lines = lines;
        self.clock.max_seen = max_seen;
        self.clock.last_tick = last_tick;
        self.clock.watermark = watermark;
        self.clock.arrivals = arrivals;
        self.numbering = crate::engine::Numbering {
            timers: timer_seq,
            pending: timer_ids,
            generations,
        };
        self.stats = read.stats;
        self.clock.buffer.clear();
        self.clock
            .buffer
            .extend(read.buffer.into_iter().map(Reverse));

        for r in read.rules {
            let state = &mut self.rules[r.rule];
            state.suppressed_until = r.suppressed_until;
            if let (Some(saved), PatternState::Sequence(seq)) = (r.sequence, &mut state.pattern) {
                seq.restore(saved, r.next_sweep);
            }
        }
        self.restore_windows(read.windows);

        let program = self.program.clone();
        for ReadWorkflow {
            workflow: w,
            same,
            instances,
        } in read.workflows
        {
            let wf = &program.workflows[w];
            for (key, mut inst) in instances {
                if !same {
                    // A changed workflow: its await progress and timers are those of the new
                    // definition, counted from when the state was entered.
                    inst.generation = self.numbering.next_generation();
                    let state = &wf.states[inst.state];
                    inst.awaits = state
                        .transitions
                        .iter()
                        .map(|t| match t {
                            ir::Transition::Await { items, .. } => vec![None; items.len()],
                            ir::Transition::On { .. } => Vec::new(),
                        })
                        .collect();
                    // Its workflow-level timers still to come count from the start event;
                    // those already due are taken to have fired under the old definition.
                    for (i, timer) in wf.timers.iter().enumerate() {
                        let due = self.delay_due(inst.start.time, timer.delay);
                        if due > self.clock.watermark {
                            self.schedule(
                                due,
                                wf.origin.order,
                                TimerKind::WorkflowLevel {
                                    workflow: w,
                                    key: Key(key.clone()),
                                    born: inst.born,
                                    timer: i,
                                },
                            );
                        }
                    }
                    // So are its state's: one already due fired under the old definition
                    // (one that moves on would have moved the instance out of the state).
                    if !state.is_final {
                        for (i, timer) in state.timers.iter().enumerate() {
                            let due = self.delay_due(inst.entered, timer.delay);
                            if due <= self.clock.watermark {
                                continue;
                            }
                            self.schedule(
                                due,
                                wf.origin.order,
                                TimerKind::Workflow {
                                    workflow: w,
                                    key: Key(key.clone()),
                                    generation: inst.generation,
                                    timer: i,
                                },
                            );
                        }
                    }
                }
                self.workflows[w].instances.insert(Key(key), inst);
            }
        }
        let time = if self.clock.watermark == i64::MIN {
            0
        } else {
            self.clock.watermark
        };
        for (workflow, key, state, started_with) in read.orphans {
            self.records.push(Record::Orphan(OrphanRecord {
                workflow: Arc::from(workflow),
                key,
                state: Arc::from(state),
                time,
                started_with,
                ruleset: self.fingerprint.clone(),
            }));
        }
        for t in read.timers {
            self.timers.push(t);
        }
    }
}

/// A window rule's state as read from a snapshot: the rule, its next sweep, and its groups.
type RestoredWindow = (RuleId, i64, Vec<(Key, Vec<Member>)>);

impl Engine {
    /// Puts restored window groups into their rules' tables: a table's group for a key holds
    /// the events of each of its rules there, merged in time order, each carrying its rule's
    /// bit. (An event two rules held is restored once per rule: the rules' windows are
    /// exactly as before, the row itself is shared.)
    fn restore_windows(&mut self, restored: Vec<RestoredWindow>) {
        let mut by_table: Vec<crate::row::KeyMap<Vec<Member>>> =
            self.windows.iter().map(|_| Default::default()).collect();
        let mut sweeps: Vec<Option<i64>> = vec![None; self.windows.len()];
        for (r, next_sweep, groups) in restored {
            let Some(PatternState::Window(slot)) = self.rules.get(r).map(|s| &s.pattern) else {
                continue;
            };
            let (table, bit) = (slot.table, slot.bit);
            // The earliest of its rules' sweeps (sweeping early changes no output).
            let (Some(sweep), Some(merged_groups)) =
                (sweeps.get_mut(table), by_table.get_mut(table))
            else {
                continue;
            };
            *sweep = Some(sweep.map_or(next_sweep, |s: i64| s.min(next_sweep)));
            for (key, members) in groups {
                if members.is_empty() {
                    continue;
                }
                let merged = merged_groups.entry(key).or_default();
                merged.extend(members.into_iter().map(|m| Member {
                    mask: 1 << bit,
                    ..m
                }));
            }
        }
        for ((t, groups), sweep) in self.windows.iter_mut().zip(by_table).zip(sweeps) {
            let Some(s) = sweep else {
                // None of this table's rules is in the snapshot: its state stays.
                continue;
            };
            // The snapshot's state replaces whatever the table held.
            t.next_sweep = s;
            t.groups.clear();
            t.keys.iter_mut().for_each(|k| *k = 0);
            for (key, mut members) in groups {
                members.sort_by_key(|m| m.time);
                let group = crate::windows::Group::restore(t, members);
                for (bit, k) in t.keys.iter_mut().enumerate() {
                    if group.count(bit) > 0 {
                        *k += 1;
                    }
                }
                t.groups.insert(key, group);
            }
        }
    }
}

/// The most any counter of a run can hold: 2^62 lines are centuries of input at the
/// engine's speed. A larger count is a damaged snapshot, refused before counting on from it
/// could overflow.
const MAX_COUNT: u64 = 1 << 62;

fn check_counts(c: &Counters, s: &Stats) -> R<()> {
    let counters = [c.lines, c.arrivals, c.timer_seq, c.timer_ids, c.generations];
    let stats = s.counts();
    let maps = s.rejected.values().chain(s.eval_errors.values());
    if counters
        .iter()
        .chain(&stats)
        .chain(maps)
        .any(|n| *n >= MAX_COUNT)
    {
        return bad("a counter is out of range");
    }
    Ok(())
}

fn decode_stats(d: &mut Dec<'_>) -> R<Stats> {
    let mut s = Stats {
        accepted: d.u64()?,
        processed: d.u64()?,
        derived: d.u64()?,
        alerts: d.u64()?,
        shadow_alerts: d.u64()?,
        suppressed: d.u64()?,
        transitions: d.u64()?,
        key_absent: d.u64()?,
        duplicate_starts: d.u64()?,
        overflows: d.u64()?,
        ..Stats::default()
    };
    for _ in 0..d.len()? {
        let k = d.u8()?;
        let v = d.u64()?;
        if let Some(kind) = RejectKind::from_code(k) {
            // Two old reasons read as one (`from_code`); a damaged count cannot overflow.
            let count = s.rejected.entry(kind).or_insert(0);
            *count = count.saturating_add(v);
        }
    }
    for _ in 0..d.len()? {
        let k = d.str()?;
        let v = d.u64()?;
        let name: &'static str = match k.as_str() {
            "integer overflow" => "integer overflow",
            "division by zero" => "division by zero",
            _ => continue,
        };
        s.eval_errors.insert(name, v);
    }
    // Format 5 counts `$tick` lines.
    if d.format >= 5 {
        s.ticks = d.u64()?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(bytes: &[u8]) -> Dec<'_> {
        Dec {
            b: bytes,
            pos: 0,
            format: SNAPSHOT_FORMAT,
            rows: Vec::new(),
        }
    }

    fn enc() -> Enc {
        Enc {
            buf: Vec::new(),
            rows: HashMap::new(),
        }
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Absent),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            any::<f64>().prop_map(Value::Float),
            ".{0,12}".prop_map(|s: String| Value::str(&s)),
            any::<i64>().prop_map(Value::Time),
            any::<i64>().prop_map(Value::Duration),
            (any::<f64>(), any::<f64>()).prop_map(|(lat, lon)| Value::Point(Point { lat, lon })),
            any::<u32>().prop_map(Value::Enum),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => scalar(),
            1 => proptest::collection::vec(scalar(), 0..6)
                .prop_map(|items| Value::Set(Arc::new(SetValue::new(items)))),
        ]
    }

    /// Equal, with floats compared by their bits (NaN included).
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
            (Value::Point(p), Value::Point(q)) => {
                (p.lat.to_bits(), p.lon.to_bits()) == (q.lat.to_bits(), q.lon.to_bits())
            }
            (Value::Set(x), Value::Set(y)) => {
                x.items.len() == y.items.len()
                    && x.items.iter().zip(&y.items).all(|(a, b)| same(a, b))
            }
            _ => a == b,
        }
    }

    proptest! {
        #[test]
        fn a_value_comes_back_as_it_went(v in value()) {
            let mut e = enc();
            e.value(&v);
            let mut d = dec(&e.buf);
            let back = d.value().expect("decodes");
            prop_assert!(same(&back, &v), "{v:?} came back as {back:?}");
            prop_assert_eq!(d.pos, e.buf.len());
        }

        #[test]
        fn stats_come_back_as_they_went(
            counts in proptest::collection::vec(any::<u64>(), 11),
            rejected in proptest::collection::btree_map(0usize..6, any::<u64>(), 0..6),
            overflow in proptest::option::of(any::<u64>()),
            by_zero in proptest::option::of(any::<u64>()),
        ) {
            let mut s = Stats {
                accepted: counts[0],
                processed: counts[1],
                derived: counts[2],
                alerts: counts[3],
                shadow_alerts: counts[4],
                suppressed: counts[5],
                transitions: counts[6],
                key_absent: counts[7],
                duplicate_starts: counts[8],
                overflows: counts[9],
                ticks: counts[10],
                ..Stats::default()
            };
            for (k, v) in rejected {
                s.rejected.insert(RejectKind::ALL[k], v);
            }
            if let Some(n) = overflow {
                s.eval_errors.insert("integer overflow", n);
            }
            if let Some(n) = by_zero {
                s.eval_errors.insert("division by zero", n);
            }
            let mut e = enc();
            encode_stats(&mut e, &s);
            let back = decode_stats(&mut dec(&e.buf)).expect("decodes");
            prop_assert_eq!(back, s);
        }
    }

    #[test]
    fn sets_inside_sets_are_refused_not_followed() {
        // Tag 9 (a set) of one element, that element a set again, 100,000 deep.
        let deep: Vec<u8> = std::iter::repeat_n([9u8, 1], 100_000).flatten().collect();
        let err = dec(&deep).value().expect_err("refused");
        assert!(err.0.contains("a set inside a set"), "{}", err.0);
    }
}
