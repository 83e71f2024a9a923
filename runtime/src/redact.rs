//! Data minimisation on delivery (SPEC §2 `sees`): which event fields an alert's key and each
//! of its message's interpolations are computed from, so that a unit's copy drops the key, or
//! shows `…` for an interpolation (SPEC v0.2), when the unit may not see one of those fields.
//! (The evidence itself is cut to the unit's fields by the record writer.)

use std::collections::{BTreeMap, BTreeSet};

use vigil_ir::{self as ir, ExprArena, ExprId, Node, Pattern, Program, TemplatePart};

/// Fields (event type, field) that an origin's alert keys and message interpolations read.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Reads {
    pub key: BTreeSet<(u32, u16)>,
    /// Per interpolation of any of the origin's messages (by its expression).
    pub message: BTreeMap<ExprId, BTreeSet<(u32, u16)>>,
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
        Redaction {
            key: !self.key.iter().all(visible),
            hidden: self
                .message
                .iter()
                .filter(|(_, fields)| !fields.iter().all(visible))
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
    key: &BTreeSet<(u32, u16)>,
    out: &mut BTreeSet<(u32, u16)>,
) {
    match arena.node(id) {
        Node::Field { slot, field } => {
            for t in slots(*slot) {
                out.insert((t, *field));
            }
        }
        Node::Agg(i) => {
            if let Some(arg) = aggs.get(*i as usize).and_then(|a| a.arg) {
                collect(arena, arg, slots, aggs, key, out);
            }
        }
        Node::Key => out.extend(key.iter().copied()),
        node => {
            for o in arena.operands(node) {
                collect(arena, o, slots, aggs, key, out);
            }
        }
    }
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
    let (slot_types, key_exprs, aggs): (Vec<u32>, Vec<(ExprId, u8)>, &[ir::Aggregate]) =
        match &rule.pattern {
            Pattern::Single { event, .. } => (vec![*event], Vec::new(), &[]),
            Pattern::Window {
                event,
                key,
                aggregates,
                ..
            } => (vec![*event], vec![(*key, 0)], aggregates),
            Pattern::Sequence { steps, .. } => (
                steps.iter().map(|s| s.event).collect(),
                steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.key, i as u8))
                    .collect(),
                &[],
            ),
        };
    let slots = |s: u8| slot_types.get(s as usize).map_or(Vec::new(), |t| vec![*t]);
    let mut reads = Reads::default();
    let none = BTreeSet::new();
    for (k, _) in &key_exprs {
        collect(&rule.exprs, *k, &slots, aggs, &none, &mut reads.key);
    }
    if key_exprs.is_empty()
        && let Some(by) = rule.suppress.as_ref().and_then(|s| s.key)
    {
        collect(&rule.exprs, by, &slots, aggs, &none, &mut reads.key);
    }
    let key = reads.key.clone();
    for m in messages(&rule.actions) {
        let fields = reads.message.entry(m).or_default();
        collect(&rule.exprs, m, &slots, aggs, &key, fields);
    }
    reads
}

pub(crate) fn workflow_reads(w: &ir::Workflow) -> Reads {
    // Slot 0 is the start event; slot 1 any event the workflow reads.
    let all: Vec<u32> = crate::workflow::event_types(w);
    let start = w.start.event;
    let slots = move |s: u8| if s == 0 { vec![start] } else { all.clone() };
    let mut reads = Reads::default();
    let none = BTreeSet::new();
    collect(&w.exprs, w.start.key, &slots, &[], &none, &mut reads.key);
    let key = reads.key.clone();
    for s in &w.states {
        let mut all: Vec<&[ir::Action]> = vec![&s.on_enter];
        for t in &s.transitions {
            match t {
                ir::Transition::On { actions, .. } | ir::Transition::Await { actions, .. } => {
                    all.push(actions)
                }
            }
        }
        for t in &s.timers {
            all.push(&t.actions);
        }
        for actions in all {
            for m in messages(actions) {
                let fields = reads.message.entry(m).or_default();
                collect(&w.exprs, m, &slots, &[], &key, fields);
            }
        }
    }
    reads
}
