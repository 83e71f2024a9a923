//! Window state (SPEC §4.1 item 2), shared between rules that group alike.
//!
//! Rules that group one event type by the same field over the same span keep their groups in
//! one `WindowTable`: an event is looked up once per key however many of them take it, and
//! stored once, with a bit for each rule whose window holds it. Each rule sees the members
//! that carry its bit, and counts them in its own counter. (The peer benchmark's W2 has twenty
//! rules grouping incidents by address, three of them taking each one: one lookup and one
//! member instead of three of each, and a third of the groups to free.)
//!
//! A rule whose aggregates read values (`sum(x)`) keeps a table of its own, whose members
//! carry those values; so does a rule grouped by a computed key. A table of one rule keeps no
//! counters: all of its members are its own.

use std::collections::VecDeque;
use std::sync::Arc;

use vigil_ir::{self as ir, Value, ops};

use crate::engine::Engine;
use crate::host::Host;
use crate::interp::{Ctx, EvalError};
use crate::record::EVIDENCE_LIMIT;
use crate::row::{Event, Key, KeyMap, Layout};
use crate::snapshot::{Dec, Enc, R};

/// The most rules one table holds: a member's rules are bits of a word.
const MAX_RULES: usize = 64;

/// The groups of the window rules that share them.
pub(crate) struct WindowTable {
    /// The rules, in declaration order; a rule's bit is its position here.
    pub(crate) rules: Vec<usize>,
    pub(crate) within: i64,
    pub(crate) groups: KeyMap<Group>,
    /// Per rule: the groups holding events of its window (its keys, for the key cap).
    pub(crate) keys: Vec<usize>,
    /// Event time of the next sweep of groups whose events have all left the window.
    pub(crate) next_sweep: i64,
}

/// One key's events, for every rule of its table.
pub(crate) struct Group {
    /// Oldest first. A member no rule holds any more (`mask == 0`) is dead: it is dropped at
    /// either end, and in the middle once the dead are half the group.
    pub(crate) members: VecDeque<Member>,
    /// Per rule of a shared table: the members carrying its bit. Empty in a table of one rule.
    counts: Box<[u32]>,
    dead: usize,
    /// The time of the newest event (kept here so sweeps need not read the events).
    pub(crate) newest: i64,
}

/// One event of a group.
#[derive(Clone)]
pub(crate) struct Member {
    /// The event's time, beside it so that expiring the oldest events reads no row.
    pub(crate) time: i64,
    pub(crate) event: Event,
    /// The rules (bits of the table) whose window holds the event.
    pub(crate) mask: u64,
    /// The values of the rule's aggregates that take an argument, computed when the event
    /// joined (only in a table of one rule; none for `count()`, and then no allocation).
    pub(crate) values: Box<[Value]>,
}

/// Where a window rule keeps its groups: its table and its bit there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WindowSlot {
    pub(crate) table: usize,
    pub(crate) bit: usize,
}

/// The tables of `program`'s window rules, and each rule's slot (`None` for other rules).
pub(crate) fn tables(program: &ir::Program) -> (Vec<WindowTable>, Vec<Option<WindowSlot>>) {
    let mut tables: Vec<WindowTable> = Vec::new();
    // Shareable tables by (event type, key field, span).
    let mut open: Vec<((ir::EventTypeId, u16, i64), usize)> = Vec::new();
    let mut slots = Vec::with_capacity(program.rules.len());
    for (r, rule) in program.rules.iter().enumerate() {
        let ir::Pattern::Window {
            event,
            key,
            within,
            aggregates,
            ..
        } = &rule.pattern
        else {
            slots.push(None);
            continue;
        };
        let share = match *rule.exprs.node(*key) {
            ir::Node::Field { slot: 0, field } if aggregates.iter().all(|a| a.arg.is_none()) => {
                Some((*event, field, *within))
            }
            _ => None,
        };
        let found = share.and_then(|s| {
            open.iter()
                .find(|(k, t)| *k == s && tables.get(*t).is_some_and(|t| t.rules.len() < MAX_RULES))
                .map(|(_, t)| *t)
        });
        let (table, t) = match found.and_then(|t| Some((t, tables.get_mut(t)?))) {
            Some(found) => found,
            None => {
                let table = tables.len();
                if let Some(s) = share {
                    open.push((s, table));
                }
                (table, tables.push_mut(WindowTable::new(*within)))
            }
        };
        t.rules.push(r);
        t.keys.push(0);
        slots.push(Some(WindowSlot {
            table,
            bit: t.rules.len() - 1,
        }));
    }
    (tables, slots)
}

/// A window rule, as its table's `offer` needs it.
pub(crate) struct Spec<'r> {
    pub(crate) exprs: &'r ir::ExprArena,
    /// `None` as well when the plan already found the condition true.
    pub(crate) cond: Option<ir::ExprId>,
    pub(crate) key: ir::ExprId,
    pub(crate) within: i64,
    pub(crate) having: ir::ExprId,
    pub(crate) aggregates: &'r [ir::Aggregate],
    /// The rule's bit in its table.
    pub(crate) bit: usize,
    /// Its `having`, when that is judged on the window's length alone.
    pub(crate) counted: Option<CountHaving>,
}

/// A window whose `having` held, consumed: the rule fires with it.
pub(crate) struct Consumed {
    pub(crate) key: Value,
    pub(crate) evidence: Vec<Event>,
    /// How many events the window held (the evidence keeps at most `EVIDENCE_LIMIT`).
    pub(crate) total: usize,
    pub(crate) aggregates: Vec<Value>,
}

impl WindowTable {
    /// Offers `event` to rule `rule.bit`: joins it to its key's group, and consumes the window
    /// when the rule's `having` holds.
    pub(crate) fn offer(
        &mut self,
        host: &mut impl Host,
        rule: &Spec<'_>,
        event: &Event,
    ) -> Option<Consumed> {
        let bit = rule.bit;
        let slots = [Some(&**event)];
        let ctx = Ctx {
            slots: &slots,
            ..Ctx::default()
        };
        if rule.cond.is_some_and(|c| !host.test(rule.exprs, c, &ctx)) {
            return None;
        }
        let key = host.key_of(rule.exprs, rule.key, (0, event), &ctx)?;
        if key.is_absent() {
            host.key_absent();
            return None;
        }
        // The aggregated values of this event (one per aggregate with an argument).
        let mut values = Vec::new();
        for arg in rule.aggregates.iter().filter_map(|a| a.arg) {
            match host.value(rule.exprs, arg, &ctx) {
                Some(Value::Absent) | None => {
                    host.key_absent();
                    return None;
                }
                Some(v) => values.push(v),
            }
        }
        let values = values.into_boxed_slice();
        let t = event.time;
        // The window at t holds events with t - W < e.time <= t.
        let horizon = t.saturating_sub(rule.within);
        let k = key.as_ref();
        self.sweep(t);
        // One lookup for a group that exists (the common case); a new one is created after
        // the key cap allows it.
        let judged = match self.groups.get_mut(&k) {
            Some(group) => {
                group.expire(horizon, &mut self.keys);
                // The rule has no events here: this is one more key for it.
                let held = self.keys.get(bit).copied().unwrap_or(0);
                if group.count(bit) == 0 && !host.admit(held, k, event) {
                    return None;
                }
                group.join(bit, event, values, &mut self.keys);
                judge(group, bit, rule.aggregates, rule.counted)
            }
            None => {
                let held = self.keys.get(bit).copied().unwrap_or(0);
                if !host.admit(held, k, event) {
                    return None;
                }
                let owned = Key(host.owned_key(&key));
                let mut group = self.group();
                group.join(bit, event, values, &mut self.keys);
                let judged = judge(&group, bit, rule.aggregates, rule.counted);
                self.groups.insert(owned, group);
                judged
            }
        };
        let aggregates = match judged? {
            Ok(a) => a,
            Err(e) => {
                host.eval_error(e);
                return None;
            }
        };
        if rule.counted.is_none() {
            let key = host.owned_key(&key);
            let ctx = Ctx {
                slots: &slots,
                key: Some(&key),
                aggregates: &aggregates,
                ..Ctx::default()
            };
            if !host.test(rule.exprs, rule.having, &ctx) {
                return None;
            }
        }
        // Consume: the group starts again empty for this rule (and a group no rule holds
        // anything in is no state at all).
        let (stored, group) = self.groups.get_key_value_mut(&k)?;
        let key = stored.0.clone();
        let (evidence, total) = group.consume(bit, EVIDENCE_LIMIT, &mut self.keys);
        if group.is_empty() {
            self.groups.remove(&k);
        }
        Some(Consumed {
            key,
            evidence,
            total,
            aggregates,
        })
    }

    /// A stand-in for a table taken out of the engine while it runs (allocates nothing).
    pub(crate) fn empty() -> WindowTable {
        WindowTable::new(0)
    }

    fn new(within: i64) -> WindowTable {
        WindowTable {
            rules: Vec::new(),
            within,
            groups: KeyMap::default(),
            keys: Vec::new(),
            next_sweep: i64::MIN,
        }
    }

    /// A new, empty group for this table's rules.
    pub(crate) fn group(&self) -> Group {
        Group {
            // Room for a few events at once: most groups that fire do so at a handful.
            members: VecDeque::with_capacity(4),
            counts: if self.rules.len() > 1 {
                vec![0; self.rules.len()].into_boxed_slice()
            } else {
                Box::default()
            },
            dead: 0,
            newest: i64::MIN,
        }
    }

    /// Drops the groups whose events have all left the window, once per span of event time
    /// (SPEC §7: memory follows the live keys). Older events of the groups kept are dropped
    /// when the next event joins.
    pub(crate) fn sweep(&mut self, now: i64) {
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now.saturating_add(self.within);
        let horizon = now.saturating_sub(self.within);
        let keys = &mut self.keys;
        self.groups.retain(|_, g| {
            let keep = g.newest > horizon;
            if !keep {
                g.release_all(keys);
            }
            keep
        });
    }
}

impl Group {
    /// The events in the window of rule `bit`.
    pub(crate) fn count(&self, bit: usize) -> usize {
        match self.counts.get(bit) {
            Some(n) => *n as usize,
            None => self.members.len(),
        }
    }

    /// The window of rule `bit`, oldest first.
    pub(crate) fn window(&self, bit: usize) -> impl Iterator<Item = &Member> + Clone {
        let flag = 1u64 << bit;
        self.members.iter().filter(move |m| m.mask & flag != 0)
    }

    /// No rule holds any event here.
    pub(crate) fn is_empty(&self) -> bool {
        self.members.len() == self.dead
    }

    /// Drops the events at or before `horizon`: they have left every rule's window.
    pub(crate) fn expire(&mut self, horizon: i64, keys: &mut [usize]) {
        while let Some(m) = self.members.front() {
            if m.mask != 0 && m.time > horizon {
                break;
            }
            let mask = m.mask;
            self.members.pop_front();
            if mask == 0 {
                self.dead -= 1;
            } else {
                self.release(mask, keys);
            }
        }
    }

    /// Adds `event` to the window of rule `bit`. Rules of one table taking the same event
    /// share its member (it is the newest one).
    pub(crate) fn join(
        &mut self,
        bit: usize,
        event: &Event,
        values: Box<[Value]>,
        keys: &mut [usize],
    ) {
        let flag = 1u64 << bit;
        if self.count(bit) == 0
            && let Some(k) = keys.get_mut(bit)
        {
            *k += 1;
        }
        match self.members.back_mut() {
            Some(m) if Arc::ptr_eq(&m.event, event) && m.mask & flag == 0 && values.is_empty() => {
                if m.mask == 0 {
                    self.dead -= 1;
                }
                m.mask |= flag;
            }
            _ => self.members.push_back(Member {
                time: event.time,
                event: event.clone(),
                mask: flag,
                values,
            }),
        }
        if let Some(n) = self.counts.get_mut(bit) {
            *n += 1;
        }
        self.newest = event.time;
    }

    /// Consumes the window of rule `bit` (SPEC §4.1: the group starts again empty for it):
    /// its first `limit` events, oldest first, and how many it held.
    pub(crate) fn consume(
        &mut self,
        bit: usize,
        limit: usize,
        keys: &mut [usize],
    ) -> (Vec<Event>, usize) {
        let total = self.count(bit);
        if total > 0
            && let Some(k) = keys.get_mut(bit)
        {
            *k -= 1;
        }
        if self.counts.is_empty() {
            // A table of one rule: every member is the rule's.
            let taken = self
                .members
                .drain(..)
                .take(limit)
                .map(|m| m.event)
                .collect();
            return (taken, total);
        }
        if let Some(n) = self.counts.get_mut(bit) {
            *n = 0;
        }
        // From the newest back: the rule's members are usually the last few.
        let flag = 1u64 << bit;
        let mut left = total;
        let mut taken = Vec::with_capacity(total.min(limit));
        for m in self.members.iter_mut().rev() {
            if left == 0 {
                break;
            }
            if m.mask & flag == 0 {
                continue;
            }
            m.mask &= !flag;
            left -= 1;
            // `left` is now the member's place in the rule's window.
            if left < limit {
                taken.push(m.event.clone());
            }
            if m.mask == 0 {
                self.dead += 1;
            }
        }
        taken.reverse();
        self.trim();
        (taken, total)
    }

    /// Drops dead members at both ends, and every dead one once they are half the group.
    fn trim(&mut self) {
        while self.members.front().is_some_and(|m| m.mask == 0) {
            self.members.pop_front();
            self.dead -= 1;
        }
        while self.members.back().is_some_and(|m| m.mask == 0) {
            self.members.pop_back();
            self.dead -= 1;
        }
        if self.dead > 0 && self.dead * 2 >= self.members.len() {
            self.members.retain(|m| m.mask != 0);
            self.dead = 0;
        }
    }

    /// A member carrying `mask` has left: its rules count one event fewer.
    fn release(&mut self, mask: u64, keys: &mut [usize]) {
        if self.counts.is_empty() {
            if self.members.is_empty()
                && let Some(k) = keys.first_mut()
            {
                *k -= 1;
            }
            return;
        }
        let mut bits = mask;
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if let Some(n) = self.counts.get_mut(bit) {
                *n -= 1;
                if *n == 0
                    && let Some(k) = keys.get_mut(bit)
                {
                    *k -= 1;
                }
            }
        }
    }

    /// The group is dropped: its rules each lose a key.
    fn release_all(&self, keys: &mut [usize]) {
        for (bit, k) in keys.iter_mut().enumerate() {
            if self.count(bit) > 0 {
                *k -= 1;
            }
        }
    }

    /// A group holding `members` (oldest first), as a snapshot restores it.
    pub(crate) fn restore(table: &WindowTable, members: Vec<Member>) -> Group {
        let mut g = table.group();
        for m in &members {
            for (bit, n) in g.counts.iter_mut().enumerate() {
                if m.mask & (1 << bit) != 0 {
                    *n += 1;
                }
            }
        }
        g.newest = members.last().map_or(i64::MIN, |m| m.time);
        g.members = members.into();
        g
    }
}

/// The aggregates of a window of `len` members. Each member carries the values of the
/// aggregates that have an argument, in order, computed when it joined.
pub(crate) fn aggregates<'m>(
    aggs: &[ir::Aggregate],
    len: usize,
    window: impl Iterator<Item = &'m Member> + Clone,
) -> Result<Vec<Value>, EvalError> {
    ops::aggregates(aggs, len, |i| {
        window.clone().filter_map(move |m| m.values.get(i))
    })
}

// ---------------------------------------------------------------------------------------------
// Snapshots: a rule's groups in key order, each with the events of the rule's window and their
// aggregated values.

impl WindowTable {
    /// Writes the groups holding events of rule `bit`'s window, and those events.
    pub(crate) fn encode_rule(
        &self,
        e: &mut Enc,
        bit: usize,
        program: &ir::Program,
        layouts: &[Layout],
    ) {
        let mut groups: Vec<(&Key, &Group)> = self
            .groups
            .iter()
            .filter(|(_, g)| g.count(bit) > 0)
            .collect();
        groups.sort_by(|a, b| a.0.0.total_cmp(&b.0.0));
        e.u64(groups.len() as u64);
        for (k, g) in groups {
            e.value(&k.0);
            e.u64(g.count(bit) as u64);
            for m in g.window(bit) {
                e.row(program, layouts, &m.event);
                e.u64(m.values.len() as u64);
                for v in &m.values {
                    e.value(v);
                }
            }
        }
    }
}

/// Reads what `WindowTable::encode_rule` wrote: each group's key and members (their rule
/// bits are set when they are merged into the table, `Engine::restore_windows`).
pub(crate) fn decode_rule(d: &mut Dec<'_>, engine: &Engine) -> R<Vec<(Key, Vec<Member>)>> {
    let mut groups = Vec::new();
    for _ in 0..d.len()? {
        let k = d.value()?;
        let mut events = Vec::new();
        for _ in 0..d.len()? {
            let row = d.row(engine)?;
            let mut values = Vec::new();
            for _ in 0..d.len()? {
                values.push(d.value()?);
            }
            if let Some(row) = row {
                events.push(Member {
                    time: row.time,
                    event: row,
                    mask: 0,
                    values: values.into_boxed_slice(),
                });
            }
        }
        groups.push((Key(k), events));
    }
    Ok(groups)
}

/// The aggregates of rule `bit`'s window once the event has joined `group`, or `None` when a
/// count-only `having` already fails on the window's length.
fn judge(
    group: &Group,
    bit: usize,
    aggregates: &[ir::Aggregate],
    counted: Option<CountHaving>,
) -> Option<Result<Vec<Value>, EvalError>> {
    let len = group.count(bit);
    if counted.is_some_and(|c| !c.holds(len)) {
        return None;
    }
    Some(self::aggregates(aggregates, len, group.window(bit)))
}

/// A `having` that compares `count()` with an integer (`count() >= 3`, the usual form): it
/// is decided by the window's length alone, before any aggregate is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CountHaving {
    op: ir::BinOp,
    n: i64,
}

impl CountHaving {
    /// The count-only test of `rule`'s `having`, if it is one.
    pub(crate) fn of(rule: &ir::Rule) -> Option<CountHaving> {
        let ir::Pattern::Window {
            having, aggregates, ..
        } = &rule.pattern
        else {
            return None;
        };
        let ir::Node::Binary(op, l, r) = *rule.exprs.node(*having) else {
            return None;
        };
        let is_count = |e: ir::ExprId| {
            matches!(*rule.exprs.node(e), ir::Node::Agg(i)
                if aggregates.get(i as usize).is_some_and(|a| a.kind == ir::AggKind::Count))
        };
        let int = |e: ir::ExprId| match rule.exprs.node(e) {
            ir::Node::Const(Value::Int(n)) => Some(*n),
            _ => None,
        };
        let (op, n) = match (is_count(l), int(r), int(l), is_count(r)) {
            (true, Some(n), _, _) => (op, n),
            // `3 <= count()` reads as `count() >= 3`.
            (_, _, Some(n), true) => (op.mirrored()?, n),
            _ => return None,
        };
        op.is_comparison().then_some(CountHaving { op, n })
    }

    fn holds(self, len: usize) -> bool {
        let count = Value::Int(i64::try_from(len).unwrap_or(i64::MAX));
        ops::compare(self.op, &count, &Value::Int(self.n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::{Key, KeyRef, Layout, RowBuilder, Source};
    use proptest::prelude::*;

    fn event(time: i64, line: u64) -> Event {
        let layout = Layout {
            slots: Vec::new(),
            words: 0,
        };
        Arc::new(RowBuilder::new(&layout).finish(0, time, Source::Line(line)))
    }

    fn line(e: &Event) -> u64 {
        e.line().unwrap_or(0)
    }

    /// One step: an event at `dt` after the previous one, with key `key`, taken by the rules
    /// in `takers` (bits); rule `r` fires when it holds `threshold[r]` events.
    #[derive(Debug, Clone)]
    struct Step {
        dt: i64,
        key: u8,
        takers: u8,
        sweep: bool,
    }

    fn step() -> impl Strategy<Value = Step> {
        (0i64..40, 0u8..3, 0u8..16, prop::bool::weighted(0.2)).prop_map(
            |(dt, key, takers, sweep)| Step {
                dt,
                key,
                takers,
                sweep,
            },
        )
    }

    /// Checks the table against the rules' windows kept naively, one list per rule and key.
    fn run(rules: usize, thresholds: &[usize], steps: &[Step]) -> Result<(), TestCaseError> {
        const WITHIN: i64 = 100;
        let mut table = WindowTable::new(WITHIN);
        for r in 0..rules {
            table.rules.push(r);
            table.keys.push(0);
        }
        let mut model: Vec<std::collections::HashMap<u8, Vec<(i64, u64)>>> =
            vec![Default::default(); rules];
        let mut t = 0;
        for (n, s) in steps.iter().enumerate() {
            t += s.dt;
            if s.sweep {
                table.sweep(t);
            }
            let ev = event(t, n as u64);
            let key = Value::str(&s.key.to_string());
            for bit in (0..rules).filter(|b| s.takers & (1 << b) != 0) {
                // The rule's window, naively: its events of the last WITHIN, then this one.
                let w = model[bit].entry(s.key).or_default();
                w.retain(|(time, _)| *time > t - WITHIN);
                w.push((t, n as u64));
                let k = KeyRef::Value(&key);
                let WindowTable { groups, keys, .. } = &mut table;
                let group = match groups.get_mut(&k) {
                    Some(g) => g,
                    None => groups.entry(Key(key.clone())).or_insert(table_group(rules)),
                };
                group.expire(t - WITHIN, keys);
                group.join(bit, &ev, Box::default(), keys);
                let window: Vec<u64> = group.window(bit).map(|m| line(&m.event)).collect();
                let expected: Vec<u64> = w.iter().map(|(_, l)| *l).collect();
                prop_assert_eq!(group.count(bit), expected.len());
                prop_assert_eq!(&window, &expected);
                if expected.len() >= thresholds[bit] {
                    let (taken, total) = group.consume(bit, 2, keys);
                    prop_assert_eq!(total, expected.len());
                    let taken: Vec<u64> = taken.iter().map(line).collect();
                    prop_assert_eq!(&taken[..], &expected[..expected.len().min(2)]);
                    w.clear();
                    if group.is_empty() {
                        groups.remove(&k);
                    }
                }
                check_invariants(&table, rules)?;
            }
        }
        Ok(())
    }

    fn table_group(rules: usize) -> Group {
        let mut t = WindowTable::new(0);
        t.rules = (0..rules).collect();
        t.group()
    }

    /// Counts, keys and dead members agree with the members themselves.
    fn check_invariants(table: &WindowTable, rules: usize) -> Result<(), TestCaseError> {
        for bit in 0..rules {
            let holding = table.groups.values().filter(|g| g.count(bit) > 0).count();
            prop_assert_eq!(table.keys[bit], holding, "keys of rule {}", bit);
        }
        for g in table.groups.values() {
            prop_assert!(!g.is_empty(), "a group no rule holds is kept");
            let dead = g.members.iter().filter(|m| m.mask == 0).count();
            prop_assert_eq!(g.dead, dead);
            if rules > 1 {
                for bit in 0..rules {
                    prop_assert_eq!(g.count(bit), g.window(bit).count());
                }
            }
            prop_assert!(
                g.members
                    .iter()
                    .zip(g.members.iter().skip(1))
                    .all(|(a, b)| a.time <= b.time)
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// Four rules sharing a table see exactly their own windows, and consuming one
        /// rule's window leaves the others' alone.
        #[test]
        fn a_shared_table_keeps_each_rules_window(
            thresholds in prop::collection::vec(1usize..5, 4),
            steps in prop::collection::vec(step(), 1..80),
        ) {
            run(4, &thresholds, &steps)?;
        }

        /// A table of one rule keeps no counters and gives the same windows.
        #[test]
        fn a_table_of_one_rule_keeps_its_window(
            threshold in 1usize..5,
            steps in prop::collection::vec(step(), 1..80),
        ) {
            run(1, &[threshold], &steps)?;
        }
    }

    #[test]
    fn rules_grouping_alike_share_a_table() {
        let program = vigil_compiler::load::compile_sources(&[(
            "r.vigil",
            r#"
            unit desk
            event I { a: str, b: str, n: int }
            rule w1 { when i: I group by i.a within 1h having count() >= 2  alert desk }
            rule w2 { when i: I where i.n > 1 group by i.a within 1h having count() >= 3  alert desk }
            rule w3 { when i: I group by i.a within 2h having count() >= 2  alert desk }
            rule w4 { when i: I group by i.b within 1h having count() >= 2  alert desk }
            rule w5 { when i: I group by i.a within 1h having sum(i.n) >= 2  alert desk }
            rule w6 { when i: I group by i.a within 1h having count() >= 4  alert desk }
            "#,
        )])
        .expect("compiles");
        let (tables, slots) = tables(&program);
        let table_of = |r: usize| slots[r].map(|s| s.table);
        assert_eq!(table_of(0), table_of(1));
        assert_eq!(table_of(0), table_of(5));
        // Another span, another key, a value aggregate: tables of their own.
        for r in [2, 3, 4] {
            assert_ne!(table_of(r), table_of(0), "rule {r}");
        }
        assert_eq!(tables.len(), 4);
        assert_eq!(tables[table_of(0).unwrap_or(0)].rules, [0, 1, 5]);
    }
}
