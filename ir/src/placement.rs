//! Placement for a run split over key groups (SCALEOUT.md §3.4, phase 1): for each rule and
//! workflow, the key by which each event type it consumes is routed, or why it must run in the
//! one global group.
//!
//! A unit's state is keyed (a window's group, a sequence's key, a workflow's instance, a
//! suppression's key), so the events of one key value can go to one group and the unit run
//! there alone. Chains complicate it: an `emit` or a `start` hands an event to another unit
//! inside the producing engine, so the consumer must find its key in the same group. That holds
//! when the consumer's key on the handed event is the producer's own key, or when the producer
//! keeps no state (the router can then route the producer's event by the consumer's key of
//! what it will emit). Every other chain, and every unit whose state has no key, runs in the
//! global group with everything it is chained to.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::id::Id as _;
use crate::{Action, EventTypeId, ExprArena, ExprId, Node, Pattern, Program, RuleId, WorkflowId};

/// A rule or a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitRef {
    Rule(RuleId),
    Workflow(WorkflowId),
}

/// Where a unit runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Home {
    /// Keeps no state and hands nothing on: any one group the event reaches.
    Anywhere,
    /// In the group of each event's key.
    Keyed(Vec<Key>),
    /// In the one global group.
    Global(Reason),
}

/// How an event type a unit consumes is routed: `expr` of `owner`'s arena, evaluated with the
/// event in `slot`.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub event: EventTypeId,
    pub owner: UnitRef,
    pub expr: ExprId,
    pub slot: u8,
}

/// Why a unit runs in the global group.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// `suppress for D` without `by` on a rule with no key: one suppression for all events.
    WholeRuleSuppression,
    /// `suppress by` another value than the rule's group or sequence key.
    SuppressedByAnotherKey,
    /// `from` hands `event` to `to`, which is keyed by another value than `from` (or a
    /// stateless `from` hands on events keyed by different values).
    KeyChanged {
        from: UnitRef,
        to: UnitRef,
        event: EventTypeId,
    },
    /// Chained, directly or not, to `unit`, which runs in the global group.
    ChainedTo(UnitRef),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Rules, then workflows, in declaration order.
    pub units: Vec<(UnitRef, Home)>,
    /// How many of `units` are rules: a workflow's place is after them.
    rules: usize,
}

impl Placement {
    /// Where `unit` runs; asked for every consumer of every event in a split run.
    pub fn home(&self, unit: UnitRef) -> Option<&Home> {
        let i = match unit {
            UnitRef::Rule(r) => r.index(),
            UnitRef::Workflow(w) => self.rules + w.index(),
        };
        self.units.get(i).map(|(_, h)| h)
    }
}

/// A hand-over of an event from one unit to another.
struct Edge {
    from: UnitRef,
    to: UnitRef,
    event: EventTypeId,
    /// How the consumer's key reads in the producer's terms: its canonical text, and the key
    /// by which the producer's own event would be routed to it. `None`: the consumer keeps no
    /// key. `Some(None)`: the consumer's key cannot be said in the producer's terms.
    consumer_key: Option<Option<(String, Key)>>,
}

/// The placement of `p`'s units.
pub fn place(p: &Program) -> Placement {
    let units: Vec<UnitRef> = p
        .rules
        .iter_enumerated()
        .map(|(r, _)| UnitRef::Rule(r))
        .chain(
            p.workflows
                .iter_enumerated()
                .map(|(w, _)| UnitRef::Workflow(w)),
        )
        .collect();
    let mut homes: BTreeMap<UnitRef, Home> = units.iter().map(|u| (*u, own_home(p, *u))).collect();

    let mut edges = Vec::new();
    for u in &units {
        for handed in handed_on(p, *u) {
            for (to, key) in consumers(p, handed.event) {
                let consumer_key = key.map(|k| producer_value(p, *u, &handed, &k));
                edges.push(Edge {
                    from: *u,
                    to,
                    event: handed.event,
                    consumer_key,
                });
            }
        }
    }

    // An edge keeps its chain in one group when the consumer keeps no key, or is keyed by the
    // producer's own key; a stateless producer is instead routed by its consumers' key, which
    // must then be one value.
    let mut broken: BTreeMap<UnitRef, Reason> = BTreeMap::new();
    let mut composed: BTreeMap<UnitRef, Vec<(String, Key)>> = BTreeMap::new();
    for e in &edges {
        let preserving = match &e.consumer_key {
            None => true,
            Some(None) => false,
            Some(Some((text, key))) => match e.from {
                UnitRef::Rule(r) if is_stateless(p, r) => {
                    let mine = composed.entry(e.from).or_default();
                    let same = mine.iter().all(|(t, _)| t == text);
                    if same && !mine.iter().any(|(_, k)| k.event == key.event) {
                        mine.push((text.clone(), key.clone()));
                    }
                    same
                }
                _ => own_key_texts(p, e.from).contains(text),
            },
        };
        if !preserving {
            let reason = Reason::KeyChanged {
                from: e.from,
                to: e.to,
                event: e.event,
            };
            broken.entry(e.from).or_insert_with(|| reason.clone());
            broken.entry(e.to).or_insert(reason);
        }
    }
    for (u, keys) in composed {
        if !broken.contains_key(&u) {
            homes.insert(u, Home::Keyed(keys.into_iter().map(|(_, k)| k).collect()));
        }
    }
    for (u, reason) in &broken {
        homes.insert(*u, Home::Global(reason.clone()));
    }

    // Units joined by chains run together: one global member takes the others along.
    let mut joined = Components::default();
    for e in &edges {
        joined.join(e.from, e.to);
    }
    let mut global_member: BTreeMap<UnitRef, UnitRef> = BTreeMap::new();
    for (u, home) in &homes {
        if matches!(home, Home::Global(_)) {
            global_member.entry(joined.root(*u)).or_insert(*u);
        }
    }
    for u in &units {
        if let Some(m) = global_member.get(&joined.root(*u))
            && !matches!(homes.get(u), Some(Home::Global(_)))
        {
            homes.insert(*u, Home::Global(Reason::ChainedTo(*m)));
        }
    }
    Placement {
        rules: p.rules.len(),
        units: units
            .into_iter()
            .map(|u| {
                let home = homes.remove(&u).unwrap_or(Home::Anywhere);
                (u, home)
            })
            .collect(),
    }
}

/// Units joined by chains (union-find).
#[derive(Default)]
struct Components {
    parent: BTreeMap<UnitRef, UnitRef>,
}

impl Components {
    fn root(&mut self, mut u: UnitRef) -> UnitRef {
        while let Some(&up) = self.parent.get(&u) {
            if up == u {
                break;
            }
            u = up;
        }
        u
    }

    fn join(&mut self, a: UnitRef, b: UnitRef) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent.insert(ra, rb);
        }
    }
}

/// An empty arena, for a unit that is not in the program (never the case for units taken
/// from it).
static NO_EXPRS: std::sync::LazyLock<ExprArena> = std::sync::LazyLock::new(ExprArena::default);

fn arena(p: &Program, u: UnitRef) -> &ExprArena {
    match u {
        UnitRef::Rule(r) => p.rules.get(r).map(|r| &r.exprs),
        UnitRef::Workflow(w) => p.workflows.get(w).map(|w| &w.exprs),
    }
    .unwrap_or(&NO_EXPRS)
}

/// The event types in each slot of a unit's expressions.
fn slots(p: &Program, u: UnitRef) -> Vec<Option<EventTypeId>> {
    match u {
        UnitRef::Rule(r) => p
            .rules
            .get(r)
            .map(|r| r.pattern.event_types().into_iter().map(Some).collect())
            .unwrap_or_default(),
        // Slot 1 holds whichever event drives a transition; its type varies by transition.
        UnitRef::Workflow(w) => vec![p.workflows.get(w).map(|w| w.start.event), None],
    }
}

fn text_of(p: &Program, u: UnitRef, e: ExprId, slot1: Option<EventTypeId>) -> String {
    let mut s = slots(p, u);
    if let (UnitRef::Workflow(_), Some(t), Some(one)) = (u, slot1, s.get_mut(1)) {
        *one = Some(t);
    }
    crate::text::expr(p, arena(p, u), &s, e)
}

fn key_text(p: &Program, k: &Key) -> String {
    let slot1 = (k.slot == 1).then_some(k.event);
    text_of(p, k.owner, k.expr, slot1)
}

/// A rule that keeps no state: a single event, no suppression.
fn is_stateless(p: &Program, r: RuleId) -> bool {
    p.rules.get(r).is_some_and(|rule| {
        matches!(rule.pattern, Pattern::Single { .. }) && rule.suppress.is_none()
    })
}

/// Where a unit would run with nothing chained to it.
fn own_home(p: &Program, u: UnitRef) -> Home {
    match u {
        UnitRef::Rule(r) => {
            let Some(rule) = p.rules.get(r) else {
                return Home::Anywhere;
            };
            let pattern_keys: Vec<Key> = match &rule.pattern {
                Pattern::Single { .. } => Vec::new(),
                Pattern::Window { event, key, .. } => vec![Key {
                    event: *event,
                    owner: u,
                    expr: *key,
                    slot: 0,
                }],
                Pattern::Sequence { steps, .. } => steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Key {
                        event: s.event,
                        owner: u,
                        expr: s.key,
                        slot: u8::try_from(i).unwrap_or(u8::MAX),
                    })
                    .collect(),
            };
            match (&rule.pattern, &rule.suppress) {
                (Pattern::Single { .. }, None) => Home::Anywhere,
                (Pattern::Single { event, .. }, Some(s)) => match s.key {
                    None => Home::Global(Reason::WholeRuleSuppression),
                    Some(k) => Home::Keyed(vec![Key {
                        event: *event,
                        owner: u,
                        expr: k,
                        slot: 0,
                    }]),
                },
                (_, Some(s)) => match s.key {
                    // Suppressed by the alert key: the group or sequence key.
                    None => Home::Keyed(pattern_keys),
                    // Every step of a sequence reads the same key value, each from its own
                    // slot: the suppression is by that key if it reads as one of them.
                    Some(k) => {
                        let by = text_of(p, u, k, None);
                        if pattern_keys.iter().any(|pk| key_text(p, pk) == by) {
                            Home::Keyed(pattern_keys)
                        } else {
                            Home::Global(Reason::SuppressedByAnotherKey)
                        }
                    }
                },
                (_, None) => Home::Keyed(pattern_keys),
            }
        }
        UnitRef::Workflow(w) => {
            let Some(wf) = p.workflows.get(w) else {
                return Home::Anywhere;
            };
            let mut keys = vec![Key {
                event: wf.start.event,
                owner: u,
                expr: wf.start.key,
                slot: 0,
            }];
            for state in &wf.states {
                for t in &state.transitions {
                    let triggers = match t {
                        crate::Transition::On { trigger, .. } => std::slice::from_ref(trigger),
                        crate::Transition::Await { items, .. } => items.as_slice(),
                    };
                    for tr in triggers {
                        if !keys.iter().any(|k| k.event == tr.event && k.slot == 1) {
                            keys.push(Key {
                                event: tr.event,
                                owner: u,
                                expr: tr.key,
                                slot: 1,
                            });
                        }
                    }
                }
            }
            Home::Keyed(keys)
        }
    }
}

/// The texts a unit's own key is written as (a sequence's steps each say it their way).
fn own_key_texts(p: &Program, u: UnitRef) -> Vec<String> {
    match own_home(p, u) {
        Home::Keyed(keys) => keys
            .iter()
            .filter(|k| k.slot == 0 || matches!(u, UnitRef::Rule(_)))
            .map(|k| key_text(p, k))
            .collect(),
        _ => Vec::new(),
    }
}

/// An event a unit hands on: an `emit`'s type and field values, or a `start`'s workflow (which
/// starts on the unit's own event).
struct Handed {
    event: EventTypeId,
    kind: HandedKind,
}

enum HandedKind {
    Emit(Vec<ExprId>),
    Start(WorkflowId),
}

fn handed_on(p: &Program, u: UnitRef) -> Vec<Handed> {
    let mut actions: Vec<&Action> = Vec::new();
    match u {
        UnitRef::Rule(r) => actions.extend(p.rules.get(r).iter().flat_map(|r| &r.actions)),
        UnitRef::Workflow(w) => {
            let Some(wf) = p.workflows.get(w) else {
                return Vec::new();
            };
            for s in &wf.states {
                actions.extend(&s.on_enter);
                for t in &s.transitions {
                    match t {
                        crate::Transition::On { actions: a, .. }
                        | crate::Transition::Await { actions: a, .. } => actions.extend(a),
                    }
                }
                for t in &s.timers {
                    actions.extend(&t.actions);
                }
            }
            for t in &wf.timers {
                actions.extend(&t.actions);
            }
        }
    }
    actions
        .into_iter()
        .filter_map(|a| match a {
            Action::Emit { event, fields, .. } => Some(Handed {
                event: *event,
                kind: HandedKind::Emit(fields.clone()),
            }),
            Action::Start { workflow } => p.workflows.get(*workflow).map(|wf| Handed {
                event: wf.start.event,
                kind: HandedKind::Start(*workflow),
            }),
            Action::Alert { .. } | Action::Set { .. } => None,
        })
        .collect()
}

/// Every unit that consumes `event`, in declaration order (rules, then workflows).
pub fn consuming(p: &Program, event: EventTypeId) -> Vec<UnitRef> {
    consumers(p, event).into_iter().map(|(u, _)| u).collect()
}

/// Every unit that consumes `event`, with its key on it (`None`: it keeps no state).
fn consumers(p: &Program, event: EventTypeId) -> Vec<(UnitRef, Option<Key>)> {
    let mut out = Vec::new();
    for (r, rule) in p.rules.iter_enumerated() {
        if rule.pattern.event_types().contains(&event) {
            let u = UnitRef::Rule(r);
            let key = match own_home(p, u) {
                Home::Keyed(keys) => keys.into_iter().find(|k| k.event == event),
                _ => None,
            };
            out.push((u, key));
        }
    }
    for (w, _) in p.workflows.iter_enumerated() {
        let u = UnitRef::Workflow(w);
        // The start key first: a start event also drives a live instance's transitions, by the
        // same value.
        if let Home::Keyed(keys) = own_home(p, u)
            && let Some(k) = keys.into_iter().find(|k| k.event == event)
        {
            out.push((u, Some(k)));
        }
    }
    out
}

/// The consumer's key `k` on a handed-on event, in the producer's terms: its canonical text
/// over the producer's slots, and the key that would route the producer's own event to it.
/// `None` when it cannot be said: the consumer's key is not a plain field of an emitted event.
fn producer_value(
    p: &Program,
    producer: UnitRef,
    handed: &Handed,
    k: &Key,
) -> Option<(String, Key)> {
    let producer_event = match producer {
        UnitRef::Rule(r) => p.rules.get(r)?.pattern.event_types().first().copied(),
        UnitRef::Workflow(w) => Some(p.workflows.get(w)?.start.event),
    }?;
    match &handed.kind {
        HandedKind::Emit(fields) => {
            let Node::Field { slot, field } = arena(p, k.owner).node(k.expr) else {
                return None;
            };
            if *slot != k.slot {
                return None;
            }
            let value = *fields.get(*field as usize)?;
            // `key` in a window's or sequence's emit is its key itself.
            if matches!(arena(p, producer).node(value), Node::Key) {
                let own = own_key_texts(p, producer).into_iter().next()?;
                return Some((
                    own,
                    Key {
                        event: producer_event,
                        owner: producer,
                        expr: value,
                        slot: 0,
                    },
                ));
            }
            let key = Key {
                event: producer_event,
                owner: producer,
                expr: value,
                slot: 0,
            };
            Some((text_of(p, producer, value, None), key))
        }
        // The workflow's start key reads the producer's own event in slot 0.
        HandedKind::Start(w) => {
            let key = Key {
                event: producer_event,
                owner: UnitRef::Workflow(*w),
                expr: p.workflows.get(*w)?.start.key,
                slot: 0,
            };
            Some((key_text(p, &key), key))
        }
    }
}

/// The identity of a split deployment: the placement (which units are keyed by what, which
/// are global) and the group count, as `sha256:<hex>`. Workers and routers of one deployment
/// must agree on it; it changes with anything that changes where an event is processed, and
/// not with a rule's condition or message.
pub fn identity(p: &Program, placement: &Placement, groups: u32) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(text(p, placement).as_bytes());
    h.update(format!("\ngroups {groups}\n").as_bytes());
    let digest: [u8; 32] = h.finalize().into();
    let mut out = String::from("sha256:");
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The placement as text (`vigil build --emit placement`).
pub fn text(p: &Program, placement: &Placement) -> String {
    let name = |u: UnitRef| match u {
        UnitRef::Rule(r) => format!("rule {}", p.rules.get(r).map_or("?", |r| r.name.as_str())),
        UnitRef::Workflow(w) => format!(
            "workflow {}",
            p.workflows.get(w).map_or("?", |w| w.name.as_str())
        ),
    };
    let event = |e: EventTypeId| p.event(e).map_or("?".to_string(), |t| t.name.to_string());
    let (mut keyed, mut anywhere, mut global) = (0, 0, 0);
    let mut body = String::new();
    for (u, home) in &placement.units {
        let _ = write!(body, "{:<44} ", name(*u));
        match home {
            Home::Anywhere => {
                anywhere += 1;
                body.push_str("anywhere\n");
            }
            Home::Keyed(keys) => {
                keyed += 1;
                // `CallRecord by callee`: the event's own slot goes without saying.
                let mut by: Vec<String> = Vec::new();
                for k in keys {
                    let text = key_text(p, k).replace(&format!("${}.", k.slot), "");
                    let said = format!("{} by {text}", event(k.event));
                    if !by.contains(&said) {
                        by.push(said);
                    }
                }
                let _ = writeln!(body, "keyed     {}", by.join(", "));
            }
            Home::Global(reason) => {
                global += 1;
                let why = match reason {
                    Reason::WholeRuleSuppression => "suppressed as a whole".to_string(),
                    Reason::SuppressedByAnotherKey => {
                        "suppressed by another value than its key".to_string()
                    }
                    Reason::KeyChanged { from, to, event: e } => format!(
                        "{} hands {} to {}, keyed by another value",
                        name(*from),
                        event(*e),
                        name(*to)
                    ),
                    Reason::ChainedTo(u) => format!("chained to {}", name(*u)),
                };
                let _ = writeln!(body, "global    {why}");
            }
        }
    }
    format!(
        "placement of {} units: {keyed} keyed, {anywhere} anywhere, {global} global\n{body}",
        placement.units.len()
    )
}
