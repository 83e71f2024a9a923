//! A program read from outside (a bundle) is checked before anything runs it: every number in
//! it must name something of the same program. The compiler only makes such programs; a
//! damaged or hand-made bundle is refused with the first reference that is out of place,
//! instead of reaching the engine's `impossible!` (a panic in debug builds) or an id-indexed
//! table.

use crate::{
    Action, ExprArena, ExprId, Node, Pattern, Program, Recipient, Rule, SeverityOf, StateId,
    Template, TemplatePart, TestStep, Transition, Value, Workflow,
};

/// The first reference in `program` that names nothing, as a sentence.
pub fn check(program: &Program) -> Result<(), String> {
    let cx = Cx { program };
    for (i, u) in program.units.iter().enumerate() {
        for (event, fields) in u.sees.iter().flatten() {
            let n = cx.fields_of(*event).map_err(|e| format!("unit {i}: {e}"))?;
            if let Some(f) = fields.iter().find(|f| usize::from(**f) >= n) {
                return Err(format!("unit {i}: field {f} of event type {event}"));
            }
        }
    }
    let unit_in_range = |v: &Value| match v {
        Value::Unit(u) => (*u as usize) < program.units.len(),
        _ => true,
    };
    for m in &program.maps {
        if !m
            .entries
            .entries
            .iter()
            .all(|(k, v)| unit_in_range(k) && unit_in_range(v))
        {
            return Err(format!("map `{}`: a unit out of range", m.name));
        }
    }
    for l in &program.lists {
        if !l.values.items.iter().all(unit_in_range) {
            return Err(format!("list `{}`: a unit out of range", l.name));
        }
    }
    for r in &program.rules {
        cx.rule(r).map_err(|e| format!("rule `{}`: {e}", r.name))?;
    }
    for w in &program.workflows {
        cx.workflow(w)
            .map_err(|e| format!("workflow `{}`: {e}", w.name))?;
    }
    for t in &program.tests {
        for step in &t.steps {
            if let TestStep::Event { event, fields, .. } = step
                && cx.fields_of(*event)? != fields.len()
            {
                return Err(format!("test `{}`: an event's fields", t.name));
            }
        }
    }
    Ok(())
}

struct Cx<'p> {
    program: &'p Program,
}

impl Cx<'_> {
    /// How many fields event type `event` declares.
    fn fields_of(&self, event: u32) -> Result<usize, String> {
        (self.program.event(event))
            .map(|e| e.fields.len())
            .ok_or_else(|| format!("event type {event} of {}", self.program.events.len()))
    }

    fn rule(&self, r: &Rule) -> Result<(), String> {
        let arena = Arena::new(self, &r.exprs)?;
        if let SeverityOf::Expr(e) = r.severity {
            arena.id(e)?;
        }
        let mut aggregates = 0;
        match &r.pattern {
            Pattern::Single { event, cond } => {
                self.fields_of(*event)?;
                arena.opt(*cond)?;
            }
            Pattern::Window {
                event,
                cond,
                key,
                having,
                aggregates: aggs,
                ..
            } => {
                self.fields_of(*event)?;
                arena.opt(*cond)?;
                arena.id(*key)?;
                arena.id(*having)?;
                for a in aggs {
                    arena.opt(a.arg)?;
                }
                aggregates = aggs.len();
            }
            Pattern::Sequence { steps, .. } => {
                for s in steps {
                    self.fields_of(s.event)?;
                    arena.id(s.key)?;
                    arena.opt(s.cond)?;
                }
            }
        }
        if let Some(Node::Agg(i)) = (r.exprs.ids().map(|id| r.exprs.node(id)))
            .find(|n| matches!(n, Node::Agg(i) if *i as usize >= aggregates))
        {
            return Err(format!("aggregate {i} of {aggregates}"));
        }
        if let Some(s) = &r.suppress {
            arena.opt(s.key)?;
        }
        self.actions(&arena, &r.actions, 0)
    }

    fn workflow(&self, w: &Workflow) -> Result<(), String> {
        let arena = Arena::new(self, &w.exprs)?;
        self.fields_of(w.start.event)?;
        arena.opt(w.start.cond)?;
        arena.id(w.start.key)?;
        for v in &w.vars {
            arena.id(v.init)?;
        }
        let state = |s: StateId| {
            (w.states.get(s).map(drop)).ok_or_else(|| format!("state {s} of {}", w.states.len()))
        };
        if w.states.is_empty() {
            return Err("no states".into());
        }
        for s in &w.states {
            self.actions(&arena, &s.on_enter, w.vars.len())?;
            for t in &s.transitions {
                let (triggers, target, actions) = match t {
                    Transition::On {
                        trigger,
                        target,
                        actions,
                    } => (std::slice::from_ref(trigger), target, actions),
                    Transition::Await {
                        items,
                        target,
                        actions,
                        ..
                    } => (&items[..], target, actions),
                };
                for tr in triggers {
                    self.fields_of(tr.event)?;
                    arena.id(tr.key)?;
                    arena.opt(tr.cond)?;
                }
                state(*target)?;
                self.actions(&arena, actions, w.vars.len())?;
            }
            for timer in &s.timers {
                if let Some(target) = timer.target {
                    state(target)?;
                }
                arena.opt(timer.cond)?;
                self.actions(&arena, &timer.actions, w.vars.len())?;
            }
        }
        for timer in &w.timers {
            if let Some(target) = timer.target {
                state(target)?;
            }
            arena.opt(timer.cond)?;
            self.actions(&arena, &timer.actions, w.vars.len())?;
        }
        Ok(())
    }

    /// `vars`: how many variables a `set` may name (a rule has none).
    fn actions(&self, arena: &Arena<'_>, actions: &[Action], vars: usize) -> Result<(), String> {
        for a in actions {
            match a {
                Action::Alert {
                    to,
                    severity,
                    message,
                } => {
                    let n = self.program.units.len();
                    for r in to {
                        match r {
                            Recipient::Unit(u) if *u as usize >= n => {
                                return Err(format!("unit {u} of {n}"));
                            }
                            Recipient::Unit(_) => {}
                            Recipient::Expr(e) => arena.id(*e)?,
                        }
                    }
                    if let Some(SeverityOf::Expr(e)) = severity {
                        arena.id(*e)?;
                    }
                    if let Some(m) = message {
                        arena.template(m)?;
                    }
                }
                Action::Emit {
                    event,
                    fields,
                    each,
                } => {
                    if self.fields_of(*event)? != fields.len() {
                        return Err(format!("an `emit` of event type {event}: its fields"));
                    }
                    for f in fields {
                        arena.id(*f)?;
                    }
                    if let Some(set) = each {
                        arena.id(*set)?;
                    }
                }
                Action::Set { var, value } => {
                    if *var as usize >= vars {
                        return Err(format!("variable {var} of {vars}"));
                    }
                    arena.id(*value)?;
                }
                Action::Start { workflow } => {
                    let n = self.program.workflows.len();
                    if self.program.workflows.get(*workflow).is_none() {
                        return Err(format!("workflow {workflow} of {n}"));
                    }
                }
            }
        }
        Ok(())
    }
}

/// An item's arena, checked once: operands point backwards, and what nodes name exists.
struct Arena<'a> {
    arena: &'a ExprArena,
}

impl<'a> Arena<'a> {
    fn new(cx: &Cx<'_>, arena: &'a ExprArena) -> Result<Arena<'a>, String> {
        arena.verify()?;
        let p = cx.program;
        for id in arena.ids() {
            match arena.node(id) {
                Node::InList { list, .. } if *list as usize >= p.lists.len() => {
                    return Err(format!("list {list} of {}", p.lists.len()));
                }
                Node::Within(_, zone) if *zone as usize >= p.zones.len() => {
                    return Err(format!("zone {zone} of {}", p.zones.len()));
                }
                Node::List(list) if *list as usize >= p.lists.len() => {
                    return Err(format!("list {list} of {}", p.lists.len()));
                }
                Node::Lookup { map, .. } if *map as usize >= p.maps.len() => {
                    return Err(format!("map {map} of {}", p.maps.len()));
                }
                Node::Const(Value::Unit(u)) if *u as usize >= p.units.len() => {
                    return Err(format!("unit {u} of {}", p.units.len()));
                }
                _ => {}
            }
        }
        Ok(Arena { arena })
    }

    fn id(&self, id: ExprId) -> Result<(), String> {
        if id.index() < self.arena.len() {
            Ok(())
        } else {
            Err(format!("expression {} of {}", id.index(), self.arena.len()))
        }
    }

    fn opt(&self, id: Option<ExprId>) -> Result<(), String> {
        id.map_or(Ok(()), |id| self.id(id))
    }

    fn template(&self, t: &Template) -> Result<(), String> {
        for part in &t.parts {
            if let TemplatePart::Expr(e) = part {
                self.id(*e)?;
            }
        }
        Ok(())
    }
}
