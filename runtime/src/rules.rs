//! Rules: single events, sliding windows with consumption, sequences with EQL-style match
//! selection and absences (SPEC §4.1), suppression and actions (SPEC §4.2).

// PANIC SAFETY: the indexes here are rule, workflow, state and window-table numbers that the
// engine made from the program it runs, into tables built from that same program (per-rule
// state, names, the program's own vectors), and in-bounds by construction. Typed ids over
// id-indexed vectors (issue 20's next step, as Cranelift's `PrimaryMap`) will make that a type
// and let this module drop the allowance.
#![allow(clippy::indexing_slicing)]

use std::sync::Arc;

use smallvec::{SmallVec, smallvec};
use vigil_ir::{self as ir, Pattern, Value, ops};

use crate::engine::Engine;
use crate::explain::{SeqFate, SeqNote};
use crate::interp::{Ctx, EvalError};
use crate::record::{EVIDENCE_LIMIT, OverflowRecord, Record};
use crate::row::{Event, Key, KeyMap, KeyRef, Kind, Row, Source};
use crate::timers::TimerKind;
use crate::windows::{self, Group, WindowSlot};

pub(crate) struct RuleState {
    pub(crate) pattern: PatternState,
    /// Event time of the next sweep of expired state.
    pub(crate) next_sweep: i64,
    /// Suppression: for each key, the end of its quiet interval.
    pub(crate) suppressed_until: KeyMap<i64>,
    /// Size at which the suppression table is next swept of expired entries.
    pub(crate) sweep_at: usize,
    /// A window rule's `having` when it only compares `count()` with an integer.
    pub(crate) count_having: Option<CountHaving>,
}

pub(crate) enum PatternState {
    Single,
    /// The rule's groups are in `Engine::windows`, shared with rules that group alike.
    Window(WindowSlot),
    Sequence(KeyMap<SeqKey>),
}

/// A rule's event slots, one per step: inline for sequences of up to three steps.
pub(crate) type Slots = SmallVec<[Option<Event>; 3]>;

/// A match in progress: the events of the steps matched so far (one slot per step).
#[derive(Clone)]
pub(crate) struct Partial {
    pub(crate) slots: Slots,
    pub(crate) first_time: i64,
}

pub(crate) struct SeqKey {
    /// `waiting[k]`: the one partial match that has matched positive steps 0..=k, for every
    /// positive step but the last (whose match is complete): empty for `a then not B`.
    pub(crate) waiting: Vec<Option<Partial>>,
    /// Complete matches waiting for their absence deadline, each with its own (usually one
    /// per key, kept inline).
    pub(crate) pending: SmallVec<[(u64, Partial); 1]>,
}

impl Partial {
    /// Positive steps matched.
    pub(crate) fn reached(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

impl SeqKey {
    fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.waiting.iter().all(Option::is_none)
    }

    /// Puts `partial` at `place`; the partial that waited there before, if any.
    fn store(&mut self, place: Place, partial: Partial) -> Option<Partial> {
        match place {
            Place::Waiting(k) => self.waiting.get_mut(k)?.replace(partial),
            Place::Pending(id) => {
                self.pending.push((id, partial));
                None
            }
        }
    }
}

/// Where a match that is not complete, or waits for its final absence, is kept.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Waiting for the positive step after its `k`-th.
    Waiting(usize),
    /// Complete, pending the absence deadline of this timer.
    Pending(u64),
}

impl RuleState {
    /// A rule's state; `window` is where a window rule keeps its groups.
    pub(crate) fn new(rule: &ir::Rule, window: Option<WindowSlot>) -> RuleState {
        let pattern = match (&rule.pattern, window) {
            (Pattern::Window { .. }, Some(slot)) => PatternState::Window(slot),
            (Pattern::Sequence { .. }, _) => PatternState::Sequence(KeyMap::default()),
            _ => PatternState::Single,
        };
        RuleState {
            pattern,
            next_sweep: i64::MIN,
            suppressed_until: KeyMap::default(),
            sweep_at: 1024,
            count_having: CountHaving::of(rule),
        }
    }
}

/// A group or sequence key as read from an event.
pub(crate) enum KeyOf<'e> {
    /// String field `field` of the event, read in place.
    Field {
        field: u16,
        text: &'e str,
    },
    Value(Value),
}

impl KeyOf<'_> {
    pub(crate) fn as_ref(&self) -> KeyRef<'_> {
        match self {
            KeyOf::Field { text, .. } => KeyRef::Str(text),
            KeyOf::Value(v) => KeyRef::Value(v),
        }
    }

    fn is_absent(&self) -> bool {
        matches!(self, KeyOf::Value(Value::Absent))
    }
}

/// A rule firing, before suppression and actions.
pub(crate) struct Firing {
    pub rule: usize,
    pub time: i64,
    /// The group or sequence key, if the pattern has one.
    pub key: Option<Value>,
    pub slots: Slots,
    pub evidence: Vec<Event>,
    pub evidence_total: usize,
    pub aggregates: Vec<Value>,
    /// The event a `start` action starts its workflow with.
    pub trigger: Option<Event>,
}

impl Engine {
    /// Offers `event` to rule `r`; `gated` when the plan already found its condition true.
    /// `program` is the engine's own, passed down so that no reference count is taken per
    /// rule and event.
    pub(crate) fn rule_event(
        &mut self,
        program: &ir::Program,
        r: usize,
        event: &Event,
        gated: bool,
    ) {
        let Some(rule) = program.rules.get(r) else {
            return;
        };
        if rule.expires.is_some_and(|x| event.time >= x) {
            return;
        }
        match &rule.pattern {
            Pattern::Single { cond, .. } => {
                let slots = [Some(&**event)];
                let ctx = Ctx {
                    slots: &slots,
                    ..Ctx::default()
                };
                if gated || cond.is_none_or(|c| self.test(&rule.exprs, c, &ctx)) {
                    self.fire(
                        program,
                        Firing {
                            rule: r,
                            time: event.time,
                            key: None,
                            slots: smallvec![Some(event.clone())],
                            evidence: vec![event.clone()],
                            evidence_total: 1,
                            aggregates: Vec::new(),
                            trigger: Some(event.clone()),
                        },
                    );
                }
            }
            Pattern::Window {
                cond,
                key,
                within,
                having,
                aggregates,
                ..
            } => {
                let cond = if gated { None } else { *cond };
                self.window_event(program, r, event, cond, *key, *within, *having, aggregates)
            }
            Pattern::Sequence { within, steps } => {
                self.sequence_event(program, r, event, *within, steps, gated)
            }
        }
    }

    /// A group or sequence key, `event` being in slot `slot`. A key that is a plain string
    /// field of the event is read in place: looking up its state allocates nothing.
    fn key_of<'e>(
        &mut self,
        arena: &ir::ExprArena,
        expr: ir::ExprId,
        (slot, event): (usize, &'e Row),
        ctx: &Ctx<'_>,
    ) -> Option<KeyOf<'e>> {
        if let ir::Node::Field { slot: s, field } = *arena.node(expr)
            && s as usize == slot
            && let Some(layout) = self.tables.layouts.get(event.ty as usize)
            && layout
                .slots
                .get(field as usize)
                .is_some_and(|(_, k)| *k == Kind::Str)
        {
            return Some(match event.str_field(layout, field) {
                Some(text) => KeyOf::Field { field, text },
                None => KeyOf::Value(Value::Absent),
            });
        }
        self.value(arena, expr, ctx).map(KeyOf::Value)
    }

    /// The key as a value, to keep. A string field read in place is copied once per event
    /// however many rules keep it (they share its string).
    fn owned_key(&mut self, key: &KeyOf<'_>) -> Value {
        let &KeyOf::Field { field, text } = key else {
            return key.as_ref().to_value();
        };
        if let Some((epoch, f, v)) = &self.key_cache
            && *epoch == self.epoch
            && *f == field
        {
            return v.clone();
        }
        let v = Value::str(text);
        self.key_cache = Some((self.epoch, field, v.clone()));
        v
    }

    /// Number of keys rule `r` holds state for, for the key cap.
    pub(crate) fn rule_keys(&self, r: usize) -> usize {
        match self.rules.get(r).map(|s| &s.pattern) {
            Some(PatternState::Window(slot)) => self
                .windows
                .get(slot.table)
                .and_then(|t| t.keys.get(slot.bit))
                .copied()
                .unwrap_or(0),
            Some(PatternState::Sequence(s)) => s.len(),
            _ => 0,
        }
    }

    /// Writes an overflow record and reports whether `rule` may not take one more key.
    fn at_key_cap(&mut self, r: usize, key: KeyRef<'_>, event: &Event) -> bool {
        if self.rule_keys(r) < self.config.max_keys_per_rule {
            return false;
        }
        self.overflow(r, key, event);
        true
    }

    /// Rule `r` is at its key cap: one more key is refused, and said so.
    fn overflow(&mut self, r: usize, key: KeyRef<'_>, event: &Event) {
        self.stats.overflows += 1;
        self.records.push(Record::Overflow(OverflowRecord {
            rule: self.rule_names[r].clone(),
            key: key.to_value(),
            time: event.time,
            limit: self.config.max_keys_per_rule,
            line: event.line(),
            ruleset: self.fingerprint.clone(),
        }));
    }

    // -----------------------------------------------------------------------------------------
    // Windows

    #[allow(clippy::too_many_arguments)]
    fn window_event(
        &mut self,
        program: &ir::Program,
        r: usize,
        event: &Event,
        cond: Option<ir::ExprId>,
        key_expr: ir::ExprId,
        within: i64,
        having: ir::ExprId,
        aggregates: &[ir::Aggregate],
    ) {
        let Some(rule) = program.rules.get(r) else {
            return;
        };
        let Some(&RuleState {
            pattern: PatternState::Window(WindowSlot { table, bit }),
            count_having,
            ..
        }) = self.rules.get(r)
        else {
            return;
        };
        let slots = [Some(&**event)];
        let ctx = Ctx {
            slots: &slots,
            ..Ctx::default()
        };
        if cond.is_some_and(|c| !self.test(&rule.exprs, c, &ctx)) {
            return;
        }
        let Some(key) = self.key_of(&rule.exprs, key_expr, (0, event), &ctx) else {
            return;
        };
        if key.is_absent() {
            self.stats.key_absent += 1;
            return;
        }
        // The aggregated values of this event (one per aggregate with an argument).
        let mut values = Vec::new();
        for arg in aggregates.iter().filter_map(|a| a.arg) {
            match self.value(&rule.exprs, arg, &ctx) {
                Some(Value::Absent) | None => {
                    self.stats.key_absent += 1;
                    return;
                }
                Some(v) => values.push(v),
            }
        }
        let values = values.into_boxed_slice();
        let t = event.time;
        // The window at t holds events with t - W < e.time <= t.
        let horizon = t.saturating_sub(within);
        let k = key.as_ref();
        // A `count() >= N` having is judged on the window's length; the aggregates are then
        // computed only for a firing. Coverage records every having through the interpreter.
        let counted = count_having.filter(|_| self.coverage.is_none());
        let max_keys = self.config.max_keys_per_rule;
        let Some(tab) = self.windows.get_mut(table) else {
            return;
        };
        tab.sweep(t);
        // One lookup for a group that exists (the common case); a new one is created after
        // the key cap allows it.
        let joined = match tab.groups.get_mut(&k) {
            Some(group) => {
                group.expire(horizon, &mut tab.keys);
                // The rule has no events here: this is one more key for it.
                if group.count(bit) == 0 && tab.keys[bit] >= max_keys {
                    None
                } else {
                    group.join(bit, event, values, &mut tab.keys);
                    Some(judge(group, bit, aggregates, counted))
                }
            }
            None => {
                if self.at_key_cap(r, k, event) {
                    return;
                }
                let owned = Key(self.owned_key(&key));
                let tab = &mut self.windows[table];
                let mut group = tab.group();
                group.join(bit, event, values, &mut tab.keys);
                let judged = judge(&group, bit, aggregates, counted);
                tab.groups.insert(owned, group);
                Some(judged)
            }
        };
        let aggs = match joined {
            None => {
                self.overflow(r, k, event);
                return;
            }
            Some(None) => return,
            Some(Some(Ok(a))) => a,
            Some(Some(Err(e))) => {
                self.eval_error(e);
                return;
            }
        };
        if counted.is_none() {
            let key = self.owned_key(&key);
            let ctx = Ctx {
                slots: &slots,
                key: Some(&key),
                aggregates: &aggs,
                ..Ctx::default()
            };
            if !self.test(&rule.exprs, having, &ctx) {
                return;
            }
        }
        // Consume: the group starts again empty for this rule (and a group no rule holds
        // anything in is no state at all).
        let tab = &mut self.windows[table];
        let Some((stored, group)) = tab.groups.get_key_value_mut(&k) else {
            return;
        };
        let key = stored.0.clone();
        let (evidence, total) = group.consume(bit, EVIDENCE_LIMIT, &mut tab.keys);
        if group.is_empty() {
            tab.groups.remove(&k);
        }
        self.fire(
            program,
            Firing {
                rule: r,
                time: t,
                key: Some(key),
                slots: smallvec![Some(event.clone())],
                evidence,
                evidence_total: total,
                aggregates: aggs,
                trigger: Some(event.clone()),
            },
        );
    }

    /// Drops a sequence rule's expired state once per span of event time (SPEC §7: memory
    /// follows the live keys): keys whose partial matches have all passed their span with no
    /// absence pending. (Window tables sweep themselves, `WindowTable::sweep`.)
    fn sweep(&mut self, r: usize, now: i64, within: i64) {
        let mut explain = self.explain.as_deref_mut().filter(|x| x.rule() == r);
        let Some(state) = self.rules.get_mut(r) else {
            return;
        };
        if now < state.next_sweep {
            return;
        }
        state.next_sweep = now.saturating_add(within);
        let horizon = now.saturating_sub(within);
        if let PatternState::Sequence(keys) = &mut state.pattern {
            keys.retain(|k, s| {
                for w in &mut s.waiting {
                    if w.as_ref().is_some_and(|p| p.first_time <= horizon)
                        && let Some(p) = w.take()
                        && let Some(x) = explain.as_deref_mut()
                    {
                        let at = p.first_time.saturating_add(within);
                        let fate = SeqFate::Expired {
                            reached: p.reached(),
                            at,
                        };
                        x.note(
                            k,
                            SeqNote {
                                time: at,
                                line: None,
                                fate,
                            },
                        );
                    }
                }
                !s.is_empty()
            });
        }
    }

    // -----------------------------------------------------------------------------------------
    // Sequences

    fn sequence_event(
        &mut self,
        program: &ir::Program,
        r: usize,
        event: &Event,
        within: i64,
        steps: &[ir::SeqStep],
        gated: bool,
    ) {
        let Some(rule) = program.rules.get(r) else {
            return;
        };
        let positives = steps.iter().filter(|s| !s.absent).count();
        let final_absence = steps.last().is_some_and(|s| s.absent);
        let n = steps.len();

        // The key of each step this event's type can fill (on the stack for short sequences:
        // this runs for every event of the sequence's types).
        let mut small_keys: [Option<KeyOf<'_>>; SMALL_KEYS] = Default::default();
        let mut large_keys: Vec<Option<KeyOf<'_>>> = Vec::new();
        let keys: &mut [Option<KeyOf<'_>>] = if n <= SMALL_KEYS {
            &mut small_keys[..n]
        } else {
            large_keys.resize_with(n, || None);
            &mut large_keys
        };
        for (j, step) in steps.iter().enumerate() {
            if step.event != event.ty {
                continue;
            }
            // The first positive step: an event its condition rejects starts nothing, and its
            // key there is never needed (most events of a start type, in practice). `gated`:
            // the plan found it true (`plan::gate`: then this is step 0).
            let first = !step.absent && positive_rank(steps, j) == 0;
            let known = gated && j == 0;
            if first && !known && !self.step_matches(rule, step, (n, &[]), j, event) {
                continue;
            }
            let key = with_slots(n, |slots| {
                slots[j] = Some(event);
                let ctx = Ctx {
                    slots,
                    ..Ctx::default()
                };
                self.key_of(&rule.exprs, step.key, (j, event), &ctx)
            });
            match key {
                Some(k) if k.is_absent() => self.stats.key_absent += 1,
                Some(k) => keys[j] = Some(k),
                None => {}
            }
        }
        if keys.iter().all(Option::is_none) {
            return;
        }
        self.sweep(r, event.time, within);

        // Absences in the middle discard the partial that waits before them.
        for (j, step) in steps.iter().enumerate() {
            if !step.absent || j + 1 == n {
                continue;
            }
            let Some(key) = &keys[j] else { continue };
            let Some(k) = positive_rank(steps, j).checked_sub(1) else {
                continue;
            };
            let key = key.as_ref();
            let partial = self
                .seq_state(r)
                .and_then(|s| s.get(&key))
                .and_then(|s| s.waiting[k].clone());
            if let Some(p) = partial
                && self.step_matches(rule, step, (n, &p.slots), j, event)
                && let Some(s) = self.seq_state_mut(r).and_then(|s| s.get_mut(&key))
            {
                s.waiting[k] = None;
                let reached = p.reached();
                self.explain_seq(
                    r,
                    key,
                    event.time,
                    event.line(),
                    SeqFate::Discarded { reached },
                );
            }
        }

        // A final absence cancels the pending matches of its key whose deadline is later.
        if final_absence && let Some(key) = &keys[n - 1] {
            let key = key.as_ref();
            let step = &steps[n - 1];
            // The matches whose deadline is still ahead; without a condition on the absent
            // event that decides it, and nothing needs copying.
            let in_time = |p: &Partial| event.time < p.first_time + within;
            let explaining = self.explain.as_ref().is_some_and(|x| x.rule() == r);
            let mut cancelled: Vec<u64> = match self.seq_state_mut(r).and_then(|s| s.get_mut(&key))
            {
                // Nothing to evaluate and nothing to note: cancelled in place.
                Some(s) if step.cond.is_none() && !explaining => {
                    s.pending.retain(|(_, p)| !in_time(p));
                    Vec::new()
                }
                Some(s) if step.cond.is_none() => s
                    .pending
                    .iter()
                    .filter(|(_, p)| in_time(p))
                    .map(|(id, _)| *id)
                    .collect(),
                Some(s) => {
                    let pending = s.pending.clone();
                    let mut ids = Vec::new();
                    for (id, p) in &pending {
                        if in_time(p) && self.step_matches(rule, step, (n, &p.slots), n - 1, event)
                        {
                            ids.push(*id);
                        }
                    }
                    ids
                }
                None => Vec::new(),
            };
            cancelled.sort_unstable();
            if !cancelled.is_empty()
                && let Some(s) = self.seq_state_mut(r).and_then(|s| s.get_mut(&key))
            {
                s.pending
                    .retain(|(id, _)| cancelled.binary_search(id).is_err());
                for _ in &cancelled {
                    self.explain_seq(r, key, event.time, event.line(), SeqFate::Cancelled);
                }
            }
        }

        // Positive steps, last first, so one event never fills two steps of one match.
        for j in (0..n).rev() {
            if steps[j].absent || steps[j].event != event.ty {
                continue;
            }
            let k = positive_rank(steps, j);
            let Some(key_of) = &keys[j] else { continue };
            let key = key_of.as_ref();
            let candidate = if k == 0 {
                // A new match (its condition held when its key was read).
                Some(Partial {
                    slots: smallvec![None; n],
                    first_time: event.time,
                })
            } else {
                let waiting = self
                    .seq_state(r)
                    .and_then(|s| s.get(&key))
                    .and_then(|s| s.waiting[k - 1].clone());
                match waiting {
                    // Every positive step must fall within the span of the first.
                    Some(p) if event.time - p.first_time < within => Some(p),
                    Some(p) => {
                        if let Some(s) = self.seq_state_mut(r).and_then(|s| s.get_mut(&key)) {
                            s.waiting[k - 1] = None;
                        }
                        let fate = SeqFate::Expired {
                            reached: p.reached(),
                            at: p.first_time.saturating_add(within),
                        };
                        self.explain_seq(r, key, event.time, event.line(), fate);
                        None
                    }
                    None => None,
                }
            };
            let Some(partial) = candidate else { continue };
            if k > 0 && !self.step_matches(rule, &steps[j], (n, &partial.slots), j, event) {
                continue;
            }
            let mut advanced = partial;
            advanced.slots[j] = Some(event.clone());
            let complete = k + 1 == positives;
            if !complete || final_absence {
                // The match waits, for its next positive step or for its absence deadline:
                // stored with one lookup of its key (or one insertion, for a first step).
                let place = if complete {
                    self.timer_ids += 1;
                    Place::Pending(self.timer_ids)
                } else {
                    Place::Waiting(k)
                };
                let deadline = advanced.first_time + within;
                let replaced = match self.seq_state_mut(r).and_then(|s| s.get_mut(&key)) {
                    Some(s) => {
                        if k > 0 {
                            s.waiting[k - 1] = None;
                        }
                        s.store(place, advanced)
                    }
                    None if k == 0 => {
                        if self.at_key_cap(r, key, event) {
                            continue;
                        }
                        let owned = Key(self.owned_key(key_of));
                        let mut s = SeqKey {
                            waiting: vec![None; positives - 1],
                            pending: SmallVec::new(),
                        };
                        s.store(place, advanced);
                        if let Some(state) = self.seq_state_mut(r) {
                            state.insert(owned, s);
                        }
                        None
                    }
                    None => continue,
                };
                let progress = if k == 0 {
                    SeqFate::Started
                } else {
                    SeqFate::Advanced { reached: k + 1 }
                };
                self.explain_seq(r, key, event.time, event.line(), progress);
                match place {
                    Place::Waiting(_) => {
                        if replaced.is_some() {
                            let fate = SeqFate::Superseded { reached: k + 1 };
                            self.explain_seq(r, key, event.time, event.line(), fate);
                        }
                    }
                    Place::Pending(id) => {
                        self.explain_seq(r, key, event.time, event.line(), SeqFate::Completed);
                        let owned = Key(self.owned_key(key_of));
                        self.schedule(
                            deadline,
                            rule.origin.order,
                            TimerKind::Absence {
                                rule: r,
                                key: owned,
                                id,
                            },
                        );
                    }
                }
                continue;
            }
            if k == 0 && !self.ensure_seq_key(r, key_of, event, positives) {
                continue;
            }
            if k > 0
                && let Some(s) = self.seq_state_mut(r).and_then(|s| s.get_mut(&key))
            {
                s.waiting[k - 1] = None;
            }
            let progress = if k == 0 {
                SeqFate::Started
            } else {
                SeqFate::Advanced { reached: k + 1 }
            };
            self.explain_seq(r, key, event.time, event.line(), progress);
            self.explain_seq(r, key, event.time, event.line(), SeqFate::Completed);
            // Complete: fire once, and discard every partial of this key (skip past last event).
            let dropped: Vec<usize> = self
                .seq_state_mut(r)
                .and_then(|s| s.get_mut(&key))
                .map(|s| {
                    s.waiting
                        .iter_mut()
                        .filter_map(|w| w.take())
                        .map(|p| p.reached())
                        .collect()
                })
                .unwrap_or_default();
            for reached in dropped {
                self.explain_seq(
                    r,
                    key,
                    event.time,
                    event.line(),
                    SeqFate::Dropped { reached },
                );
            }
            let evidence: Vec<Event> = advanced.slots.iter().flatten().cloned().collect();
            let owned = self.owned_key(key_of);
            self.fire(
                program,
                Firing {
                    rule: r,
                    time: event.time,
                    key: Some(owned),
                    slots: advanced.slots,
                    evidence_total: evidence.len(),
                    evidence,
                    aggregates: Vec::new(),
                    trigger: Some(event.clone()),
                },
            );
            self.drop_seq_key_if_empty(r, key);
            // The completing event does not start a new match.
            return;
        }
    }

    fn seq_state(&self, r: usize) -> Option<&KeyMap<SeqKey>> {
        match &self.rules.get(r)?.pattern {
            PatternState::Sequence(s) => Some(s),
            _ => None,
        }
    }

    fn seq_state_mut(&mut self, r: usize) -> Option<&mut KeyMap<SeqKey>> {
        match &mut self.rules.get_mut(r)?.pattern {
            PatternState::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// Makes sure `key` has sequence state; false when the key cap forbids it.
    fn ensure_seq_key(
        &mut self,
        r: usize,
        key: &KeyOf<'_>,
        event: &Event,
        positives: usize,
    ) -> bool {
        if self
            .seq_state(r)
            .is_some_and(|s| s.contains_key(&key.as_ref()))
        {
            return true;
        }
        if self.at_key_cap(r, key.as_ref(), event) {
            return false;
        }
        let owned = Key(self.owned_key(key));
        if let Some(s) = self.seq_state_mut(r) {
            s.insert(
                owned,
                SeqKey {
                    waiting: vec![None; positives - 1],
                    pending: SmallVec::new(),
                },
            );
        }
        true
    }

    fn drop_seq_key_if_empty(&mut self, r: usize, k: KeyRef<'_>) {
        if let Some(s) = self.seq_state_mut(r)
            && s.get(&k).is_some_and(SeqKey::is_empty)
        {
            s.remove(&k);
        }
    }

    /// Whether `event` fills step `j` of a match of `n` steps whose earlier steps hold
    /// `earlier` (missing ones are empty; its condition sees them).
    fn step_matches(
        &mut self,
        rule: &ir::Rule,
        step: &ir::SeqStep,
        (n, earlier): (usize, &[Option<Event>]),
        j: usize,
        event: &Event,
    ) -> bool {
        let Some(cond) = step.cond else { return true };
        with_slots(n, |slots| {
            for (s, p) in slots.iter_mut().zip(earlier) {
                *s = p.as_deref();
            }
            if let Some(s) = slots.get_mut(j) {
                *s = Some(event);
            }
            let ctx = Ctx {
                slots,
                ..Ctx::default()
            };
            self.test(&rule.exprs, cond, &ctx)
        })
    }

    /// A final-absence deadline: the match fires unless an absent-type event cancelled it.
    pub(crate) fn absence_deadline(&mut self, r: usize, k: Key, id: u64, due: i64) {
        let Some(s) = self.seq_state_mut(r).and_then(|s| s.get_mut(&k)) else {
            return;
        };
        let Some(pos) = s.pending.iter().position(|(i, _)| *i == id) else {
            return;
        };
        let (_, partial) = s.pending.remove(pos);
        if s.is_empty()
            && let Some(state) = self.seq_state_mut(r)
        {
            state.remove(&k);
        }
        let program = self.program.clone();
        let Some(rule) = program.rules.get(r) else {
            return;
        };
        if rule.expires.is_some_and(|x| due >= x) {
            return;
        }
        let evidence: Vec<Event> = partial.slots.iter().flatten().cloned().collect();
        let trigger = evidence.last().cloned();
        self.fire(
            &program,
            Firing {
                rule: r,
                time: due,
                key: Some(k.0),
                slots: partial.slots,
                evidence_total: evidence.len(),
                evidence,
                aggregates: Vec::new(),
                trigger,
            },
        );
    }

    pub(crate) fn absence_is_live(&self, r: usize, k: &Key, id: u64) -> bool {
        self.seq_state(r)
            .and_then(|s| s.get(k))
            .is_some_and(|s| s.pending.iter().any(|(i, _)| *i == id))
    }

    // -----------------------------------------------------------------------------------------
    // Firing: suppression, then actions

    pub(crate) fn fire(&mut self, program: &ir::Program, f: Firing) {
        let Some(rule) = program.rules.get(f.rule) else {
            return;
        };
        if rule.expires.is_some_and(|x| f.time >= x) {
            return;
        }
        self.fire_count += 1;
        if let Some(c) = self.coverage.as_mut() {
            c.rule(f.rule, true);
        }
        let slot_refs: SmallVec<[Option<&Row>; 3]> = f.slots.iter().map(|s| s.as_deref()).collect();
        let ctx = Ctx {
            slots: &slot_refs,
            key: f.key.as_ref(),
            aggregates: &f.aggregates,
            ..Ctx::default()
        };
        let suppress_key = match &rule.suppress {
            Some(s) => match s.key {
                Some(e) => match self.value(&rule.exprs, e, &ctx) {
                    Some(v) => Some(v),
                    None => return,
                },
                None => None,
            },
            None => None,
        };
        // The alert key: group or sequence key, else the `suppress by` value, else null.
        let alert_key = f
            .key
            .clone()
            .or_else(|| suppress_key.clone())
            .unwrap_or(Value::Absent);
        if let Some(s) = &rule.suppress {
            let k = Key(suppress_key
                .clone()
                .or_else(|| f.key.clone())
                .unwrap_or(Value::Absent));
            let state = &mut self.rules[f.rule];
            if state
                .suppressed_until
                .get(&k)
                .is_some_and(|until| f.time < *until)
            {
                self.stats.suppressed += 1;
                self.explain_fired(f.rule, f.time, f.key.as_ref(), &f.evidence, true);
                return;
            }
            state.suppressed_until.insert(k, f.time + s.duration);
            if state.suppressed_until.len() >= state.sweep_at {
                let now = f.time;
                state.suppressed_until.retain(|_, until| *until > now);
                state.sweep_at = (state.suppressed_until.len() * 2).max(1024);
            }
        }
        self.explain_fired(f.rule, f.time, f.key.as_ref(), &f.evidence, false);
        let origin = crate::record::Origin::Rule(self.rule_names[f.rule].clone());
        let title = rule.title.as_deref().map(Arc::from);
        let actions = &rule.actions;
        self.run_actions(
            actions,
            &rule.exprs,
            &ctx,
            crate::actions::ActionContext {
                program,
                origin,
                default_severity: rule.severity,
                title,
                key: alert_key,
                time: f.time,
                evidence: &f.evidence,
                evidence_total: f.evidence_total,
                shadow: rule.shadow,
                producer: self.rule_names[f.rule].clone(),
                trigger: f.trigger.as_ref(),
            },
        );
    }

    /// Builds a derived event from an `emit` action's field values.
    pub(crate) fn derived_row(
        &self,
        event: u32,
        time: i64,
        fields: Vec<Value>,
        producer: &Arc<str>,
    ) -> Row {
        self.build_row(event, time, &fields, Source::Derived(producer.clone()))
    }

    /// Packs field values (one per declared field) into a row.
    pub(crate) fn build_row(&self, event: u32, time: i64, fields: &[Value], source: Source) -> Row {
        let Some(layout) = self.tables.layouts.get(event as usize) else {
            return crate::row::RowBuilder::new(&crate::row::Layout {
                slots: Vec::new(),
                words: 0,
            })
            .finish(event, time, source);
        };
        let mut b = crate::row::RowBuilder::new(layout);
        for (i, v) in fields.iter().enumerate() {
            b.set_value(u16::try_from(i).unwrap_or(u16::MAX), v);
        }
        b.finish(event, time, source)
    }
}

/// Sequences of up to this many steps evaluate on the stack.
const SMALL: usize = 8;

/// Sequences of up to this many steps keep their keys on the stack (dropped one by one for
/// every event of their types: fewer than `SMALL`).
const SMALL_KEYS: usize = 4;

/// Runs `f` with `n` empty event slots, on the stack when `n` is small.
fn with_slots<'r, T>(n: usize, f: impl FnOnce(&mut [Option<&'r Row>]) -> T) -> T {
    if n <= SMALL {
        let mut slots = [None; SMALL];
        f(&mut slots[..n])
    } else {
        f(&mut vec![None; n])
    }
}

/// The position of step `j` among the positive steps (the steps before it that are not
/// absences).
fn positive_rank(steps: &[ir::SeqStep], j: usize) -> usize {
    steps[..j].iter().filter(|s| !s.absent).count()
}

/// The aggregates of rule `bit`'s window once the event has joined `group`, or `None` when a
/// count-only `having` already fails on the window's length.
fn judge(
    group: &Group,
    bit: usize,
    aggregates: &[ir::Aggregate],
    counted: Option<CountHaving>,
) -> Option<Result<Vec<Value>, EvalError>> {
    let len = group.count(bit);
    if counted.is_some_and(|c| !c.holds(len)) {
        return None;
    }
    Some(windows::aggregates(aggregates, len, group.window(bit)))
}

/// A `having` that compares `count()` with an integer (`count() >= 3`, the usual form): it
/// is decided by the window's length alone, before any aggregate is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CountHaving {
    op: ir::BinOp,
    n: i64,
}

impl CountHaving {
    /// The count-only test of `rule`'s `having`, if it is one.
    pub(crate) fn of(rule: &ir::Rule) -> Option<CountHaving> {
        let Pattern::Window {
            having, aggregates, ..
        } = &rule.pattern
        else {
            return None;
        };
        let ir::Node::Binary(op, l, r) = *rule.exprs.node(*having) else {
            return None;
        };
        let is_count = |e: ir::ExprId| {
            matches!(*rule.exprs.node(e), ir::Node::Agg(i)
                if aggregates.get(i as usize).is_some_and(|a| a.kind == ir::AggKind::Count))
        };
        let int = |e: ir::ExprId| match rule.exprs.node(e) {
            ir::Node::Const(Value::Int(n)) => Some(*n),
            _ => None,
        };
        let (op, n) = match (is_count(l), int(r), int(l), is_count(r)) {
            (true, Some(n), _, _) => (op, n),
            // `3 <= count()` reads as `count() >= 3`.
            (_, _, Some(n), true) => (op.mirrored()?, n),
            _ => return None,
        };
        op.is_comparison().then_some(CountHaving { op, n })
    }

    fn holds(self, len: usize) -> bool {
        let count = Value::Int(i64::try_from(len).unwrap_or(i64::MAX));
        ops::compare(self.op, &count, &Value::Int(self.n))
    }
}
