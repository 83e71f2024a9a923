//! Data minimisation on delivery (SPEC §2 `sees`): which event fields an alert's key and each
//! of its message's interpolations are computed from, so that a unit's copy drops the key, or
//! shows `…` for an interpolation (SPEC v0.2), when the unit may not see one of those fields.
//! (The evidence itself is cut to the unit's fields by the record writer.)

use std::collections::{BTreeMap, BTreeSet};

use vigil_ir::{self as ir, ExprArena, ExprId, Node, Pattern, Program, TemplatePart};

/// Fields (event type, field) that an origin's alert keys and message interpolations read.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Reads {
    /// The fields the key is computed from, once per way of computing it: each step of a
    /// sequence (each trigger of a workflow) computes the same key from its own event, so the
    /// key may be shown when one of them reads only fields the unit sees. Empty: no key, or
    /// one read from no field.
    pub key: Vec<BTreeSet<(u32, u16)>>,
    /// Per interpolation of any of the origin's messages (by its expression).
    pub message: BTreeMap<ExprId, Part>,
}

/// What one message interpolation reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Part {
    pub fields: BTreeSet<(u32, u16)>,
    /// Whether it reads the key (`{key}`), shown only where the key is.
    pub key: bool,
}

/// What a unit's copy of an alert must leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Redaction {
    pub key: bool,
    /// The interpolations shown as `…`.
    pub hidden: BTreeSet<ExprId>,
}

impl Reads {
    /// What unit `unit` may not be shown.
    pub fn redaction(&self, program: &Program, unit: u32) -> Redaction {
        let Some(sees) = program
            .units
            .get(unit as usize)
            .and_then(|u| u.sees.as_ref())
        else {
            return Redaction::default();
        };
        let visible = |(t, f): &(u32, u16)| {
            sees.iter()
                .any(|(et, fields)| et == t && fields.contains(f))
        };
        let key = !self.key.is_empty() && !self.key.iter().any(|way| way.iter().all(visible));
        Redaction {
            key,
            hidden: self
                .message
                .iter()
                .filter(|(_, part)| (part.key && key) || !part.fields.iter().all(visible))
                .map(|(e, _)| *e)
                .collect(),
        }
    }
}

/// The fields `id` reads, with `slots` giving the event types each slot may hold.
fn collect(
    arena: &ExprArena,
    id: ExprId,
    slots: &dyn Fn(u8) -> Vec<u32>,
    aggs: &[ir::Aggregate],
    out: &mut Part,
) {
    match arena.node(id) {
        Node::Field { slot, field } => {
            for t in slots(*slot) {
                out.fields.insert((t, *field));
            }
        }
        Node::Agg(i) => {
            if let Some(arg) = aggs.get(*i as usize).and_then(|a| a.arg) {
                collect(arena, arg, slots, aggs, out);
            }
        }
        Node::Key => out.key = true,
        node => {
            for o in arena.operands(node) {
                collect(arena, o, slots, aggs, out);
            }
        }
    }
}

/// The fields a key expression reads.
fn key_fields(
    arena: &ExprArena,
    id: ExprId,
    slots: &dyn Fn(u8) -> Vec<u32>,
    aggs: &[ir::Aggregate],
) -> BTreeSet<(u32, u16)> {
    let mut part = Part::default();
    collect(arena, id, slots, aggs, &mut part);
    part.fields
}

fn messages(actions: &[ir::Action]) -> impl Iterator<Item = ExprId> + '_ {
    actions.iter().flat_map(|a| match a {
        ir::Action::Alert {
            message: Some(t), ..
        } => t
            .parts
            .iter()
            .filter_map(|p| match p {
                TemplatePart::Expr(e) => Some(*e),
                TemplatePart::Text(_) => None,
            })
            .collect::<Vec<_>>(),
        _ => Vec::new(),
    })
}

pub(crate) fn rule_reads(rule: &ir::Rule) -> Reads {
    let (slot_types, key_exprs, aggs): (Vec<u32>, Vec<ExprId>, &[ir::Aggregate]) =
        match &rule.pattern {
            Pattern::Single { event, .. } => (vec![*event], Vec::new(), &[]),
            Pattern::Window {
                event,
                key,
                aggregates,
                ..
            } => (vec![*event], vec![*key], aggregates),
            Pattern::Sequence { steps, .. } => (
                steps.iter().map(|s| s.event).collect(),
                steps.iter().map(|s| s.key).collect(),
                &[],
            ),
        };
    let slots = |s: u8| slot_types.get(s as usize).map_or(Vec::new(), |t| vec![*t]);
    let mut reads = Reads::default();
    for k in &key_exprs {
        reads.key.push(key_fields(&rule.exprs, *k, &slots, aggs));
    }
    if key_exprs.is_empty()
        && let Some(by) = rule.suppress.as_ref().and_then(|s| s.key)
    {
        reads.key.push(key_fields(&rule.exprs, by, &slots, aggs));
    }
    for m in messages(&rule.actions) {
        let part = reads.message.entry(m).or_default();
        collect(&rule.exprs, m, &slots, aggs, part);
    }
    reads
}

pub(crate) fn workflow_reads(w: &ir::Workflow) -> Reads {
    // Slot 0 is the start event; slot 1 any event the workflow reads.
    let all: Vec<u32> = crate::workflow::event_types(w);
    let start = w.start.event;
    let slots = move |s: u8| if s == 0 { vec![start] } else { all.clone() };
    let mut reads = Reads::default();
    reads
        .key
        .push(key_fields(&w.exprs, w.start.key, &slots, &[]));
    let mut all: Vec<&[ir::Action]> = Vec::new();
    for s in &w.states {
        all.push(&s.on_enter);
        for t in &s.transitions {
            let (triggers, actions): (Vec<&ir::Trigger>, &[ir::Action]) = match t {
                ir::Transition::On {
                    trigger, actions, ..
                } => (vec![trigger], actions),
                ir::Transition::Await { items, actions, .. } => (items.iter().collect(), actions),
            };
            all.push(actions);
            // Each trigger finds its instance by the same key, from its own event (slot 1).
            for trig in triggers {
                let only = |s: u8| if s == 1 { vec![trig.event] } else { Vec::new() };
                reads.key.push(key_fields(&w.exprs, trig.key, &only, &[]));
            }
        }
        for t in &s.timers {
            all.push(&t.actions);
        }
    }
    // Workflow-level timers (SPEC v0.2) write messages too.
    for t in &w.timers {
        all.push(&t.actions);
    }
    for actions in all {
        for m in messages(actions) {
            let part = reads.message.entry(m).or_default();
            collect(&w.exprs, m, &slots, &[], part);
        }
    }
    reads
}
