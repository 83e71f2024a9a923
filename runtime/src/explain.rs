//! `vigil explain`: why a rule fired on an event, and why it did not (issue 7).
//!
//! An engine explaining a rule carries an `Explainer`. Before each event of the rule's types is
//! processed, the explainer reads the rule's state (without changing it) and evaluates every
//! clause on its own; the engine then processes the event as usual and reports what really
//! happened: firings, suppressions, and the fate of each partial sequence match (started,
//! advanced, expired, discarded). The verdicts in a report are therefore the engine's own; the
//! clause values say why.

use std::collections::{BTreeMap, HashMap, VecDeque};

use vigil_ir::{self as ir, ExprArena, ExprId, Node, Pattern, RuleId, UnOp, Value, ops};

use crate::engine::Engine;
use crate::interp::{Ctx, EvalError, Tables, eval};
use crate::observe::Observer;
use crate::row::{Event, Key, KeyRef, Row};
use crate::rules::PatternState;
use crate::sequence::{Partial, positive_rank};
use crate::windows::{self, Member};

/// The value of a condition on one event, clause by clause.
#[derive(Debug, Clone)]
pub struct ClauseValue {
    /// The clause, in the rule's arena (its span gives the source text).
    pub expr: ExprId,
    /// Its value on the event.
    pub value: Result<Value, EvalError>,
    /// For `and` and `or` (flattened: `a and b and c` has three parts) and `not`: the parts.
    pub parts: Vec<ClauseValue>,
    /// For a leaf: its operands that are not constants, with their values.
    pub operands: Vec<(ExprId, Value)>,
}

impl ClauseValue {
    /// Whether the clause held (absent and errors count as false, as in conditions).
    pub fn holds(&self) -> bool {
        self.value.as_ref().is_ok_and(ops::truthy)
    }

    /// The clauses that made a false clause false: the first false part of an `and`, every
    /// part of an `or`; a `not` or a leaf is its own reason.
    fn blame(&self, arena: &ExprArena, out: &mut Vec<ExprId>) {
        match arena.node(self.expr) {
            Node::And(..) => match self.parts.iter().find(|p| !p.holds()) {
                Some(p) => p.blame(arena, out),
                None => out.push(self.expr),
            },
            Node::Or(..) => self.parts.iter().for_each(|p| p.blame(arena, out)),
            _ => out.push(self.expr),
        }
    }

    fn leaves<'a>(&'a self, out: &mut Vec<&'a ClauseValue>) {
        if self.parts.is_empty() {
            out.push(self);
        } else {
            self.parts.iter().for_each(|p| p.leaves(out));
        }
    }
}

/// Evaluates the condition `id` clause by clause.
pub(crate) fn clause(arena: &ExprArena, id: ExprId, ctx: &Ctx<'_>, tables: &Tables) -> ClauseValue {
    let value = eval(arena, id, ctx, tables);
    let mut parts = Vec::new();
    match arena.node(id) {
        Node::And(..) => flatten(arena, id, true, &mut parts),
        Node::Or(..) => flatten(arena, id, false, &mut parts),
        Node::Unary(UnOp::Not, a) => parts.push(*a),
        _ => {}
    }
    // An inlined `fn`'s body carries its call's span throughout: its parts would all read as
    // the call. The call is one clause, with the values its body reads.
    let inlined = parts.iter().any(|p| arena.span(*p) == arena.span(id));
    if inlined {
        parts.clear();
    }
    let parts: Vec<ClauseValue> = parts
        .into_iter()
        .map(|p| clause(arena, p, ctx, tables))
        .collect();
    let operands = if !parts.is_empty() {
        Vec::new()
    } else {
        let mut operands = Vec::new();
        if inlined {
            inlined_operands(arena, id, &mut operands);
        } else {
            operands = variable_operands(arena, id);
        }
        operands
            .into_iter()
            .map(|e| (e, eval(arena, e, ctx, tables).unwrap_or(Value::Absent)))
            .collect()
    };
    ClauseValue {
        expr: id,
        value,
        parts,
        operands,
    }
}

/// The values an inlined `fn` body reads, each once, in order: the operands (the call's
/// arguments, which keep their own spans) of the nodes that carry the call's span.
fn inlined_operands(arena: &ExprArena, id: ExprId, out: &mut Vec<ExprId>) {
    let call = arena.span(id);
    for e in variable_operands(arena, id)
        .into_iter()
        .chain(match arena.node(id) {
            Node::And(a, b) | Node::Or(a, b) => vec![*a, *b],
            _ => Vec::new(),
        })
    {
        if arena.span(e) == call {
            inlined_operands(arena, e, out);
        } else if !out.contains(&e) {
            out.push(e);
        }
    }
}

/// The operands of a chain of `and` (or of `or`), left to right.
fn flatten(arena: &ExprArena, id: ExprId, and: bool, out: &mut Vec<ExprId>) {
    match (arena.node(id), and) {
        (Node::And(a, b), true) | (Node::Or(a, b), false) => {
            flatten(arena, *a, and, out);
            flatten(arena, *b, and, out);
        }
        _ => out.push(id),
    }
}

/// The direct operands of a leaf that are not constants: their values help read it.
pub fn variable_operands(arena: &ExprArena, id: ExprId) -> Vec<ExprId> {
    let operands = match arena.node(id) {
        Node::Binary(_, a, b) | Node::Coalesce(a, b) => vec![*a, *b],
        Node::If(c, a, b) => vec![*c, *a, *b],
        Node::In { value, set, .. } => vec![*value, *set],
        Node::InList { value, .. } => vec![*value],
        Node::Call(_, args) => args.clone(),
        Node::Matches(a, _) | Node::Within(a, _) | Node::Exists(a) | Node::Unary(_, a) => {
            vec![*a]
        }
        _ => Vec::new(),
    };
    operands
        .into_iter()
        .filter(|e| !matches!(arena.node(*e), Node::Const(_)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// What an explanation holds

/// A partial sequence match as the explainer saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialView {
    /// Per step: the input line of the event that filled it (`Some(None)`: a derived event).
    pub steps: Vec<Option<Option<u64>>>,
    /// Positive steps matched.
    pub reached: usize,
    /// When its span ends: the first step's time plus `within`.
    pub expires: i64,
}

impl PartialView {
    fn of(p: &Partial, within: i64) -> PartialView {
        PartialView {
            steps: p
                .slots
                .iter()
                .map(|s| s.as_ref().map(|e| e.line()))
                .collect(),
            reached: p.reached(),
            expires: p.first_time.saturating_add(within),
        }
    }

    /// The line of the first step's event.
    pub fn started_at(&self) -> Option<u64> {
        self.steps.iter().flatten().next().copied().flatten()
    }
}

/// How the event relates to one step of a sequence.
#[derive(Debug, Clone)]
pub enum StepRole {
    /// The first step: the event starts a partial match when the condition holds, replacing
    /// the one of this key that waits for the second step, if any.
    Starts {
        /// The partial match of this key that waits for the second step.
        replaces: Option<PartialView>,
    },
    /// A later step, with the partial match of this key waiting for it.
    Continues {
        /// The partial match.
        partial: PartialView,
        /// The event came after the partial match's span ended.
        expired: bool,
    },
    /// Nothing of this key waits for this step; partial matches of other keys that do.
    NothingWaiting {
        /// Up to three other keys with a partial match waiting for this step.
        others: Vec<(Value, PartialView)>,
    },
    /// An absence (`then not`): the partial match it discards when its condition holds.
    Absence {
        /// The partial match waiting before the absence (or pending its deadline).
        partial: Option<PartialView>,
    },
}

/// One step of a sequence the event's type can fill.
#[derive(Debug, Clone)]
pub struct StepView {
    /// Index of the step in the sequence.
    pub step: usize,
    /// The step's key on this event.
    pub key: Result<Value, EvalError>,
    /// What the event can do for this step.
    pub role: StepRole,
    /// The step's condition (evaluated when it can be: a later step needs its partial match).
    pub cond: Option<ClauseValue>,
}

/// The window of a window rule at one event.
#[derive(Debug, Clone)]
pub struct WindowView {
    /// The `where` condition.
    pub cond: Option<ClauseValue>,
    /// The group key (`None` when the condition was false, so it was not read).
    pub key: Option<Result<Value, EvalError>>,
    /// Whether the event joined the window (condition true, key and aggregated values present).
    pub joined: bool,
    /// The window's events at this event, oldest first, this one last.
    pub window: Vec<Event>,
    /// The aggregates over `window`, in the order of `Pattern::Window::aggregates`.
    pub aggregates: Result<Vec<Value>, EvalError>,
    /// `having` on those aggregates (when the event joined).
    pub having: Option<ClauseValue>,
}

/// What the explainer computed for one event.
#[derive(Debug, Clone)]
pub enum Detail {
    /// A single-event rule: its condition.
    Single {
        /// The condition, clause by clause (`None`: the rule has none).
        cond: Option<ClauseValue>,
    },
    /// A window rule: the window at the event.
    Window(WindowView),
    /// A sequence: the steps the event's type can fill.
    Sequence {
        /// Per step the event can fill: its role and condition.
        steps: Vec<StepView>,
        /// Partial matches of the event's keys before the event, waiting or pending absence.
        partials: Vec<(Value, PartialView)>,
    },
    /// The rule's `expires` time had passed.
    Expired {
        /// The rule's `expires` time.
        at: i64,
    },
}

/// A firing of the explained rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FiringNote {
    /// When it fired (event time).
    pub time: i64,
    /// The group or sequence key.
    pub key: Option<Value>,
    /// Input lines of the evidence (derived events have none).
    pub lines: Vec<u64>,
    /// Suppressed by `suppress`: no alert was written.
    pub suppressed: bool,
}

/// What happened to a partial sequence match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqFate {
    /// The first step matched.
    Started,
    /// Another positive step matched; `reached` positive steps now.
    Advanced {
        /// Positive steps matched.
        reached: usize,
    },
    /// Replaced by a newer partial match that reached the same step.
    Superseded {
        /// Positive steps matched.
        reached: usize,
    },
    /// Its span ended before the next step came.
    Expired {
        /// Positive steps matched.
        reached: usize,
        /// When the span ended.
        at: i64,
    },
    /// Discarded by an event of an absence step.
    Discarded {
        /// Positive steps matched.
        reached: usize,
    },
    /// Dropped when another partial match of its key completed (matches do not overlap).
    Dropped {
        /// Positive steps matched.
        reached: usize,
    },
    /// All positive steps matched: fires now, or at its deadline if the last step is absent.
    Completed,
    /// A complete match waiting for its final absence's deadline was cancelled.
    Cancelled,
}

/// One entry of a key's history.
#[derive(Debug, Clone, PartialEq)]
pub struct SeqNote {
    /// Event time.
    pub time: i64,
    /// The line of the event that caused it (none for deadlines and derived events).
    pub line: Option<u64>,
    /// What happened.
    pub fate: SeqFate,
}

/// Counts over the whole input.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Events of the rule's types.
    pub offered: u64,
    /// Firings that wrote alerts.
    pub fired: u64,
    /// Firings that `suppress` silenced.
    pub suppressed: u64,
    /// Events whose condition (or step condition) was false.
    pub cond_false: u64,
    /// Events whose group key or aggregated values were absent.
    pub key_absent: u64,
    /// Window events whose `having` was false.
    pub having_false: u64,
    /// The largest window seen.
    pub max_window: usize,
    /// Per clause leaf: how often it was the one that made a condition false.
    pub blame: BTreeMap<ExprId, u64>,
    /// Per clause leaf: times true and false, and the range of its first variable operand.
    pub leaves: BTreeMap<ExprId, LeafStats>,
    /// Per fate (for `Expired`, `at` is zero): how many partial matches met it.
    pub fates: BTreeMap<FateKey, u64>,
    /// Partial matches still waiting at the end, by positive steps reached.
    pub waiting_at_end: BTreeMap<usize, u64>,
    /// Complete matches still waiting for their final absence's deadline at the end.
    pub pending_at_end: u64,
}

/// A fate without its time, to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(missing_docs)] // The variants mirror `SeqFate`'s, which say what they mean.
pub enum FateKey {
    Started,
    Advanced(usize),
    Completed,
    Superseded(usize),
    Expired(usize),
    Discarded(usize),
    Dropped(usize),
    Cancelled,
}

impl From<SeqFate> for FateKey {
    fn from(f: SeqFate) -> FateKey {
        match f {
            SeqFate::Started => FateKey::Started,
            SeqFate::Advanced { reached } => FateKey::Advanced(reached),
            SeqFate::Superseded { reached } => FateKey::Superseded(reached),
            SeqFate::Expired { reached, .. } => FateKey::Expired(reached),
            SeqFate::Discarded { reached } => FateKey::Discarded(reached),
            SeqFate::Dropped { reached } => FateKey::Dropped(reached),
            SeqFate::Completed => FateKey::Completed,
            SeqFate::Cancelled => FateKey::Cancelled,
        }
    }
}

/// How one clause leaf evaluated over the input.
#[derive(Debug, Clone, Default)]
pub struct LeafStats {
    /// Times it was true.
    pub held: u64,
    /// Times it was false (absent and errors included).
    pub failed: u64,
    /// The smallest and largest value of its first variable operand.
    pub range: Option<(Value, Value)>,
}

/// The event of `--line`, explained.
#[derive(Debug, Clone)]
pub struct AtLine {
    /// The event.
    pub event: Event,
    /// What the rule made of it, and why.
    pub detail: Detail,
    /// Firings while the event was processed.
    pub fired: Vec<FiringNote>,
    /// Sequence rules: the history of the event's keys before it, oldest first.
    pub history: Vec<(Value, SeqNote)>,
}

/// An explanation of one rule over an input: the `--line` event, if asked for, and counts.
#[derive(Debug, Clone)]
pub struct Explainer {
    rule: RuleId,
    line: Option<u64>,
    /// The event of `line`, once processed.
    pub at: Option<AtLine>,
    /// Counts over every event of the rule's types.
    pub summary: Summary,
    /// Every firing of the rule, in order.
    pub firings: Vec<FiringNote>,
    /// With `line`, for sequences: each key's history, the latest notes.
    history: HashMap<Key, VecDeque<SeqNote>>,
    /// The `line` event is being processed.
    current: bool,
}

/// History kept per key (the latest notes).
const HISTORY: usize = 16;
/// Keys of other partial matches listed when none of the event's key waits.
const OTHERS: usize = 3;

impl Explainer {
    /// The rule explained (its index in the program).
    pub fn rule(&self) -> RuleId {
        self.rule
    }

    /// The line asked about.
    pub fn line(&self) -> Option<u64> {
        self.line
    }

    fn account(&mut self, rule: &ir::Rule, detail: &Detail) {
        self.summary.offered += 1;
        let mut false_conditions: Vec<&ClauseValue> = Vec::new();
        let mut all: Vec<&ClauseValue> = Vec::new();
        match detail {
            Detail::Single { cond } => {
                all.extend(cond);
                if cond.as_ref().is_some_and(|c| !c.holds()) {
                    self.summary.cond_false += 1;
                    false_conditions.extend(cond);
                }
            }
            Detail::Window(w) => {
                all.extend(&w.cond);
                all.extend(&w.having);
                self.summary.max_window = self.summary.max_window.max(w.window.len());
                if w.cond.as_ref().is_some_and(|c| !c.holds()) {
                    self.summary.cond_false += 1;
                    false_conditions.extend(&w.cond);
                } else if !w.joined {
                    self.summary.key_absent += 1;
                } else if w.having.as_ref().is_some_and(|h| !h.holds()) {
                    self.summary.having_false += 1;
                    false_conditions.extend(&w.having);
                }
            }
            Detail::Sequence { steps, .. } => {
                let mut failed = false;
                for s in steps {
                    all.extend(&s.cond);
                    if s.cond.as_ref().is_some_and(|c| !c.holds())
                        && !matches!(s.role, StepRole::Absence { .. })
                    {
                        failed = true;
                        false_conditions.extend(&s.cond);
                    }
                }
                self.summary.cond_false += u64::from(failed);
            }
            Detail::Expired { .. } => {}
        }
        let mut blamed = Vec::new();
        for c in false_conditions {
            c.blame(&rule.exprs, &mut blamed);
        }
        for b in blamed {
            *self.summary.blame.entry(b).or_insert(0) += 1;
        }
        let mut leaves = Vec::new();
        for c in all {
            c.leaves(&mut leaves);
        }
        for leaf in leaves {
            let s = self.summary.leaves.entry(leaf.expr).or_default();
            if leaf.holds() {
                s.held += 1;
            } else {
                s.failed += 1;
            }
            if let Some((_, v)) = leaf.operands.first()
                && !v.is_absent()
            {
                s.range = Some(match s.range.take() {
                    None => (v.clone(), v.clone()),
                    Some((lo, hi)) => (
                        if v.total_cmp(&lo).is_lt() {
                            v.clone()
                        } else {
                            lo
                        },
                        if v.total_cmp(&hi).is_gt() {
                            v.clone()
                        } else {
                            hi
                        },
                    ),
                });
            }
        }
    }

    pub(crate) fn note(&mut self, key: &Key, note: SeqNote) {
        *self.summary.fates.entry(note.fate.into()).or_insert(0) += 1;
        if self.line.is_some() {
            let h = self.history.entry(key.clone()).or_default();
            if h.len() == HISTORY {
                h.pop_front();
            }
            h.push_back(note);
        }
    }
}

impl Engine {
    /// Explains rule number `rule` from now on: every event of its types is evaluated clause
    /// by clause, and the event of input line `line`, if given, in full (`take_explanation`).
    pub fn explain(&mut self, rule: RuleId, line: Option<u64>) {
        self.explain = Some(Box::new(Explainer {
            rule,
            line,
            at: None,
            summary: Summary::default(),
            firings: Vec::new(),
            history: HashMap::new(),
            current: false,
        }));
    }

    /// The explanation so far, with the partial matches still waiting counted.
    pub fn take_explanation(&mut self) -> Option<Explainer> {
        let mut x = self.explain.take()?;
        if let Some(PatternState::Sequence(seq)) = self.rules.get(x.rule).map(|s| &s.pattern) {
            for (_, s) in seq.iter() {
                x.summary.pending_at_end += s.pending().count() as u64;
                for p in s.all_waiting() {
                    let reached = p.reached();
                    *x.summary.waiting_at_end.entry(reached).or_insert(0) += 1;
                }
            }
        }
        Some(*x)
    }
}

impl Observer for Explainer {
    /// Before `event` is processed: what the explained rule will make of it, and why.
    fn offered(&mut self, engine: &Engine, event: &Event) {
        let at_line = self.line.is_some() && self.line == event.line();
        let program = &*engine.program;
        let r = self.rule;
        let Some(rule) = program.rules.get(r) else {
            return;
        };
        if !rule.pattern.event_types().contains(&event.ty) {
            return;
        }
        let detail = match (&rule.pattern, rule.expires) {
            (_, Some(at)) if event.time >= at => Detail::Expired { at },
            (Pattern::Single { cond, .. }, _) => {
                let slots = [Some(&**event)];
                let ctx = Ctx {
                    slots: &slots,
                    ..Ctx::default()
                };
                Detail::Single {
                    cond: cond.map(|c| clause(&rule.exprs, c, &ctx, &engine.tables)),
                }
            }
            (
                Pattern::Window {
                    cond,
                    key,
                    within,
                    having,
                    aggregates,
                    ..
                },
                _,
            ) => Detail::Window(window_view(
                engine, r, rule, event, *cond, *key, *within, *having, aggregates,
            )),
            (Pattern::Sequence { within, steps }, _) => {
                let (steps, partials) = sequence_view(engine, r, rule, event, *within, steps);
                Detail::Sequence { steps, partials }
            }
        };
        let history = if at_line {
            self.history_of(&detail)
        } else {
            Vec::new()
        };
        self.account(rule, &detail);
        if at_line {
            self.current = true;
            self.at = Some(AtLine {
                event: event.clone(),
                detail,
                fired: Vec::new(),
                history,
            });
        }
    }

    fn done(&mut self) {
        self.current = false;
    }

    fn fired(
        &mut self,
        r: RuleId,
        time: i64,
        key: Option<&Value>,
        evidence: &[Event],
        suppressed: bool,
    ) {
        if r != self.rule {
            return;
        }
        let note = FiringNote {
            time,
            key: key.cloned(),
            lines: evidence.iter().filter_map(|e| e.line()).collect(),
            suppressed,
        };
        if suppressed {
            self.summary.suppressed += 1;
        } else {
            self.summary.fired += 1;
        }
        if self.current
            && let Some(at) = self.at.as_mut()
        {
            at.fired.push(note.clone());
        }
        self.firings.push(note);
    }

    fn sequence(&mut self, r: RuleId, key: KeyRef<'_>, note: SeqNote) {
        if r == self.rule {
            self.note(&Key(key.to_value()), note);
        }
    }
}

impl Explainer {
    /// Sequence rules: the history of the keys of `detail`'s steps, oldest first.
    fn history_of(&self, detail: &Detail) -> Vec<(Value, SeqNote)> {
        let Detail::Sequence { steps, .. } = detail else {
            return Vec::new();
        };
        let mut keys: Vec<&Value> = Vec::new();
        for s in steps {
            if let Ok(k) = &s.key
                && !keys.contains(&k)
            {
                keys.push(k);
            }
        }
        let mut out = Vec::new();
        for k in keys {
            if let Some(h) = self.history.get(&Key(k.clone())) {
                out.extend(h.iter().map(|n| (k.clone(), n.clone())));
            }
        }
        out.sort_by_key(|(_, n)| n.time);
        out
    }
}

#[allow(clippy::too_many_arguments)]
fn window_view(
    engine: &Engine,
    r: RuleId,
    rule: &ir::Rule,
    event: &Event,
    cond: Option<ExprId>,
    key_expr: ExprId,
    within: i64,
    having: ExprId,
    aggregates: &[ir::Aggregate],
) -> WindowView {
    let slots = [Some(&**event)];
    let ctx = Ctx {
        slots: &slots,
        ..Ctx::default()
    };
    let cond = cond.map(|c| clause(&rule.exprs, c, &ctx, &engine.tables));
    let mut view = WindowView {
        cond,
        key: None,
        joined: false,
        window: Vec::new(),
        aggregates: Ok(Vec::new()),
        having: None,
    };
    if view.cond.as_ref().is_some_and(|c| !c.holds()) {
        return view;
    }
    let key = eval(&rule.exprs, key_expr, &ctx, &engine.tables);
    view.key = Some(key.clone());
    let Ok(key) = key else {
        return view;
    };
    if key.is_absent() {
        return view;
    }
    let mut values = Vec::new();
    for arg in aggregates.iter().filter_map(|a| a.arg) {
        match eval(&rule.exprs, arg, &ctx, &engine.tables) {
            Ok(v) if !v.is_absent() => values.push(v),
            _ => return view,
        }
    }
    view.joined = true;
    let t = event.time;
    let mut window: Vec<Member> = match engine.rules.get(r).map(|s| &s.pattern) {
        Some(PatternState::Window(slot)) => engine
            .windows
            .get(slot.table)
            .and_then(|t| t.groups.get(&Key(key.clone())))
            .map(|g| {
                g.window(slot.bit)
                    .filter(|m| m.time > t - within)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    window.push(Member {
        time: event.time,
        event: event.clone(),
        mask: 1,
        values: values.into_boxed_slice(),
    });
    view.window = window.iter().map(|m| m.event.clone()).collect();
    view.aggregates = windows::aggregates(aggregates, window.len(), window.iter());
    if let Ok(aggs) = &view.aggregates {
        let ctx = Ctx {
            slots: &slots,
            key: Some(&key),
            aggregates: aggs,
            ..Ctx::default()
        };
        view.having = Some(clause(&rule.exprs, having, &ctx, &engine.tables));
    }
    view
}

fn sequence_view(
    engine: &Engine,
    r: RuleId,
    rule: &ir::Rule,
    event: &Event,
    within: i64,
    steps: &[ir::SeqStep],
) -> (Vec<StepView>, Vec<(Value, PartialView)>) {
    let n = steps.len();
    let seq = match engine.rules.get(r).map(|s| &s.pattern) {
        Some(PatternState::Sequence(s)) => Some(s),
        _ => None,
    };
    let mut views = Vec::new();
    let mut partials: Vec<(Value, PartialView)> = Vec::new();
    for (j, step) in steps.iter().enumerate() {
        if step.event != event.ty {
            continue;
        }
        let slots: Vec<Option<&Row>> = (0..n).map(|i| (i == j).then_some(&**event)).collect();
        let ctx = Ctx {
            slots: &slots,
            ..Ctx::default()
        };
        let key = eval(&rule.exprs, step.key, &ctx, &engine.tables);
        let live = key.as_ref().ok().filter(|k| !k.is_absent());
        let seq_key = live.and_then(|k| seq?.get(KeyRef::Value(k)));
        if let (Some(s), Some(k)) = (seq_key, live) {
            for p in s.all_waiting().chain(s.pending().map(|(_, p)| p)) {
                let v = (k.clone(), PartialView::of(p, within));
                if !partials.contains(&v) {
                    partials.push(v);
                }
            }
        }
        // The partial match the matcher would act on, and the step's role.
        let acted_on = live.and_then(|k| seq?.acted_on(KeyRef::Value(k), j, event.time));
        let (partial, role): (Option<&Partial>, StepRole) = if step.absent {
            let partial = acted_on.map(|p| PartialView::of(p, within));
            (acted_on, StepRole::Absence { partial })
        } else {
            let k = positive_rank(steps, j);
            match acted_on {
                _ if k == 0 => {
                    let replaces = live
                        .and_then(|key| seq?.superseded(KeyRef::Value(key)))
                        .map(|p| PartialView::of(p, within));
                    (None, StepRole::Starts { replaces })
                }
                Some(p) => (
                    Some(p),
                    StepRole::Continues {
                        partial: PartialView::of(p, within),
                        expired: seq.is_some_and(|s| s.expired(p, event.time)),
                    },
                ),
                None => {
                    let mut others: Vec<(Value, PartialView)> = seq
                        .into_iter()
                        .flat_map(|s| s.iter())
                        .filter_map(|(key, s)| {
                            let p = s.waiting(k - 1)?;
                            Some((key.0.clone(), PartialView::of(p, within)))
                        })
                        .collect();
                    others.sort_by(|a, b| a.0.total_cmp(&b.0));
                    others.truncate(OTHERS);
                    (None, StepRole::NothingWaiting { others })
                }
            }
        };
        let cond = step.cond.and_then(|c| {
            let starts = matches!(role, StepRole::Starts { .. });
            if partial.is_none() && !starts {
                return None;
            }
            let mut slots: Vec<Option<&Row>> = partial.map_or_else(
                || vec![None; n],
                |p| p.slots.iter().map(|s| s.as_deref()).collect(),
            );
            if let Some(slot) = slots.get_mut(j) {
                *slot = Some(event);
            }
            let ctx = Ctx {
                slots: &slots,
                ..Ctx::default()
            };
            Some(clause(&rule.exprs, c, &ctx, &engine.tables))
        });
        views.push(StepView {
            step: j,
            key,
            role,
            cond,
        });
    }
    (views, partials)
}
