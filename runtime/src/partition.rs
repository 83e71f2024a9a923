//! A run split over key groups (issue 23, phase 1; SCALEOUT.md §3.3–3.5): which engine
//! processes an input event for each unit that consumes it, by the unit's placement.
//!
//! The router sends each accepted event, with its line number, to every target that some
//! consumer's key puts it in ([`Router::route`]); each target's engine then lets a consumer
//! process the event only where the same function puts it ([`Engine::set_partition`]). Derived
//! events stay in the engine that made them: placement only keeps a chain keyed where its
//! consumer's key is its producer's.

use std::sync::Arc;

use vigil_ir::placement::{Home, Key, Placement, UnitRef, consuming, place};
use vigil_ir::{ExprArena, Program, Value};

use crate::engine::Engine;
use crate::interp::{Ctx, Tables, eval};
use crate::row::{Row, Source};

/// Where a unit processes an event: one of the key groups, or the global group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// Key group `g` of the partition's groups.
    Group(u32),
    /// The one global group.
    Global,
}

impl Target {
    /// The target's name in subjects and keys: the group's number, or `global`.
    pub fn name(&self) -> String {
        match self {
            Target::Group(g) => g.to_string(),
            Target::Global => "global".into(),
        }
    }

    /// Every target of `groups` key groups: the groups in order, then the global group.
    pub fn all(groups: u32) -> impl Iterator<Item = Target> {
        (0..groups.max(1))
            .map(Target::Group)
            .chain([Target::Global])
    }
}

/// The placement of a program over `groups` key groups. Shared by the router and the group
/// engines; each computes keys with its own tables.
pub struct Partition {
    program: Arc<Program>,
    placement: Placement,
    groups: u32,
    /// For each event type, the units that consume it (the router asks for every event).
    consumers: Vec<Vec<UnitRef>>,
}

/// The router's side (SCALEOUT.md §3.3): numbers and decodes the input lines, rejects what is
/// not an event, decides lateness on the global watermark, and says which targets must process
/// each accepted event. It holds the run's only watermark: every target moves to it after each
/// line (`Engine::advance_to`), and to `end` at the end of the input.
pub struct Router {
    partition: Arc<Partition>,
    tables: Tables,
    decoder: crate::ingest::LineDecoder,
    lateness: i64,
    lines: u64,
    watermark: i64,
    max_seen: Option<i64>,
    /// `--max-skew`: an event more than this after the latest `$tick` is rejected `future`.
    max_skew: Option<i64>,
    last_tick: Option<i64>,
    /// Accepted events, and rejected lines by reason: the run's input counters.
    pub accepted: u64,
    /// Rejected lines by reason.
    pub rejected: std::collections::BTreeMap<crate::ingest::RejectKind, u64>,
}

/// A router's state between two input lines (`Router::state`, `Router::resume`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouterState {
    /// Lines routed so far.
    pub lines: u64,
    /// The global watermark.
    pub watermark: i64,
    /// The greatest event time seen.
    pub max_seen: Option<i64>,
    /// The time of the latest `$tick`.
    #[serde(default)]
    pub last_tick: Option<i64>,
    /// Accepted events so far.
    pub accepted: u64,
    /// Rejected lines by reason (`late`, `not_json`...).
    pub rejected: std::collections::BTreeMap<String, u64>,
}

/// What the router made of one input line.
#[derive(Debug)]
pub enum Routed {
    /// A blank line: counted, nothing else.
    Blank,
    /// Not accepted; the router writes its reject record, no target sees it.
    Rejected(crate::ingest::Reject),
    /// An accepted event and the targets that must process it (none, when nothing consumes
    /// its type).
    Event {
        /// The event, its line number in its source.
        row: Row,
        /// Each target once, in order.
        targets: Vec<Target>,
    },
    /// A `$tick`: only the watermark moves.
    Tick,
}

impl Router {
    /// A router for `partition` over input with `lateness` (milliseconds).
    pub fn new(partition: Arc<Partition>, lateness: i64) -> Router {
        let tables = Tables::new(&partition.program);
        let decoder = crate::ingest::LineDecoder::new(&partition.program);
        Router {
            partition,
            tables,
            decoder,
            lateness,
            lines: 0,
            watermark: i64::MIN,
            max_seen: None,
            max_skew: None,
            last_tick: None,
            accepted: 0,
            rejected: std::collections::BTreeMap::new(),
        }
    }

    /// The next input line, numbered by the running count of lines.
    pub fn push(&mut self, line: crate::lines::Line<'_>) -> Routed {
        self.lines += 1;
        match self.decoder.decode(line, self.lines) {
            crate::ingest::Decoded::Blank => Routed::Blank,
            crate::ingest::Decoded::Row(row) => self.push_row(row),
            crate::ingest::Decoded::Tick(time) => {
                self.last_tick = Some(time);
                self.seen(time);
                Routed::Tick
            }
            crate::ingest::Decoded::Reload(_) => self.reject(
                crate::ingest::RejectKind::Reload,
                "a run split over key groups does not reload rule sets yet".into(),
            ),
            crate::ingest::Decoded::Rejected(r) => {
                *self.rejected.entry(r.kind).or_insert(0) += 1;
                Routed::Rejected(r)
            }
        }
    }

    /// An event decoded elsewhere (a test block's), numbered by its own source line: late on
    /// the global watermark, or routed.
    pub fn push_row(&mut self, row: Row) -> Routed {
        if let (Some(skew), Some(tick)) = (self.max_skew, self.last_tick)
            && row.time > tick.saturating_add(skew)
        {
            let r = crate::ingest::Reject::future(row.time, skew, tick, &self.tables.tz);
            *self.rejected.entry(r.kind).or_insert(0) += 1;
            return Routed::Rejected(r);
        }
        if row.time < self.watermark {
            let r = crate::ingest::Reject::late(row.time, self.watermark, &self.tables.tz);
            *self.rejected.entry(r.kind).or_insert(0) += 1;
            return Routed::Rejected(r);
        }
        self.accepted += 1;
        self.seen(row.time);
        let line = match row.source {
            Source::Line(n) => n,
            Source::Derived(_) => self.lines,
        };
        let targets = self.route(&row, line);
        Routed::Event { row, targets }
    }

    /// Rejects an event stamped more than `skew` after the latest `$tick` before it
    /// (`future`), as an engine with `EngineConfig::max_skew` does.
    pub fn with_max_skew(mut self, skew: Option<i64>) -> Router {
        self.max_skew = skew;
        self
    }

    /// Moves the global watermark to `to` (never back), as `advance D` in a test block.
    pub fn advance_to(&mut self, to: i64) {
        self.watermark = self.watermark.max(to);
    }

    fn reject(&mut self, kind: crate::ingest::RejectKind, detail: String) -> Routed {
        *self.rejected.entry(kind).or_insert(0) += 1;
        Routed::Rejected(crate::ingest::Reject { kind, detail })
    }

    fn seen(&mut self, time: i64) {
        let max = self.max_seen.map_or(time, |m| m.max(time));
        self.max_seen = Some(max);
        self.watermark = self.watermark.max(max.saturating_sub(self.lateness));
    }

    /// Lines pushed so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// What a router restarted after a crash needs to go on as if it had not stopped: to be
    /// saved with the input position it belongs to.
    pub fn state(&self) -> RouterState {
        RouterState {
            lines: self.lines,
            watermark: self.watermark,
            max_seen: self.max_seen,
            last_tick: self.last_tick,
            accepted: self.accepted,
            rejected: self
                .rejected
                .iter()
                .map(|(k, n)| (k.as_str().to_string(), *n))
                .collect(),
        }
    }

    /// A router for `partition` that goes on from `state`.
    pub fn resume(partition: Arc<Partition>, lateness: i64, state: &RouterState) -> Router {
        let mut r = Router::new(partition, lateness);
        r.lines = state.lines;
        r.watermark = state.watermark;
        r.max_seen = state.max_seen;
        r.last_tick = state.last_tick;
        r.accepted = state.accepted;
        r.rejected = state
            .rejected
            .iter()
            .filter_map(|(k, n)| {
                let kind = crate::ingest::RejectKind::ALL
                    .into_iter()
                    .find(|r| r.as_str() == k)?;
                Some((kind, *n))
            })
            .collect();
        r
    }

    /// The global watermark after the last line: where every target moves.
    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// Where every target's watermark goes at the end of the input (`Engine::finish`): the
    /// greatest event time seen.
    pub fn end(&self) -> Option<i64> {
        self.max_seen
    }

    /// Every target input event `row` of line `line` must reach: one per consumer, each once,
    /// in order.
    pub fn route(&self, row: &Row, line: u64) -> Vec<Target> {
        let p = &self.partition;
        let mut targets: Vec<Target> = p
            .consumers(row.ty)
            .map(|u| p.target(u, row, line, &self.tables))
            .collect();
        targets.sort_unstable();
        targets.dedup();
        targets
    }
}

impl Partition {
    /// `groups` is at least one.
    pub fn new(program: Arc<Program>, groups: u32) -> Partition {
        let placement = place(&program);
        let consumers = (0..program.events.len())
            .map(|t| consuming(&program, t as vigil_ir::EventTypeId))
            .collect();
        Partition {
            program,
            placement,
            groups: groups.max(1),
            consumers,
        }
    }

    /// The deployment's identity: its placement and group count (`placement::identity`). A
    /// worker or router with another refuses to join.
    pub fn identity(&self) -> String {
        vigil_ir::placement::identity(&self.program, &self.placement, self.groups)
    }

    /// The rule set.
    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// How many key groups (the global group besides).
    pub fn groups(&self) -> u32 {
        self.groups
    }

    /// Where each unit runs.
    pub fn placement(&self) -> &Placement {
        &self.placement
    }

    /// Where `unit` processes input event `row` of line `line`. A keyed unit goes by its key's
    /// group; a unit that runs anywhere, or an event whose key is absent (which the unit skips
    /// and counts), by its line, so that exactly one engine sees it.
    pub(crate) fn target(&self, unit: UnitRef, row: &Row, line: u64, tables: &Tables) -> Target {
        let by_line = Target::Group(u32::try_from(line % u64::from(self.groups)).unwrap_or(0));
        match self.placement.home(unit) {
            Some(Home::Global(_)) => Target::Global,
            Some(Home::Keyed(keys)) => match keys.iter().find(|k| k.event == row.ty) {
                Some(k) => match self.key(k, row, tables) {
                    Some(v) => Target::Group(group_of(&v, self.groups)),
                    None => by_line,
                },
                None => by_line,
            },
            Some(Home::Anywhere) | None => by_line,
        }
    }

    /// The units that consume events of type `ty`.
    fn consumers(&self, ty: vigil_ir::EventTypeId) -> impl Iterator<Item = UnitRef> + '_ {
        self.consumers
            .get(ty as usize)
            .into_iter()
            .flatten()
            .copied()
    }

    /// The value of key `k` for `row` (in the key's slot); `None` when absent or in error.
    fn key(&self, k: &Key, row: &Row, tables: &Tables) -> Option<Value> {
        let arena = self.arena(k.owner)?;
        // A key reads its event in its slot: a sequence step's, a transition's (1), else 0;
        // a sequence of more than 8 steps is the only one that allocates.
        let slot = usize::from(k.slot);
        let mut few: [Option<&Row>; 8] = [None; 8];
        let mut many: Vec<Option<&Row>> = Vec::new();
        let slots: &mut [Option<&Row>] = match few.get_mut(..=slot) {
            Some(s) => s,
            None => {
                many.resize(slot + 1, None);
                &mut many
            }
        };
        *slots.get_mut(slot)? = Some(row);
        let ctx = Ctx {
            slots,
            ..Ctx::default()
        };
        match eval(arena, k.expr, &ctx, tables) {
            Ok(Value::Absent) | Err(_) => None,
            Ok(v) => Some(v),
        }
    }

    fn arena(&self, u: UnitRef) -> Option<&ExprArena> {
        match u {
            UnitRef::Rule(r) => self.program.rules.get(r).map(|r| &r.exprs),
            UnitRef::Workflow(w) => self.program.workflows.get(w).map(|w| &w.exprs),
        }
    }
}

/// The key group of a key value: FNV-1a over a tagged encoding of the value, modulo `groups`.
/// Stable across runs, machines and versions, since workers and routers of different builds
/// must agree.
pub fn group_of(v: &Value, groups: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    fn walk(v: &Value, eat: &mut dyn FnMut(&[u8])) {
        match v {
            Value::Absent => eat(&[0]),
            Value::Bool(b) => eat(&[1, u8::from(*b)]),
            Value::Int(i) => {
                eat(&[2]);
                eat(&i.to_le_bytes());
            }
            Value::Float(f) => {
                eat(&[3]);
                eat(&f.to_bits().to_le_bytes());
            }
            Value::Str(s) => {
                eat(&[4]);
                eat(s.as_bytes());
            }
            Value::Time(t) => {
                eat(&[5]);
                eat(&t.to_le_bytes());
            }
            Value::Duration(d) => {
                eat(&[6]);
                eat(&d.to_le_bytes());
            }
            Value::Point(p) => {
                eat(&[7]);
                eat(&p.lat.to_bits().to_le_bytes());
                eat(&p.lon.to_bits().to_le_bytes());
            }
            Value::Enum(e) => {
                eat(&[8]);
                eat(&e.to_le_bytes());
            }
            Value::Unit(u) => {
                eat(&[9]);
                eat(&u.to_le_bytes());
            }
            Value::Set(s) => {
                eat(&[10]);
                for item in &s.items {
                    walk(item, eat);
                }
            }
        }
    }
    walk(v, &mut eat);
    u32::try_from(h % u64::from(groups.max(1))).unwrap_or(0)
}

impl Engine {
    /// Makes this engine the one for `target` of `partition`: of each input event, a consumer
    /// processes only what the partition puts in `target`. `None` (the default) processes all.
    pub fn set_partition(&mut self, partition: Option<(Arc<Partition>, Target)>) {
        self.partition = partition;
    }

    /// Whether this engine's consumer `unit` processes `row`: derived events always (they stay
    /// in the engine that made them), input events where the partition puts them.
    pub(crate) fn owns(&self, unit: UnitRef, row: &Row) -> bool {
        match (&self.partition, &row.source) {
            (Some((p, target)), Source::Line(line)) => {
                p.target(unit, row, *line, &self.tables) == *target
            }
            _ => true,
        }
    }
}

/// What the router sends one target for a run of input lines (SCALEOUT.md §3.3): the events it
/// must process, each with its line number, and the global watermark after the last line. A
/// batch without events is a marker: it moves an idle target's watermark, so that no target
/// holds time back and none needs a wall clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The last input line the batch covers, with events or not.
    pub last_line: u64,
    /// The global watermark after `last_line`.
    pub watermark: i64,
    /// The events, in input order: each line's number and bytes.
    pub events: Vec<(u64, Vec<u8>)>,
}

impl Batch {
    /// As one message: `$batch <last line> <watermark>`, then `<line>\t<json>` per event.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("$batch {} {}\n", self.last_line, self.watermark).into_bytes();
        for (n, line) in &self.events {
            out.extend_from_slice(n.to_string().as_bytes());
            out.push(b'\t');
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out
    }

    /// Reads a message of batches one after the other, as `encode`d batches concatenated
    /// (a transport may join a target's batches of several input messages into one message).
    pub fn decode_all(bytes: &[u8]) -> Result<Vec<Batch>, String> {
        let mut starts: Vec<usize> = Vec::new();
        let mut at = 0;
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            if line.starts_with(b"$batch ") {
                starts.push(at);
            }
            at += line.len();
        }
        if starts.first() != Some(&0) {
            return Err("a message that does not start with a batch header".into());
        }
        let ends = starts.iter().skip(1).copied().chain([bytes.len()]);
        starts
            .iter()
            .zip(ends)
            .map(|(&from, to)| Batch::decode(bytes.get(from..to).unwrap_or_default()))
            .collect()
    }

    /// Reads what `encode` wrote; a message that is not a batch is an error, with the reason.
    pub fn decode(bytes: &[u8]) -> Result<Batch, String> {
        let mut lines = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty());
        let head = lines.next().ok_or("an empty message")?;
        let head = std::str::from_utf8(head).map_err(|_| "a header that is not UTF-8")?;
        let mut words = head.split(' ');
        let (Some("$batch"), Some(last), Some(w), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(format!("not a batch header: {head:?}"));
        };
        let last_line = last
            .parse()
            .map_err(|_| format!("a bad line number: {last:?}"))?;
        let watermark = w.parse().map_err(|_| format!("a bad watermark: {w:?}"))?;
        let mut events = Vec::new();
        for line in lines {
            let tab = line
                .iter()
                .position(|b| *b == b'\t')
                .ok_or("an event without its line number")?;
            let (n, json) = line.split_at(tab);
            let n = std::str::from_utf8(n)
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or("a bad event line number")?;
            events.push((n, json.get(1..).unwrap_or_default().to_vec()));
        }
        Ok(Batch {
            last_line,
            watermark,
            events,
        })
    }
}

impl Router {
    /// Routes a run of input lines (one input message, say) into one batch per target of the
    /// partition, markers included, and the lines it rejected with their numbers and bytes.
    #[allow(clippy::type_complexity)]
    pub fn batches<'l>(
        &mut self,
        lines: impl IntoIterator<Item = &'l [u8]>,
    ) -> (
        Vec<(Target, Batch)>,
        Vec<(u64, crate::ingest::Reject, &'l [u8])>,
    ) {
        let groups = self.partition.groups;
        let mut batches: Vec<(Target, Batch)> = Target::all(groups)
            .map(|t| {
                (
                    t,
                    Batch {
                        last_line: 0,
                        watermark: 0,
                        events: Vec::new(),
                    },
                )
            })
            .collect();
        let mut rejects = Vec::new();
        for line in lines {
            match self.push(crate::lines::Line::Bytes(line)) {
                Routed::Event { targets, .. } => {
                    for (t, b) in &mut batches {
                        if targets.contains(t) {
                            b.events.push((self.lines, line.to_vec()));
                        }
                    }
                }
                Routed::Rejected(r) => rejects.push((self.lines, r, line)),
                Routed::Blank | Routed::Tick => {}
            }
        }
        for (_, b) in &mut batches {
            b.last_line = self.lines;
            b.watermark = self.watermark;
        }
        (batches, rejects)
    }
}

impl Engine {
    /// Applies a batch from the router: each event as its own input line, then the global
    /// watermark. The engine's line count becomes the batch's last line, so a snapshot says
    /// where in the input it stands. A line the router accepted is never rejected here (the
    /// group's watermark trails the router's); one that is would be counted, as in a run.
    pub fn push_batch(&mut self, batch: &Batch) {
        for (n, line) in &batch.events {
            if let crate::ingest::Decoded::Row(row) =
                self.decoder.decode(crate::lines::Line::Bytes(line), *n)
            {
                let _ = self.push_row(row);
            }
        }
        self.lines = self.lines.max(batch.last_line);
        self.advance_to(batch.watermark);
    }
}
