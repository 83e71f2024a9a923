//! The engine: event time (lateness buffer, watermark, timers), dispatch of events to rules
//! and workflows in declaration order, and the records they produce (SPEC §7).

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::sync::Arc;
use vigil_ir::{IdVec, RuleId, WorkflowId};

use vigil_ir::bundle::BundleError;
use vigil_ir::{EventTypeId, Program, Value};

use crate::ingest::{Decoded, LineDecoder, Reject, RejectKind};
use crate::interp::{EvalError, Tables};
use crate::jit::{JitCode, JitRow, Job};
use crate::lines::Line;
use crate::plan::{Plan, Test};
use crate::record::Record;
use crate::row::{Event, Row};
use crate::rules::RuleState;
use crate::timers::{Timer, TimerKind, TimerQueue};
use crate::workflow::WorkflowState;

/// Options of an engine. `Default` gives the CLI's defaults.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long to wait for out-of-order events, in milliseconds (SPEC §7 `--lateness`).
    pub lateness: i64,
    /// The most keys a rule keeps state for; beyond it, events for new keys are dropped by
    /// that rule and an overflow record says so.
    pub max_keys_per_rule: usize,
    /// How conditions are evaluated.
    pub engine: EngineKind,
    /// Reject an event stamped more than this after the latest `$tick` before it (`future`,
    /// SPEC §9 `--max-skew`); `None`: no such check. Before the first tick nothing is judged.
    pub max_skew: Option<i64>,
    /// Where `$reload` lines find the rule set they name; `None`: they are rejected.
    pub rulesets: Option<crate::Rulesets>,
}

/// How an engine evaluates conditions. Both give the same records (tested against each other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// Native code from Cranelift, the interpreter for what it does not cover.
    #[default]
    Jit,
    /// The reference interpreter only.
    Interp,
    /// The interpreter, every clause evaluated and recorded (`Engine::take_coverage`).
    Coverage,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            lateness: 0,
            max_keys_per_rule: 1_000_000,
            engine: EngineKind::Jit,
            max_skew: None,
            rulesets: None,
        }
    }
}

/// Counters for the run summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Events accepted into the engine.
    pub accepted: u64,
    /// Events processed by the rules (accepted events once released, plus derived ones).
    pub processed: u64,
    /// Events emitted by rules and processed.
    pub derived: u64,
    /// Rejected input lines, by reason (late events included).
    pub rejected: BTreeMap<RejectKind, u64>,
    /// Alert records written (shadow ones not included).
    pub alerts: u64,
    /// Alert records of rules in `mode shadow`.
    pub shadow_alerts: u64,
    /// Firings suppressed by `suppress ... for`.
    pub suppressed: u64,
    /// Workflow transition records written (starts included).
    pub transitions: u64,
    /// Conditions that were false because of an overflow or a division by zero.
    pub eval_errors: BTreeMap<&'static str, u64>,
    /// Events a window or sequence skipped because their key or aggregated value was absent.
    pub key_absent: u64,
    /// Start events ignored because an instance with their key was live.
    pub duplicate_starts: u64,
    /// Events dropped by a rule at its key cap (each with an overflow record).
    pub overflows: u64,
    /// `$tick` lines (SPEC §7): accepted, they only moved time.
    pub ticks: u64,
}

impl Stats {
    /// Every plain counter, in the order a snapshot writes them (`ticks`, added in format 5,
    /// last).
    pub(crate) fn counts(&self) -> [u64; 11] {
        [
            self.accepted,
            self.processed,
            self.derived,
            self.alerts,
            self.shadow_alerts,
            self.suppressed,
            self.transitions,
            self.key_absent,
            self.duplicate_starts,
            self.overflows,
            self.ticks,
        ]
    }

    /// All rejected lines.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// A buffered event, released in (time, arrival) order.
pub(crate) struct Buffered {
    pub(crate) time: i64,
    pub(crate) arrival: u64,
    pub(crate) row: Row,
}

impl PartialEq for Buffered {
    fn eq(&self, other: &Buffered) -> bool {
        (self.time, self.arrival) == (other.time, other.arrival)
    }
}
impl Eq for Buffered {}
impl PartialOrd for Buffered {
    fn partial_cmp(&self, other: &Buffered) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Buffered {
    fn cmp(&self, other: &Buffered) -> Ordering {
        (self.time, self.arrival).cmp(&(other.time, other.arrival))
    }
}

/// Per-event buffers of `Engine::process`.
#[derive(Default)]
struct Scratch {
    /// The sets of candidates of the event (`TypePlan::sets`).
    sets: Vec<u32>,
    /// Candidates whose condition holds: (declaration order, consumer).
    passed: Vec<(u32, Consumer)>,
    /// Everything the event goes to, in declaration order; `true` when the plan already
    /// found the rule's condition true.
    consumers: Vec<(Consumer, bool)>,
}

/// An event being offered: its row, shared once something keeps or passes it on.
enum Offered {
    Row(Row),
    Shared(Event),
}

impl Offered {
    fn share(self) -> Event {
        match self {
            Offered::Row(row) => Arc::new(row),
            Offered::Shared(event) => event,
        }
    }
}

impl std::ops::Deref for Offered {
    type Target = Row;

    fn deref(&self) -> &Row {
        match self {
            Offered::Row(row) => row,
            Offered::Shared(event) => event,
        }
    }
}

/// Who reads an event type, in declaration order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Consumer {
    Rule(RuleId),
    Workflow(WorkflowId),
}

/// The program's names as shared strings, for records.
pub(crate) struct Names {
    pub(crate) rules: IdVec<RuleId, Arc<str>>,
    pub(crate) units: Vec<Arc<str>>,
    pub(crate) workflows: IdVec<WorkflowId, Arc<str>>,
    pub(crate) events: Vec<Arc<str>>,
}

impl Names {
    fn of(program: &Program) -> Names {
        let name = |n: &str| Arc::<str>::from(n);
        Names {
            rules: program.rules.map(|r| name(&r.name)),
            units: program.units.iter().map(|u| name(&u.name)).collect(),
            workflows: program.workflows.map(|w| name(&w.name)),
            events: program.events.iter().map(|e| name(&e.name)).collect(),
        }
    }
}

/// Event time: the newest event seen, the watermark, and the events waiting for it in the
/// lateness buffer (SPEC §7).
pub(crate) struct Clock {
    pub(crate) max_seen: Option<i64>,
    /// The time of the latest `$tick`, which `max_skew` measures events against.
    pub(crate) last_tick: Option<i64>,
    pub(crate) watermark: i64,
    /// Events accepted so far: the arrival order that breaks ties between equal times.
    pub(crate) arrivals: u64,
    pub(crate) buffer: BinaryHeap<Reverse<Buffered>>,
}

/// Counters that number what the engine creates, in order; a snapshot keeps them, so that a
/// restored engine numbers on where it stopped.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Numbering {
    /// The last timer scheduled: ties between equal due times fire in this order.
    pub(crate) timers: u64,
    /// The last complete sequence match waiting for its absence deadline.
    pub(crate) pending: u64,
    /// The last workflow state entry: a timer of an older entry is stale.
    pub(crate) generations: u64,
}

impl Numbering {
    pub(crate) fn next_timer(&mut self) -> u64 {
        self.timers += 1;
        self.timers
    }

    pub(crate) fn next_pending(&mut self) -> u64 {
        self.pending += 1;
        self.pending
    }

    pub(crate) fn next_generation(&mut self) -> u64 {
        self.generations += 1;
        self.generations
    }
}

/// A compiled rule set running over a stream of events.
///
/// Push events (raw JSON lines or typed rows), move the watermark, and take the records that
/// came out. Replaying the same input gives the same records in the same order.
pub struct Engine {
    pub(crate) program: Arc<Program>,
    pub(crate) tables: Tables,
    pub(crate) config: EngineConfig,
    pub(crate) decoder: LineDecoder,
    pub(crate) stats: Stats,
    pub(crate) records: Vec<Record>,
    pub(crate) fingerprint: Arc<str>,
    pub(crate) names: Names,
    plan: Plan,
    scratch: Scratch,
    /// Per conjunct: the epoch of the event it was last evaluated for, and the result (low
    /// bit). An event is one epoch, so a shared conjunct is evaluated once per event.
    cache: Vec<u64>,
    pub(crate) epoch: u64,
    /// The last plain-field group key read: (epoch, field, value), see `key_value`.
    pub(crate) key_cache: Option<(u64, u16, Value)>,
    /// With `EngineKind::Coverage`: what the events exercised.
    pub(crate) coverage: Option<Box<crate::coverage::Coverage>>,
    /// With `Engine::explain`: the rule being explained and what was found so far.
    pub(crate) explain: Option<Box<crate::explain::Explainer>>,
    arena_owner: std::collections::HashMap<usize, crate::coverage::Owner>,
    /// Firings so far (before suppression), to tell whether offering an event fired a rule.
    pub(crate) fire_count: u64,
    /// Compiled conjuncts (with `EngineKind::Jit`).
    jit: Option<JitCode>,
    jit_error: Option<String>,
    pub(crate) rules: IdVec<RuleId, RuleState>,
    /// The groups of window rules, shared by rules that group alike (`windows.rs`).
    pub(crate) windows: Vec<crate::windows::WindowTable>,
    /// For each rule and workflow name: the fields its keys and messages read.
    pub(crate) reads: std::collections::HashMap<Arc<str>, crate::redact::Reads>,
    pub(crate) workflows: IdVec<WorkflowId, WorkflowState>,
    pub(crate) clock: Clock,
    pub(crate) timers: TimerQueue,
    pub(crate) derived: VecDeque<Row>,
    pub(crate) lines: u64,
    pub(crate) numbering: Numbering,
    /// The rule sets reloaded away from, most recent last: a record is written with the rule
    /// set that made it (its names, its types, its units' reads), and records made before a
    /// reload may still be pending, or taken but not yet written.
    pub(crate) retired: Vec<Retired>,
    /// In a run split over key groups: the partition and this engine's part of it
    /// (`partition.rs`).
    pub(crate) partition: Option<(Arc<crate::partition::Partition>, crate::partition::Target)>,
}

/// What writing a record needs of a rule set the engine no longer runs.
pub(crate) struct Retired {
    pub(crate) program: Arc<Program>,
    pub(crate) tables: Tables,
    pub(crate) reads: std::collections::HashMap<Arc<str>, crate::redact::Reads>,
}

/// Rule sets kept for writing after reloads: a caller writes what it took before the next
/// few reloads, or the records of older ones are written with the newest rule set.
const RETIRED: usize = 4;

/// The result of pushing one input line.
#[derive(Debug, Clone, PartialEq)]
pub enum Pushed {
    /// Accepted (it may still be waiting in the lateness buffer).
    Accepted,
    /// An empty or blank line: skipped, but counted for line numbers.
    Blank,
    /// Not accepted: written to the rejects output with this reason.
    Rejected(Reject),
    /// A `$reload` line: the engine goes on with the rule set it names, whose fingerprint
    /// this is (or the same one: then nothing changed). Decoders of the old rule set must be
    /// replaced (`Engine::decoder`).
    Reloaded(String),
    /// A `$reload` line whose rule set store did not answer: nothing can be decided about
    /// it now, and this engine must not go on (a live server starts again from its last
    /// checkpoint and tries again).
    Unavailable(String),
}

impl Engine {
    /// An engine for the rule set in a bundle (`vigil build`), with no events seen yet: how a
    /// service runs a reviewed rule set without the compiler.
    pub fn from_bundle(bundle: &[u8], config: EngineConfig) -> Result<Engine, BundleError> {
        let program = vigil_ir::bundle::decode(bundle)?;
        Ok(Engine::new(Arc::new(program), config))
    }

    /// An engine for `program`, with no events seen yet.
    pub fn new(program: Arc<Program>, config: EngineConfig) -> Engine {
        let tables = Tables::new(&program);
        let plan = Plan::new(&program, &tables, config.engine != EngineKind::Coverage);
        let (jit, jit_error) = match config.engine {
            EngineKind::Interp | EngineKind::Coverage => (None, None),
            EngineKind::Jit => match compile_plan(&program, &tables, &plan) {
                Ok(code) => (Some(code), None),
                Err(e) => (None, Some(e)),
            },
        };
        let (windows, window_slots) = crate::windows::tables(&program);
        Engine {
            cache: vec![0; plan.conjuncts.len()],
            coverage: (config.engine == EngineKind::Coverage).then(|| {
                let mut c = Box::<crate::coverage::Coverage>::default();
                for (owner, root) in crate::coverage::conditions(&program) {
                    let arena = match owner {
                        crate::coverage::Owner::Rule(r) => program.rules.get(r).map(|r| &r.exprs),
                        crate::coverage::Owner::Workflow(w) => {
                            program.workflows.get(w).map(|w| &w.exprs)
                        }
                    };
                    // `conditions` names the program's own rules and workflows.
                    let Some(arena) = arena else { continue };
                    let mut leaves = Vec::new();
                    crate::coverage::leaves(arena, root, &mut leaves);
                    c.all_clauses.extend(leaves.into_iter().map(|l| (owner, l)));
                }
                c
            }),
            explain: None,
            partition: None,
            arena_owner: program
                .rules
                .iter_enumerated()
                .map(|(i, r)| {
                    (
                        &r.exprs as *const _ as usize,
                        crate::coverage::Owner::Rule(i),
                    )
                })
                .chain(program.workflows.iter_enumerated().map(|(i, w)| {
                    (
                        &w.exprs as *const _ as usize,
                        crate::coverage::Owner::Workflow(i),
                    )
                }))
                .collect(),
            fire_count: 0,
            jit,
            jit_error,
            epoch: 0,
            key_cache: None,
            scratch: Scratch::default(),
            plan,
            tables,
            decoder: LineDecoder::new(&program),
            stats: Stats::default(),
            records: Vec::new(),
            retired: Vec::new(),
            fingerprint: Arc::from(program.fingerprint.as_str()),
            names: Names::of(&program),
            rules: program
                .rules
                .iter()
                .zip(window_slots)
                .map(|(r, slot)| RuleState::new(r, slot))
                .collect(),
            windows,
            reads: program
                .rules
                .iter()
                .map(|r| (Arc::from(r.name.as_str()), crate::redact::rule_reads(r)))
                .chain(
                    program
                        .workflows
                        .iter()
                        .map(|w| (Arc::from(w.name.as_str()), crate::redact::workflow_reads(w))),
                )
                .collect(),
            workflows: program
                .workflows
                .iter()
                .map(|_| WorkflowState::default())
                .collect(),
            clock: Clock {
                max_seen: None,
                last_tick: None,
                watermark: i64::MIN,
                arrivals: 0,
                buffer: BinaryHeap::new(),
            },
            timers: TimerQueue::default(),
            derived: VecDeque::new(),
            lines: 0,
            numbering: Numbering::default(),
            program,
            config,
        }
    }

    /// The options this engine was made with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The program this engine runs.
    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// The counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The current watermark (`i64::MIN` before the first event).
    pub fn watermark(&self) -> i64 {
        self.clock.watermark
    }

    /// Pushes the next input line (JSON); line numbers count every line pushed.
    pub fn push_line(&mut self, line: &[u8]) -> Pushed {
        self.push(Line::Bytes(line))
    }

    /// Pushes the next input line, as bytes or as text already known to be UTF-8 (what
    /// `LineReader` hands out: then it is not checked again).
    pub fn push(&mut self, line: Line<'_>) -> Pushed {
        let decoded = self.decoder.decode(line, self.lines + 1);
        self.push_decoded(decoded)
    }

    /// A decoder of this engine's event types, to decode lines apart from it (on another
    /// thread): what it makes of the `n`th line is pushed with `push_decoded`, as line `n`.
    /// Lines are numbered from one; a restored engine's next line is `lines() + 1`.
    pub fn decoder(&self) -> LineDecoder {
        let mut decoder = LineDecoder::new(&self.program);
        decoder.watermark = self.clock.watermark;
        decoder
    }

    /// Pushes the next input line, decoded by a `decoder()` as line `lines() + 1`.
    pub fn push_decoded(&mut self, decoded: Decoded) -> Pushed {
        self.lines += 1;
        match decoded {
            Decoded::Blank => Pushed::Blank,
            Decoded::Row(row) => match self.push_row(row) {
                Ok(()) => Pushed::Accepted,
                Err(r) => Pushed::Rejected(r),
            },
            Decoded::Tick(time) => {
                self.tick(time);
                Pushed::Accepted
            }
            Decoded::Reload(fingerprint) => match self.reload_line(&fingerprint) {
                Ok(()) => Pushed::Reloaded(fingerprint),
                Err(crate::NotFound::Unavailable(why)) => Pushed::Unavailable(why),
                Err(crate::NotFound::Missing(detail)) => {
                    let r = Reject {
                        kind: RejectKind::Reload,
                        detail,
                    };
                    *self.stats.rejected.entry(r.kind).or_insert(0) += 1;
                    Pushed::Rejected(r)
                }
            },
            Decoded::Rejected(r) => {
                *self.stats.rejected.entry(r.kind).or_insert(0) += 1;
                Pushed::Rejected(r)
            }
        }
    }

    /// A `$tick` at `time` (SPEC §7): an event time seen, of no type. The watermark moves to
    /// `time - lateness` if that is later, releasing buffered events and firing the timers due
    /// by then; a tick behind the watermark changes nothing, and is not late.
    pub fn tick(&mut self, time: i64) {
        self.stats.ticks += 1;
        self.clock.last_tick = Some(time);
        let max = self.clock.max_seen.map_or(time, |m| m.max(time));
        self.clock.max_seen = Some(max);
        self.advance(max.saturating_sub(self.config.lateness));
    }

    /// Number of lines pushed so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Packs field values (one per declared field of `event`, `Absent` for a missing optional
    /// one) into a row, for `push_row`.
    pub fn make_row(
        &self,
        event: EventTypeId,
        time: i64,
        fields: &[Value],
        source: crate::row::Source,
    ) -> Row {
        self.build_row(event, time, fields, source)
    }

    /// Pushes a typed event. An event older than the watermark is rejected as late.
    pub fn push_row(&mut self, row: Row) -> Result<(), Reject> {
        if let (Some(skew), Some(tick)) = (self.config.max_skew, self.clock.last_tick)
            && row.time > tick.saturating_add(skew)
        {
            *self.stats.rejected.entry(RejectKind::Future).or_insert(0) += 1;
            return Err(Reject::future(row.time, skew, tick, &self.tables.tz));
        }
        if row.time < self.clock.watermark {
            *self.stats.rejected.entry(RejectKind::Late).or_insert(0) += 1;
            return Err(Reject::late(
                row.time,
                self.clock.watermark,
                &self.tables.tz,
            ));
        }
        self.stats.accepted += 1;
        self.clock.arrivals += 1;
        let time = row.time;
        let max = self.clock.max_seen.map_or(time, |m| m.max(time));
        self.clock.max_seen = Some(max);
        let to = max.saturating_sub(self.config.lateness);
        // Without waiting (lateness 0, or an event later than the lateness), the event goes
        // straight to the rules, after the timers due by its time.
        if self.clock.buffer.is_empty() && time <= to {
            self.clock.watermark = self.clock.watermark.max(to);
            self.fire_timers_until(time);
            self.process(row);
            self.drain_derived();
            self.advance(to);
            return Ok(());
        }
        self.clock.buffer.push(Reverse(Buffered {
            time,
            arrival: self.clock.arrivals,
            row,
        }));
        self.advance(to);
        Ok(())
    }

    /// Moves the watermark to `to` (never back), releasing buffered events and firing timers
    /// due up to it.
    pub fn advance_to(&mut self, to: i64) {
        self.advance(to);
    }

    /// End of input (SPEC §7): the watermark becomes the greatest event time seen, releasing
    /// every buffered event and firing the timers due by then.
    pub fn finish(&mut self) {
        if let Some(max) = self.clock.max_seen {
            self.advance(max);
        }
    }

    /// The greatest event time accepted so far.
    pub fn max_time_seen(&self) -> Option<i64> {
        self.clock.max_seen
    }

    /// The records produced since the last `take_records`, without taking them.
    pub fn peek_records(&self) -> &[Record] {
        &self.records
    }

    /// Takes the records produced since the last call.
    pub fn take_records(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }

    /// Moves the records produced since the last call into `out` (emptied first), and keeps
    /// `out`'s old storage for the next ones: for a caller that drains after every event.
    pub fn swap_records(&mut self, out: &mut Vec<Record>) {
        out.clear();
        std::mem::swap(&mut self.records, out);
    }

    /// Keys the engine holds state for (window groups, sequence keys, workflow instances):
    /// what memory follows. Suppression entries and buffered events are not counted.
    pub fn live_keys(&self) -> usize {
        (self.rules.ids()).map(|r| self.rule_keys(r)).sum::<usize>() + self.live_instances()
    }

    /// Deadlines that are still to come: absence deadlines and workflow timers.
    pub fn pending_deadlines(&self) -> usize {
        self.timers.iter().filter(|t| self.timer_is_live(t)).count()
    }

    fn advance(&mut self, to: i64) {
        // The watermark never moves back, but events at it may still be waiting.
        self.clock.watermark = self.clock.watermark.max(to);
        let to = self.clock.watermark;
        loop {
            let next_timer = self.timers.peek().map(|t| t.due);
            let next_event = self.clock.buffer.peek().map(|Reverse(b)| b.time);
            match (next_timer, next_event) {
                // At one instant, timers run before events (SPEC §7).
                (Some(t), e) if t <= to && e.is_none_or(|e| t <= e) => {
                    if let Some(timer) = self.timers.pop() {
                        self.fire_timer(timer);
                        self.drain_derived();
                    }
                }
                (_, Some(e)) if e <= to => {
                    if let Some(Reverse(b)) = self.clock.buffer.pop() {
                        self.process(b.row);
                        self.drain_derived();
                    }
                }
                _ => break,
            }
        }
    }

    /// Runs every rule and workflow the event concerns, in declaration order. The row is
    /// shared (moved into an `Arc`) only when something takes it: most events of a rule set
    /// of filters concern no rule, and then cost no allocation and no atomic count.
    pub(crate) fn process(&mut self, row: Row) {
        self.stats.processed += 1;
        self.epoch += 1;
        let mut event = Offered::Row(row);
        if self.explain.is_some() {
            let shared = event.share();
            self.observe_offer(&shared);
            event = Offered::Shared(shared);
        }
        // Buffers reused from event to event (taken, so `self` stays free to borrow).
        let Scratch {
            mut sets,
            mut passed,
            mut consumers,
        } = std::mem::take(&mut self.scratch);
        passed.clear();
        consumers.clear();
        // The candidates whose whole condition holds, as (declaration order, rule).
        let row: &Row = &event;
        let jit_row = [JitRow::of(row)];
        let plan = std::mem::take(&mut self.plan);
        if let Some(tp) = plan.types.get(row.ty as usize) {
            if let Some(layout) = self.tables.layouts.get(row.ty as usize) {
                tp.candidates(row, layout, &mut sets);
            }
            for &set in &sets {
                let set = tp.set(set);
                for probe in tp.probes_in(set.plain) {
                    self.probe(&plan, tp.tests_of(probe), probe, row, &jit_row, &mut passed);
                }
                for group in tp.ranges_in(set.ranges) {
                    let probes = tp.probes_in(group.probes);
                    // The first test holds for the first `n` and for none of the rest; with
                    // the field absent, every probe is tested in full.
                    let (probes, known) = match tp.passing(group, row) {
                        Some(n) => (probes.get(..n).unwrap_or(probes), 1),
                        None => (probes, 0),
                    };
                    for probe in probes {
                        let tests = tp.tests_of(probe).get(known..).unwrap_or_default();
                        self.probe(&plan, tests, probe, row, &jit_row, &mut passed);
                    }
                }
            }
        }
        self.plan = plan;
        // Candidates come in index order; consumers go in declaration order.
        passed.sort_unstable_by_key(|(order, _)| *order);
        let always = self
            .plan
            .types
            .get(row.ty as usize)
            .map_or(&[][..], |tp| &tp.always[..]);
        // Both lists are in declaration order: merge them.
        let (mut p, mut a) = (passed.iter().peekable(), always.iter().peekable());
        loop {
            let next = match (p.peek(), a.peek()) {
                (Some(x), Some(y)) if x.0 < y.0 => p.next().map(|x| (x.1, true)),
                (_, Some(_)) => a.next().map(|y| (y.1, false)),
                (Some(_), None) => p.next().map(|x| (x.1, true)),
                (None, None) => None,
            };
            let Some(consumer) = next else { break };
            consumers.push(consumer);
        }
        if consumers.is_empty() {
            self.scratch = Scratch {
                sets,
                passed,
                consumers,
            };
            self.observe(|o| o.done());
            return;
        }
        let event = event.share();
        // One reference to the program for the whole event, none per rule.
        let program = Arc::clone(&self.program);
        for &(c, gated) in &consumers {
            // A gated rule passed `probe`, which already asked whether it is this engine's.
            if self.partition.is_some() && !gated {
                let unit = match c {
                    Consumer::Rule(r) => vigil_ir::placement::UnitRef::Rule(r),
                    Consumer::Workflow(w) => vigil_ir::placement::UnitRef::Workflow(w),
                };
                if !self.owns(unit, &event) {
                    continue;
                }
            }
            match c {
                Consumer::Rule(r) => {
                    let before = self.fire_count;
                    self.rule_event(&program, r, &event, gated);
                    if self.fire_count == before {
                        self.observe(|o| o.rule(r, false));
                    }
                }
                Consumer::Workflow(w) => self.workflow_event(w, &event),
            }
        }
        self.scratch = Scratch {
            sets,
            passed,
            consumers,
        };
        self.observe(|o| o.done());
    }

    /// Tests a candidate rule: when `tests` all hold, it goes to `passed`.
    #[inline]
    fn probe(
        &mut self,
        plan: &Plan,
        tests: &[crate::plan::Test],
        probe: &crate::plan::Probe,
        row: &Row,
        jit_row: &[JitRow; 1],
        passed: &mut Vec<(u32, Consumer)>,
    ) {
        let rule = probe.rule;
        // In a split run, a rule another engine processes this event for is not evaluated
        // here: that is its engine's work.
        if self.partition.is_some() && !self.owns(vigil_ir::placement::UnitRef::Rule(rule), row) {
            return;
        }
        if tests.iter().all(|t| self.conjunct(plan, t, row, jit_row)) {
            passed.push((probe.order, Consumer::Rule(rule)));
        } else {
            self.observe(|o| o.rule(rule, false));
        }
    }

    /// Evaluates conjunct `c` of `plan` on `row` (`jit_row` is its compiled-code view), once
    /// per event.
    fn conjunct(&mut self, plan: &Plan, t: &Test, row: &Row, jit_row: &[JitRow; 1]) -> bool {
        // Only a conjunct several rules share is worth remembering for the rest of the event.
        let (c, shared) = (t.conjunct, t.shared);
        let tag = self.epoch << 1;
        if shared
            && let Some(cached) = self.cache.get(c as usize)
            && cached & !1 == tag
        {
            return cached & 1 == 1;
        }
        let value = self.eval_conjunct(plan, c, row, jit_row);
        if shared && let Some(slot) = self.cache.get_mut(c as usize) {
            *slot = tag | u64::from(value);
        }
        value
    }

    /// Evaluates conjunct `c`: compiled code when there is some, else the interpreter.
    fn eval_conjunct(&mut self, plan: &Plan, c: u32, row: &Row, jit_row: &[JitRow; 1]) -> bool {
        if let Some(test) = plan.conjuncts.get(c as usize).and_then(|x| x.test.as_ref())
            && let Some(holds) = test.holds(row, &self.tables)
        {
            return holds;
        }
        if let Some(jit) = &self.jit
            && let Some(result) = jit.eval(c as usize, jit_row, &self.tables)
        {
            return match result {
                Ok(v) => v,
                Err(e) => {
                    self.eval_error(e);
                    false
                }
            };
        }
        let Some(conj) = plan.conjuncts.get(c as usize) else {
            return false;
        };
        let program = self.program.clone();
        let Some(rule) = program.rules.get(conj.rule) else {
            return false;
        };
        let slots = [Some(row)];
        let ctx = crate::interp::Ctx {
            slots: &slots,
            ..crate::interp::Ctx::default()
        };
        self.test(&rule.exprs, conj.expr, &ctx)
    }

    /// Fires the timers due at or before `t`, in order.
    fn fire_timers_until(&mut self, t: i64) {
        while self.timers.peek().is_some_and(|timer| timer.due <= t) {
            if let Some(timer) = self.timers.pop() {
                self.fire_timer(timer);
                self.drain_derived();
            }
        }
    }

    fn drain_derived(&mut self) {
        while let Some(row) = self.derived.pop_front() {
            self.stats.derived += 1;
            self.process(row);
        }
    }

    pub(crate) fn schedule(&mut self, due: i64, order: u32, kind: TimerKind) {
        let seq = self.numbering.next_timer();
        self.timers.push(Timer {
            due,
            order,
            seq,
            kind,
        });
    }

    fn fire_timer(&mut self, timer: Timer) {
        match timer.kind {
            TimerKind::Absence { rule, key, id } => self.absence_deadline(rule, key, id, timer.due),
            TimerKind::Workflow {
                workflow,
                key,
                generation,
                timer: index,
            } => self.workflow_timer(workflow, key, generation, index, timer.due),
            TimerKind::WorkflowLevel {
                workflow,
                key,
                born,
                timer: index,
            } => self.workflow_level_timer(workflow, key, born, index, timer.due),
        }
    }

    fn timer_is_live(&self, t: &Timer) -> bool {
        match &t.kind {
            TimerKind::Absence { rule, key, id } => self.absence_is_live(*rule, key, *id),
            TimerKind::Workflow {
                workflow,
                key,
                generation,
                ..
            } => self.workflow_timer_is_live(*workflow, key, *generation),
            TimerKind::WorkflowLevel {
                workflow,
                key,
                born,
                ..
            } => self.workflow_level_timer_is_live(*workflow, key, *born),
        }
    }

    /// Counts an evaluation error (the condition is then false).
    pub(crate) fn eval_error(&mut self, e: EvalError) {
        *self.stats.eval_errors.entry(e.as_str()).or_insert(0) += 1;
    }

    /// Evaluates a condition; errors make it false and are counted.
    pub(crate) fn test(
        &mut self,
        arena: &vigil_ir::ExprArena,
        id: vigil_ir::ExprId,
        ctx: &crate::interp::Ctx<'_>,
    ) -> bool {
        if self.clauses_observed() {
            self.cover(arena, id, ctx);
        }
        match crate::interp::eval(arena, id, ctx, &self.tables) {
            Ok(v) => vigil_ir::ops::truthy(&v),
            Err(e) => {
                self.eval_error(e);
                false
            }
        }
    }

    /// Evaluates a value; errors give `None` and are counted.
    pub(crate) fn value(
        &mut self,
        arena: &vigil_ir::ExprArena,
        id: vigil_ir::ExprId,
        ctx: &crate::interp::Ctx<'_>,
    ) -> Option<Value> {
        match crate::interp::eval(arena, id, ctx, &self.tables) {
            Ok(v) => Some(v),
            Err(e) => {
                self.eval_error(e);
                None
            }
        }
    }

    /// Replaces the contents of the named lists (rules are not recompiled). Returns the names
    /// that are not lists of this rule set.
    pub fn reload_lists(&mut self, lists: Vec<(String, Vec<String>)>) -> Vec<String> {
        let mut unknown = Vec::new();
        for (name, values) in lists {
            match self.program.lists.iter().position(|l| l.name == name) {
                Some(i) => {
                    let items = values.iter().map(|v| Value::str(v)).collect();
                    if let Some(slot) = self.tables.lists.get_mut(i) {
                        *slot = Arc::new(vigil_ir::SetValue::new(items));
                    }
                }
                None => unknown.push(name),
            }
        }
        self.tables.list_index = self
            .tables
            .lists
            .iter()
            .map(|l| crate::interp::ListIndex::new(l))
            .collect();
        self.plan.rebuild_indexes(&self.tables);
        unknown
    }

    /// Replaces the entries of the named maps with the contents of their files, given as
    /// (name, text) (rules are not recompiled; SPEC v0.2). All or nothing: when one text does
    /// not parse (`map `m`: line 3: ...`), or names no map of this rule set, no map changes.
    pub fn reload_maps(&mut self, maps: Vec<(String, String)>) -> Result<(), String> {
        let mut parsed = Vec::with_capacity(maps.len());
        for (name, text) in maps {
            let Some((i, def)) = self
                .program
                .maps
                .iter()
                .enumerate()
                .find(|(_, m)| m.name == name)
            else {
                return Err(format!("`{name}` is not a map of this rule set"));
            };
            let entries = vigil_ir::maps::parse_file(&*self.program, &text, &def.key, &def.value)
                .map_err(|(line, why)| format!("map `{name}`: line {line}: {why}"))?;
            let entries = vigil_ir::MapValue::new(entries)
                .map_err(|_| format!("map `{name}`: a key given twice"))?;
            parsed.push((i, Arc::new(entries)));
        }
        for (i, entries) in parsed {
            if let Some(ix) = self.tables.map_index.get_mut(i) {
                *ix = crate::interp::MapIndex::new(&entries);
            }
            if let Some(slot) = self.tables.maps.get_mut(i) {
                *slot = entries;
            }
        }
        Ok(())
    }

    /// The id of an event type by name.
    pub fn event_type(&self, name: &str) -> Option<EventTypeId> {
        self.program.event_id(name)
    }
}

/// Compiles the plan's conjuncts; each reads the event of its rule's gate in slot 0. A range
/// test needs no code: the engine compares the field itself (`RangeTest::holds`), and only
/// an absent field sends it to the interpreter.
fn compile_plan(program: &Program, tables: &Tables, plan: &Plan) -> Result<JitCode, String> {
    let mut jobs = Vec::with_capacity(plan.conjuncts.len());
    let mut positions = Vec::with_capacity(plan.conjuncts.len());
    for (i, c) in plan.conjuncts.iter().enumerate() {
        if c.test.is_some() {
            continue;
        }
        let Some(rule) = program.rules.get(c.rule) else {
            return Err("internal error: a conjunct of no rule".into());
        };
        let Some((event, _)) = crate::plan::gate(&rule.pattern) else {
            return Err("internal error: an ungated rule in the plan".into());
        };
        jobs.push(Job {
            arena: &rule.exprs,
            expr: c.expr,
            slots: vec![event],
        });
        positions.push(i);
    }
    let mut code = crate::jit::compile(program, &tables.layouts, &tables.regexes, &jobs)?;
    code.place(&positions, plan.conjuncts.len());
    Ok(code)
}

impl Engine {
    /// How many conjuncts the plan answers by reading a field, with no code (`FieldTest`).
    pub fn field_tests(&self) -> usize {
        self.plan
            .conjuncts
            .iter()
            .filter(|c| c.test.is_some())
            .count()
    }

    /// With the JIT: how many conjuncts were compiled, how many need code (those that are
    /// not field tests), and how long compiling took; or why the JIT could not be used.
    pub fn jit_report(&self) -> Result<(usize, usize, std::time::Duration), String> {
        match (&self.jit, &self.jit_error) {
            (Some(code), _) => Ok((
                code.compiled(),
                self.plan
                    .conjuncts
                    .iter()
                    .filter(|c| c.test.is_none())
                    .count(),
                code.compile_time,
            )),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Err("the interpreter was chosen".into()),
        }
    }
}

impl Engine {
    /// Records the value of every clause under `id` (coverage engines only).
    fn cover(
        &mut self,
        arena: &vigil_ir::ExprArena,
        id: vigil_ir::ExprId,
        ctx: &crate::interp::Ctx<'_>,
    ) {
        let Some(owner) = self.arena_owner.get(&(arena as *const _ as usize)).copied() else {
            return;
        };
        let mut leaves = Vec::new();
        crate::coverage::leaves(arena, id, &mut leaves);
        for leaf in leaves {
            let v = crate::interp::eval(arena, leaf, ctx, &self.tables)
                .is_ok_and(|v| vigil_ir::ops::truthy(&v));
            self.observe(|o| o.clause(owner, leaf, v));
        }
    }

    /// What the events so far exercised (coverage engines only).
    pub fn take_coverage(&mut self) -> Option<crate::coverage::Coverage> {
        self.coverage.as_mut().map(|c| {
            let all = c.all_clauses.clone();
            let mut taken = std::mem::take(&mut **c);
            c.all_clauses = all;
            taken.all_clauses = c.all_clauses.clone();
            taken
        })
    }
}

impl Engine {
    /// A `$reload` line: the rule set named by `fingerprint`, found in the configured
    /// `Rulesets`, replaces this one as `reload` does. Reloading the same rule set does
    /// nothing, so a reload published twice is harmless.
    fn reload_line(&mut self, fingerprint: &str) -> Result<(), crate::NotFound> {
        use crate::NotFound::Missing;
        if self.program.fingerprint == fingerprint {
            return Ok(());
        }
        let Some(rulesets) = &self.config.rulesets else {
            return Err(Missing(format!(
                "rule set {fingerprint}: no rule sets to reload from here (vigil run \
                 --rulesets DIR with its bundle)"
            )));
        };
        let program = rulesets.find(fingerprint)?;
        self.reload(program).map_err(|e| {
            Missing(format!(
                "rule set {fingerprint} cannot take the state over: {e}"
            ))
        })
    }

    /// Replaces the rule set while keeping the state (SPEC §5): windows, partial matches and
    /// suppression of rules whose pattern did not change, and every workflow instance (moved
    /// to the state of the same name, or reported in an orphan record). Records not yet taken
    /// are kept.
    pub fn reload(&mut self, program: Arc<Program>) -> Result<(), crate::snapshot::SnapshotError> {
        let pending = std::mem::take(&mut self.records);
        let bytes = self.snapshot();
        let mut fresh = Engine::new(program, self.config.clone());
        let restored = fresh.restore(&bytes);
        if let Err(e) = restored {
            self.records = pending;
            return Err(e);
        }
        let orphans = std::mem::take(&mut fresh.records);
        let old = std::mem::replace(self, fresh);
        self.retired = old.retired;
        if self.retired.len() == RETIRED {
            self.retired.remove(0);
        }
        self.retired.push(Retired {
            program: old.program,
            tables: old.tables,
            reads: old.reads,
        });
        self.records = pending;
        self.records.extend(orphans);
        Ok(())
    }
}
