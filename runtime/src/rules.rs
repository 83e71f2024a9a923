//! Rules: single events, sliding windows with consumption, sequences with EQL-style match
//! selection and absences (SPEC §4.1), suppression and actions (SPEC §4.2).

// PANIC SAFETY: the indexes here are typed ids (`RuleId`, `WorkflowId`, `StateId`) into
// `IdVec`s built from the program that made them, in bounds by construction (Cranelift's
// `PrimaryMap` argument); any other indexing in this module goes through `get`.
#![allow(clippy::indexing_slicing)]

use std::sync::Arc;

use smallvec::{SmallVec, smallvec};
use vigil_ir::{self as ir, Pattern, RuleId, Value};

use crate::engine::Engine;
use crate::explain::{SeqFate, SeqNote};
use crate::host::{Host, KeyOf};
use crate::interp::{Ctx, EvalError};
use crate::record::{OverflowRecord, Record};
use crate::row::{Event, Key, KeyMap, KeyRef, Kind, Row, Source};
use crate::sequence::{Complete, Sequence, Slots};
use crate::timers::TimerKind;
use crate::windows::{self, CountHaving, WindowSlot, WindowTable};

pub(crate) struct RuleState {
    pub(crate) pattern: PatternState,
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
    Sequence(Sequence),
}

impl PatternState {
    /// Event time of the pattern's next sweep of expired state.
    pub(crate) fn next_sweep(&self, windows: &[windows::WindowTable]) -> i64 {
        match self {
            PatternState::Single => i64::MIN,
            PatternState::Window(slot) => {
                windows.get(slot.table).map_or(i64::MIN, |t| t.next_sweep)
            }
            PatternState::Sequence(s) => s.next_sweep(),
        }
    }
}

impl RuleState {
    /// A rule's state; `window` is where a window rule keeps its groups.
    pub(crate) fn new(rule: &ir::Rule, window: Option<WindowSlot>) -> RuleState {
        let pattern = match (&rule.pattern, window) {
            (Pattern::Window { .. }, Some(slot)) => PatternState::Window(slot),
            (Pattern::Sequence { steps, within }, _) => {
                PatternState::Sequence(Sequence::new(steps, *within))
            }
            _ => PatternState::Single,
        };
        RuleState {
            pattern,
            suppressed_until: KeyMap::default(),
            sweep_at: 1024,
            count_having: CountHaving::of(rule),
        }
    }
}

/// A rule firing, before suppression and actions.
pub(crate) struct Firing {
    pub rule: RuleId,
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
        r: RuleId,
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
            Pattern::Window { .. } => self.window_event(program, r, event, gated),
            Pattern::Sequence { .. } => self.sequence_event(program, r, event, gated),
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
    pub(crate) fn rule_keys(&self, r: RuleId) -> usize {
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

    /// Rule `r` is at its key cap: one more key is refused, and said so.
    fn overflow(&mut self, r: RuleId, key: KeyRef<'_>, event: &Event) {
        self.stats.overflows += 1;
        self.records.push(Record::Overflow(OverflowRecord {
            rule: self.names.rules[r].clone(),
            key: key.to_value(),
            time: event.time,
            limit: self.config.max_keys_per_rule,
            line: event.line(),
            ruleset: self.fingerprint.clone(),
        }));
    }

    // -----------------------------------------------------------------------------------------
    // Windows

    /// Offers `event` to window rule `r`, whose table is taken out of the engine while it
    /// runs so that the engine can be its host (no other rule reads the table meanwhile).
    fn window_event(&mut self, program: &ir::Program, r: RuleId, event: &Event, gated: bool) {
        let Some(rule) = program.rules.get(r) else {
            return;
        };
        let Pattern::Window {
            cond,
            key,
            within,
            having,
            aggregates,
            ..
        } = &rule.pattern
        else {
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
        let spec = windows::Spec {
            exprs: &rule.exprs,
            cond: if gated { None } else { *cond },
            key: *key,
            within: *within,
            having: *having,
            aggregates,
            bit,
            // Coverage records every `having` through the interpreter.
            counted: count_having.filter(|_| !self.clauses_observed()),
        };
        let Some(tab) = self.windows.get_mut(table) else {
            return;
        };
        let mut tab = std::mem::replace(tab, WindowTable::empty());
        let mut host = RuleHost {
            engine: self,
            rule: r,
            order: rule.origin.order,
        };
        let consumed = tab.offer(&mut host, &spec, event);
        if let Some(slot) = self.windows.get_mut(table) {
            *slot = tab;
        }
        let Some(c) = consumed else { return };
        self.fire(
            program,
            Firing {
                rule: r,
                time: event.time,
                key: Some(c.key),
                slots: smallvec![Some(event.clone())],
                evidence: c.evidence,
                evidence_total: c.total,
                aggregates: c.aggregates,
                trigger: Some(event.clone()),
            },
        );
    }

    // -----------------------------------------------------------------------------------------
    // Sequences

    /// Offers `event` to sequence rule `r`, whose matcher is taken out of the engine while it
    /// runs so that the engine can be its host.
    fn sequence_event(&mut self, program: &ir::Program, r: RuleId, event: &Event, gated: bool) {
        let (Some(rule), Some(state)) = (program.rules.get(r), self.rules.get_mut(r)) else {
            return;
        };
        let mut seq = match std::mem::replace(&mut state.pattern, PatternState::Single) {
            PatternState::Sequence(seq) => seq,
            other => {
                state.pattern = other;
                return;
            }
        };
        let mut host = RuleHost {
            engine: self,
            rule: r,
            order: rule.origin.order,
        };
        let complete = seq.offer(&mut host, &rule.exprs, event, gated);
        if let Some(state) = self.rules.get_mut(r) {
            state.pattern = PatternState::Sequence(seq);
        }
        let Some(Complete { key, slots }) = complete else {
            return;
        };
        let evidence: Vec<Event> = slots.iter().flatten().cloned().collect();
        self.fire(
            program,
            Firing {
                rule: r,
                time: event.time,
                key: Some(key),
                slots,
                evidence_total: evidence.len(),
                evidence,
                aggregates: Vec::new(),
                trigger: Some(event.clone()),
            },
        );
    }

    fn seq_state_mut(&mut self, r: RuleId) -> Option<&mut Sequence> {
        match &mut self.rules.get_mut(r)?.pattern {
            PatternState::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// A final-absence deadline: the match fires unless an absent-type event cancelled it.
    pub(crate) fn absence_deadline(&mut self, r: RuleId, k: Key, id: u64, due: i64) {
        let Some(partial) = self.seq_state_mut(r).and_then(|s| s.due(&k, id)) else {
            return;
        };
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

    pub(crate) fn absence_is_live(&self, r: RuleId, k: &Key, id: u64) -> bool {
        match self.rules.get(r).map(|s| &s.pattern) {
            Some(PatternState::Sequence(s)) => s.is_pending(k, id),
            _ => false,
        }
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
        self.observe(|o| o.rule(f.rule, true));
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
                self.observe(|o| o.fired(f.rule, f.time, f.key.as_ref(), &f.evidence, true));
                return;
            }
            state.suppressed_until.insert(k, f.time + s.duration);
            if state.suppressed_until.len() >= state.sweep_at {
                let now = f.time;
                state.suppressed_until.retain(|_, until| *until > now);
                state.sweep_at = (state.suppressed_until.len() * 2).max(1024);
            }
        }
        self.observe(|o| o.fired(f.rule, f.time, f.key.as_ref(), &f.evidence, false));
        let origin = crate::record::Origin::Rule(self.names.rules[f.rule].clone());
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
                producer: self.names.rules[f.rule].clone(),
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

/// The engine as the host of rule `rule`'s matcher.
struct RuleHost<'e> {
    engine: &'e mut Engine,
    rule: RuleId,
    /// The rule's declaration order, which orders its timers.
    order: u32,
}

impl Host for RuleHost<'_> {
    fn test(&mut self, arena: &ir::ExprArena, cond: ir::ExprId, ctx: &Ctx<'_>) -> bool {
        self.engine.test(arena, cond, ctx)
    }

    fn value(&mut self, arena: &ir::ExprArena, expr: ir::ExprId, ctx: &Ctx<'_>) -> Option<Value> {
        self.engine.value(arena, expr, ctx)
    }

    fn eval_error(&mut self, e: EvalError) {
        self.engine.eval_error(e);
    }

    fn key_of<'e>(
        &mut self,
        arena: &ir::ExprArena,
        expr: ir::ExprId,
        at: (usize, &'e Row),
        ctx: &Ctx<'_>,
    ) -> Option<KeyOf<'e>> {
        self.engine.key_of(arena, expr, at, ctx)
    }

    fn owned_key(&mut self, key: &KeyOf<'_>) -> Value {
        self.engine.owned_key(key)
    }

    fn key_absent(&mut self) {
        self.engine.stats.key_absent += 1;
    }

    fn admit(&mut self, held: usize, key: KeyRef<'_>, event: &Event) -> bool {
        if held < self.engine.config.max_keys_per_rule {
            return true;
        }
        self.engine.overflow(self.rule, key, event);
        false
    }

    fn pending_id(&mut self) -> u64 {
        self.engine.numbering.next_pending()
    }

    fn absence_timer(&mut self, due: i64, key: Key, id: u64) {
        let kind = TimerKind::Absence {
            rule: self.rule,
            key,
            id,
        };
        self.engine.schedule(due, self.order, kind);
    }

    fn observe(&mut self, key: KeyRef<'_>, time: i64, line: Option<u64>, fate: SeqFate) {
        let note = SeqNote { time, line, fate };
        let rule = self.rule;
        self.engine.observe(|o| o.sequence(rule, key, note.clone()));
    }

    fn observed(&self) -> bool {
        (self.engine.explain.as_ref()).is_some_and(|x| x.rule() == self.rule)
    }
}
