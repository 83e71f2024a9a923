//! Test coverage (SPEC §6 `vigil test --coverage`): for every rule, workflow transition and
//! condition clause, whether the tests saw it both ways.
//!
//! Clauses are the leaves of a condition's `and`/`or`/`not` tree, identified by their IR
//! node, which depends only on the syntax tree: reformatting a file does not change coverage.
//! A coverage engine runs the interpreter with no rule index and no shared conjuncts, so every
//! clause of every offered rule is really evaluated.

use std::collections::BTreeMap;
use vigil_ir::{RuleId, StateId, WorkflowId};

use vigil_ir::{ExprArena, ExprId, Node, Pattern, Program, Transition};

use crate::observe::Observer;

/// Whose condition a clause belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// Rule number `i` of the program.
    Rule(RuleId),
    /// Workflow number `i`.
    Workflow(WorkflowId),
}

/// Seen true, seen false.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Both {
    /// Seen true (fired, taken).
    pub yes: bool,
    /// Seen false (offered and not fired, not taken).
    pub no: bool,
}

impl Both {
    fn see(&mut self, v: bool) {
        if v {
            self.yes = true;
        } else {
            self.no = true;
        }
    }

    /// Whether both ways were seen.
    pub fn complete(self) -> bool {
        self.yes && self.no
    }

    fn merge(&mut self, o: Both) {
        self.yes |= o.yes;
        self.no |= o.no;
    }
}

/// What the tests exercised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    /// Per rule: fired, and offered an event without firing.
    pub rules: BTreeMap<RuleId, Both>,
    /// Per (workflow, state, transition or timer index): taken, and offered without being
    /// taken. Timers count from `transitions.len()` on.
    pub transitions: BTreeMap<(WorkflowId, StateId, usize), Both>,
    /// Per workflow-level timer: acted, and came due with its `where` false.
    pub workflow_timers: BTreeMap<(WorkflowId, usize), Both>,
    /// Per clause: true and false.
    pub clauses: BTreeMap<(Owner, ExprId), Both>,
    /// Every clause of the program, in source order per owner (so unseen ones are listed).
    pub all_clauses: Vec<(Owner, ExprId)>,
}

impl Coverage {
    /// Adds what another test run saw.
    pub fn merge(&mut self, other: &Coverage) {
        for (k, v) in &other.rules {
            self.rules.entry(*k).or_default().merge(*v);
        }
        for (k, v) in &other.transitions {
            self.transitions.entry(*k).or_default().merge(*v);
        }
        for (k, v) in &other.workflow_timers {
            self.workflow_timers.entry(*k).or_default().merge(*v);
        }
        for (k, v) in &other.clauses {
            self.clauses.entry(*k).or_default().merge(*v);
        }
        if self.all_clauses.is_empty() {
            self.all_clauses = other.all_clauses.clone();
        }
    }
}

impl Observer for Coverage {
    fn rule(&mut self, r: RuleId, fired: bool) {
        self.rules.entry(r).or_default().see(fired);
    }

    fn transition(&mut self, w: WorkflowId, state: StateId, t: usize, taken: bool) {
        self.transitions
            .entry((w, state, t))
            .or_default()
            .see(taken);
    }

    fn workflow_timer(&mut self, w: WorkflowId, t: usize, acted: bool) {
        self.workflow_timers.entry((w, t)).or_default().see(acted);
    }

    fn clause(&mut self, owner: Owner, id: ExprId, v: bool) {
        self.clauses.entry((owner, id)).or_default().see(v);
    }

    fn wants_clauses(&self) -> bool {
        true
    }
}

/// The clause leaves under `id`.
pub(crate) fn leaves(arena: &ExprArena, id: ExprId, out: &mut Vec<ExprId>) {
    match arena.node(id) {
        Node::And(a, b) | Node::Or(a, b) => {
            leaves(arena, *a, out);
            leaves(arena, *b, out);
        }
        Node::Unary(vigil_ir::UnOp::Not, a) => leaves(arena, *a, out),
        _ => out.push(id),
    }
}

/// Every condition of the program with its owner, in source order.
pub(crate) fn conditions(program: &Program) -> Vec<(Owner, ExprId)> {
    let mut out = Vec::new();
    for (r, rule) in program.rules.iter_enumerated() {
        let owner = Owner::Rule(r);
        match &rule.pattern {
            Pattern::Single { cond, .. } => out.extend(cond.map(|c| (owner, c))),
            Pattern::Window { cond, having, .. } => {
                out.extend(cond.map(|c| (owner, c)));
                out.push((owner, *having));
            }
            Pattern::Sequence { steps, .. } => {
                out.extend(steps.iter().filter_map(|s| s.cond.map(|c| (owner, c))))
            }
        }
    }
    for (w, wf) in program.workflows.iter_enumerated() {
        let owner = Owner::Workflow(w);
        out.extend(wf.start.cond.map(|c| (owner, c)));
        for s in &wf.states {
            for t in &s.transitions {
                match t {
                    Transition::On { trigger, .. } => out.extend(trigger.cond.map(|c| (owner, c))),
                    Transition::Await { items, .. } => {
                        out.extend(items.iter().filter_map(|i| i.cond.map(|c| (owner, c))))
                    }
                }
            }
            out.extend(s.timers.iter().filter_map(|t| t.cond.map(|c| (owner, c))));
        }
        out.extend(wf.timers.iter().filter_map(|t| t.cond.map(|c| (owner, c))));
    }
    out
}
