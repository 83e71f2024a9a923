//! Checking and lowering workflows (SPEC §5).

use smol_str::SmolStr;

use super::expr::{Env, ExprCx, Typed, WorkflowCx};
use super::scope::Scope;
use super::{CheckedItem, Lowered, Target, actions, event_type, graph, has_errors};
use crate::diagnostics::*;
use crate::syntax::Span;
use crate::syntax::ast::{self, StateClause, WorkflowClause};
use vigil_ir::{self as ir, Ty};

/// Slot of the start event and of the event offered to a transition.
const START: u8 = 0;
const EVENT: u8 = 1;

/// Checks a workflow and lowers it when it has no errors.
pub(super) fn check(scope: &Scope, w: &ast::Workflow) -> CheckedItem {
    let mut cx = ExprCx::new(scope);
    let states: Vec<&ast::State> = w
        .clauses
        .iter()
        .filter_map(|c| match c {
            WorkflowClause::State(s) => Some(s),
            _ => None,
        })
        .collect();
    let names: Vec<SmolStr> = states.iter().map(|s| s.name.name.clone()).collect();
    cx.workflow = Some(WorkflowCx {
        name: w.name.name.clone(),
        states: names.clone(),
        vars: Vec::new(),
    });
    report_duplicate_states(&mut cx, w, &states, &names);
    let header = header(&mut cx, w);
    if states.is_empty() {
        cx.report(MissingClause {
            span: w.name.span,
            owner: format!("workflow `{}`", w.name.name),
            clause: "state",
            help: Some("declare the states: `state intake { ... }`".into()),
        });
    }
    let Some((start_match, start_span)) = header.start else {
        report_missing_start(&mut cx, w);
        return finish(cx, None);
    };
    let start = start_clause(&mut cx, start_match, start_span);
    let vars = variables(&mut cx, w);

    let mut lowering = StateLowering {
        workflow: &w.name.name,
        names: &names,
        base_env: cx.env.clone(),
        start: start.as_ref(),
        edges: Vec::new(),
    };
    let mut lowered_states = Vec::new();
    for (from, state) in states.iter().enumerate() {
        lowered_states.push(lowering.state(&mut cx, from, state));
    }
    let timers = lowering.workflow_timers(&mut cx, w, &states);
    report_graph_warnings(&mut cx, &states, &lowering.edges);

    let Some(start) = start else {
        return finish(cx, None);
    };
    let mut wf = workflow_ir(w, header.title, start, lowered_states);
    wf.timers = timers;
    wf.vars = vars;
    finish(cx, Some(wf))
}

/// Checks the `var` declarations in order, each initialised from the start binding (and the
/// variables before it), and makes them readable in the rest of the workflow.
fn variables(cx: &mut ExprCx<'_>, w: &ast::Workflow) -> Vec<ir::VarDef> {
    let mut out = Vec::new();
    for c in &w.clauses {
        let WorkflowClause::Var(v) = c else {
            continue;
        };
        let ty = super::decl::type_expr(cx, &v.ty);
        let init = cx.check(&v.init, ty.as_ref());
        let declared =
            (cx.workflow.as_ref()).is_some_and(|wc| wc.vars.iter().any(|(n, _)| *n == v.name.name));
        if declared || cx.env.lookup(&v.name.name).is_some() {
            cx.report(DuplicateMember {
                span: v.name.span,
                what: "variable or binding",
                name: v.name.name.to_string(),
                owner: w.name.name.to_string(),
            });
            continue;
        }
        let Some(ty) = ty else {
            continue;
        };
        if !init.ty.is_error() && !init.ty.fits(&ty) {
            cx.report(TypeMismatch {
                span: v.init.span,
                expected: ty.described(),
                found: init.ty.described(),
                help: Some(format!("`{}` is declared `{ty}`", v.name.name)),
            });
        }
        if let Some(wc) = cx.workflow.as_mut() {
            wc.vars.push((v.name.name.clone(), ty.clone()));
        }
        out.push(ir::VarDef {
            name: v.name.name.clone(),
            ty,
            init: init.id,
        });
    }
    out
}

/// Reports a workflow without `start on`: nothing would ever create its instances.
fn report_missing_start(cx: &mut ExprCx<'_>, w: &ast::Workflow) {
    cx.report(MissingClause {
        span: w.name.span,
        owner: format!("workflow `{}`", w.name.name),
        clause: "`start on` clause",
        help: Some(
            "say which event starts an instance: `start on d: DisputeReported by d.case_id`".into(),
        ),
    });
}

/// The workflow's IR from its checked parts; `finish` fills in the expressions.
fn workflow_ir(
    w: &ast::Workflow,
    title: Option<&ast::StrLit>,
    start: Start,
    states: Vec<ir::StateDef>,
) -> ir::Workflow {
    ir::Workflow {
        name: w.name.name.clone(),
        title: title.map(|t| super::literal::string_value(t).to_string()),
        start: ir::WorkflowStart {
            event: start.event_index,
            cond: start.cond,
            key: start.key.id,
        },
        states: states.into(),
        timers: Vec::new(),
        vars: Vec::new(),
        exprs: ir::ExprArena::default(),
        origin: ir::Origin::default(),
    }
}

/// Reports each state declared under a name an earlier state already has.
fn report_duplicate_states(
    cx: &mut ExprCx<'_>,
    w: &ast::Workflow,
    states: &[&ast::State],
    names: &[SmolStr],
) {
    for (i, s) in states.iter().enumerate() {
        if names.iter().take(i).any(|n| *n == s.name.name) {
            cx.report(DuplicateMember {
                span: s.name.span,
                what: "state",
                name: s.name.name.to_string(),
                owner: w.name.name.to_string(),
            });
        }
    }
}

/// The clauses a workflow has at most once: its title and how an instance starts.
struct Header<'w> {
    title: Option<&'w ast::StrLit>,
    start: Option<(&'w ast::EventMatch, Span)>,
}

/// Finds the title and the `start on` clause, reporting any written twice (the last wins).
fn header<'w>(cx: &mut ExprCx<'_>, w: &'w ast::Workflow) -> Header<'w> {
    let mut title = None;
    let mut start = None;
    for c in &w.clauses {
        match c {
            WorkflowClause::Title(t) => {
                if title.replace(t).is_some() {
                    cx.report(RepeatedClause {
                        span: t.span,
                        clause: "title",
                    });
                }
            }
            WorkflowClause::Start(m, span) => {
                if start.replace((m, *span)).is_some() {
                    cx.report(RepeatedClause {
                        span: *span,
                        clause: "start on",
                    });
                }
            }
            WorkflowClause::State(_) | WorkflowClause::After(_) | WorkflowClause::Var(_) => {}
        }
    }
    Header { title, start }
}

/// Runs the graph checks (unreachable states, states with no way out) over the edges the
/// states' transitions and timers drew.
fn report_graph_warnings(cx: &mut ExprCx<'_>, states: &[&ast::State], edges: &[(usize, usize)]) {
    let graph_states: Vec<graph::StateNode> = states
        .iter()
        .map(|s| graph::StateNode {
            name: s.name.name.clone(),
            span: s.name.span,
            is_final: s.is_final,
        })
        .collect();
    for d in graph::workflow_warnings(&graph_states, edges) {
        cx.report(d);
    }
}

/// What lowering the states of one workflow shares across its states and clauses.
struct StateLowering<'w> {
    workflow: &'w SmolStr,
    /// The state names in declaration order: a state's index is its `StateId`.
    names: &'w [SmolStr],
    /// The environment after `start on`: every clause starts from it, so one clause's
    /// bindings never leak into the next.
    base_env: Env,
    /// `None` when `start on` did not check; triggers then have no key to correlate by.
    start: Option<&'w Start>,
    /// Each transition and interrupting timer as (from, to) state indices, for the graph checks.
    edges: Vec<(usize, usize)>,
}

impl StateLowering<'_> {
    /// The workflow-level timers (SPEC v0.2): each one with an arrow is a way out of every
    /// state that is not final, for the graph checks.
    fn workflow_timers(
        &mut self,
        cx: &mut ExprCx<'_>,
        w: &ast::Workflow,
        states: &[&ast::State],
    ) -> Vec<ir::Timer> {
        let mut timers = Vec::new();
        for c in &w.clauses {
            let WorkflowClause::After(a) = c else {
                continue;
            };
            cx.env = self.base_env.clone();
            let edges = self.edges.len();
            let Some(timer) = self.after(cx, 0, a) else {
                continue;
            };
            self.edges.truncate(edges);
            if let Some(t) = timer.target {
                for (from, s) in states.iter().enumerate() {
                    if !s.is_final {
                        self.edges.push((from, ir::Id::index(t)));
                    }
                }
            }
            timers.push(timer);
        }
        timers
    }

    /// Checks and lowers the clauses of the state at index `from`, keeping those that checked.
    /// A final state may only have `on enter` actions.
    fn state(&mut self, cx: &mut ExprCx<'_>, from: usize, state: &ast::State) -> ir::StateDef {
        let mut def = ir::StateDef {
            name: state.name.name.clone(),
            is_final: state.is_final,
            on_enter: Vec::new(),
            transitions: Vec::new(),
            timers: Vec::new(),
        };
        for clause in &state.clauses {
            cx.env = self.base_env.clone();
            if state.is_final && !matches!(clause, StateClause::OnEnter(..)) {
                cx.report(MisplacedConstruct {
                    span: clause_span(clause),
                    what: "a transition".into(),
                    place: format!("in final state `{}`", state.name.name),
                    help: Some(
                        "a final state ends the instance; only `on enter` actions run there".into(),
                    ),
                });
                continue;
            }
            match clause {
                StateClause::OnEnter(acts, _) => {
                    def.on_enter.extend(actions(cx, acts, None));
                }
                StateClause::On(t) => def.transitions.extend(self.on(cx, from, t)),
                StateClause::Await(a) => def.transitions.extend(self.await_(cx, from, a)),
                StateClause::After(a) => def.timers.extend(self.after(cx, from, a)),
            }
        }
        def
    }

    /// `on T -> s`: one event moves the instance.
    fn on(
        &mut self,
        cx: &mut ExprCx<'_>,
        from: usize,
        t: &ast::OnTransition,
    ) -> Option<ir::Transition> {
        let trigger = trigger(cx, &t.event, self.start);
        let target = self.state_index(cx, &t.target);
        let acts = actions(cx, &t.actions, None);
        let (trigger, target) = (trigger?, target?);
        self.edges.push((from, ir::Id::index(target)));
        Some(ir::Transition::On {
            trigger,
            target,
            actions: acts,
        })
    }

    /// `await all of { ... } -> s` or `await any k of`: the instance moves once enough of the
    /// events have arrived. It is lowered only when every item checked.
    fn await_(
        &mut self,
        cx: &mut ExprCx<'_>,
        from: usize,
        a: &ast::AwaitClause,
    ) -> Option<ir::Transition> {
        let mut items = Vec::new();
        for m in &a.items {
            // Each item binds its event in the same slot, so each starts afresh.
            cx.env = self.base_env.clone();
            if let Some(t) = trigger(cx, m, self.start) {
                items.push(t);
            }
        }
        cx.env = self.base_env.clone();
        let quorum = quorum(cx, a);
        let target = self.state_index(cx, &a.target);
        let acts = actions(cx, &a.actions, None);
        let target = target?;
        if items.len() != a.items.len() {
            return None;
        }
        self.edges.push((from, ir::Id::index(target)));
        Some(ir::Transition::Await {
            quorum,
            items,
            target,
            actions: acts,
        })
    }

    /// `after D -> s` or `after D` with actions: a timer that interrupts the state or only
    /// acts.
    fn after(
        &mut self,
        cx: &mut ExprCx<'_>,
        from: usize,
        a: &ast::AfterClause,
    ) -> Option<ir::Timer> {
        let delay = delay(cx, &a.delay);
        let target = match &a.target {
            Some(t) => self.state_index(cx, t).map(Some),
            None => Some(None),
        };
        if a.target.is_none() && a.actions.is_empty() {
            cx.report(NoAction {
                span: a.span,
                what: "this deadline".into(),
                help: Some("add `-> state` to move on, or an action such as `alert unit`".into()),
            });
        }
        // The condition reads the start binding, variables and `visits`: no event is bound.
        let cond = a.cond.as_ref().map(|c| cx.condition(c));
        let acts = actions(cx, &a.actions, None);
        let (delay, target) = (delay?, target?);
        if let Some(t) = target {
            self.edges.push((from, ir::Id::index(t)));
        }
        let label = match delay {
            ir::Delay::Duration(ms) => format!("after {}", vigil_ir::time::format_duration(ms)),
            ir::Delay::Workdays(n) => format!("after {n} workdays"),
        };
        Some(ir::Timer {
            delay,
            target,
            actions: acts,
            label,
            cond,
        })
    }

    /// The id of the state a transition names, recorded as a reference for the editor, or an
    /// error with the closest name. An empty name is a parse error already reported.
    fn state_index(&self, cx: &mut ExprCx<'_>, target: &ast::Ident) -> Option<ir::StateId> {
        match self.names.iter().position(|n| *n == target.name) {
            Some(i) => {
                cx.facts.refs.push((
                    target.span,
                    Target::State {
                        workflow: self.workflow.clone(),
                        state: target.name.clone(),
                    },
                ));
                Some(ir::Id::new(i))
            }
            None => {
                if !target.name.is_empty() {
                    let help = did_you_mean(&target.name, self.names.iter().map(|n| n.as_str()));
                    cx.report(UnknownState {
                        span: target.span,
                        name: target.name.to_string(),
                        workflow: self.workflow.to_string(),
                        help,
                    });
                }
                None
            }
        }
    }
}

/// How many of an `await`'s events must arrive: all of them, or `k` of them where `k` is
/// between one and their number.
fn quorum(cx: &mut ExprCx<'_>, a: &ast::AwaitClause) -> u32 {
    match a.quorum {
        ast::Quorum::All => u32::try_from(a.items.len()).unwrap_or(u32::MAX),
        ast::Quorum::Any(k, span) => {
            if k == 0 || k as usize > a.items.len() {
                cx.report(BadQuorum {
                    span,
                    k,
                    n: a.items.len(),
                    plural: if a.items.len() == 1 { "" } else { "s" },
                });
            }
            k
        }
    }
}

/// A timer's delay: a constant duration, or a number of working days, which needs a
/// calendar.
fn delay(cx: &mut ExprCx<'_>, delay: &ast::Delay) -> Option<ir::Delay> {
    match delay {
        ast::Delay::Duration(e) => cx
            .constant_duration(e, "the deadline")
            .map(ir::Delay::Duration),
        ast::Delay::Workdays(n, span) => {
            if cx.scope.calendar.is_none() {
                cx.report(WorkdaysWithoutCalendar { span: *span });
            }
            if *n == 0 {
                cx.report(BadDuration {
                    span: *span,
                    text: format!("{n} workdays"),
                    reason: "must be at least one working day".into(),
                    help: None,
                });
                None
            } else {
                Some(ir::Delay::Workdays(*n))
            }
        }
    }
}

fn finish(mut cx: ExprCx<'_>, wf: Option<ir::Workflow>) -> CheckedItem {
    let lowered = match wf {
        Some(mut w) if !has_errors(&cx.diags) => {
            w.exprs = std::mem::take(&mut cx.arena);
            Lowered::Workflow(w)
        }
        _ => Lowered::Nothing,
    };
    CheckedItem {
        diagnostics: cx.diags,
        facts: cx.facts,
        lowered,
    }
}

fn clause_span(c: &StateClause) -> Span {
    match c {
        StateClause::OnEnter(_, s) => *s,
        StateClause::On(t) => t.span,
        StateClause::After(a) => a.span,
        StateClause::Await(a) => a.span,
    }
}

struct Start {
    event_index: u32,
    cond: Option<ir::ExprId>,
    key: Typed,
    /// The field the key is read from (`case_id` in `by d.case_id`): other events correlate
    /// by their field of this name unless they say `by`.
    key_field: Option<SmolStr>,
}

/// Checks `start on`, leaving the start event bound in slot 0.
fn start_clause(cx: &mut ExprCx<'_>, m: &ast::EventMatch, span: Span) -> Option<Start> {
    let Some(event) = event_type(cx, &m.ty) else {
        if let Some(b) = &m.binding {
            cx.env.bind_event(b, START, &SmolStr::default());
        }
        return None;
    };
    let sig = cx.scope.events.get(&event)?.clone();
    match &m.binding {
        Some(b) => {
            cx.env.bind_event(b, START, &event);
            cx.facts.bindings.push((b.span, event.clone()));
        }
        None => cx.env.implicit = Some((START, event.clone())),
    }
    let cond = m.cond.as_ref().map(|c| cx.condition(c));
    let Some(by) = &m.by else {
        cx.report(MissingClause {
            span,
            owner: "`start on`".into(),
            clause: "instance key",
            help: Some(format!(
                "add `by` and the key field, such as `by {}`",
                example_key(m, &sig)
            )),
        });
        return None;
    };
    let key = cx.check(by, None);
    if !key.ty.is_key() {
        cx.report(TypeMismatch {
            span: by.span,
            expected: "a key (str, int, bool, time, duration or enum)".into(),
            found: key.ty.described(),
            help: None,
        });
    }
    let key_field = match &by.kind {
        ast::ExprKind::Field(_, f) => Some(f.name.clone()),
        ast::ExprKind::Name(n) => Some(n.name.clone()),
        _ => None,
    };
    // Transition conditions name the transition's event's fields directly, not the start's.
    cx.env.implicit = None;
    Some(Start {
        event_index: sig.index,
        cond,
        key,
        key_field,
    })
}

fn example_key(m: &ast::EventMatch, sig: &super::scope::EventSig) -> String {
    let field = sig.fields.first().map_or("id", |f| f.name.as_str());
    match &m.binding {
        Some(b) => format!("{}.{field}", b.name),
        None => field.to_string(),
    }
}

/// Checks an event that drives a transition (`on T ...` or an `await` item): its type, how it
/// finds its instance, and its guard.
fn trigger(cx: &mut ExprCx<'_>, m: &ast::EventMatch, start: Option<&Start>) -> Option<ir::Trigger> {
    let Some(event) = event_type(cx, &m.ty) else {
        if let Some(b) = &m.binding {
            cx.env.bind_event(b, EVENT, &SmolStr::default());
        }
        return None;
    };
    let sig = cx.scope.events.get(&event)?.clone();
    let start_env = cx.env.clone();
    // The correlation key is read from this event alone.
    cx.env = Default::default();
    cx.env.implicit = Some((EVENT, event.clone()));
    if let Some(b) = &m.binding {
        cx.env.bind_event(b, EVENT, &event);
        cx.facts.bindings.push((b.span, event.clone()));
    }
    let key = match (&m.by, start) {
        (Some(by), _) => Some(cx.check(by, None)),
        (None, Some(start)) => match start
            .key_field
            .as_ref()
            .and_then(|f| sig.field(f).map(|r| (f, r)))
        {
            Some((f, r)) => {
                cx.facts.refs.push((
                    m.ty.span,
                    Target::Field {
                        event: event.clone(),
                        field: f.clone(),
                    },
                ));
                let (ty, optional) = sig.field_type(r);
                let node = match r {
                    super::scope::FieldRef::Time => ir::Node::EventTime(EVENT),
                    super::scope::FieldRef::Id => ir::Node::EventId(EVENT),
                    super::scope::FieldRef::Declared(i) => ir::Node::Field {
                        slot: EVENT,
                        field: i,
                    },
                };
                let id = cx.arena.push(node, ty.clone(), m.ty.span);
                Some(Typed { id, ty, optional })
            }
            None => {
                let key = start
                    .key_field
                    .clone()
                    .unwrap_or_else(|| SmolStr::new("key"));
                let help = Some(format!(
                    "correlate it explicitly: `on {event} by <expression giving the {key}>`"
                ));
                cx.report(NoCorrelation {
                    span: m.ty.span,
                    event: event.to_string(),
                    key: key.to_string(),
                    help,
                });
                None
            }
        },
        (None, None) => None,
    };
    if let (Some(k), Some(start)) = (&key, start)
        && !k.ty.fits(&start.key.ty)
    {
        cx.report(TypeMismatch {
            span: m.by.as_ref().map_or(m.ty.span, |b| b.span),
            expected: format!("{} like the instance key", start.key.ty.described()),
            found: k.ty.described(),
            help: None,
        });
    }
    // The guard and the actions see the start binding and this event.
    let trigger_env = cx.env.clone();
    cx.env = start_env;
    if let Some(b) = &m.binding {
        cx.env.bind_event(b, EVENT, &event);
    }
    cx.env.implicit = trigger_env.implicit;
    let cond = m.cond.as_ref().map(|c| cx.condition(c));
    // Actions after the arrow may name the binding, not the bare fields.
    cx.env.implicit = None;
    let key = key?;
    if key.ty == Ty::Error {
        return None;
    }
    Some(ir::Trigger {
        event: sig.index,
        key: key.id,
        cond,
    })
}
