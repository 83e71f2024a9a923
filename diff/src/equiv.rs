//! Whether two lowered items mean the same thing, across two programs.
//!
//! Ids differ between programs (event types, fields, enum variants, units, lists, zones and
//! states are numbered by name or position), so nodes are compared through the names they
//! stand for. Constants are folded and `fn` calls inlined before this point, so a rule that
//! only renamed a constant, or replaced `elderly(c.age)` by `c.age >= 60`, compares equal.
//! Spans are ignored: formatting never matters here.

use smol_str::SmolStr;

use vigil_ir::{
    self as ir, Action, Aggregate, ExprArena, ExprId, Node, Pattern, Program, Recipient,
    SeverityOf, Template, TemplatePart, Ty, Value,
};

/// One side of a comparison: a program, an arena, and what the arena's slots hold.
#[derive(Clone, Copy)]
pub(crate) struct Side<'a> {
    pub program: &'a Program,
    pub arena: &'a ExprArena,
    /// The event type in each slot, where known.
    pub slots: &'a [Option<ir::EventTypeId>],
    pub aggregates: &'a [Aggregate],
    /// The workflow's states, for `visits(s)`.
    pub states: &'a [ir::StateDef],
    /// The workflow's variables, for `Node::Var`.
    pub vars: &'a [ir::VarDef],
}

impl<'a> Side<'a> {
    fn with_slots(self, slots: &'a [Option<ir::EventTypeId>]) -> Side<'a> {
        Side { slots, ..self }
    }

    fn field_name(&self, slot: u8, field: u16) -> Option<&'a SmolStr> {
        let ty = (*self.slots.get(slot as usize)?)?;
        let event = self.program.event(ty)?;
        event.fields.get(field as usize).map(|f| &f.name)
    }
}

/// Whether values of type `ty` from program `pa` and program `pb` are the same value.
pub(crate) fn value_eq(pa: &Program, pb: &Program, ty: &Ty, x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Enum(i), Value::Enum(j)) => {
            let Ty::Enum(name) = ty else {
                return i == j;
            };
            variant(pa, name, *i).is_some() && variant(pa, name, *i) == variant(pb, name, *j)
        }
        (Value::Unit(i), Value::Unit(j)) => {
            unit_name(pa, *i).is_some_and(|n| Some(n) == unit_name(pb, *j))
        }
        (Value::Set(a), Value::Set(b)) => {
            let elem = match ty {
                Ty::Set(e) => (**e).clone(),
                _ => Ty::Error,
            };
            if a.items.len() != b.items.len() {
                return false;
            }
            if matches!(elem, Ty::Enum(_) | Ty::Unit) {
                // Enum and unit sets are sorted by number, which differs between programs.
                let mut na: Vec<Option<&SmolStr>> =
                    a.items.iter().map(|v| enum_name(pa, &elem, v)).collect();
                let mut nb: Vec<Option<&SmolStr>> =
                    b.items.iter().map(|v| enum_name(pb, &elem, v)).collect();
                na.sort();
                nb.sort();
                return na == nb;
            }
            a.items
                .iter()
                .zip(&b.items)
                .all(|(u, v)| value_eq(pa, pb, &elem, u, v))
        }
        (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
        _ => x == y,
    }
}

/// The name of an enum value or a unit.
fn enum_name<'p>(p: &'p Program, ty: &Ty, v: &Value) -> Option<&'p SmolStr> {
    match (ty, v) {
        (Ty::Enum(name), Value::Enum(i)) => variant(p, name, *i),
        (_, Value::Unit(u)) => unit_name(p, *u),
        _ => None,
    }
}

fn unit_name(p: &Program, u: u32) -> Option<&SmolStr> {
    p.units.get(u as usize).map(|d| &d.name)
}

/// The name of variant `i` of enum `name` in `p`.
pub(crate) fn variant<'p>(p: &'p Program, name: &str, i: u32) -> Option<&'p SmolStr> {
    p.enums
        .iter()
        .find(|e| e.name == name)
        .and_then(|e| e.variants.get(i as usize))
}

/// Whether expression `x` of side `a` and expression `y` of side `b` are the same.
pub(crate) fn expr_eq(a: Side<'_>, x: ExprId, b: Side<'_>, y: ExprId) -> bool {
    let (ta, tb) = (a.arena.ty(x), b.arena.ty(y));
    if ta != tb {
        return false;
    }
    let ev = |x: ExprId, y: ExprId| expr_eq(a, x, b, y);
    match (a.arena.node(x), b.arena.node(y)) {
        (Node::Const(u), Node::Const(v)) => value_eq(a.program, b.program, ta, u, v),
        (
            Node::Field {
                slot: s1,
                field: f1,
            },
            Node::Field {
                slot: s2,
                field: f2,
            },
        ) => {
            s1 == s2
                && match (a.field_name(*s1, *f1), b.field_name(*s2, *f2)) {
                    (Some(n1), Some(n2)) => n1 == n2,
                    _ => f1 == f2,
                }
        }
        (Node::EventTime(s1), Node::EventTime(s2)) | (Node::EventId(s1), Node::EventId(s2)) => {
            s1 == s2
        }
        (Node::Unary(o1, x1), Node::Unary(o2, y1)) => o1 == o2 && ev(*x1, *y1),
        (Node::Binary(o1, x1, x2), Node::Binary(o2, y1, y2)) => {
            o1 == o2 && ev(*x1, *y1) && ev(*x2, *y2)
        }
        (Node::And(x1, x2), Node::And(y1, y2))
        | (Node::Or(x1, x2), Node::Or(y1, y2))
        | (Node::Coalesce(x1, x2), Node::Coalesce(y1, y2)) => ev(*x1, *y1) && ev(*x2, *y2),
        (Node::If(x1, x2, x3), Node::If(y1, y2, y3)) => {
            ev(*x1, *y1) && ev(*x2, *y2) && ev(*x3, *y3)
        }
        (
            Node::In {
                value: x1,
                set: x2,
                negated: n1,
            },
            Node::In {
                value: y1,
                set: y2,
                negated: n2,
            },
        ) => n1 == n2 && ev(*x1, *y1) && ev(*x2, *y2),
        (
            Node::InList {
                value: x1,
                list: l1,
                negated: n1,
            },
            Node::InList {
                value: y1,
                list: l2,
                negated: n2,
            },
        ) => n1 == n2 && ev(*x1, *y1) && list_eq(a.program, *l1, b.program, *l2),
        (Node::Lookup { map: m1, key: k1 }, Node::Lookup { map: m2, key: k2 }) => {
            ev(*k1, *k2) && map_eq(a.program, *m1, b.program, *m2)
        }
        (Node::List(i), Node::List(j)) => list_eq(a.program, *i, b.program, *j),
        (Node::Exists(x1), Node::Exists(y1)) => ev(*x1, *y1),
        (Node::Call(f1, xs), Node::Call(f2, ys)) => {
            f1 == f2 && xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| ev(*x, *y))
        }
        (Node::Matches(x1, p1), Node::Matches(y1, p2)) => p1 == p2 && ev(*x1, *y1),
        (Node::Within(x1, z1), Node::Within(y1, z2)) => {
            ev(*x1, *y1)
                && match (
                    a.program.zones.get(*z1 as usize),
                    b.program.zones.get(*z2 as usize),
                ) {
                    (Some(z1), Some(z2)) => z1 == z2,
                    _ => false,
                }
        }
        (Node::Agg(i), Node::Agg(j)) => {
            match (a.aggregates.get(*i as usize), b.aggregates.get(*j as usize)) {
                (Some(g1), Some(g2)) => aggregate_eq(a, g1, b, g2),
                _ => false,
            }
        }
        (Node::Key, Node::Key) | (Node::From, Node::From) => true,
        (Node::Visits(i), Node::Visits(j)) => {
            match (a.states.get(*i as usize), b.states.get(*j as usize)) {
                (Some(s1), Some(s2)) => s1.name == s2.name,
                _ => false,
            }
        }
        (Node::Var(i), Node::Var(j)) => match (a.vars.get(*i as usize), b.vars.get(*j as usize)) {
            (Some(v1), Some(v2)) => v1.name == v2.name && v1.ty == v2.ty,
            _ => false,
        },
        (Node::Param(i), Node::Param(j)) => i == j,
        (Node::Element, Node::Element) => true,
        _ => false,
    }
}

fn severity_eq(a: Side<'_>, x: SeverityOf, b: Side<'_>, y: SeverityOf) -> bool {
    match (x, y) {
        (SeverityOf::Fixed(s), SeverityOf::Fixed(t)) => s == t,
        (SeverityOf::Expr(e), SeverityOf::Expr(f)) => expr_eq(a, e, b, f),
        _ => false,
    }
}

fn opt_eq(a: Side<'_>, x: Option<ExprId>, b: Side<'_>, y: Option<ExprId>) -> bool {
    match (x, y) {
        (None, None) => true,
        (Some(x), Some(y)) => expr_eq(a, x, b, y),
        _ => false,
    }
}

fn aggregate_eq(a: Side<'_>, x: &Aggregate, b: Side<'_>, y: &Aggregate) -> bool {
    x.kind == y.kind && opt_eq(a, x.arg, b, y.arg)
}

/// Whether list `i` of `pa` and list `j` of `pb` have the same name and contents.
pub(crate) fn list_eq(pa: &Program, i: u32, pb: &Program, j: u32) -> bool {
    match (pa.lists.get(i as usize), pb.lists.get(j as usize)) {
        (Some(l1), Some(l2)) => {
            l1.name == l2.name
                && l1.elem == l2.elem
                && value_eq(
                    pa,
                    pb,
                    &Ty::Set(Box::new(l1.elem.clone())),
                    &Value::Set(l1.values.clone()),
                    &Value::Set(l2.values.clone()),
                )
        }
        _ => false,
    }
}

/// Whether map `i` of `pa` and map `j` of `pb` have the same name, types and entries.
pub(crate) fn map_eq(pa: &Program, i: u32, pb: &Program, j: u32) -> bool {
    match (pa.maps.get(i as usize), pb.maps.get(j as usize)) {
        (Some(m1), Some(m2)) => {
            m1.name == m2.name
                && m1.key == m2.key
                && m1.value == m2.value
                && m1.entries.entries.len() == m2.entries.entries.len()
                && m1.entries.entries.iter().all(|(k, v)| {
                    // Enum keys are numbered per program: find the entry by its key's meaning.
                    m2.entries.entries.iter().any(|(k2, v2)| {
                        value_eq(pa, pb, &m1.key, k, k2) && value_eq(pa, pb, &m1.value, v, v2)
                    })
                })
        }
        _ => false,
    }
}

fn event_name(p: &Program, id: ir::EventTypeId) -> Option<&SmolStr> {
    p.event(id).map(|e| &e.name)
}

fn template_eq(a: Side<'_>, x: &Option<Template>, b: Side<'_>, y: &Option<Template>) -> bool {
    match (x, y) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            x.parts.len() == y.parts.len()
                && x.parts.iter().zip(&y.parts).all(|(p, q)| match (p, q) {
                    (TemplatePart::Text(s), TemplatePart::Text(t)) => s == t,
                    (TemplatePart::Expr(e), TemplatePart::Expr(f)) => expr_eq(a, *e, b, *f),
                    _ => false,
                })
        }
        _ => false,
    }
}

fn actions_eq(a: Side<'_>, xs: &[Action], b: Side<'_>, ys: &[Action]) -> bool {
    xs.len() == ys.len()
        && xs.iter().zip(ys).all(|(x, y)| match (x, y) {
            (
                Action::Alert {
                    to: u1,
                    severity: s1,
                    message: m1,
                },
                Action::Alert {
                    to: u2,
                    severity: s2,
                    message: m2,
                },
            ) => {
                let recipients = u1.len() == u2.len()
                    && u1.iter().zip(u2).all(|(r1, r2)| match (r1, r2) {
                        (Recipient::Unit(x), Recipient::Unit(y)) => {
                            unit_name(a.program, *x) == unit_name(b.program, *y)
                        }
                        (Recipient::Expr(x), Recipient::Expr(y)) => expr_eq(a, *x, b, *y),
                        _ => false,
                    });
                let severity = match (s1, s2) {
                    (None, None) => true,
                    (Some(x), Some(y)) => severity_eq(a, *x, b, *y),
                    _ => false,
                };
                recipients && severity && template_eq(a, m1, b, m2)
            }
            (
                Action::Emit {
                    event: e1,
                    fields: f1,
                    each: s1,
                },
                Action::Emit {
                    event: e2,
                    fields: f2,
                    each: s2,
                },
            ) => {
                let each = match (s1, s2) {
                    (None, None) => true,
                    (Some(x), Some(y)) => expr_eq(a, *x, b, *y),
                    _ => false,
                };
                event_name(a.program, *e1) == event_name(b.program, *e2)
                    && each
                    && f1.len() == f2.len()
                    && f1.iter().zip(f2).all(|(x, y)| expr_eq(a, *x, b, *y))
            }
            (Action::Set { var: v1, value: x1 }, Action::Set { var: v2, value: x2 }) => {
                a.vars.get(*v1 as usize).map(|v| &v.name)
                    == b.vars.get(*v2 as usize).map(|v| &v.name)
                    && expr_eq(a, *x1, b, *x2)
            }
            (Action::Start { workflow: w1 }, Action::Start { workflow: w2 }) => {
                a.program.workflows.get(*w1).map(|w| &w.name)
                    == b.program.workflows.get(*w2).map(|w| &w.name)
            }
            _ => false,
        })
}

/// The event type in each slot of a rule's expressions.
pub(crate) fn rule_slots(r: &ir::Rule) -> Vec<Option<ir::EventTypeId>> {
    match &r.pattern {
        Pattern::Single { event, .. } | Pattern::Window { event, .. } => vec![Some(*event)],
        Pattern::Sequence { steps, .. } => steps.iter().map(|s| Some(s.event)).collect(),
    }
}

/// Whether two rules (of two programs) behave the same.
pub(crate) fn rule_eq(pa: &Program, x: &ir::Rule, pb: &Program, y: &ir::Rule) -> bool {
    let (sx, sy) = (rule_slots(x), rule_slots(y));
    let aggs = |r: &ir::Rule| -> Vec<Aggregate> {
        match &r.pattern {
            Pattern::Window { aggregates, .. } => aggregates.clone(),
            _ => Vec::new(),
        }
    };
    let (gx, gy) = (aggs(x), aggs(y));
    let a = Side {
        program: pa,
        arena: &x.exprs,
        slots: &sx,
        aggregates: &gx,
        states: &[],
        vars: &[],
    };
    let b = Side {
        program: pb,
        arena: &y.exprs,
        slots: &sy,
        aggregates: &gy,
        states: &[],
        vars: &[],
    };
    let pattern = match (&x.pattern, &y.pattern) {
        (
            Pattern::Single {
                event: e1,
                cond: c1,
            },
            Pattern::Single {
                event: e2,
                cond: c2,
            },
        ) => event_name(pa, *e1) == event_name(pb, *e2) && opt_eq(a, *c1, b, *c2),
        (
            Pattern::Window {
                event: e1,
                cond: c1,
                key: k1,
                within: w1,
                having: h1,
                ..
            },
            Pattern::Window {
                event: e2,
                cond: c2,
                key: k2,
                within: w2,
                having: h2,
                ..
            },
        ) => {
            event_name(pa, *e1) == event_name(pb, *e2)
                && opt_eq(a, *c1, b, *c2)
                && expr_eq(a, *k1, b, *k2)
                && w1 == w2
                && expr_eq(a, *h1, b, *h2)
        }
        (
            Pattern::Sequence {
                within: w1,
                steps: s1,
            },
            Pattern::Sequence {
                within: w2,
                steps: s2,
            },
        ) => {
            w1 == w2
                && s1.len() == s2.len()
                && s1.iter().zip(s2).all(|(p, q)| {
                    p.absent == q.absent
                        && event_name(pa, p.event) == event_name(pb, q.event)
                        && expr_eq(a, p.key, b, q.key)
                        && opt_eq(a, p.cond, b, q.cond)
                })
        }
        _ => false,
    };
    let suppress = match (&x.suppress, &y.suppress) {
        (None, None) => true,
        (Some(s1), Some(s2)) => s1.duration == s2.duration && opt_eq(a, s1.key, b, s2.key),
        _ => false,
    };
    pattern
        && suppress
        && x.title == y.title
        && severity_eq(a, x.severity, b, y.severity)
        && x.tags == y.tags
        && x.expires == y.expires
        && x.shadow == y.shadow
        && actions_eq(a, &x.actions, b, &y.actions)
}

/// Whether two workflows (of two programs) behave the same.
pub(crate) fn workflow_eq(pa: &Program, x: &ir::Workflow, pb: &Program, y: &ir::Workflow) -> bool {
    let start_x = [Some(x.start.event), None];
    let start_y = [Some(y.start.event), None];
    let a = Side {
        program: pa,
        arena: &x.exprs,
        slots: &start_x,
        aggregates: &[],
        states: &x.states,
        vars: &x.vars,
    };
    let b = Side {
        program: pb,
        arena: &y.exprs,
        slots: &start_y,
        aggregates: &[],
        states: &y.states,
        vars: &y.vars,
    };
    fn state_name(
        states: &ir::IdVec<ir::StateId, ir::StateDef>,
        i: ir::StateId,
    ) -> Option<&SmolStr> {
        states.get(i).map(|s| &s.name)
    }
    let trigger_eq = |t1: &ir::Trigger, t2: &ir::Trigger| {
        let s1 = [Some(x.start.event), Some(t1.event)];
        let s2 = [Some(y.start.event), Some(t2.event)];
        let (a, b) = (a.with_slots(&s1), b.with_slots(&s2));
        event_name(pa, t1.event) == event_name(pb, t2.event)
            && expr_eq(a, t1.key, b, t2.key)
            && opt_eq(a, t1.cond, b, t2.cond)
    };
    // A timer reads the start binding, variables and visits, as the start does.
    let timer_eq = |u: &ir::Timer, v: &ir::Timer| {
        u.delay == v.delay
            && opt_eq(a, u.cond, b, v.cond)
            && u.target.map(|g| state_name(&x.states, g))
                == v.target.map(|g| state_name(&y.states, g))
            && actions_eq(a, &u.actions, b, &v.actions)
    };
    let start = event_name(pa, x.start.event) == event_name(pb, y.start.event)
        && opt_eq(a, x.start.cond, b, y.start.cond)
        && expr_eq(a, x.start.key, b, y.start.key);
    let vars = x.vars.len() == y.vars.len()
        && x.vars
            .iter()
            .zip(&y.vars)
            .all(|(u, v)| u.name == v.name && u.ty == v.ty && expr_eq(a, u.init, b, v.init));
    start
        && vars
        && x.title == y.title
        && x.states.len() == y.states.len()
        && x.states.iter().zip(&y.states).all(|(s, t)| {
            s.name == t.name
                && s.is_final == t.is_final
                && actions_eq(a, &s.on_enter, b, &t.on_enter)
                && s.transitions.len() == t.transitions.len()
                && s.transitions
                    .iter()
                    .zip(&t.transitions)
                    .all(|(u, v)| match (u, v) {
                        (
                            ir::Transition::On {
                                trigger: t1,
                                target: g1,
                                actions: a1,
                            },
                            ir::Transition::On {
                                trigger: t2,
                                target: g2,
                                actions: a2,
                            },
                        ) => {
                            let s1 = [Some(x.start.event), Some(t1.event)];
                            let s2 = [Some(y.start.event), Some(t2.event)];
                            trigger_eq(t1, t2)
                                && state_name(&x.states, *g1) == state_name(&y.states, *g2)
                                && actions_eq(a.with_slots(&s1), a1, b.with_slots(&s2), a2)
                        }
                        (
                            ir::Transition::Await {
                                quorum: q1,
                                items: i1,
                                target: g1,
                                actions: a1,
                            },
                            ir::Transition::Await {
                                quorum: q2,
                                items: i2,
                                target: g2,
                                actions: a2,
                            },
                        ) => {
                            q1 == q2
                                && i1.len() == i2.len()
                                && i1.iter().zip(i2).all(|(t1, t2)| trigger_eq(t1, t2))
                                && state_name(&x.states, *g1) == state_name(&y.states, *g2)
                                && actions_eq(a, a1, b, a2)
                        }
                        _ => false,
                    })
                && s.timers.len() == t.timers.len()
                && s.timers.iter().zip(&t.timers).all(|(u, v)| timer_eq(u, v))
        })
        && x.timers.len() == y.timers.len()
        && x.timers.iter().zip(&y.timers).all(|(u, v)| timer_eq(u, v))
}
