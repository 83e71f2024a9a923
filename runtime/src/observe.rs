//! What `explain` and coverage watch of a run, through one trait. The engine calls each hook
//! on its observers (`Engine::observe`); a plain run has none, and a hook costs it one test of
//! an empty `Option` (measured: docs/BENCHMARKS.md, "observers").

use vigil_ir::{ExprId, RuleId, StateId, Value, WorkflowId};

use crate::coverage::Owner;
use crate::engine::Engine;
use crate::explain::SeqNote;
use crate::row::{Event, KeyRef};

/// An observer of a run. Every hook does nothing unless the observer wants it.
pub(crate) trait Observer {
    /// `event` is about to be processed; `engine` is in its state before it.
    fn offered(&mut self, _engine: &Engine, _event: &Event) {}
    /// The event offered last is done with.
    fn done(&mut self) {}
    /// Rule `rule` was offered an event and fired (before suppression) or not.
    fn rule(&mut self, _rule: RuleId, _fired: bool) {}
    /// Transition `t` of `state` (timers numbered after the event-driven transitions) was
    /// offered, and taken or not.
    fn transition(&mut self, _w: WorkflowId, _state: StateId, _t: usize, _taken: bool) {}
    /// Workflow-level timer `t` of `w` came due, and acted or not (its `where` was false).
    fn workflow_timer(&mut self, _w: WorkflowId, _t: usize, _acted: bool) {}
    /// Clause `leaf` of a condition of `owner` came out `value` (only for an observer that
    /// `wants_clauses`: computing them costs an evaluation per clause).
    fn clause(&mut self, _owner: Owner, _leaf: ExprId, _value: bool) {}
    fn wants_clauses(&self) -> bool {
        false
    }
    /// A partial match of sequence rule `rule` met `note.fate`.
    fn sequence(&mut self, _rule: RuleId, _key: KeyRef<'_>, _note: SeqNote) {}
    /// Rule `rule` fired at `time`; `suppressed`: but wrote no alert.
    fn fired(
        &mut self,
        _rule: RuleId,
        _time: i64,
        _key: Option<&Value>,
        _evidence: &[Event],
        _suppressed: bool,
    ) {
    }
}

impl Engine {
    /// Calls `hook` on each observer of this run.
    #[inline]
    pub(crate) fn observe(&mut self, mut hook: impl FnMut(&mut dyn Observer)) {
        if let Some(x) = self.explain.as_deref_mut() {
            hook(x);
        }
        if let Some(c) = self.coverage.as_deref_mut() {
            hook(c);
        }
    }

    /// Whether the run has observers (for work done only to tell them something).
    #[inline]
    pub(crate) fn observed(&self) -> bool {
        self.explain.is_some() || self.coverage.is_some()
    }

    /// Whether an observer wants every clause's value (then conditions also run through the
    /// interpreter clause by clause, and count-only `having`s are evaluated in full).
    #[inline]
    pub(crate) fn clauses_observed(&self) -> bool {
        self.coverage.as_deref().is_some_and(|c| c.wants_clauses())
    }

    /// Offers `event` to the observers that look at the engine's state before it.
    pub(crate) fn observe_offer(&mut self, event: &Event) {
        if let Some(mut x) = self.explain.take() {
            x.offered(self, event);
            self.explain = Some(x);
        }
    }
}
