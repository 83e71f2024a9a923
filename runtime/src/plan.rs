//! The dispatch plan: which rules an event can concern, and their conditions split into shared
//! conjuncts.
//!
//! Rules on one event type share work, as in Rete's alpha network. A single-event or window
//! rule's condition is split at its top-level `and`s into conjuncts; equal conjuncts of
//! different rules are one entry of the conjunct table and are evaluated at most once per
//! event. A rule with a conjunct `field == constant`, `field in [constants]` or
//! `field in list` is reached through a hash index on that field, so an event only meets the
//! rules whose constant it carries; the others are scanned. Among those candidates, rules whose
//! first remaining conjunct bounds the same integer field the same way (`x >= 65`, `x > 70`)
//! form a range group sorted by bound: one binary search per event finds those it passes. A
//! sequence whose first step's type fills no other step is gated by that step's condition the
//! same way (see `gate`); the other types of a sequence, and workflows, are always offered the
//! event. The plan is the same for the interpreter and the JIT: only the evaluation of a
//! conjunct differs.

use vigil_ir::RuleId;

use rustc_hash::{FxHashMap, FxHashSet};
use vigil_ir::{
    BinOp, EventType, EventTypeId, ExprArena, ExprId, Node, Pattern, Program, Ty, UnOp, Value,
};

use crate::engine::Consumer;
use crate::interp::{ListIndex, Tables};
use crate::row::{Kind, Layout, Row};

/// The event type and condition through which the plan offers a rule its events: those of
/// a single-event or window rule; for a sequence, those of its first step when that step is
/// positive and its type fills no other step (then an event the condition rejects can start
/// nothing, and touches nothing else of the rule). The condition reads its event in slot 0.
pub(crate) fn gate(pattern: &Pattern) -> Option<(EventTypeId, Option<ExprId>)> {
    match pattern {
        Pattern::Single { event, cond } | Pattern::Window { event, cond, .. } => {
            Some((*event, *cond))
        }
        Pattern::Sequence { steps, .. } => {
            let (first, rest) = steps.split_first()?;
            (!first.absent && rest.iter().all(|s| s.event != first.event))
                .then_some((first.event, first.cond))
        }
    }
}

/// A conjunct of some rule's condition, shared by every rule that has it.
#[derive(Debug, Clone)]
pub(crate) struct Conjunct {
    /// The rule whose arena holds `expr` (any of the rules sharing it).
    pub rule: RuleId,
    pub expr: ExprId,
    /// More than one rule has it: worth remembering its value for the rest of the event.
    pub shared: bool,
    /// It compares one field with a constant or a list (see `field_test`): the engine reads
    /// the field itself, with no compiled code.
    pub test: Option<FieldTest>,
}

/// A conjunct answered by reading one field of the row. At 1,000 rules most conjuncts left
/// after dispatch are of these forms (`x >= 65`, `x in addresses`, `kind == theft`); comparing
/// in place costs no more than calling compiled code, and spares compiling it (Cranelift
/// spends ~120k instructions on the smallest function).
#[derive(Debug, Clone)]
pub(crate) enum FieldTest {
    /// `field op constant` on a one-word integer field.
    Range(RangeTest),
    /// `field == constant`, `field in [constants]` or `field in list` (`!=`, `not in` when
    /// `negated`), on a string or a one-word field other than a float.
    Member {
        read: Read,
        among: Among,
        negated: bool,
    },
}

/// The field a member test reads: its number, its (first) word, and whether it is a string
/// (offset and length into the text) rather than one word.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Read {
    field: u16,
    word: u32,
    text: bool,
}

/// What a member test looks for the field's value in, as the row stores values.
#[derive(Debug, Clone)]
pub(crate) enum Among {
    Word(u64),
    Text(Box<str>),
    /// A set of constants, hashed as lists are.
    Set(ListIndex),
    /// List number `i` of the tables (lists can be reloaded).
    List(u32),
}

impl Read {
    /// Whether the field's value is in `index`; `None` when the field is absent.
    fn is_in(&self, row: &Row, index: &ListIndex) -> Option<bool> {
        Some(if self.text {
            index
                .strs
                .contains(present_str(row, self.field, self.word)?)
        } else {
            index
                .words
                .contains(&present_word(row, self.field, self.word)?)
        })
    }
}

impl FieldTest {
    /// Whether it holds on `row`; `None` when the field is absent (then the conjunct is
    /// evaluated as written, which says what a comparison with an absent value gives).
    #[inline]
    pub fn holds(&self, row: &Row, tables: &Tables) -> Option<bool> {
        let (read, among, negated) = match self {
            FieldTest::Range(r) => return r.holds(row),
            FieldTest::Member {
                read,
                among,
                negated,
            } => (read, among, *negated),
        };
        let found = match among {
            Among::Word(w) => present_word(row, read.field, read.word)? == *w,
            Among::Text(t) => present_str(row, read.field, read.word)? == &**t,
            Among::Set(index) => read.is_in(row, index)?,
            Among::List(l) => read.is_in(row, tables.list_index.get(*l as usize)?)?,
        };
        Some(found != negated)
    }

    /// The range test it is, if it is one.
    fn range(&self) -> Option<RangeTest> {
        match self {
            FieldTest::Range(r) => Some(*r),
            FieldTest::Member { .. } => None,
        }
    }
}

/// A conjunct that holds when a present integer field (`int`, `time`, `duration`) is at least
/// or at most `bound`: `x >= 5` is (x, lower, 5), `x < 5` is (x, upper, 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RangeTest {
    pub side: Side,
    pub bound: i64,
}

/// The field a range test bounds, its word in the row, and whether the bound is a lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Side {
    pub field: u16,
    pub word: u32,
    pub lower: bool,
}

impl Side {
    /// The field's value; `None` when it is absent.
    #[inline]
    fn value(&self, row: &Row) -> Option<i64> {
        present_word(row, self.field, self.word).map(|w| w as i64)
    }

    /// Whether `value` is on the right side of `bound`.
    #[inline]
    fn within(&self, value: i64, bound: i64) -> bool {
        if self.lower {
            value >= bound
        } else {
            value <= bound
        }
    }
}

impl RangeTest {
    /// Whether it holds on `row`; `None` when the field is absent (then the conjunct is
    /// evaluated as written, which says what a comparison with an absent value gives).
    #[inline]
    pub fn holds(&self, row: &Row) -> Option<bool> {
        Some(self.side.within(self.side.value(row)?, self.bound))
    }
}

/// A rule gated by its condition.
#[derive(Debug, Clone)]
pub(crate) struct Gated {
    pub rule: RuleId,
    pub order: u32,
    /// Conjuncts still to test once the rule is a candidate, in source order.
    pub conjuncts: Vec<u32>,
    /// The conjunct the rule is indexed by, if any (already true for a candidate).
    pub indexed: Option<IndexKey>,
}

/// What a rule is indexed by: a field and the constants it must equal one of (or a list).
#[derive(Debug, Clone)]
pub(crate) struct IndexKey {
    pub field: u16,
    pub keys: IndexValues,
}

#[derive(Debug, Clone)]
pub(crate) enum IndexValues {
    Constants(Vec<Value>),
    /// The contents of list number `i` (rebuilt when lists are reloaded).
    List(u32),
}

/// Rules of one event type reached through one field's value: each value's candidates are a
/// run of `TypePlan::probes`.
#[derive(Debug, Default)]
pub(crate) struct FieldIndex {
    pub field: u16,
    pub kind: Option<Kind>,
    pub words: FxHashMap<u64, u32>,
    pub strs: FxHashMap<Box<str>, u32>,
}

/// The rules one index value (or the scan) leads to: probes tested one by one, and groups of
/// probes whose first test bounds the same field the same way, sorted by their bounds, so
/// that one binary search finds those whose first test holds (Esper's filter indexes do the
/// same for relational operators). At 1,000 rules, most candidates of an event fail a range
/// test (`c.callee_age >= 65` of rules indexed by region): skipping them skips their calls.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Candidates {
    pub plain: Run,
    /// A run of `TypePlan::ranges`.
    pub ranges: Run,
}

/// Probes whose first test is a `RangeTest` on `side`, lower bounds in ascending order or
/// upper bounds in descending order: the first test holds for a prefix of them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RangeGroup {
    pub side: Side,
    pub probes: Run,
    /// Where the probes' bounds start in `TypePlan::bounds`, one per probe.
    pub bounds: u32,
}

/// The fewest probes worth a group: one compare of a bound costs less than a call of the
/// compiled test, but each group costs a field read and a search per event.
const MIN_GROUP: usize = 2;

/// One index's rules by value (positions in `gated`), while the probes are laid out.
type ValueRules = (FxHashMap<u64, Vec<u32>>, FxHashMap<Box<str>, Vec<u32>>);

/// A run of `TypePlan::probes`, `TypePlan::tests` or `TypePlan::ranges`: start and length.
pub(crate) type Run = (u32, u32);

/// A candidate rule as the per-event loop reads it: the rule and the run of its tests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    pub rule: RuleId,
    pub order: u32,
    pub tests: Run,
}

/// A conjunct to test: its number, and whether other rules share it (then its value is
/// remembered for the rest of the event).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Test {
    pub conjunct: u32,
    pub shared: bool,
}

#[derive(Debug, Default)]
pub(crate) struct TypePlan {
    /// Single-event and window rules of this type, and sequences gated by it (`gate`).
    pub gated: Vec<Gated>,
    /// What the per-event loop reads, flat so that one event's candidates lie together: the
    /// probes of the rules with no index (tested on every event) come first, then each index
    /// value's probes, a rule repeated under every value that reaches it.
    pub probes: Vec<Probe>,
    pub tests: Vec<Test>,
    /// What each index value (and the scan) leads to.
    pub sets: Vec<Candidates>,
    pub ranges: Vec<RangeGroup>,
    pub bounds: Vec<i64>,
    /// The set of the rules with no index.
    pub scan: u32,
    pub indexes: Vec<FieldIndex>,
    /// Ungated sequences and workflows, in declaration order: offered every event of the type.
    pub always: Vec<(u32, Consumer)>,
}

#[derive(Default)]
pub(crate) struct Plan {
    pub types: Vec<TypePlan>,
    pub conjuncts: Vec<Conjunct>,
}

impl Plan {
    /// `shared`: index rules and share equal conjuncts (off for coverage, so every clause of
    /// every rule is evaluated on its own).
    pub fn new(program: &Program, tables: &Tables, shared: bool) -> Plan {
        let mut types: Vec<TypePlan> = program.events.iter().map(|_| TypePlan::default()).collect();
        let mut conjuncts: Vec<Conjunct> = Vec::new();
        // Keyed by event type too: `x.n >= 5` reads word 2 of an `A` and word 1 of a `B` when
        // their earlier fields differ, so equal shapes of different types are different code.
        let mut by_shape: FxHashMap<(EventTypeId, String), u32> = FxHashMap::default();
        for (r, rule) in program.rules.iter_enumerated() {
            // Without sharing (coverage), a sequence is offered every event of its types:
            // that engine is the reference the gated ones are tested against.
            let gate = gate(&rule.pattern)
                .filter(|_| shared || !matches!(rule.pattern, Pattern::Sequence { .. }));
            if let Pattern::Sequence { .. } = &rule.pattern {
                // The types the gate does not cover are offered every event.
                let mut seen = gate.map(|(t, _)| t).into_iter().collect::<Vec<_>>();
                for t in rule.pattern.event_types() {
                    if !seen.contains(&t) {
                        seen.push(t);
                        if let Some(tp) = types.get_mut(t as usize) {
                            tp.always.push((rule.origin.order, Consumer::Rule(r)));
                        }
                    }
                }
            }
            let Some((event, cond)) = gate else { continue };
            let mut parts = Vec::new();
            if let Some(c) = cond {
                split_and(&rule.exprs, c, &mut parts);
            }
            let layout = tables.layouts.get(event as usize);
            // Index by the most selective conjunct that is an equality or membership on a
            // field (the first of equals).
            let indexed_pos = layout.filter(|_| shared).and_then(|l| {
                parts
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| {
                        let key = index_key(&rule.exprs, *p, l, program.event(event))?;
                        Some((i, selectivity(program, tables, event, &key)))
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(i, _)| i)
            });
            let indexed = indexed_pos.and_then(|i| {
                let part = *parts.get(i)?;
                layout.and_then(|l| index_key(&rule.exprs, part, l, program.event(event)))
            });
            let mut ids = Vec::new();
            for (i, p) in parts.iter().enumerate() {
                if Some(i) == indexed_pos {
                    continue;
                }
                let shape = if shared {
                    vigil_ir::text::expr(program, &rule.exprs, &[Some(event)], *p)
                } else {
                    format!("{r}/{}", p.0)
                };
                let next = u32::try_from(conjuncts.len()).unwrap_or(u32::MAX);
                let id = *by_shape.entry((event, shape)).or_insert_with(|| {
                    conjuncts.push(Conjunct {
                        rule: r,
                        expr: *p,
                        shared: false,
                        // Coverage evaluates every conjunct as written: the reference for
                        // these tests and for range groups.
                        test: layout
                            .filter(|_| shared)
                            .and_then(|l| field_test(&rule.exprs, *p, l)),
                    });
                    next
                });
                if id != next
                    && let Some(c) = conjuncts.get_mut(id as usize)
                {
                    c.shared = true;
                }
                ids.push(id);
            }
            if let Some(tp) = types.get_mut(event as usize) {
                tp.gated.push(Gated {
                    rule: r,
                    order: rule.origin.order,
                    conjuncts: ids,
                    indexed,
                });
            }
        }
        for (i, w) in program.workflows.iter_enumerated() {
            for t in crate::workflow::event_types(w) {
                if let Some(tp) = types.get_mut(t as usize) {
                    tp.always.push((w.origin.order, Consumer::Workflow(i)));
                }
            }
        }
        for tp in &mut types {
            tp.always.sort_by_key(|(order, _)| *order);
        }
        let mut plan = Plan { types, conjuncts };
        plan.rebuild_indexes(tables);
        plan
    }

    /// (Re)builds the hash indexes and the probes, from constants and the current list
    /// contents.
    pub fn rebuild_indexes(&mut self, tables: &Tables) {
        let conjuncts = &self.conjuncts;
        for (ty, tp) in self.types.iter_mut().enumerate() {
            tp.indexes.clear();
            tp.probes.clear();
            tp.tests.clear();
            tp.sets.clear();
            tp.ranges.clear();
            tp.bounds.clear();
            let layout = tables.layouts.get(ty);
            // Per index: its values' rules (positions in `gated`), in declaration order.
            let mut by_value: Vec<ValueRules> = Vec::new();
            let mut scan = Vec::new();
            for (g, gated) in tp.gated.iter().enumerate() {
                let g = u32::try_from(g).unwrap_or(u32::MAX);
                let Some(key) = &gated.indexed else {
                    scan.push(g);
                    continue;
                };
                let kind = layout
                    .and_then(|l| l.slots.get(key.field as usize))
                    .map(|(_, k)| *k);
                let pos = match tp.indexes.iter().position(|ix| ix.field == key.field) {
                    Some(p) => p,
                    None => {
                        tp.indexes.push(FieldIndex {
                            field: key.field,
                            kind,
                            ..FieldIndex::default()
                        });
                        by_value.push(Default::default());
                        tp.indexes.len() - 1
                    }
                };
                let values: Vec<Value> = match &key.keys {
                    IndexValues::Constants(v) => v.clone(),
                    IndexValues::List(l) => tables
                        .lists
                        .get(*l as usize)
                        .map(|s| s.items.clone())
                        .unwrap_or_default(),
                };
                // `tp.indexes` and `by_value` grow together, so `pos` is in both.
                let Some((words, strs)) = by_value.get_mut(pos) else {
                    continue;
                };
                let mut seen_words = FxHashSet::default();
                let mut seen_strs = FxHashSet::default();
                for v in values {
                    match &v {
                        Value::Str(s) => {
                            if seen_strs.insert(s.clone()) {
                                strs.entry(Box::from(&**s)).or_default().push(g);
                            }
                        }
                        other => {
                            if let Some(w) = crate::row::word_of(other)
                                && seen_words.insert(w)
                            {
                                words.entry(w).or_default().push(g);
                            }
                        }
                    }
                }
            }
            tp.scan = push_candidates(tp, conjuncts, &scan);
            for (ix, (words, strs)) in by_value.into_iter().enumerate() {
                let words: Vec<_> = words
                    .into_iter()
                    .map(|(w, gs)| (w, push_candidates(tp, conjuncts, &gs)))
                    .collect();
                let strs: Vec<_> = strs
                    .into_iter()
                    .map(|(s, gs)| (s, push_candidates(tp, conjuncts, &gs)))
                    .collect();
                if let Some(index) = tp.indexes.get_mut(ix) {
                    index.words.extend(words);
                    index.strs.extend(strs);
                }
            }
        }
    }
}

impl TypePlan {
    /// The sets of candidates (`sets`) of the rules an event can concern, in no particular
    /// order (few pass, so the engine sorts those instead).
    pub fn candidates(&self, row: &Row, layout: &Layout, out: &mut Vec<u32>) {
        out.clear();
        out.push(self.scan);
        for ix in &self.indexes {
            let hit = match ix.kind {
                Some(Kind::Str) => row.str_field(layout, ix.field).and_then(|s| ix.strs.get(s)),
                Some(_) => word_field(row, layout, ix.field).and_then(|w| ix.words.get(&w)),
                None => None,
            };
            out.extend(hit);
        }
    }

    /// Set number `id` of `candidates`.
    pub fn set(&self, id: u32) -> Candidates {
        self.sets.get(id as usize).copied().unwrap_or_default()
    }

    /// The range groups of a set.
    pub fn ranges_in(&self, (start, len): Run) -> &[RangeGroup] {
        self.ranges
            .get(start as usize..(start + len) as usize)
            .unwrap_or(&[])
    }

    /// How many of `group`'s probes, from the first, have their first test hold on `row`;
    /// `None` when the field is absent (then each probe is tested in full).
    pub fn passing(&self, group: &RangeGroup, row: &Row) -> Option<usize> {
        let value = group.side.value(row)?;
        let (start, len) = (group.bounds as usize, group.probes.1 as usize);
        let bounds = self.bounds.get(start..start + len).unwrap_or(&[]);
        Some(bounds.partition_point(|&b| group.side.within(value, b)))
    }

    /// The probes of a run.
    pub fn probes_in(&self, (start, len): Run) -> &[Probe] {
        self.probes
            .get(start as usize..(start + len) as usize)
            .unwrap_or(&[])
    }

    /// The tests of `probe`.
    pub fn tests_of(&self, probe: &Probe) -> &[Test] {
        let (start, len) = probe.tests;
        self.tests
            .get(start as usize..(start + len) as usize)
            .unwrap_or(&[])
    }
}

/// Lays out the candidates of gated rules `gs` (positions in `gated`): those whose first test
/// is a range test on a field and side that at least `MIN_GROUP` of them share go into range
/// groups, the others are probed one by one. The new set's number.
fn push_candidates(tp: &mut TypePlan, conjuncts: &[Conjunct], gs: &[u32]) -> u32 {
    let TypePlan {
        gated,
        probes,
        tests,
        sets,
        ranges,
        bounds,
        ..
    } = tp;
    let first_range = |g: u32| {
        let first = *gated.get(g as usize)?.conjuncts.first()?;
        conjuncts.get(first as usize)?.test.as_ref()?.range()
    };
    // Groups being formed: the side, and the (bound, rule) of each member.
    let mut groups: Vec<(Side, Vec<(i64, u32)>)> = Vec::new();
    let mut plain = Vec::new();
    for &g in gs {
        let Some(r) = first_range(g) else {
            plain.push(g);
            continue;
        };
        match groups.iter_mut().find(|(side, _)| *side == r.side) {
            Some((_, members)) => members.push((r.bound, g)),
            None => groups.push((r.side, vec![(r.bound, g)])),
        }
    }
    groups.retain(|(_, members)| {
        let keep = members.len() >= MIN_GROUP;
        if !keep {
            plain.extend(members.iter().map(|&(_, g)| g));
        }
        keep
    });
    plain.sort_unstable();
    let plain = push_probes(probes, tests, gated, conjuncts, &plain);
    let first_group = ranges.len();
    for (side, mut members) in groups {
        if side.lower {
            members.sort_by_key(|&(bound, g)| (bound, g));
        } else {
            members.sort_by_key(|&(bound, g)| (std::cmp::Reverse(bound), g));
        }
        let start = u32::try_from(bounds.len()).unwrap_or(u32::MAX);
        bounds.extend(members.iter().map(|&(bound, _)| bound));
        let members: Vec<u32> = members.into_iter().map(|(_, g)| g).collect();
        ranges.push(RangeGroup {
            side,
            probes: push_probes(probes, tests, gated, conjuncts, &members),
            bounds: start,
        });
    }
    sets.push(Candidates {
        plain,
        ranges: (first_group as u32, (ranges.len() - first_group) as u32),
    });
    u32::try_from(sets.len() - 1).unwrap_or(u32::MAX)
}

/// Appends the probes (and their tests) of gated rules `gs`; their run.
fn push_probes(
    probes: &mut Vec<Probe>,
    tests: &mut Vec<Test>,
    gated: &[Gated],
    conjuncts: &[Conjunct],
    gs: &[u32],
) -> Run {
    let start = probes.len() as u32;
    for g in gs {
        let Some(gated) = gated.get(*g as usize) else {
            continue;
        };
        let first = tests.len() as u32;
        tests.extend(gated.conjuncts.iter().map(|&c| Test {
            conjunct: c,
            shared: conjuncts.get(c as usize).is_some_and(|x| x.shared),
        }));
        probes.push(Probe {
            rule: gated.rule,
            order: gated.order,
            tests: (first, tests.len() as u32 - first),
        });
    }
    (start, probes.len() as u32 - start)
}

/// The word of a present one-word field.
fn word_field(row: &Row, layout: &Layout, field: u16) -> Option<u64> {
    let &(w, kind) = layout.slots.get(field as usize)?;
    if kind.width() != 1 {
        return None;
    }
    present_word(row, field, w)
}

/// Word `word` of `row` when field `field` (which it belongs to) is present.
#[inline]
fn present_word(row: &Row, field: u16, word: u32) -> Option<u64> {
    if field >= 64 || row.present & (1 << field) == 0 {
        return None;
    }
    row.words().get(word as usize).copied()
}

/// The text of string field `field`, whose offset is word `word` of `row` and whose length
/// the next, when it is present.
#[inline]
fn present_str(row: &Row, field: u16, word: u32) -> Option<&str> {
    let start = present_word(row, field, word)? as usize;
    let len = *row.words().get(word as usize + 1)? as usize;
    row.text().get(start..start.checked_add(len)?)
}

/// `constant` as a one-word field of `kind` stores it, when it is of that kind. Only a
/// constant of the field's own kind: an `int` against a `float` compares numbers, not words,
/// and a float's bits are not its value (`-0.0 == 0.0`).
fn same_kind_word(kind: Kind, constant: &Value) -> Option<u64> {
    match (kind, constant) {
        (Kind::Bool, Value::Bool(_))
        | (Kind::Int, Value::Int(_))
        | (Kind::Time, Value::Time(_))
        | (Kind::Duration, Value::Duration(_))
        | (Kind::Enum, Value::Enum(_))
        | (Kind::Unit, Value::Unit(_)) => crate::row::word_of(constant),
        _ => None,
    }
}

/// The `FieldTest` of a conjunct, if it is one: a range test, `field == constant` or
/// `field != constant` (either way round), `field [not] in [constants]` or
/// `field [not] in list`, on a field of slot 0.
fn field_test(arena: &ExprArena, id: ExprId, layout: &Layout) -> Option<FieldTest> {
    if let Some(r) = range_test(arena, id, layout) {
        return Some(FieldTest::Range(r));
    }
    // As the compiled code reads them: strings by text, one-word values by word.
    let read_of = |e: ExprId| match arena.node(e) {
        Node::Field { slot: 0, field } if *field < 64 => {
            let (word, kind) = *layout.slots.get(*field as usize)?;
            let text = match kind {
                Kind::Str => true,
                Kind::Bool | Kind::Int | Kind::Time | Kind::Duration | Kind::Enum | Kind::Unit => {
                    false
                }
                Kind::Float | Kind::Point | Kind::Set(_) => return None,
            };
            Some((
                Read {
                    field: *field,
                    word,
                    text,
                },
                kind,
            ))
        }
        _ => None,
    };
    let (read, among, negated) = match arena.node(id) {
        Node::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) => {
            let ((read, kind), constant) = match (read_of(*a), arena.as_const(*b)) {
                (Some(r), Some(c)) => (r, c),
                _ => (read_of(*b)?, arena.as_const(*a)?),
            };
            let among = match constant {
                Value::Str(t) if read.text => Among::Text(Box::from(&**t)),
                _ => Among::Word(same_kind_word(kind, constant)?),
            };
            (read, among, *op == BinOp::Ne)
        }
        Node::In {
            value,
            set,
            negated,
        } => {
            let (read, kind) = read_of(*value)?;
            let Value::Set(set) = arena.as_const(*set)? else {
                return None;
            };
            let same_kind = |v: &Value| match v {
                Value::Str(_) => read.text,
                _ => same_kind_word(kind, v).is_some(),
            };
            if !set.items.iter().all(same_kind) {
                return None;
            }
            (read, Among::Set(ListIndex::new(set)), *negated)
        }
        Node::InList {
            value,
            list,
            negated,
        } => (read_of(*value)?.0, Among::List(*list), *negated),
        _ => return None,
    };
    Some(FieldTest::Member {
        read,
        among,
        negated,
    })
}

/// The `RangeTest` of a conjunct `field op constant` or `constant op field`, where `op` is
/// one of `<`, `<=`, `>`, `>=` and the field is an `int`, `time` or `duration` compared with a
/// constant of its own type (an `int` against a `float` is not).
fn range_test(arena: &ExprArena, id: ExprId, layout: &Layout) -> Option<RangeTest> {
    let Node::Binary(op, a, b) = arena.node(id) else {
        return None;
    };
    let field_of = |e: ExprId| match arena.node(e) {
        Node::Field { slot: 0, field } => Some((*field, *layout.slots.get(*field as usize)?)),
        _ => None,
    };
    // As `field op constant`: `5 <= x` is `x >= 5`.
    let ((field, (word, kind)), op, constant) = match (field_of(*a), arena.as_const(*b)) {
        (Some(f), Some(c)) => (f, *op, c),
        _ => {
            let flipped = match op {
                BinOp::Lt => BinOp::Gt,
                BinOp::Le => BinOp::Ge,
                BinOp::Gt => BinOp::Lt,
                BinOp::Ge => BinOp::Le,
                _ => return None,
            };
            (field_of(*b)?, flipped, arena.as_const(*a)?)
        }
    };
    let k = match (kind, constant) {
        (Kind::Int, Value::Int(k))
        | (Kind::Time, Value::Time(k))
        | (Kind::Duration, Value::Duration(k)) => *k,
        _ => return None,
    };
    let (lower, bound) = match op {
        BinOp::Ge => (true, k),
        BinOp::Gt => (true, k.checked_add(1)?),
        BinOp::Le => (false, k),
        BinOp::Lt => (false, k.checked_sub(1)?),
        _ => return None,
    };
    Some(RangeTest {
        side: Side { field, word, lower },
        bound,
    })
}

/// The top-level conjuncts of `id`.
pub(crate) fn split_and(arena: &ExprArena, id: ExprId, out: &mut Vec<ExprId>) {
    match arena.node(id) {
        Node::And(a, b) => {
            split_and(arena, *a, out);
            split_and(arena, *b, out);
        }
        _ => out.push(id),
    }
}

/// The share of events an index key is expected to let through: the number of values over
/// the size of the field's domain. Enums and booleans have known domains; strings are assumed
/// to take many values (addresses, plates, phone numbers), numbers fewer.
fn selectivity(program: &Program, tables: &Tables, event: u32, key: &IndexKey) -> f64 {
    let values = match &key.keys {
        IndexValues::Constants(v) => v.len(),
        IndexValues::List(l) => tables.lists.get(*l as usize).map_or(0, |s| s.items.len()),
    };
    let ty = program
        .event(event)
        .and_then(|e| e.fields.get(key.field as usize))
        .map(|f| &f.ty);
    let domain = match ty {
        Some(Ty::Bool) => 2.0,
        Some(Ty::Enum(name)) => program
            .enums
            .iter()
            .find(|e| e.name == *name)
            .map_or(2.0, |e| e.variants.len().max(1) as f64),
        Some(Ty::Str) => 10_000.0,
        _ => 1_000.0,
    };
    (values as f64 / domain).min(1.0)
}

/// The index key of a conjunct `field == const`, `field in [consts]`, `field in list`, or a
/// test of a `bool` field: `field` is `field == true`, and `not field` is `field == false`
/// when the field is required (`not` of an absent field is true, which no index entry says).
fn index_key(
    arena: &ExprArena,
    id: ExprId,
    layout: &Layout,
    event: Option<&EventType>,
) -> Option<IndexKey> {
    let bool_field = |e: ExprId| match arena.node(e) {
        Node::Field { slot: 0, field } => layout
            .slots
            .get(*field as usize)
            .is_some_and(|(_, kind)| *kind == Kind::Bool)
            .then_some(*field),
        _ => None,
    };
    let required = |field: u16| {
        event
            .and_then(|e| e.fields.get(field as usize))
            .is_some_and(|f| !f.optional)
    };
    let bool_key = |field: u16, value: bool| IndexKey {
        field,
        keys: IndexValues::Constants(vec![Value::Bool(value)]),
    };
    match arena.node(id) {
        Node::Field { .. } => return bool_field(id).map(|f| bool_key(f, true)),
        Node::Unary(UnOp::Not, operand) => {
            return bool_field(*operand)
                .filter(|f| required(*f))
                .map(|f| bool_key(f, false));
        }
        _ => {}
    }
    let field_of = |e: ExprId| match arena.node(e) {
        Node::Field { slot: 0, field } => {
            let (_, kind) = layout.slots.get(*field as usize)?;
            // Floats and points are not compared by their bits.
            matches!(
                kind,
                Kind::Str
                    | Kind::Int
                    | Kind::Enum
                    | Kind::Unit
                    | Kind::Bool
                    | Kind::Time
                    | Kind::Duration
            )
            .then_some(*field)
        }
        _ => None,
    };
    match arena.node(id) {
        Node::Binary(BinOp::Eq, a, b) => {
            let (f, c) = match (
                field_of(*a),
                arena.as_const(*b),
                field_of(*b),
                arena.as_const(*a),
            ) {
                (Some(f), Some(c), _, _) | (_, _, Some(f), Some(c)) => (f, c),
                _ => return None,
            };
            (!c.is_absent()).then(|| IndexKey {
                field: f,
                keys: IndexValues::Constants(vec![c.clone()]),
            })
        }
        Node::In {
            value,
            set,
            negated: false,
        } => {
            let f = field_of(*value)?;
            match arena.as_const(*set)? {
                Value::Set(s) => Some(IndexKey {
                    field: f,
                    keys: IndexValues::Constants(s.items.clone()),
                }),
                _ => None,
            }
        }
        Node::InList {
            value,
            list,
            negated: false,
        } => Some(IndexKey {
            field: field_of(*value)?,
            keys: IndexValues::List(*list),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
unit desk "desk"
event Call { caller: str, minutes: int, score: float }
rule a { when c: Call where c.minutes > 60 and c.caller != "x" alert desk }
rule b { when c: Call where c.minutes > 60 and c.score > 0.5 alert desk }
rule c { when c: Call where c.minutes > 61 and c.score > 0.25 alert desk }
rule d { when c: Call where c.score > 0.5 and c.minutes > 60 alert desk }
"#;

    /// Conditions are shared between rules exactly when their canonical IR text is equal.
    #[test]
    fn equal_conjuncts_are_shared_and_only_those() {
        let program = vigil_compiler::load::compile_sources(&[("t.vigil", SOURCE)])
            .unwrap_or_else(|e| panic!("{e}"));
        let tables = Tables::new(&program);
        let plan = Plan::new(&program, &tables, true);
        let texts: Vec<(String, bool)> = plan
            .conjuncts
            .iter()
            .map(|c| {
                let rule = &program.rules[c.rule];
                let text = vigil_ir::text::expr(&program, &rule.exprs, &[Some(0)], c.expr);
                (text, c.shared)
            })
            .collect();
        let shared = |t: &str| texts.iter().filter(|(x, _)| x == t).collect::<Vec<_>>();
        // `minutes > 60` in a, b and d (written second there): one entry, shared.
        let sixty = shared("(> $0.minutes 60)");
        assert_eq!(sixty.len(), 1, "{texts:?}");
        assert!(sixty.iter().all(|(_, s)| *s), "{texts:?}");
        // `score > 0.5` in b and d: one entry. `minutes > 61` and `score > 0.25`: their own.
        assert_eq!(shared("(> $0.score 0.5)").len(), 1, "{texts:?}");
        assert!(
            shared("(> $0.minutes 61)").iter().all(|(_, s)| !*s),
            "{texts:?}"
        );
        assert!(
            shared("(> $0.score 0.25)").iter().all(|(_, s)| !*s),
            "{texts:?}"
        );
        let distinct: std::collections::HashSet<&String> = texts.iter().map(|(t, _)| t).collect();
        assert_eq!(distinct.len(), texts.len(), "one entry per text: {texts:?}");
    }
}
