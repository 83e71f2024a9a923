//! Witnesses: concrete events that two versions of a condition decide differently.
//!
//! The search works on the lowered conditions (constants folded, `fn`s inlined), so it sees
//! the numbers a condition really compares with. For every field the two conditions read it
//! builds candidate values from the constants they use (for a constant `c`: `c`, `c - 1` and
//! `c + 1` in the field's unit; every enum variant; every string constant and a fresh string;
//! absent for optional fields; hours of the day when `hour()` is used, and so on). Candidates
//! of a field that only ever appears alone in a clause are merged when every clause gives them
//! the same value, which keeps the product of the domains small; the product is then walked up
//! to a budget. Whatever the search finds, the caller verifies by running the runtime on it
//! (`probe_program` builds the program to run), so a bug here can cost a witness, never
//! produce a wrong one.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use smol_str::SmolStr;

use super::eval::{self, Env, FieldKey};
use vigil_ir::{
    self as ir, Builtin, EventTypeId, ExprArena, ExprId, Node, Pattern, Program, Ty, Value, ops,
};

/// Where a condition is in one version of a rule set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Site {
    /// The `where` of a rule's single-event or window pattern.
    RuleWhere { rule: SmolStr },
    /// The `having` of a rule's window.
    RuleHaving { rule: SmolStr },
    /// The condition of step `step` (from 0) of a rule's sequence.
    SequenceStep { rule: SmolStr, step: usize },
    /// The `where` of a workflow's `start on`.
    WorkflowStart { workflow: SmolStr },
    /// The guard of event-driven transition `transition` (from 0, `on` and `await` clauses in
    /// source order) of state `state`; `item` is the `await` item (0 for an `on`).
    Trigger {
        workflow: SmolStr,
        state: SmolStr,
        transition: usize,
        item: usize,
    },
}

/// A condition found in a program: its arena, its root (`None`: no condition, always true),
/// the event type in each slot it may read, and what else must hold for it to matter.
///
/// For a sequence step, the slots are the steps up to it; the earlier positive steps'
/// conditions are its context (a witness must get through them), and earlier absences get no
/// event. For a workflow transition, slot 0 is the start event, whose condition is the context.
#[derive(Clone, Copy)]
pub struct Located<'p> {
    pub program: &'p Program,
    pub arena: &'p ExprArena,
    pub cond: Option<ExprId>,
    pub slots: &'p [EventTypeId],
    /// Per slot: an absence step before the condition's own step (no event is sent for it).
    pub absent: &'p [bool],
    /// Conditions of earlier slots that must hold too.
    pub context: &'p [ExprId],
    /// Per slot, when there are several: the key that correlates its event with the others
    /// (the sequence key, the workflow instance key), read from that slot.
    pub keys: &'p [ExprId],
    /// For a window's `having`: the window it is evaluated over.
    pub window: Option<Window<'p>>,
}

/// A rule's window, for witnesses of its `having` condition.
#[derive(Clone, Copy)]
pub struct Window<'p> {
    /// The `where` an event must pass to join a group.
    pub cond: Option<ExprId>,
    pub key: ExprId,
    pub within: i64,
    pub aggregates: &'p [ir::Aggregate],
}

/// A condition's place in a program, resolved; owns its lists.
pub struct Found<'p> {
    pub program: &'p Program,
    pub arena: &'p ExprArena,
    pub cond: Option<ExprId>,
    pub slots: Vec<EventTypeId>,
    pub absent: Vec<bool>,
    pub context: Vec<ExprId>,
    pub keys: Vec<ExprId>,
    pub window: Option<Window<'p>>,
}

impl<'p> Found<'p> {
    pub fn located(&self) -> Located<'_> {
        Located {
            program: self.program,
            arena: self.arena,
            cond: self.cond,
            slots: &self.slots,
            absent: &self.absent,
            context: &self.context,
            keys: &self.keys,
            window: self.window,
        }
    }
}

/// Finds the condition at `site` in `program`.
pub fn locate<'p>(program: &'p Program, site: &Site) -> Option<Found<'p>> {
    let rule = |name: &str| program.rules.iter().find(|r| r.name == name);
    let workflow = |name: &str| program.workflows.iter().find(|w| w.name == name);
    let single = |arena: &'p ExprArena, cond: Option<ExprId>, event: EventTypeId| Found {
        program,
        arena,
        cond,
        slots: vec![event],
        absent: vec![false],
        context: Vec::new(),
        keys: Vec::new(),
        window: None,
    };
    Some(match site {
        Site::RuleWhere { rule: name } => {
            let r = rule(name)?;
            match &r.pattern {
                Pattern::Single { event, cond } | Pattern::Window { event, cond, .. } => {
                    single(&r.exprs, *cond, *event)
                }
                Pattern::Sequence { .. } => return None,
            }
        }
        Site::RuleHaving { rule: name } => {
            let r = rule(name)?;
            match &r.pattern {
                Pattern::Window {
                    event,
                    cond,
                    key,
                    within,
                    having,
                    aggregates,
                } => Found {
                    window: Some(Window {
                        cond: *cond,
                        key: *key,
                        within: *within,
                        aggregates,
                    }),
                    ..single(&r.exprs, Some(*having), *event)
                },
                _ => return None,
            }
        }
        Site::SequenceStep { rule: name, step } => {
            let r = rule(name)?;
            let Pattern::Sequence { steps, .. } = &r.pattern else {
                return None;
            };
            let s = steps.get(*step)?;
            let before = steps.get(..*step)?;
            Found {
                program,
                arena: &r.exprs,
                cond: s.cond,
                slots: steps.iter().take(step + 1).map(|s| s.event).collect(),
                absent: before
                    .iter()
                    .map(|s| s.absent)
                    .chain(std::iter::once(false))
                    .collect(),
                context: before
                    .iter()
                    .filter(|s| !s.absent)
                    .filter_map(|s| s.cond)
                    .collect(),
                keys: steps.iter().take(step + 1).map(|s| s.key).collect(),
                window: None,
            }
        }
        Site::WorkflowStart { workflow: name } => {
            let w = workflow(name)?;
            single(&w.exprs, w.start.cond, w.start.event)
        }
        Site::Trigger {
            workflow: name,
            state,
            transition,
            item,
        } => {
            let w = workflow(name)?;
            let s = w.states.iter().find(|s| s.name == *state)?;
            let trigger = match s.transitions.get(*transition)? {
                ir::Transition::On { trigger, .. } if *item == 0 => trigger,
                ir::Transition::Await { items, .. } => items.get(*item)?,
                ir::Transition::On { .. } => return None,
            };
            Found {
                program,
                arena: &w.exprs,
                cond: trigger.cond,
                slots: vec![w.start.event, trigger.event],
                absent: vec![false, false],
                context: w.start.cond.into_iter().collect(),
                keys: vec![w.start.key, trigger.key],
                window: None,
            }
        }
    })
}

/// Limits of the search.
#[derive(Debug, Clone)]
pub struct SearchConfig {
    /// The most combinations of candidate values evaluated.
    pub budget: u64,
    /// How many witnesses to return for each direction (old only, new only), so that the
    /// caller can fall back on the next when one does not verify.
    pub per_direction: usize,
}

impl Default for SearchConfig {
    fn default() -> SearchConfig {
        SearchConfig {
            budget: 200_000,
            per_direction: 3,
        }
    }
}

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq)]
pub enum Search {
    /// No search was made, and why.
    Skipped(String),
    /// The search ran: what it found (possibly nothing), how many combinations it tried out
    /// of how many there were.
    Done {
        witnesses: Vec<Witness>,
        tried: u64,
        space: u64,
    },
}

/// Events (one per slot, in slot order) on which the old and the new condition differ.
#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    /// The events as JSON lines, ready to feed to `vigil run`.
    pub lines: Vec<String>,
    /// Whether the old condition holds on them.
    pub old: bool,
    /// Whether the new condition holds on them.
    pub new: bool,
}

// ---------------------------------------------------------------------------------------------
// Variables and their domains

/// A candidate value, independent of either program: enum values by name.
#[derive(Debug, Clone, PartialEq)]
enum Cand {
    Absent,
    Val(Value),
    Variant(SmolStr),
}

/// A field some condition reads: the event in `slot`, its field `name`.
#[derive(Debug, Clone)]
struct Var {
    /// The fields that take this value, as (slot, name): one field, or the key field of
    /// every slot (correlated events share their key).
    bindings: Vec<(u8, SmolStr)>,
    ty: Ty,
    /// Whether every version that declares the field lets it be absent.
    optional: bool,
    /// Whether each version declares the field.
    declared: [bool; 2],
}

impl Var {
    fn binds(&self, slot: u8, name: &str) -> bool {
        self.bindings.iter().any(|(s, n)| *s == slot && n == name)
    }

    fn name(&self) -> &str {
        self.bindings.first().map_or("", |(_, n)| n.as_str())
    }

    /// A variable for `bindings`, typed from both versions' declarations.
    fn new(bindings: Vec<(u8, SmolStr)>, sides: [&Located<'_>; 2]) -> Result<Var, String> {
        let mut var = Var {
            bindings,
            ty: Ty::Error,
            optional: true,
            declared: [false, false],
        };
        for (si, loc) in sides.iter().enumerate() {
            for (slot, name) in &var.bindings.clone() {
                let Some(&slot_ty) = loc.slots.get(*slot as usize) else {
                    continue;
                };
                if let Some((_, ty, optional)) = field_by_name(loc.program, slot_ty, name) {
                    if var.ty != Ty::Error && var.ty != ty {
                        return Err(format!(
                            "field `{name}` has a different type in each version"
                        ));
                    }
                    var.ty = ty;
                    var.optional &= optional;
                    if let Some(d) = var.declared.get_mut(si) {
                        *d = true;
                    }
                }
            }
        }
        Ok(var)
    }
}

/// The key field of every slot of `loc` that gets an event, when each key is a plain field of
/// its own slot's event (`by plate`, `by d.case_id`): then correlated witness events can share
/// the key's value.
pub(crate) fn key_fields(loc: &Located<'_>) -> Option<Vec<(u8, FieldKey, SmolStr)>> {
    if loc.slots.len() < 2 || loc.keys.len() != loc.slots.len() {
        return None;
    }
    let mut out = Vec::new();
    for (i, (key, ty)) in loc.keys.iter().zip(loc.slots).enumerate() {
        let (slot, field) = node_field(loc.arena.node(*key))?;
        if usize::from(slot) != i {
            return None;
        }
        if loc.absent.get(i).copied().unwrap_or(false) {
            continue;
        }
        out.push((slot, field, field_key_name(loc.program, *ty, field)?));
    }
    Some(out)
}

/// What the conditions compare fields with, by type, and the built-ins they use.
#[derive(Default)]
struct Consts {
    ints: Vec<i64>,
    floats: Vec<f64>,
    durations: Vec<i64>,
    times: Vec<i64>,
    strs: Vec<Arc<str>>,
    points: Vec<ir::Point>,
    builtins: Vec<Builtin>,
    zones: Vec<u32>,
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// The nodes reachable from `root`.
fn reachable(arena: &ExprArena, root: ExprId) -> Vec<ExprId> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if out.contains(&id) {
            continue;
        }
        out.push(id);
        stack.extend(arena.operands(arena.node(id)));
    }
    out.sort();
    out
}

/// The roots a located condition evaluates: its context, then itself.
fn roots(loc: &Located<'_>) -> Vec<ExprId> {
    loc.context.iter().copied().chain(loc.cond).collect()
}

/// Why the search cannot handle a condition, if it cannot.
fn unsupported(arena: &ExprArena, root: ExprId) -> Option<&'static str> {
    reachable(arena, root)
        .into_iter()
        .find_map(|id| match arena.node(id) {
            Node::Agg(_) => Some("it reads a window's aggregates outside `having`"),
            Node::Key => Some("it reads the group or sequence key"),
            Node::From | Node::Visits(_) | Node::Var(_) => {
                Some("it reads the workflow instance's history")
            }
            Node::Param(_) => Some("it reads a function parameter"),
            Node::Element => Some("it reads the element an `emit` is for"),
            _ => None,
        })
}

fn field_key_name(program: &Program, slot_ty: EventTypeId, key: FieldKey) -> Option<SmolStr> {
    match key {
        FieldKey::Time => Some(SmolStr::new("time")),
        FieldKey::Id => Some(SmolStr::new("id")),
        FieldKey::Declared(i) => program
            .event(slot_ty)?
            .fields
            .get(i as usize)
            .map(|f| f.name.clone()),
    }
}

/// A field of an event type by name: its key, type and whether it may be absent.
fn field_by_name(program: &Program, ty: EventTypeId, name: &str) -> Option<(FieldKey, Ty, bool)> {
    match name {
        "time" => Some((FieldKey::Time, Ty::Time, false)),
        "id" => Some((FieldKey::Id, Ty::Str, true)),
        _ => {
            let (i, f) = program.event(ty)?.field(name)?;
            Some((FieldKey::Declared(i), f.ty.clone(), f.optional))
        }
    }
}

fn node_field(node: &Node) -> Option<(u8, FieldKey)> {
    match node {
        Node::Field { slot, field } => Some((*slot, FieldKey::Declared(*field))),
        Node::EventTime(slot) => Some((*slot, FieldKey::Time)),
        Node::EventId(slot) => Some((*slot, FieldKey::Id)),
        _ => None,
    }
}

/// A clause of a condition's `and`/`or`/`not` tree.
fn atoms(arena: &ExprArena, root: ExprId, out: &mut Vec<ExprId>) {
    match arena.node(root) {
        Node::And(a, b) | Node::Or(a, b) => {
            atoms(arena, *a, out);
            atoms(arena, *b, out);
        }
        Node::Unary(ir::UnOp::Not, a) => atoms(arena, *a, out),
        _ => out.push(root),
    }
}

/// The local midnight of Monday 2024-01-01 in `tz`: the default event time of witnesses.
fn base_time(tz: &jiff::tz::TimeZone) -> i64 {
    const UTC_MIDNIGHT: i64 = 1_704_067_200_000;
    let offset = jiff::Timestamp::from_millisecond(UTC_MIDNIGHT)
        .map(|ts| i64::from(tz.to_offset(ts).seconds()))
        .unwrap_or(0);
    UTC_MIDNIGHT - offset * 1000
}

const SECOND: i64 = 1000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 86_400_000;

/// A point inside zone `zone`, if one is easy to find.
fn inside_point(program: &Program, zone: u32) -> Option<ir::Point> {
    let z = program.zones.get(zone as usize)?;
    let poly = z.polygons.first()?;
    let n = poly.exterior.len().max(1) as f64;
    let (sx, sy) = poly
        .exterior
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let centre = ir::Point {
        lat: sy / n,
        lon: sx / n,
    };
    if z.contains(centre) {
        return Some(centre);
    }
    let (mut lo_x, mut lo_y, mut hi_x, mut hi_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in &poly.exterior {
        lo_x = lo_x.min(*x);
        lo_y = lo_y.min(*y);
        hi_x = hi_x.max(*x);
        hi_y = hi_y.max(*y);
    }
    for i in 1..20 {
        for j in 1..20 {
            let p = ir::Point {
                lat: lo_y + (hi_y - lo_y) * f64::from(j) / 20.0,
                lon: lo_x + (hi_x - lo_x) * f64::from(i) / 20.0,
            };
            if z.contains(p) {
                return Some(p);
            }
        }
    }
    None
}

fn collect_consts(loc: &Located<'_>, root: ExprId, c: &mut Consts) {
    let arena = loc.arena;
    for id in reachable(arena, root) {
        let mut values = Vec::new();
        match arena.node(id) {
            Node::Const(v) => values.push(v.clone()),
            Node::InList { list, .. } => {
                if let Some(l) = loc.program.lists.get(*list as usize) {
                    values.extend(l.values.items.iter().take(8).cloned());
                }
            }
            // A map's keys and values are the constants that decide a lookup (SPEC v0.2).
            Node::Lookup { map, .. } => {
                if let Some(m) = loc.program.maps.get(*map as usize) {
                    for (k, v) in m.entries.entries.iter().take(8) {
                        values.push(k.clone());
                        values.push(v.clone());
                    }
                }
            }
            Node::List(list) => {
                if let Some(l) = loc.program.lists.get(*list as usize) {
                    values.extend(l.values.items.iter().take(8).cloned());
                }
            }
            Node::Call(f, _) => push_unique(&mut c.builtins, *f),
            Node::Within(_, z) => {
                push_unique(&mut c.zones, *z);
                if let Some(p) = inside_point(loc.program, *z) {
                    c.points.push(p);
                }
            }
            _ => {}
        }
        while let Some(v) = values.pop() {
            match v {
                Value::Int(i) => push_unique(&mut c.ints, i),
                Value::Float(f)
                    if f.is_finite() && !c.floats.iter().any(|g| g.to_bits() == f.to_bits()) =>
                {
                    c.floats.push(f);
                }
                Value::Duration(d) => push_unique(&mut c.durations, d),
                Value::Time(t) => push_unique(&mut c.times, t),
                Value::Str(s) => push_unique(&mut c.strs, s),
                Value::Point(p) => c.points.push(p),
                Value::Set(s) => values.extend(s.items.iter().take(16).cloned()),
                _ => {}
            }
        }
    }
}

/// Numbers around each constant: the constants first (the nicest witnesses), then one unit
/// below and above, then midpoints between neighbours, then `zero`.
fn around_i64(consts: &[i64], unit: i64, zero: i64) -> Vec<i64> {
    let mut out = Vec::new();
    for c in consts {
        push_unique(&mut out, *c);
    }
    for c in consts {
        push_unique(&mut out, c.saturating_sub(unit));
        push_unique(&mut out, c.saturating_add(unit));
    }
    let mut sorted = consts.to_vec();
    sorted.sort_unstable();
    for w in sorted.windows(2) {
        if let [a, b] = w {
            push_unique(&mut out, a / 2 + b / 2);
        }
    }
    push_unique(&mut out, zero);
    out
}

fn fresh_string(consts: &[Arc<str>]) -> Arc<str> {
    let mut s = String::from("x");
    while consts.iter().any(|c| **c == *s) {
        s.push('x');
    }
    Arc::from(s)
}

fn domain(var: &Var, c: &Consts, programs: [&Program; 2], base: i64) -> Vec<Cand> {
    let mut out: Vec<Cand> = match &var.ty {
        Ty::Bool => vec![Cand::Val(Value::Bool(true)), Cand::Val(Value::Bool(false))],
        Ty::Int => around_i64(&c.ints, 1, 0)
            .into_iter()
            .map(|i| Cand::Val(Value::Int(i)))
            .collect(),
        Ty::Duration => around_i64(&c.durations, SECOND, 0)
            .into_iter()
            .map(|d| Cand::Val(Value::Duration(d)))
            .collect(),
        Ty::Float => {
            let mut fs: Vec<f64> = c.floats.clone();
            fs.extend(c.ints.iter().map(|i| *i as f64));
            let mut out: Vec<f64> = Vec::new();
            let mut add = |f: f64| {
                if f.is_finite() && !out.iter().any(|g| g.to_bits() == f.to_bits()) {
                    out.push(f);
                }
            };
            for f in &fs {
                add(*f);
            }
            for f in &fs {
                add(f - 0.5);
                add(f + 0.5);
            }
            let mut sorted = fs.clone();
            sorted.sort_by(f64::total_cmp);
            for w in sorted.windows(2) {
                if let [a, b] = w {
                    add((a + b) / 2.0);
                }
            }
            add(0.0);
            out.into_iter()
                .map(|f| Cand::Val(Value::Float(f)))
                .collect()
        }
        Ty::Time => {
            let mut ts = vec![base];
            for t in &c.times {
                push_unique(&mut ts, *t);
            }
            for t in &c.times {
                push_unique(&mut ts, t - SECOND);
                push_unique(&mut ts, t + SECOND);
            }
            for d in &c.durations {
                push_unique(&mut ts, base.saturating_add(*d));
            }
            for d in &c.durations {
                push_unique(&mut ts, base.saturating_add(*d) - SECOND);
                push_unique(&mut ts, base.saturating_add(*d) + SECOND);
            }
            if c.builtins.contains(&Builtin::Hour) {
                for h in 0..24 {
                    push_unique(&mut ts, base + h * HOUR);
                }
            }
            if c.builtins.contains(&Builtin::Minute) {
                for m in 0..60 {
                    push_unique(&mut ts, base + m * MINUTE);
                }
            }
            if c.builtins.contains(&Builtin::Weekday) {
                for d in 0..7 {
                    push_unique(&mut ts, base + d * DAY + 12 * HOUR);
                }
            }
            ts.into_iter().map(|t| Cand::Val(Value::Time(t))).collect()
        }
        Ty::Str => {
            let mut ss: Vec<Arc<str>> = c.strs.clone();
            let fresh = fresh_string(&c.strs);
            push_unique(&mut ss, fresh.clone());
            for s in &c.strs {
                push_unique(&mut ss, Arc::from(format!("{s}{fresh}")));
                push_unique(&mut ss, Arc::from(format!("{fresh}{s}")));
                if c.builtins.contains(&Builtin::Lower) || c.builtins.contains(&Builtin::Upper) {
                    push_unique(&mut ss, Arc::from(s.to_uppercase()));
                    push_unique(&mut ss, Arc::from(s.to_lowercase()));
                }
            }
            if c.builtins.contains(&Builtin::Len) {
                for n in &c.ints {
                    for k in [n - 1, *n, n + 1] {
                        if (0..=64).contains(&k) {
                            push_unique(&mut ss, Arc::from("a".repeat(k as usize)));
                        }
                    }
                }
            }
            ss.into_iter().map(|s| Cand::Val(Value::Str(s))).collect()
        }
        Ty::Point => {
            let mut ps = c.points.clone();
            ps.push(ir::Point { lat: 0.0, lon: 0.0 });
            for p in &c.points {
                ps.push(ir::Point {
                    lat: p.lat + 0.01,
                    lon: p.lon,
                });
            }
            ps.into_iter().map(|p| Cand::Val(Value::Point(p))).collect()
        }
        Ty::Enum(name) => {
            let variants = |p: &Program| -> Option<Vec<SmolStr>> {
                p.enums
                    .iter()
                    .find(|e| e.name == *name)
                    .map(|e| e.variants.clone())
            };
            // A variant only one version knows would be rejected by the other: offer only the
            // variants of every version that declares the field.
            let mut vs: Option<Vec<SmolStr>> = None;
            for (i, p) in programs.iter().enumerate() {
                if !var.declared.get(i).copied().unwrap_or(false) {
                    continue;
                }
                let mine = variants(p).unwrap_or_default();
                vs = Some(match vs {
                    None => mine,
                    Some(prev) => prev.into_iter().filter(|v| mine.contains(v)).collect(),
                });
            }
            vs.unwrap_or_default()
                .into_iter()
                .map(Cand::Variant)
                .collect()
        }
        // Units by name, as the input holds them: those both versions declare.
        Ty::Unit => common_units(programs)
            .into_iter()
            .map(Cand::Variant)
            .collect(),
        Ty::Set(_) | Ty::Zone | Ty::Error => Vec::new(),
    };
    if var.optional {
        out.push(Cand::Absent);
    }
    out
}

/// The candidate as a value of `program` (enum values by ordinal).
fn to_value(program: &Program, ty: &Ty, c: &Cand) -> Option<Value> {
    match c {
        Cand::Absent => Some(Value::Absent),
        Cand::Val(v) => Some(v.clone()),
        Cand::Variant(v) => match ty {
            Ty::Enum(name) => {
                let e = program.enums.iter().find(|e| e.name == *name)?;
                let i = e.variants.iter().position(|x| x == v)?;
                Some(Value::Enum(u32::try_from(i).ok()?))
            }
            Ty::Unit => {
                let i = program.units.iter().position(|u| u.name == *v)?;
                Some(Value::Unit(u32::try_from(i).ok()?))
            }
            _ => None,
        },
    }
}

/// The units both versions declare, in the first's order.
fn common_units(programs: [&Program; 2]) -> Vec<SmolStr> {
    let [a, b] = programs;
    a.units
        .iter()
        .filter(|u| b.units.iter().any(|v| v.name == u.name))
        .map(|u| u.name.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The search

struct SideCx<'a> {
    loc: Located<'a>,
    regexes: HashMap<SmolStr, regex::Regex>,
    tz: jiff::tz::TimeZone,
    /// Which variable each (slot, field) read by this side is.
    vars: HashMap<(u8, FieldKey), usize>,
}

impl<'a> SideCx<'a> {
    fn new(loc: Located<'a>) -> SideCx<'a> {
        let mut regexes = HashMap::new();
        if let Some(root) = loc.cond {
            for id in reachable(loc.arena, root) {
                if let Node::Matches(_, p) = loc.arena.node(id)
                    && let Ok(re) = regex::Regex::new(p)
                {
                    regexes.insert(p.clone(), re);
                }
            }
        }
        SideCx {
            loc,
            regexes,
            tz: loc.program.time_zone(),
            vars: HashMap::new(),
        }
    }

    fn env(&self) -> Env<'_> {
        Env {
            program: self.loc.program,
            arena: self.loc.arena,
            regexes: &self.regexes,
            tz: &self.tz,
            aggregates: &[],
        }
    }
}

/// Searches for events on which `old` and `new` differ.
pub fn search(old: Located<'_>, new: Located<'_>, config: &SearchConfig) -> Search {
    // Both conditions must read the same kinds of event in the same slots.
    let names = |l: &Located<'_>| -> Vec<Option<SmolStr>> {
        l.slots
            .iter()
            .map(|t| l.program.event(*t).map(|e| e.name.clone()))
            .collect()
    };
    if names(&old) != names(&new) {
        return Search::Skipped("the two versions match different event types".into());
    }
    if let (Some(wa), Some(wb)) = (old.window, new.window) {
        return search_window(old, wa, new, wb, config);
    }
    for loc in [&old, &new] {
        for root in roots(loc) {
            if let Some(why) = unsupported(loc.arena, root) {
                return Search::Skipped(format!("no witness searched: {why}"));
            }
        }
    }
    let mut sides = [SideCx::new(old), SideCx::new(new)];
    let vars = match condition_vars(&mut sides) {
        Ok(vars) => vars,
        Err(why) => return Search::Skipped(why),
    };
    let clause_roots = [roots(&old), roots(&new)];
    let problem = match Problem::new(sides, vars, &clause_roots) {
        Ok(problem) => problem,
        Err(skip) => return skip,
    };
    let kept = prune(&problem, &clause_roots, &[]);
    problem.walk(&kept, config)
}

/// The variables of a condition search: the correlation key shared by every slot, then every
/// field either condition reads. Each side learns which variable each field it reads is.
fn condition_vars(sides: &mut [SideCx<'_>; 2]) -> Result<Vec<Var>, String> {
    let (old, new) = (sides[0].loc, sides[1].loc);
    let mut vars: Vec<Var> = Vec::new();
    if let (Some(ka), Some(kb)) = (key_fields(&old), key_fields(&new)) {
        let mut bindings: Vec<(u8, SmolStr)> = Vec::new();
        for (slot, _, name) in ka.iter().chain(&kb) {
            push_unique(&mut bindings, (*slot, name.clone()));
        }
        if let Ok(var) = Var::new(bindings, [&old, &new]) {
            vars.push(var);
            for (side, keys) in sides.iter_mut().zip([ka, kb]) {
                for (slot, field, _) in keys {
                    side.vars.insert((slot, field), 0);
                }
            }
        }
    }
    for side in sides.iter_mut() {
        let all: Vec<ExprId> = roots(&side.loc)
            .into_iter()
            .flat_map(|r| reachable(side.loc.arena, r))
            .collect();
        for id in all {
            let Some((slot, key)) = node_field(side.loc.arena.node(id)) else {
                continue;
            };
            let Some(&ty) = side.loc.slots.get(slot as usize) else {
                return Err("a condition reads an event it does not match".into());
            };
            let Some(name) = field_key_name(side.loc.program, ty, key) else {
                continue;
            };
            let index = var_index(&mut vars, slot, &name, [&old, &new])?;
            side.vars.insert((slot, key), index);
        }
    }
    Ok(vars)
}

/// The variable that field `name` of `slot` is, made when there is none yet (an error when
/// the two versions type the field differently).
fn var_index(
    vars: &mut Vec<Var>,
    slot: u8,
    name: &SmolStr,
    sides: [&Located<'_>; 2],
) -> Result<usize, String> {
    if let Some(i) = vars.iter().position(|v| v.binds(slot, name)) {
        return Ok(i);
    }
    vars.push(Var::new(vec![(slot, name.clone())], sides)?);
    Ok(vars.len() - 1)
}

/// What a search walks: both sides, the variables they read and each variable's candidates.
struct Problem<'a> {
    sides: [SideCx<'a>; 2],
    programs: [&'a Program; 2],
    vars: Vec<Var>,
    /// The constants of the searched expressions, where the candidates come from.
    consts: Consts,
    /// The time the witness events start at.
    base: i64,
    /// Each variable's candidates, independent of either version.
    domains: Vec<Vec<Cand>>,
    /// The same candidates as values of each version.
    values: Vec<[Vec<Value>; 2]>,
}

impl<'a> Problem<'a> {
    /// Candidates for `vars` from the constants of the expressions at `roots` (by side);
    /// skipped when a variable has none that both versions can represent.
    fn new(
        sides: [SideCx<'a>; 2],
        vars: Vec<Var>,
        roots: &[Vec<ExprId>; 2],
    ) -> Result<Problem<'a>, Search> {
        let mut consts = Consts::default();
        for (side, roots) in sides.iter().zip(roots) {
            for root in roots {
                collect_consts(&side.loc, *root, &mut consts);
            }
        }
        let programs = [sides[0].loc.program, sides[1].loc.program];
        let base = base_time(&sides[1].tz);
        let mut domains: Vec<Vec<Cand>> = vars
            .iter()
            .map(|v| domain(v, &consts, programs, base))
            .collect();
        let values = side_values(&vars, &mut domains, programs)?;
        Ok(Problem {
            sides,
            programs,
            vars,
            consts,
            base,
            domains,
            values,
        })
    }

    /// Walks the product of the kept candidates, first variable fastest, until the budget is
    /// spent or enough witnesses are found.
    fn walk(&self, kept: &[Vec<usize>], config: &SearchConfig) -> Search {
        let space = combinations(kept);
        let mut digits = vec![0usize; self.vars.len()];
        let mut tally = Tally::new(config.per_direction);
        let mut tried = 0u64;
        loop {
            if tried >= config.budget {
                break;
            }
            tried += 1;
            if self.in_slot_order(kept, &digits) {
                let (o, n) = (self.holds(kept, &digits, 0), self.holds(kept, &digits, 1));
                if tally.record(o, n, || self.render(kept, &digits)) {
                    break;
                }
            }
            if !advance(&mut digits, kept) {
                break;
            }
        }
        tally.finish(tried, space)
    }

    /// Whether the events of a combination come in slot order, as a sequence or a workflow
    /// must see them.
    fn in_slot_order(&self, kept: &[Vec<usize>], digits: &[usize]) -> bool {
        let new = self.sides[1].loc;
        let times: Vec<i64> = (0..new.slots.len())
            .filter(|s| !new.absent.get(*s).copied().unwrap_or(false))
            .map(|s| self.time_of(kept, digits, u8::try_from(s).unwrap_or(u8::MAX)))
            .collect();
        times.windows(2).all(|w| w.first() <= w.get(1))
    }

    /// The time of the event in `slot` (in the new version), or the base time when its time
    /// is not a variable.
    fn time_of(&self, kept: &[Vec<usize>], digits: &[usize], slot: u8) -> i64 {
        self.vars
            .iter()
            .enumerate()
            .find(|(_, v)| v.binds(slot, "time"))
            .and_then(|(vi, _)| {
                let ci = picked(kept, digits, vi)?;
                match self.values.get(vi)?[1].get(ci)? {
                    Value::Time(t) => Some(*t),
                    _ => None,
                }
            })
            .unwrap_or(self.base)
    }

    /// Whether side `si`'s condition (and its context) holds on a combination.
    fn holds(&self, kept: &[Vec<usize>], digits: &[usize], si: usize) -> bool {
        let Some(side) = self.sides.get(si) else {
            return false;
        };
        let read = |slot: u8, key: FieldKey| -> Value {
            side.vars
                .get(&(slot, key))
                .and_then(|vi| {
                    let ci = picked(kept, digits, *vi)?;
                    self.values.get(*vi)?.get(si)?.get(ci).cloned()
                })
                .unwrap_or(Value::Absent)
        };
        let env = side.env();
        side.loc
            .context
            .iter()
            .all(|c| eval::holds(&env, Some(*c), &read))
            && eval::holds(&env, side.loc.cond, &read)
    }

    /// A combination as witness events.
    fn render(&self, kept: &[Vec<usize>], digits: &[usize]) -> Vec<String> {
        let assignment: Vec<Option<&Cand>> = (0..self.vars.len())
            .map(|vi| self.domains.get(vi)?.get(picked(kept, digits, vi)?))
            .collect();
        render(
            &self.vars,
            &assignment,
            self.sides[0].loc,
            self.sides[1].loc,
            self.base,
        )
    }
}

/// The index (into its domain) of the candidate that `digits` picks for variable `vi` among
/// its kept ones.
fn picked(kept: &[Vec<usize>], digits: &[usize], vi: usize) -> Option<usize> {
    kept.get(vi)?.get(*digits.get(vi)?).copied()
}

/// How many combinations of the kept candidates there are.
fn combinations(kept: &[Vec<usize>]) -> u64 {
    kept.iter()
        .fold(1u64, |acc, k| acc.saturating_mul(k.len() as u64))
}

/// Moves `digits` on to the next combination of kept candidates, first variable fastest;
/// false when every combination has been tried.
fn advance(digits: &mut [usize], kept: &[Vec<usize>]) -> bool {
    let mut i = 0;
    loop {
        let Some(d) = digits.get_mut(i) else {
            return false;
        };
        *d += 1;
        if *d < kept.get(i).map_or(0, Vec::len) {
            return true;
        }
        *d = 0;
        i += 1;
    }
}

/// The witnesses a search has found, at most `per_direction` of each direction (old only,
/// new only).
struct Tally {
    witnesses: Vec<Witness>,
    counts: [usize; 2],
    per_direction: usize,
}

impl Tally {
    fn new(per_direction: usize) -> Tally {
        Tally {
            witnesses: Vec::new(),
            counts: [0, 0],
            per_direction,
        }
    }

    /// Keeps the events that `lines` renders when the versions decide them differently and
    /// that direction still wants a witness; true once every direction has all it wants.
    fn record(&mut self, old: bool, new: bool, lines: impl FnOnce() -> Vec<String>) -> bool {
        if old == new {
            return false;
        }
        let [old_only, new_only] = &mut self.counts;
        let count = if new { new_only } else { old_only };
        if *count < self.per_direction {
            *count += 1;
            self.witnesses.push(Witness {
                lines: lines(),
                old,
                new,
            });
        }
        self.counts.iter().all(|f| *f >= self.per_direction)
    }

    fn finish(mut self, tried: u64, space: u64) -> Search {
        // The first witness of each direction first, so a caller that shows one of each shows
        // the search's best.
        self.witnesses.sort_by_key(|w| w.new);
        Search::Done {
            witnesses: self.witnesses,
            tried,
            space,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Windows: witnesses for `having`

/// The most events a window witness has.
const MAX_WINDOW_EVENTS: i64 = 64;

/// A value different for each event `i` of a window witness, for fields whose distinct values
/// are counted.
fn nth(ty: &Ty, i: i64, fresh: &str, programs: [&Program; 2], base: i64) -> Option<Cand> {
    Some(match ty {
        Ty::Str => Cand::Val(Value::str(&format!("{fresh}{}", i + 1))),
        Ty::Int => Cand::Val(Value::Int(i + 1)),
        Ty::Float => Cand::Val(Value::Float(i as f64 + 1.0)),
        Ty::Duration => Cand::Val(Value::Duration((i + 1) * SECOND)),
        Ty::Time => Cand::Val(Value::Time(base + i * SECOND)),
        Ty::Bool => Cand::Val(Value::Bool(i % 2 == 0)),
        Ty::Enum(name) => {
            let variants = programs
                .iter()
                .filter_map(|p| p.enums.iter().find(|e| e.name == *name))
                .map(|e| e.variants.clone())
                .reduce(|a, b| a.into_iter().filter(|v| b.contains(v)).collect())?;
            let n = i64::try_from(variants.len()).ok().filter(|n| *n > 0)?;
            Cand::Variant(variants.get(usize::try_from(i % n).ok()?)?.clone())
        }
        _ => return None,
    })
}

/// The aggregates of a window's events (each a list of its aggregated values), as the runtime
/// computes them.
fn aggregate_values(
    aggs: &[ir::Aggregate],
    window: &[Vec<Value>],
) -> Result<Vec<Value>, ops::EvalError> {
    ops::aggregates(aggs, window.len(), |i| {
        window.iter().filter_map(move |vals| vals.get(i))
    })
}

/// Whether a window rule with `w` and `having` fires at least once on `events` (one group,
/// all within the window), evaluating as the runtime does: an event joins when it passes
/// `where` and has a key and its aggregated values; `having` is evaluated after each join;
/// when it holds the group is consumed.
fn window_fires(
    side: &SideCx<'_>,
    w: &Window<'_>,
    events: &[&dyn Fn(u8, FieldKey) -> Value],
) -> bool {
    let env = side.env();
    let mut window: Vec<Vec<Value>> = Vec::new();
    let mut fired = false;
    for read in events {
        if !eval::holds(&env, w.cond, *read) {
            continue;
        }
        match eval::eval(&env, w.key, *read) {
            Ok(Value::Absent) | Err(_) => continue,
            Ok(_) => {}
        }
        let mut args = Vec::new();
        let mut skip = false;
        for a in w.aggregates {
            if let Some(arg) = a.arg {
                match eval::eval(&env, arg, *read) {
                    Ok(Value::Absent) | Err(_) => skip = true,
                    Ok(v) => args.push(v),
                }
            }
        }
        if skip {
            continue;
        }
        window.push(args);
        let Ok(aggs) = aggregate_values(w.aggregates, &window) else {
            continue;
        };
        let having = Env {
            aggregates: &aggs,
            ..side.env()
        };
        if eval::holds(&having, side.loc.cond, *read) {
            fired = true;
            window.clear();
        }
    }
    fired
}

/// Searches for a group of events that one version's window fires on and the other's does
/// not: `n` events of one key, alike except for the fields that distinct values are counted
/// of, which take `n` different values in one of the two shapes tried.
fn search_window(
    old: Located<'_>,
    wa: Window<'_>,
    new: Located<'_>,
    wb: Window<'_>,
    config: &SearchConfig,
) -> Search {
    let all = [window_exprs(&old, &wa), window_exprs(&new, &wb)];
    for (loc, roots) in [(&old, &all[0]), (&new, &all[1])] {
        if let Some(why) = window_unsupported(loc, roots) {
            return Search::Skipped(format!("no witness searched: {why}"));
        }
    }
    let mut sides = [SideCx::new(old), SideCx::new(new)];
    let vars = match window_vars(&mut sides, &all) {
        Ok(vars) => vars,
        Err(why) => return Search::Skipped(why),
    };
    let problem = match Problem::new(sides, vars, &all) {
        Ok(problem) => problem,
        Err(skip) => return skip,
    };
    let windows = [wa, wb];
    let (full, varying) = window_reads(&problem.sides, &windows);
    let where_roots = [
        wa.cond.into_iter().collect::<Vec<_>>(),
        wb.cond.into_iter().collect::<Vec<_>>(),
    ];
    let kept = prune(&problem, &where_roots, &full);
    let shapes: &'static [bool] = if varying.is_empty() {
        &[false]
    } else {
        &[false, true]
    };
    WindowSearch {
        sizes: group_sizes(&problem.consts),
        shapes,
        fresh: fresh_string(&problem.consts.strs),
        time_var: problem.vars.iter().position(|v| v.binds(0, "time")),
        within: wa.within.min(wb.within).max(2),
        varying,
        kept,
        windows,
        problem,
    }
    .walk(config)
}

/// Every expression the simulation of a window evaluates: `where`, the key, the aggregated
/// values, `having`.
fn window_exprs(loc: &Located<'_>, w: &Window<'_>) -> Vec<ExprId> {
    let mut v: Vec<ExprId> = w.cond.into_iter().collect();
    v.push(w.key);
    v.extend(w.aggregates.iter().filter_map(|a| a.arg));
    v.extend(loc.cond);
    v
}

/// Why the window search cannot handle the expressions at `roots`, if it cannot.
fn window_unsupported(loc: &Located<'_>, roots: &[ExprId]) -> Option<&'static str> {
    roots.iter().find_map(|r| {
        reachable(loc.arena, *r)
            .into_iter()
            .find_map(|id| match loc.arena.node(id) {
                Node::Key => Some("it reads the group key"),
                Node::From | Node::Visits(_) | Node::Var(_) => {
                    Some("it reads a workflow's history")
                }
                Node::Param(_) => Some("it reads a function parameter"),
                Node::Element => Some("it reads the element an `emit` is for"),
                _ => None,
            })
    })
}

/// The variables of a window search: every field the expressions at `all` (by side) read.
/// Each side learns which variable each field it reads is.
fn window_vars(sides: &mut [SideCx<'_>; 2], all: &[Vec<ExprId>; 2]) -> Result<Vec<Var>, String> {
    let (old, new) = (sides[0].loc, sides[1].loc);
    let mut vars: Vec<Var> = Vec::new();
    for (side, roots) in sides.iter_mut().zip(all) {
        let ids: Vec<ExprId> = roots
            .iter()
            .flat_map(|r| reachable(side.loc.arena, *r))
            .collect();
        for id in ids {
            let Some((slot, key)) = node_field(side.loc.arena.node(id)) else {
                continue;
            };
            let Some(name) = side
                .loc
                .slots
                .get(slot as usize)
                .and_then(|ty| field_key_name(side.loc.program, *ty, key))
            else {
                continue;
            };
            let index = var_index(&mut vars, slot, &name, [&old, &new])?;
            side.vars.insert((slot, key), index);
        }
    }
    Ok(vars)
}

/// The variables read by anything but `where`, which keep all their candidates (`full`), and
/// the fields whose distinct values are counted, which also vary from event to event
/// (`varying`).
fn window_reads(sides: &[SideCx<'_>; 2], windows: &[Window<'_>; 2]) -> (Vec<usize>, Vec<usize>) {
    let mut full: Vec<usize> = Vec::new();
    let mut varying: Vec<usize> = Vec::new();
    for (side, w) in sides.iter().zip(windows) {
        let mut others: Vec<ExprId> = vec![w.key];
        others.extend(side.loc.cond);
        for a in w.aggregates {
            let Some(arg) = a.arg else { continue };
            others.push(arg);
            if a.kind == ir::AggKind::Distinct
                && let Some(k) = node_field(side.loc.arena.node(arg))
                && let Some(vi) = side.vars.get(&k)
            {
                push_unique(&mut varying, *vi);
            }
        }
        for r in others {
            for id in reachable(side.loc.arena, r) {
                if let Some(k) = node_field(side.loc.arena.node(id))
                    && let Some(vi) = side.vars.get(&k)
                {
                    push_unique(&mut full, *vi);
                }
            }
        }
    }
    (full, varying)
}

/// Group sizes worth trying: around the numbers `having` compares with, and the smallest
/// ones.
fn group_sizes(consts: &Consts) -> Vec<i64> {
    let mut sizes: Vec<i64> = vec![1, 2, 3];
    for c in &consts.ints {
        for n in [c - 1, *c, c + 1] {
            if (1..=MAX_WINDOW_EVENTS).contains(&n) {
                push_unique(&mut sizes, n);
            }
        }
    }
    sizes.sort_unstable();
    sizes
}

/// A window search ready to walk: for each combination of the kept candidates, every group
/// size in every shape.
struct WindowSearch<'a> {
    problem: Problem<'a>,
    windows: [Window<'a>; 2],
    kept: Vec<Vec<usize>>,
    sizes: Vec<i64>,
    /// Whether the counted fields vary from event to event: `false`, and `true` when some
    /// field's distinct values are counted.
    shapes: &'static [bool],
    /// The variables whose distinct values are counted.
    varying: Vec<usize>,
    /// A string no condition uses, for varying string fields.
    fresh: Arc<str>,
    /// The variable of the events' time, when a condition reads it.
    time_var: Option<usize>,
    /// The shorter window, which every group must fit in.
    within: i64,
}

/// One group of events a window witness may be.
struct Group<'d> {
    /// The candidates of the variables, as indices into the kept ones.
    digits: &'d [usize],
    /// How many events.
    n: i64,
    /// Whether the counted fields vary from event to event.
    vary: bool,
    /// The time between two events.
    spacing: i64,
}

impl WindowSearch<'_> {
    fn walk(&self, config: &SearchConfig) -> Search {
        let space = combinations(&self.kept)
            .saturating_mul(self.sizes.len() as u64)
            .saturating_mul(self.shapes.len() as u64);
        let mut tally = Tally::new(config.per_direction);
        let mut tried = 0u64;
        let mut digits = vec![0usize; self.problem.vars.len()];
        'outer: loop {
            for &n in &self.sizes {
                for &vary in self.shapes {
                    if tried >= config.budget {
                        break 'outer;
                    }
                    tried += 1;
                    let group = Group {
                        digits: &digits,
                        n,
                        vary,
                        spacing: SECOND.min(self.within / (n + 1)).max(1),
                    };
                    let (o, nw) = (self.fires(&group, 0), self.fires(&group, 1));
                    if tally.record(o, nw, || self.lines(&group)) {
                        break 'outer;
                    }
                }
            }
            if !advance(&mut digits, &self.kept) {
                break;
            }
        }
        tally.finish(tried, space)
    }

    /// The candidate of variable `vi` for event `i` of the group, as a version-neutral value.
    fn cand(&self, g: &Group<'_>, vi: usize, i: i64) -> Option<Cand> {
        let p = &self.problem;
        let var = p.vars.get(vi)?;
        if g.vary && self.varying.contains(&vi) {
            return nth(&var.ty, i, &self.fresh, p.programs, p.base);
        }
        let c = p
            .domains
            .get(vi)?
            .get(picked(&self.kept, g.digits, vi)?)?
            .clone();
        if Some(vi) == self.time_var
            && let Cand::Val(Value::Time(t)) = c
        {
            return Some(Cand::Val(Value::Time(t + i * g.spacing)));
        }
        Some(c)
    }

    /// Field `key` of `slot` in event `i` of the group, as a value of side `si`.
    fn read(&self, g: &Group<'_>, si: usize, i: i64, slot: u8, key: FieldKey) -> Value {
        let p = &self.problem;
        if key == FieldKey::Time && self.time_var.is_none() {
            return Value::Time(p.base + i * g.spacing);
        }
        p.sides
            .get(si)
            .and_then(|side| side.vars.get(&(slot, key)))
            .and_then(|vi| {
                let var = p.vars.get(*vi)?;
                to_value(p.programs.get(si)?, &var.ty, &self.cand(g, *vi, i)?)
            })
            .unwrap_or(Value::Absent)
    }

    /// Whether side `si`'s window fires on the group.
    fn fires(&self, g: &Group<'_>, si: usize) -> bool {
        let (Some(side), Some(w)) = (self.problem.sides.get(si), self.windows.get(si)) else {
            return false;
        };
        let readers: Vec<_> = (0..g.n)
            .map(|i| move |slot: u8, key: FieldKey| self.read(g, si, i, slot, key))
            .collect();
        let refs: Vec<&dyn Fn(u8, FieldKey) -> Value> = readers
            .iter()
            .map(|r| r as &dyn Fn(u8, FieldKey) -> Value)
            .collect();
        window_fires(side, w, &refs)
    }

    /// The group as witness events, one JSON line each.
    fn lines(&self, g: &Group<'_>) -> Vec<String> {
        let p = &self.problem;
        (0..g.n)
            .filter_map(|i| {
                let value_of = |name: &str| -> Option<Cand> {
                    if name == "time" && self.time_var.is_none() {
                        return Some(Cand::Val(Value::Time(p.base + i * g.spacing)));
                    }
                    let vi = p.vars.iter().position(|v| v.binds(0, name))?;
                    self.cand(g, vi, i)
                };
                event_line(0, &value_of, p.sides[0].loc, p.sides[1].loc, p.base)
            })
            .collect()
    }
}

/// Each variable's candidates as values of each version (a candidate either version cannot
/// represent is dropped).
fn side_values(
    vars: &[Var],
    domains: &mut [Vec<Cand>],
    programs: [&Program; 2],
) -> Result<Vec<[Vec<Value>; 2]>, Search> {
    let mut values: Vec<[Vec<Value>; 2]> = Vec::new();
    for (vi, var) in vars.iter().enumerate() {
        let Some(dom) = domains.get_mut(vi) else {
            continue;
        };
        let mut per: [Vec<Value>; 2] = [Vec::new(), Vec::new()];
        dom.retain(|c| {
            let a = to_value(programs[0], &var.ty, c);
            let b = to_value(programs[1], &var.ty, c);
            match (a, b) {
                (Some(a), Some(b)) => {
                    per[0].push(a);
                    per[1].push(b);
                    true
                }
                _ => false,
            }
        });
        values.push(per);
        if dom.is_empty() {
            return Err(Search::Skipped(format!(
                "no candidate values for field `{}` of type {}",
                var.name(),
                var.ty
            )));
        }
    }
    Ok(values)
}

/// A clause (an atom of a condition) of side `side`, and the variables it reads.
struct Clause {
    side: usize,
    atom: ExprId,
    vars: Vec<usize>,
}

/// Every clause of the expressions at `clause_roots` (by side), with the variables it reads.
fn clauses(sides: &[SideCx<'_>; 2], clause_roots: &[Vec<ExprId>; 2]) -> Vec<Clause> {
    let mut out = Vec::new();
    for (si, side) in sides.iter().enumerate() {
        let mut list = Vec::new();
        for root in clause_roots.get(si).into_iter().flatten() {
            atoms(side.loc.arena, *root, &mut list);
        }
        for atom in list {
            let mut vars: Vec<usize> = reachable(side.loc.arena, atom)
                .into_iter()
                .filter_map(|id| node_field(side.loc.arena.node(id)))
                .filter_map(|k| side.vars.get(&k).copied())
                .collect();
            vars.sort_unstable();
            vars.dedup();
            out.push(Clause {
                side: si,
                atom,
                vars,
            });
        }
    }
    out
}

/// The candidates worth trying for each variable. A variable that every clause (of
/// `clause_roots`) reading it reads alone keeps one candidate per combination of those
/// clauses' results: two values that give every such clause the same result are
/// interchangeable. Variables in `full` keep every candidate.
fn prune(p: &Problem<'_>, clause_roots: &[Vec<ExprId>; 2], full: &[usize]) -> Vec<Vec<usize>> {
    let clauses = clauses(&p.sides, clause_roots);
    (0..p.vars.len())
        .map(|vi| {
            let mine: Vec<&Clause> = clauses.iter().filter(|c| c.vars.contains(&vi)).collect();
            if full.contains(&vi) || mine.iter().any(|c| c.vars.len() > 1) {
                (0..p.domains.get(vi).map_or(0, Vec::len)).collect()
            } else if mine.is_empty() {
                vec![p.lone_candidate(vi)]
            } else {
                p.distinct_outcomes(vi, &mine)
            }
        })
        .collect()
}

impl Problem<'_> {
    /// The one candidate of a variable no clause reads (a correlation key only): any value
    /// does; prefer the plain default over a constant that belongs to some other field.
    fn lone_candidate(&self, vi: usize) -> usize {
        let plain = self
            .vars
            .get(vi)
            .and_then(|v| default_value(&v.ty, self.base))
            .and_then(|d| self.domains.get(vi)?.iter().position(|c| *c == d));
        let fresh = self.domains.get(vi).and_then(|dom| {
            dom.iter().position(
                |c| matches!(c, Cand::Val(Value::Str(s)) if **s == *fresh_string(&self.consts.strs)),
            )
        });
        fresh.or(plain).unwrap_or(0)
    }

    /// The candidates of variable `vi` that give the clauses reading it (`mine`) a
    /// combination of results that no earlier candidate gave.
    fn distinct_outcomes(&self, vi: usize, mine: &[&Clause]) -> Vec<usize> {
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let mut keep = Vec::new();
        for ci in 0..self.domains.get(vi).map_or(0, Vec::len) {
            let signature: Vec<u8> = mine.iter().map(|c| self.outcome(vi, ci, c)).collect();
            if !seen.contains(&signature) {
                seen.push(signature);
                keep.push(ci);
            }
        }
        keep
    }

    /// What clause `c` gives when variable `vi` takes candidate `ci` and every other field is
    /// absent: 1 true, 0 false, 2 an error.
    fn outcome(&self, vi: usize, ci: usize, c: &Clause) -> u8 {
        let Some(side) = self.sides.get(c.side) else {
            return 3;
        };
        let value = self
            .values
            .get(vi)
            .and_then(|p| p.get(c.side)?.get(ci))
            .cloned()
            .unwrap_or(Value::Absent);
        let read = |slot: u8, key: FieldKey| {
            if side.vars.get(&(slot, key)) == Some(&vi) {
                value.clone()
            } else {
                Value::Absent
            }
        };
        match eval::eval(&side.env(), c.atom, &read) {
            Ok(v) => u8::from(ops::truthy(&v)),
            Err(_) => 2,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Witness events as JSON lines

fn default_value(ty: &Ty, base: i64) -> Option<Cand> {
    Some(match ty {
        Ty::Bool => Cand::Val(Value::Bool(false)),
        Ty::Int => Cand::Val(Value::Int(0)),
        Ty::Float => Cand::Val(Value::Float(0.0)),
        Ty::Str => Cand::Val(Value::str("x")),
        Ty::Time => Cand::Val(Value::Time(base)),
        Ty::Duration => Cand::Val(Value::Duration(0)),
        Ty::Point => Cand::Val(Value::Point(ir::Point { lat: 0.0, lon: 0.0 })),
        Ty::Enum(_) | Ty::Unit => return None,
        Ty::Set(_) | Ty::Zone | Ty::Error => return None,
    })
}

fn json_of(c: &Cand, tz: &jiff::tz::TimeZone) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    Some(match c {
        Cand::Absent => return None,
        Cand::Variant(v) => J::String(v.to_string()),
        Cand::Val(v) => match v {
            Value::Absent | Value::Set(_) | Value::Enum(_) | Value::Unit(_) => return None,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => J::from(*f),
            Value::Str(s) => J::String(s.to_string()),
            Value::Time(t) => J::String(vigil_ir::time::format_time(*t, tz)),
            Value::Duration(d) if d % 1000 == 0 => J::from(d / 1000),
            Value::Duration(d) => J::from(*d as f64 / 1000.0),
            Value::Point(p) => {
                let mut m = serde_json::Map::new();
                m.insert("lat".into(), J::from(p.lat));
                m.insert("lon".into(), J::from(p.lon));
                J::Object(m)
            }
        },
    })
}

/// The witness events, one JSON line per slot that gets an event.
fn render(
    vars: &[Var],
    assignment: &[Option<&Cand>],
    old: Located<'_>,
    new: Located<'_>,
    base: i64,
) -> Vec<String> {
    let mut lines = Vec::new();
    for slot in 0..new.slots.len() {
        if new.absent.get(slot).copied().unwrap_or(false) {
            continue;
        }
        let slot = u8::try_from(slot).unwrap_or(u8::MAX);
        let value_of = |name: &str| -> Option<Cand> {
            vars.iter()
                .zip(assignment)
                .find(|(v, _)| v.binds(slot, name))
                .and_then(|(_, c)| c.cloned())
        };
        lines.extend(event_line(slot, &value_of, old, new, base));
    }
    lines
}

/// One event as a JSON line: `type` and `time` first, then the new version's fields in
/// declaration order, then fields only the old version declares. Fields without a value get
/// a default when some version requires them.
fn event_line(
    slot: u8,
    value_of: &dyn Fn(&str) -> Option<Cand>,
    old: Located<'_>,
    new: Located<'_>,
    base: i64,
) -> Option<String> {
    let tz = new.program.time_zone();
    let event = new.program.event(*new.slots.get(slot as usize)?)?;
    let old_event = old
        .slots
        .get(slot as usize)
        .and_then(|t| old.program.event(*t));
    let mut fields: Vec<(&ir::FieldDef, bool)> = event.fields.iter().map(|f| (f, false)).collect();
    if let Some(oe) = old_event {
        for f in &oe.fields {
            match fields.iter_mut().find(|(g, _)| g.name == f.name) {
                Some((_, required_in_old)) => *required_in_old = !f.optional,
                None => fields.push((f, !f.optional)),
            }
        }
    }
    // Keys in insertion order: build the line by hand so `type` and `time` come first.
    let mut parts: Vec<(String, serde_json::Value)> = Vec::new();
    parts.push((
        "type".into(),
        serde_json::Value::String(event.name.to_string()),
    ));
    let time = value_of("time").unwrap_or(Cand::Val(Value::Time(base)));
    if let Some(t) = json_of(&time, &tz) {
        parts.push(("time".into(), t));
    }
    if let Some(id) = value_of("id").and_then(|c| json_of(&c, &tz)) {
        parts.push(("id".into(), id));
    }
    for (f, required_in_old) in fields {
        let cand = match value_of(&f.name) {
            Some(c) => Some(c),
            None if f.optional && !required_in_old => None,
            None => default_value(&f.ty, base).or_else(|| match &f.ty {
                Ty::Enum(e) => new
                    .program
                    .enums
                    .iter()
                    .chain(&old.program.enums)
                    .find(|d| d.name == *e)
                    .and_then(|d| d.variants.first())
                    .map(|v| Cand::Variant(v.clone())),
                Ty::Unit => new
                    .program
                    .units
                    .first()
                    .map(|u| Cand::Variant(u.name.clone())),
                _ => None,
            }),
        };
        if let Some(j) = cand.as_ref().and_then(|c| json_of(c, &tz)) {
            parts.push((f.name.to_string(), j));
        }
    }
    let mut line = String::from("{");
    for (i, (k, v)) in parts.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&serde_json::Value::String(k.clone()).to_string());
        line.push(':');
        line.push_str(&v.to_string());
    }
    line.push('}');
    Some(line)
}

// ---------------------------------------------------------------------------------------------
// Verification programs

/// The name of the rule in a probe program.
pub const PROBE_RULE: &str = "diff_probe";

/// A program with one rule that alerts exactly when `loc`'s condition (and its context)
/// holds for events in its slots: a single-event rule for one slot, else a sequence of the
/// slots' event types with one shared key, each step with its own condition. Run it on a
/// witness's lines: the rule alerts iff the condition held. Everything else of the rule set
/// (types, lists, zones, time zone) is kept.
pub fn probe_program(loc: Located<'_>) -> Program {
    let mut program = loc.program.clone();
    let mut exprs = loc.arena.clone();
    if program.units.is_empty() {
        program.units.push(ir::UnitDef {
            name: SmolStr::new("diff_probe"),
            display: None,
            sees: None,
        });
    }
    let pattern = match (loc.slots, loc.window) {
        ([event], Some(w)) => Pattern::Window {
            event: *event,
            cond: w.cond,
            key: w.key,
            within: w.within,
            having: loc.cond.unwrap_or(w.key),
            aggregates: w.aggregates.to_vec(),
        },
        ([event], None) => Pattern::Single {
            event: *event,
            cond: loc.cond,
        },
        (slots, _) => {
            // The real keys when the search gave every slot the same key value, else one
            // constant key for all.
            let real_keys = key_fields(&loc).is_some();
            let constant = exprs.push(
                Node::Const(Value::str("probe")),
                Ty::Str,
                vigil_compiler::syntax::Span::default(),
            );
            let last = slots.len().saturating_sub(1);
            // The context conditions, each on the slot it reads.
            let slot_of = |c: ExprId| -> Option<u8> {
                reachable(loc.arena, c)
                    .into_iter()
                    .filter_map(|id| node_field(loc.arena.node(id)).map(|(s, _)| s))
                    .max()
            };
            Pattern::Sequence {
                // A century: the slots' times never leave the span.
                within: 100 * 366 * DAY,
                steps: slots
                    .iter()
                    .enumerate()
                    .map(|(i, event)| {
                        let mine: Vec<ExprId> = loc
                            .context
                            .iter()
                            .copied()
                            .filter(|c| slot_of(*c).map_or(i == 0, |s| usize::from(s) == i))
                            .collect();
                        let mut cond = if i == last { loc.cond } else { None };
                        for c in mine {
                            cond = Some(match cond {
                                None => c,
                                Some(d) => exprs.push(
                                    Node::And(c, d),
                                    Ty::Bool,
                                    vigil_compiler::syntax::Span::default(),
                                ),
                            });
                        }
                        let key = match loc.keys.get(i) {
                            Some(k) if real_keys => *k,
                            _ => constant,
                        };
                        ir::SeqStep {
                            event: *event,
                            absent: i != last && loc.absent.get(i).copied().unwrap_or(false),
                            key,
                            cond,
                        }
                    })
                    .collect(),
            }
        }
    };
    program.rules = vec![ir::Rule {
        name: SmolStr::new(PROBE_RULE),
        title: None,
        severity: ir::Severity::Medium.into(),
        tags: Vec::new(),
        expires: None,
        shadow: false,
        pattern,
        actions: vec![ir::Action::Alert {
            to: vec![ir::Recipient::Unit(0)],
            severity: None,
            message: None,
        }],
        suppress: None,
        exprs,
        origin: ir::Origin::default(),
    }]
    .into();
    program.workflows = ir::IdVec::new();
    program.tests = Vec::new();
    program
}

/// The field names each slot of a located condition has, for tests and messages.
pub fn slot_event_names(loc: Located<'_>) -> Vec<SmolStr> {
    loc.slots
        .iter()
        .filter_map(|t| loc.program.event(*t).map(|e| e.name.clone()))
        .collect()
}

/// Counts of the witnesses in each direction, for summaries.
pub fn directions(witnesses: &[Witness]) -> BTreeMap<(bool, bool), usize> {
    let mut m = BTreeMap::new();
    for w in witnesses {
        *m.entry((w.old, w.new)).or_insert(0) += 1;
    }
    m
}
