//! Workflows (SPEC §5): instances per key, driven by events and deadlines in event time.

// PANIC SAFETY: the indexes here are typed ids (`RuleId`, `WorkflowId`, `StateId`) into
// `IdVec`s built from the program that made them, in bounds by construction (Cranelift's
// `PrimaryMap` argument); any other indexing in this module goes through `get`.
#![allow(clippy::indexing_slicing)]

use std::sync::Arc;

use vigil_ir::{self as ir, Delay, IdVec, Severity, StateId, Transition, Value, WorkflowId};

use crate::actions::ActionContext;
use crate::engine::Engine;
use crate::interp::Ctx;
use crate::record::{Origin, Record, TransitionRecord};
use crate::row::{Event, Key, Layout, Row};
use crate::snapshot::{Dec, Enc, Orphan, R};
use crate::timers::TimerKind;

#[derive(Default)]
pub(crate) struct WorkflowState {
    pub(crate) instances: crate::row::KeyMap<Instance>,
}

#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub state: StateId,
    pub entered: i64,
    pub start: Event,
    pub visits: IdVec<StateId, u32>,
    /// Identifies this entry into `state`: timers of earlier entries carry other numbers.
    pub generation: u64,
    /// Identifies the instance among those its key has had: its workflow-level timers carry
    /// this number (a generation taken at its start).
    pub born: u64,
    /// For each transition of the current state, the events filling its `await` items.
    pub awaits: Vec<Vec<Option<Event>>>,
    /// The variables (SPEC v0.2), by number.
    pub vars: Vec<Value>,
    /// The rule set fingerprint the instance started with (SPEC §5), kept across reloads.
    #[allow(dead_code)]
    pub fingerprint: Arc<str>,
}

/// The event types a workflow reads.
pub(crate) fn event_types(w: &ir::Workflow) -> Vec<u32> {
    let mut out = vec![w.start.event];
    for s in &w.states {
        for t in &s.transitions {
            match t {
                Transition::On { trigger, .. } => out.push(trigger.event),
                Transition::Await { items, .. } => out.extend(items.iter().map(|i| i.event)),
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Why a transition happened.
/// The instance something happens to: its workflow and key.
#[derive(Clone, Copy)]
struct Of<'a> {
    w: WorkflowId,
    wf: &'a ir::Workflow,
    key: &'a Key,
}

enum Cause<'a> {
    Event(&'a Event),
    /// Timer `index` of the state being left, and its label.
    Timer(usize, &'a str),
    /// A workflow-level timer (SPEC v0.2), by its label.
    WorkflowTimer(&'a str),
}

impl Engine {
    pub(crate) fn workflow_event(&mut self, w: WorkflowId, event: &Event) {
        let program = self.program.clone();
        let Some(wf) = program.workflows.get(w) else {
            return;
        };
        let mut started: Option<Key> = None;
        if wf.start.event == event.ty {
            let slots = [Some(&**event)];
            let ctx = Ctx {
                slots: &slots,
                ..Ctx::default()
            };
            if wf.start.cond.is_none_or(|c| self.test(&wf.exprs, c, &ctx)) {
                match self.value(&wf.exprs, wf.start.key, &ctx) {
                    Some(Value::Absent) => self.stats.key_absent += 1,
                    Some(key) => {
                        let k = Key(key);
                        if self.start_instance(w, wf, k.clone(), event, event.time) {
                            started = Some(k);
                        }
                    }
                    None => {}
                }
            }
        }
        // Which instances the event can belong to: the keys its triggers compute.
        let mut keys: Vec<Key> = Vec::new();
        for state in &wf.states {
            for t in &state.transitions {
                let triggers: Vec<&ir::Trigger> = match t {
                    Transition::On { trigger, .. } => vec![trigger],
                    Transition::Await { items, .. } => items.iter().collect(),
                };
                for trig in triggers {
                    if trig.event != event.ty {
                        continue;
                    }
                    if let Some(k) = self.trigger_key(wf, trig, event)
                        && !keys.contains(&k)
                    {
                        keys.push(k);
                    }
                }
            }
        }
        for k in keys {
            // The start event is not offered to the state it started.
            if started.as_ref() == Some(&k) {
                continue;
            }
            self.offer(w, wf, &k, event);
        }
    }

    fn trigger_key(&mut self, wf: &ir::Workflow, trig: &ir::Trigger, event: &Event) -> Option<Key> {
        let slots = [None, Some(&**event)];
        let ctx = Ctx {
            slots: &slots,
            ..Ctx::default()
        };
        match self.value(&wf.exprs, trig.key, &ctx)? {
            Value::Absent => None,
            v => Some(Key(v)),
        }
    }

    /// Offers an event to the instance `key`'s current state: the first matching transition
    /// (in source order) is taken; an `await` it only partly fills lets later ones try too.
    fn offer(&mut self, w: WorkflowId, wf: &ir::Workflow, key: &Key, event: &Event) {
        let Some(at) = self.workflows[w].instances.get(key).map(|i| i.state) else {
            return;
        };
        let Some(state) = wf.states.get(at) else {
            return;
        };
        // An event the state has no transition for leaves it as it is; the copy below (the
        // guards read the instance while the engine is borrowed) is only made for one it has.
        let consumes = state.transitions.iter().any(|t| match t {
            Transition::On { trigger, .. } => trigger.event == event.ty,
            Transition::Await { items, .. } => items.iter().any(|i| i.event == event.ty),
        });
        if !consumes {
            return;
        }
        let Some(inst) = self.workflows[w].instances.get(key).cloned() else {
            return;
        };
        let from_name = state.name.clone();
        for (ti, t) in state.transitions.iter().enumerate() {
            match t {
                Transition::On {
                    trigger,
                    target,
                    actions,
                } => {
                    if trigger.event != event.ty
                        || self.trigger_key(wf, trigger, event).as_ref() != Some(key)
                    {
                        continue;
                    }
                    let taken = self.guard(wf, trigger, &inst, event, &from_name);
                    self.observe(|o| o.transition(w, inst.state, ti, taken));
                    if !taken {
                        continue;
                    }
                    let of = Of { w, wf, key };
                    self.take(of, *target, actions, Cause::Event(event), event.time);
                    return;
                }
                Transition::Await {
                    quorum,
                    items,
                    target,
                    actions,
                } => {
                    let mut filled = inst
                        .awaits
                        .get(ti)
                        .cloned()
                        .unwrap_or_else(|| vec![None; items.len()]);
                    let mut took = None;
                    for (ii, item) in items.iter().enumerate() {
                        if filled.get(ii).is_some_and(Option::is_some) || item.event != event.ty {
                            continue;
                        }
                        if self.trigger_key(wf, item, event).as_ref() != Some(key) {
                            continue;
                        }
                        if self.guard(wf, item, &inst, event, &from_name) {
                            took = Some(ii);
                            break;
                        }
                    }
                    let Some(slot) = took.and_then(|ii| filled.get_mut(ii)) else {
                        continue;
                    };
                    *slot = Some(event.clone());
                    let count = filled.iter().filter(|f| f.is_some()).count();
                    let complete = count >= *quorum as usize;
                    self.observe(|o| o.transition(w, inst.state, ti, complete));
                    if complete {
                        let of = Of { w, wf, key };
                        self.take(of, *target, actions, Cause::Event(event), event.time);
                        return;
                    }
                    if let Some(i) = self.workflows[w].instances.get_mut(key)
                        && let Some(slot) = i.awaits.get_mut(ti)
                    {
                        *slot = filled;
                    }
                }
            }
        }
    }

    fn guard(
        &mut self,
        wf: &ir::Workflow,
        trig: &ir::Trigger,
        inst: &Instance,
        event: &Event,
        from: &str,
    ) -> bool {
        let Some(cond) = trig.cond else { return true };
        let slots = [Some(&*inst.start), Some(&**event)];
        let ctx = Ctx {
            slots: &slots,
            from: Some(from),
            visits: &inst.visits,
            vars: &inst.vars,
            ..Ctx::default()
        };
        self.test(&wf.exprs, cond, &ctx)
    }

    /// Starts an instance for `key` (unless one is live); true when it started.
    fn start_instance(
        &mut self,
        w: WorkflowId,
        wf: &ir::Workflow,
        key: Key,
        event: &Event,
        time: i64,
    ) -> bool {
        if self.workflows[w].instances.contains_key(&key) {
            self.stats.duplicate_starts += 1;
            return false;
        }
        let Some(first) = wf.states.first() else {
            return false;
        };
        let born = self.numbering.next_generation();
        let vars = self.initial_vars(wf, &key, event);
        let inst = Instance {
            state: StateId(0),
            entered: time,
            start: event.clone(),
            visits: wf.states.map(|_| 0),
            generation: 0,
            born,
            vars,
            awaits: Vec::new(),
            fingerprint: self.fingerprint.clone(),
        };
        self.workflows[w].instances.insert(key.clone(), inst);
        self.transition_record(w, &key, None, &first.name, &Cause::Event(event), time);
        // Workflow-level timers are created before the first state's, so at one instant they
        // run first (SPEC v0.2); they count from the start event's time.
        for (i, timer) in wf.timers.iter().enumerate() {
            let due = self.delay_due(event.time, timer.delay);
            self.schedule(
                due,
                wf.origin.order,
                TimerKind::WorkflowLevel {
                    workflow: w,
                    key: key.clone(),
                    born,
                    timer: i,
                },
            );
        }
        let of = Of { w, wf, key: &key };
        self.enter(of, StateId(0), None, Some(event), time);
        true
    }

    /// The variables of an instance that `start` starts, each from its `var` initialiser (which
    /// may read the start event and the variables before it).
    fn initial_vars(&mut self, wf: &ir::Workflow, key: &Key, start: &Event) -> Vec<Value> {
        let mut vars: Vec<Value> = Vec::with_capacity(wf.vars.len());
        for v in &wf.vars {
            let slots: [Option<&Row>; 1] = [Some(&**start)];
            let ctx = Ctx {
                slots: &slots,
                key: Some(&key.0),
                vars: &vars,
                ..Ctx::default()
            };
            let value = self.value(&wf.exprs, v.init, &ctx).unwrap_or(Value::Absent);
            vars.push(value);
        }
        vars
    }

    /// A rule's `start` action: the rule's event starts an instance (its `where` is the rule's).
    pub(crate) fn start_by_rule(&mut self, w: WorkflowId, event: &Event, time: i64) {
        let program = self.program.clone();
        let Some(wf) = program.workflows.get(w) else {
            return;
        };
        if wf.start.event != event.ty {
            return;
        }
        let slots = [Some(&**event)];
        let ctx = Ctx {
            slots: &slots,
            ..Ctx::default()
        };
        match self.value(&wf.exprs, wf.start.key, &ctx) {
            Some(Value::Absent) => self.stats.key_absent += 1,
            Some(key) => {
                self.start_instance(w, wf, Key(key), event, time);
            }
            None => {}
        }
    }

    fn transition_record(
        &mut self,
        w: WorkflowId,
        key: &Key,
        from: Option<&str>,
        to: &str,
        cause: &Cause<'_>,
        time: i64,
    ) {
        self.stats.transitions += 1;
        let (cause_text, line, evidence): (Arc<str>, Option<u64>, Option<Event>) = match cause {
            Cause::Event(e) => {
                let name = self.names.events.get(e.ty as usize).cloned();
                let name = name.unwrap_or_else(|| Arc::from("?"));
                (name, e.line(), Some(Arc::clone(e)))
            }
            Cause::Timer(_, label) | Cause::WorkflowTimer(label) => (Arc::from(*label), None, None),
        };
        self.records.push(Record::Transition(TransitionRecord {
            workflow: self.names.workflows[w].clone(),
            key: key.0.clone(),
            from: from.map(Arc::from),
            to: Arc::from(to),
            time,
            cause: cause_text,
            line,
            evidence,
            ruleset: self.fingerprint.clone(),
        }));
    }

    /// Takes a transition: its record, its actions, then the target's entry.
    fn take(
        &mut self,
        of: Of<'_>,
        target: StateId,
        actions: &[ir::Action],
        cause: Cause<'_>,
        time: i64,
    ) {
        let Of { w, wf, key } = of;
        let Some(state) = self.workflows[w].instances.get(key).map(|i| i.state) else {
            return;
        };
        // Every other way out of the state being left was not taken (for coverage).
        if self.observed()
            && let Some(s) = wf.states.get(state)
        {
            let taken = match &cause {
                Cause::WorkflowTimer(_) => None,
                Cause::Timer(index, _) => Some(s.transitions.len() + index),
                Cause::Event(_) => s.transitions.iter().position(|t| match t {
                    Transition::On {
                        target: t,
                        actions: a,
                        ..
                    }
                    | Transition::Await {
                        target: t,
                        actions: a,
                        ..
                    } => *t == target && std::ptr::eq(a.as_ptr(), actions.as_ptr()),
                }),
            };
            for i in 0..s.transitions.len() + s.timers.len() {
                if Some(i) != taken {
                    self.observe(|o| o.transition(w, state, i, false));
                }
            }
        }
        let from = wf
            .states
            .get(state)
            .map_or("", |s| s.name.as_str())
            .to_string();
        let to = wf
            .states
            .get(target)
            .map_or("", |s| s.name.as_str())
            .to_string();
        self.transition_record(w, key, Some(&from), &to, &cause, time);
        let cause_event = match &cause {
            Cause::Event(e) => Some(*e),
            Cause::Timer(..) | Cause::WorkflowTimer(_) => None,
        };
        // The instance as the actions read it: a copy, since they may change it (`set`). Most
        // transitions have none, and copying an instance is a few allocations.
        if !actions.is_empty()
            && let Some(inst) = self.workflows[w].instances.get(key).cloned()
        {
            self.workflow_actions(of, &inst, (&from, &from), cause_event, actions, time);
        }
        self.enter(of, target, Some(&from), cause_event, time);
    }

    /// Enters `target`: visits, timers, await progress, `on enter`; a final state ends the
    /// instance.
    fn enter(
        &mut self,
        of: Of<'_>,
        target: StateId,
        from: Option<&str>,
        cause: Option<&Event>,
        time: i64,
    ) {
        let Of { w, wf, key } = of;
        let Some(state) = wf.states.get(target) else {
            return;
        };
        let generation = self.numbering.next_generation();
        let inst = {
            let Some(inst) = self.workflows[w].instances.get_mut(key) else {
                return;
            };
            inst.state = target;
            inst.entered = time;
            inst.generation = generation;
            if let Some(v) = inst.visits.get_mut(target) {
                *v += 1;
            }
            inst.awaits = state
                .transitions
                .iter()
                .map(|t| match t {
                    Transition::Await { items, .. } => vec![None; items.len()],
                    Transition::On { .. } => Vec::new(),
                })
                .collect();
            (!state.on_enter.is_empty()).then(|| inst.clone())
        };
        if !state.is_final {
            for (i, timer) in state.timers.iter().enumerate() {
                let due = self.delay_due(time, timer.delay);
                self.schedule(
                    due,
                    wf.origin.order,
                    TimerKind::Workflow {
                        workflow: w,
                        key: key.clone(),
                        generation,
                        timer: i,
                    },
                );
            }
        }
        let from = from.unwrap_or("");
        let names = (state.name.as_str(), from);
        if let Some(inst) = &inst {
            self.workflow_actions(of, inst, names, cause, &state.on_enter, time);
        }
        if state.is_final {
            self.workflows[w].instances.remove(key);
        }
    }

    /// When an `after` delay entered at `entered` is due.
    pub(crate) fn delay_due(&self, entered: i64, delay: Delay) -> i64 {
        match delay {
            Delay::Duration(ms) => entered.saturating_add(ms),
            Delay::Workdays(n) => {
                workdays_due(entered, n, self.program.calendar.as_ref(), &self.tables.tz)
            }
        }
    }

    /// Runs `actions` of state `state_name` for instance `inst`; `from` is what the `from`
    /// variable reads (the state the instance came from).
    fn workflow_actions(
        &mut self,
        of: Of<'_>,
        inst: &Instance,
        (state_name, from): (&str, &str),
        cause: Option<&Event>,
        actions: &[ir::Action],
        time: i64,
    ) {
        let Of { w, wf, key } = of;
        if actions.is_empty() {
            return;
        }
        // Slot 0: the start event; slot 1: the event that caused the transition.
        let slots: [Option<&Row>; 2] = [Some(&inst.start), cause.map(|e| &**e)];
        // Actions run in the order written: one after a `set` reads the new value (SPEC v0.2).
        let mut vars = inst.vars.clone();
        let mut evidence = vec![inst.start.clone()];
        if let Some(c) = cause
            && !Arc::ptr_eq(c, &inst.start)
        {
            evidence.push(c.clone());
        }
        let origin = Origin::Workflow {
            workflow: self.names.workflows[w].clone(),
            state: Arc::from(state_name),
        };
        let total = evidence.len();
        let program = self.program.clone();
        // Once per call, not per action: a workflow's actions run one at a time.
        let title: Option<Arc<str>> = wf.title.as_deref().map(Arc::from);
        let producer = self.names.workflows[w].clone();
        for action in actions {
            let ctx = Ctx {
                slots: &slots,
                key: Some(&key.0),
                from: Some(from),
                visits: &inst.visits,
                vars: &vars,
                ..Ctx::default()
            };
            if let ir::Action::Set { var, value } = action {
                let v = self.value(&wf.exprs, *value, &ctx).unwrap_or(Value::Absent);
                if let Some(slot) = vars.get_mut(*var as usize) {
                    *slot = v.clone();
                }
                if let Some(slot) = (self.workflows[w].instances.get_mut(key))
                    .and_then(|i| i.vars.get_mut(*var as usize))
                {
                    *slot = v;
                }
                continue;
            }
            self.run_actions(
                std::slice::from_ref(action),
                &wf.exprs,
                &ctx,
                ActionContext {
                    program: &program,
                    origin: origin.clone(),
                    default_severity: Severity::Medium.into(),
                    title: title.clone(),
                    key: key.0.clone(),
                    time,
                    evidence: &evidence,
                    evidence_total: total,
                    shadow: false,
                    producer: producer.clone(),
                    trigger: cause.or(Some(&inst.start)),
                },
            );
        }
    }

    /// The program and the instance `key` of workflow `w` a due timer acts on, if it is
    /// still there (the program is held apart so the engine can change while it acts).
    fn timer_instance(&self, w: WorkflowId, key: &Key) -> Option<(Arc<ir::Program>, Instance)> {
        let program = self.program.clone();
        program.workflows.get(w)?;
        let inst = self.workflows.get(w)?.instances.get(key)?.clone();
        Some((program, inst))
    }

    pub(crate) fn workflow_timer(
        &mut self,
        w: WorkflowId,
        key: Key,
        generation: u64,
        index: usize,
        due: i64,
    ) {
        let Some((program, inst)) = self.timer_instance(w, &key) else {
            return;
        };
        let wf = &program.workflows[w];
        if inst.generation != generation {
            return;
        }
        let Some(state) = wf.states.get(inst.state) else {
            return;
        };
        let Some(timer) = state.timers.get(index) else {
            return;
        };
        let t = state.transitions.len() + index;
        if !self.timer_holds(wf, &key, &inst, timer) {
            self.observe(|o| o.transition(w, inst.state, t, false));
            return;
        }
        self.observe(|o| o.transition(w, inst.state, t, true));
        match timer.target {
            Some(target) => {
                let of = Of { w, wf, key: &key };
                let cause = Cause::Timer(index, &timer.label);
                self.take(of, target, &timer.actions, cause, due);
            }
            None => {
                let name = state.name.clone();
                let of = Of { w, wf, key: &key };
                self.workflow_actions(of, &inst, (&name, &name), None, &timer.actions, due);
            }
        }
    }

    /// Whether `timer`'s `where` (if any) holds for `inst` now: with the start event, the
    /// key and the visits; an error counts and reads as false.
    fn timer_holds(
        &mut self,
        wf: &ir::Workflow,
        key: &Key,
        inst: &Instance,
        timer: &ir::Timer,
    ) -> bool {
        let Some(cond) = timer.cond else {
            return true;
        };
        let slots: [Option<&Row>; 1] = [Some(&inst.start)];
        let ctx = Ctx {
            slots: &slots,
            key: Some(&key.0),
            visits: &inst.visits,
            vars: &inst.vars,
            ..Ctx::default()
        };
        self.test(&wf.exprs, cond, &ctx)
    }

    /// A workflow-level timer is due: it moves the instance from whatever state it is in (an
    /// ordinary transition) or runs its actions in the current state; with a `where` that is
    /// false now, it does nothing (SPEC v0.2).
    pub(crate) fn workflow_level_timer(
        &mut self,
        w: WorkflowId,
        key: Key,
        born: u64,
        index: usize,
        due: i64,
    ) {
        let Some((program, inst)) = self.timer_instance(w, &key) else {
            return;
        };
        let wf = &program.workflows[w];
        let (Some(timer), Some(state)) = (wf.timers.get(index), wf.states.get(inst.state)) else {
            return;
        };
        if inst.born != born {
            return;
        }
        let acts = self.timer_holds(wf, &key, &inst, timer);
        self.observe(|o| o.workflow_timer(w, index, acts));
        if !acts {
            return;
        }
        let of = Of { w, wf, key: &key };
        match timer.target {
            Some(target) => {
                self.take(
                    of,
                    target,
                    &timer.actions,
                    Cause::WorkflowTimer(&timer.label),
                    due,
                );
            }
            None => {
                let name = state.name.clone();
                self.workflow_actions(of, &inst, (&name, &name), None, &timer.actions, due);
            }
        }
    }

    pub(crate) fn workflow_level_timer_is_live(&self, w: WorkflowId, key: &Key, born: u64) -> bool {
        self.workflows
            .get(w)
            .and_then(|s| s.instances.get(key))
            .is_some_and(|i| i.born == born)
    }

    pub(crate) fn workflow_timer_is_live(&self, w: WorkflowId, key: &Key, generation: u64) -> bool {
        self.workflows
            .get(w)
            .and_then(|s| s.instances.get(key))
            .is_some_and(|i| i.generation == generation)
    }

    /// Live workflow instances (for the summary).
    pub fn live_instances(&self) -> usize {
        self.workflows.iter().map(|w| w.instances.len()).sum()
    }

    /// How many live instances each workflow has in each state, in declaration order; states
    /// with none are left out.
    pub fn instances_by_state(&self) -> Vec<(&str, &str, usize)> {
        let mut out = Vec::new();
        for (w, live) in self.workflows.iter_enumerated() {
            let Some(def) = self.program.workflows.get(w) else {
                continue;
            };
            let mut counts = vec![0usize; def.states.len()];
            for instance in live.instances.values() {
                if let Some(c) = counts.get_mut(vigil_ir::id::Id::index(instance.state)) {
                    *c += 1;
                }
            }
            for ((_, state), n) in def.states.iter_enumerated().zip(counts) {
                if n > 0 {
                    out.push((def.name.as_str(), state.name.as_str(), n));
                }
            }
        }
        out
    }
}

/// The end of the `n`-th working day after the day of `entered` (local), as the instant of the
/// following midnight (SPEC §5); the day of entry does not count.
pub fn workdays_due(
    entered: i64,
    n: u32,
    calendar: Option<&ir::CalendarDef>,
    tz: &jiff::tz::TimeZone,
) -> i64 {
    let Ok(ts) = jiff::Timestamp::from_millisecond(entered) else {
        return entered;
    };
    let mut day = tz.to_datetime(ts).date();
    let is_workday = |d: jiff::civil::Date| match calendar {
        Some(c) => c.is_workday(d),
        None => !matches!(
            d.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ),
    };
    let mut counted = 0;
    // A calendar cannot hold more than a few years of holidays in a row; stop after ten.
    for _ in 0..3660 {
        let Ok(next) = day.tomorrow() else { break };
        day = next;
        if is_workday(day) {
            counted += 1;
            if counted >= n {
                break;
            }
        }
    }
    let Ok(after) = day.tomorrow() else {
        return entered;
    };
    tz.to_timestamp(after.to_datetime(jiff::civil::Time::midnight()))
        .map_or(entered, |t| t.as_millisecond())
}

// ---------------------------------------------------------------------------------------------
// Snapshots: instances in key order, states by name (so that they survive a changed workflow).

impl WorkflowState {
    pub(crate) fn encode(
        &self,
        e: &mut Enc,
        wf: &ir::Workflow,
        program: &ir::Program,
        layouts: &[Layout],
    ) {
        let state_name = |s: StateId| wf.states.get(s).map_or("", |s| s.name.as_str());
        let mut instances: Vec<(&Key, &Instance)> = self.instances.iter().collect();
        instances.sort_by(|a, b| a.0.0.total_cmp(&b.0.0));
        e.u64(instances.len() as u64);
        for (k, inst) in instances {
            e.value(&k.0);
            e.str(state_name(inst.state));
            e.i64(inst.entered);
            e.row(program, layouts, &inst.start);
            e.u64(inst.visits.len() as u64);
            for (s, v) in inst.visits.iter_enumerated() {
                e.str(state_name(s));
                e.u64(u64::from(*v));
            }
            e.u64(inst.generation);
            e.u64(inst.awaits.len() as u64);
            for a in &inst.awaits {
                e.u64(a.len() as u64);
                for slot in a {
                    e.opt_row(program, layouts, slot.as_ref());
                }
            }
            e.str(&inst.fingerprint);
            e.u64(inst.born);
            e.u64(inst.vars.len() as u64);
            for (def, v) in wf.vars.iter().zip(&inst.vars) {
                e.str(&def.name);
                e.value(v);
            }
        }
    }
}

/// A workflow instance as a snapshot holds it, before it meets the workflow it is restored
/// into.
pub(crate) struct Saved {
    key: Value,
    state: String,
    entered: i64,
    /// `None` when the start event's type is gone from the rule set.
    start: Option<Event>,
    visits: Vec<(String, u64)>,
    generation: u64,
    awaits: Vec<Vec<Option<Event>>>,
    fingerprint: Arc<str>,
    born: u64,
    /// Variables by name.
    vars: Vec<(String, Value)>,
}

impl Saved {
    /// Reads one instance `WorkflowState::encode` wrote.
    pub(crate) fn decode(d: &mut Dec<'_>, engine: &Engine) -> R<Saved> {
        let key = d.value()?;
        let state = d.str()?;
        let entered = d.i64()?;
        let start = d.row(engine)?;
        let mut visits = Vec::new();
        for _ in 0..d.len()? {
            let s = d.str()?;
            let v = d.u64()?;
            visits.push((s, v));
        }
        let generation = d.u64()?;
        let mut awaits = Vec::new();
        for _ in 0..d.len()? {
            let mut a = Vec::new();
            for _ in 0..d.len()? {
                a.push(d.opt_row(engine)?);
            }
            awaits.push(a);
        }
        let fingerprint: Arc<str> = Arc::from(d.str()?);
        // Before format 6 there were no workflow-level timers to tie to an instance, and no
        // variables.
        let mut vars = Vec::new();
        let born = if d.format() >= 6 {
            let born = d.u64()?;
            for _ in 0..d.len()? {
                let name = d.str()?;
                vars.push((name, d.value()?));
            }
            born
        } else {
            u64::MAX
        };
        Ok(Saved {
            key,
            state,
            entered,
            start,
            visits,
            generation,
            awaits,
            fingerprint,
            born,
            vars,
        })
    }

    /// The instance (and its key) in `wf`, its state and visits found by name; an orphan of
    /// `wf` when its state or start event is gone.
    pub(crate) fn resolve(self, wf: &ir::Workflow) -> Result<(Value, Instance), Orphan> {
        let state = wf
            .states
            .iter_enumerated()
            .find(|(_, s)| s.name == self.state);
        let (Some((state, _)), Some(start)) = (state, self.start.clone()) else {
            return Err(self.orphan(&wf.name));
        };
        let visits = wf.states.map(|s| {
            (self.visits.iter())
                .find(|(n, _)| *n == s.name)
                .map_or(0, |(_, v)| u32::try_from(*v).unwrap_or(u32::MAX))
        });
        let instance = Instance {
            state,
            entered: self.entered,
            start,
            visits,
            generation: self.generation,
            born: self.born,
            // By name: a variable the snapshot lacks (declared since) has no value.
            vars: (wf.vars.iter())
                .map(|v| {
                    (self.vars.iter())
                        .find(|(n, _)| *n == v.name)
                        .map_or(Value::Absent, |(_, x)| x.clone())
                })
                .collect(),
            awaits: self.awaits,
            fingerprint: self.fingerprint,
        };
        Ok((self.key, instance))
    }

    /// The orphan record's parts for an instance of `workflow` that cannot be restored.
    pub(crate) fn orphan(self, workflow: &str) -> Orphan {
        (workflow.to_string(), self.key, self.state, self.fingerprint)
    }
}
