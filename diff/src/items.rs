//! Item-by-item comparison: which items were added, removed, renamed or changed, and for a
//! changed item what changed in it, clause by clause.

use std::collections::{BTreeMap, BTreeSet};

use smol_str::SmolStr;

use super::exprs::{self, Focus, Step, align, conjuncts, focus};
use super::witness::{Search, Site};
use super::{ConditionChange, Detail, ItemChange, Report, SchemaChange, Side, Status, body_text};
use vigil_compiler::fmt::{alert_text, canonical_item, expr_text, string_text};
use vigil_compiler::syntax::ItemTag;
use vigil_compiler::syntax::ast::{self, Action, Expr, ItemKind, Pattern, RuleClause, StateClause};
use vigil_ir::Program;

type Key = (ItemTag, SmolStr);

pub(super) struct Cx<'a> {
    a: &'a Side,
    b: &'a Side,
    /// Per item (new key, or old key for a removed item), its change.
    changes: BTreeMap<(usize, SmolStr), ItemChange>,
    schema: Vec<SchemaChange>,
    conditions: Vec<ConditionChange>,
    /// Constants, functions, lists, zones, calendars and enums whose meaning changed.
    changed_names: BTreeSet<SmolStr>,
}

fn order(tag: ItemTag) -> usize {
    ItemTag::ALL
        .iter()
        .position(|t| *t == tag)
        .unwrap_or(usize::MAX)
}

/// `[x:] Type [by e]`, the head of an event match without its condition.
fn match_head(m: &ast::EventMatch) -> String {
    let mut out = String::new();
    if let Some(b) = &m.binding {
        out.push_str(&format!("{}: ", b.name));
    }
    out.push_str(&m.ty.name);
    out
}

fn match_text(m: &ast::EventMatch) -> String {
    let mut out = match_head(m);
    if let Some(by) = &m.by {
        out.push_str(&format!(" by {}", expr_text(by)));
    }
    if let Some(c) = &m.cond {
        out.push_str(&format!(" where {}", expr_text(c)));
    }
    out
}

fn action_text(a: &Action) -> String {
    match a {
        Action::Alert(al) => alert_text(al),
        Action::Emit(e) => {
            let fields: Vec<String> = e
                .fields
                .iter()
                .map(|f| format!("{}: {}", f.name.name, expr_text(&f.value)))
                .collect();
            let each = e
                .each
                .as_ref()
                .map(|each| format!(" for {} in {}", each.name.name, expr_text(&each.set)))
                .unwrap_or_default();
            format!("emit {} {{ {} }}{each}", e.ty.name, fields.join(", "))
        }
        Action::Start(w, _) => format!("start {}", w.name),
        Action::Set(s) => format!("set {} = {}", s.name.name, expr_text(&s.value)),
    }
}

fn pattern_text(p: &Pattern) -> String {
    match p {
        Pattern::Single(s) => {
            let mut out = format!("when {}", match_text(&s.event));
            if let Some(g) = &s.group {
                out.push_str(&format!(
                    " group by {} within {} having {}",
                    expr_text(&g.key),
                    expr_text(&g.within),
                    expr_text(&g.having)
                ));
            }
            out
        }
        Pattern::Sequence(s) => {
            let mut out = format!(
                "when sequence by {} within {}",
                s.key.name,
                expr_text(&s.within)
            );
            for (i, st) in s.steps.iter().enumerate() {
                out.push(' ');
                if i > 0 {
                    out.push_str("then ");
                }
                if st.absent {
                    out.push_str("not ");
                }
                out.push_str(&match_text(&st.event));
            }
            out
        }
    }
}

fn delay_text(d: &ast::Delay) -> String {
    match d {
        ast::Delay::Duration(e) => expr_text(e),
        ast::Delay::Workdays(n, _) => format!("{n} workdays"),
    }
}

/// `at › sub`, the path of a detail.
fn path(at: &str, sub: &str) -> String {
    if at.is_empty() {
        sub.to_string()
    } else {
        format!("{at} › {sub}")
    }
}

/// Every name an item refers to.
pub(super) fn item_names(item: &ast::Item, out: &mut BTreeSet<SmolStr>) {
    let e = |x: &Expr, out: &mut BTreeSet<SmolStr>| exprs::names(x, out);
    let actions = |acts: &[Action], out: &mut BTreeSet<SmolStr>| {
        for a in acts {
            match a {
                Action::Alert(al) => {
                    for u in &al.to {
                        e(u, out);
                    }
                    if let Some(sev) = &al.severity {
                        e(sev, out);
                    }
                    if let Some(m) = &al.message {
                        exprs::template_names(&m.raw, out);
                    }
                }
                Action::Emit(em) => {
                    out.insert(em.ty.name.clone());
                    if let Some(each) = &em.each {
                        exprs::names(&each.set, out);
                    }
                    for f in &em.fields {
                        exprs::names(&f.value, out);
                    }
                }
                Action::Start(w, _) => {
                    out.insert(w.name.clone());
                }
                Action::Set(s) => exprs::names(&s.value, out),
            }
        }
    };
    let after = |a: &ast::AfterClause, out: &mut BTreeSet<SmolStr>| {
        if let ast::Delay::Duration(d) = &a.delay {
            e(d, out);
        } else {
            // Working days come from the rule set's calendar.
            out.insert(SmolStr::new(CALENDAR));
        }
        if let Some(c) = &a.cond {
            e(c, out);
        }
        actions(&a.actions, out);
    };
    let event_match = |m: &ast::EventMatch, out: &mut BTreeSet<SmolStr>| {
        out.insert(m.ty.name.clone());
        if let Some(b) = &m.by {
            exprs::names(b, out);
        }
        if let Some(c) = &m.cond {
            exprs::names(c, out);
        }
    };
    match &item.kind {
        ItemKind::Const(c) => e(&c.value, out),
        ItemKind::Fn(f) => e(&f.body, out),
        ItemKind::List(l) => {
            if let ast::ListSource::Literal(x) = &l.source {
                e(x, out);
            }
        }
        ItemKind::Rule(r) => {
            for c in &r.clauses {
                match c {
                    RuleClause::When(Pattern::Single(s)) => {
                        event_match(&s.event, out);
                        if let Some(g) = &s.group {
                            e(&g.key, out);
                            e(&g.within, out);
                            e(&g.having, out);
                        }
                    }
                    RuleClause::When(Pattern::Sequence(s)) => {
                        e(&s.within, out);
                        for st in &s.steps {
                            event_match(&st.event, out);
                        }
                    }
                    RuleClause::Suppress(s) => {
                        if let Some(b) = &s.by {
                            e(b, out);
                        }
                        e(&s.duration, out);
                    }
                    RuleClause::Expires(x) => e(x, out),
                    RuleClause::Action(a) => actions(std::slice::from_ref(a), out),
                    RuleClause::Title(_)
                    | RuleClause::Severity(_)
                    | RuleClause::Tags(..)
                    | RuleClause::Mode(_) => {}
                }
            }
        }
        ItemKind::Workflow(w) => {
            for c in &w.clauses {
                match c {
                    ast::WorkflowClause::Start(m, _) => event_match(m, out),
                    ast::WorkflowClause::State(s) => {
                        for sc in &s.clauses {
                            match sc {
                                StateClause::OnEnter(a, _) => actions(a, out),
                                StateClause::On(t) => {
                                    event_match(&t.event, out);
                                    actions(&t.actions, out);
                                }
                                StateClause::After(a) => after(a, out),
                                StateClause::Await(a) => {
                                    for m in &a.items {
                                        event_match(m, out);
                                    }
                                    actions(&a.actions, out);
                                }
                            }
                        }
                    }
                    ast::WorkflowClause::After(a) => after(a, out),
                    ast::WorkflowClause::Var(v) => e(&v.init, out),
                    ast::WorkflowClause::Title(_) => {}
                }
            }
        }
        _ => {}
    }
}

/// Stands for "the rule set's calendar" among the names a workflow uses.
const CALENDAR: &str = "calendar";

/// A changed rule's names: the item's (the new one) and the rule's in each version, for its
/// conditions' sites.
struct RuleNames {
    item: SmolStr,
    old: SmolStr,
    new: SmolStr,
}

/// Where a compared condition is: its item, the place in the item (`when`, `step 2`...), and
/// its site in each version for the witness search.
struct Place<'p> {
    tag: ItemTag,
    item: &'p SmolStr,
    at: &'p str,
    sites: (Site, Site),
}

/// A state present in both versions of a workflow.
struct StatePair<'s> {
    /// The workflow's item name (the new one).
    item: &'s SmolStr,
    /// The workflow's name in each version, for its conditions' sites.
    workflows: (&'s SmolStr, &'s SmolStr),
    /// Where the state's details go: `state intake`.
    at: &'s str,
    old: &'s ast::State,
    new: &'s ast::State,
}

/// An event-driven transition with its index among the state's `on` and `await`.
struct Tr<'s> {
    index: usize,
    clause: &'s StateClause,
}

/// Each event-driven transition of `s` as (discriminator, occurrence, index).
fn transition_keys(s: &ast::State) -> Vec<(String, usize, usize)> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    let mut index = 0;
    for c in &s.clauses {
        let key = match c {
            StateClause::On(t) => format!("on {}", t.event.ty.name),
            StateClause::Await(_) => "await".to_string(),
            _ => continue,
        };
        let n = seen.entry(key.clone()).or_insert(0);
        out.push((key, *n, index));
        *n += 1;
        index += 1;
    }
    out
}

/// The event-driven transition of `s` at `index`.
fn clause_at(s: &ast::State, index: usize) -> Option<Tr<'_>> {
    s.clauses
        .iter()
        .filter(|c| matches!(c, StateClause::On(_) | StateClause::Await(_)))
        .nth(index)
        .map(|clause| Tr { index, clause })
}

/// The rest of an `await` in both versions, after its paired items: the items only one
/// version has, the target and the actions.
fn await_items(sub: &str, a: &ast::AwaitClause, b: &ast::AwaitClause, out: &mut Vec<Detail>) {
    for (k, x) in a.items.iter().enumerate().skip(b.items.len()) {
        out.push(Detail::removed(
            path(sub, &format!("item {}", k + 1)),
            "item",
            match_text(x),
        ));
    }
    for (k, y) in b.items.iter().enumerate().skip(a.items.len()) {
        out.push(Detail::added(
            path(sub, &format!("item {}", k + 1)),
            "item",
            match_text(y),
        ));
    }
    target_and_actions(sub, (&a.target, &a.actions), (&b.target, &b.actions), out);
}

/// A transition's target state and actions, in both versions.
fn target_and_actions(
    sub: &str,
    (old_target, old_actions): (&ast::Ident, &[Action]),
    (new_target, new_actions): (&ast::Ident, &[Action]),
    out: &mut Vec<Detail>,
) {
    scalar(
        out,
        sub,
        "target",
        Some(old_target.name.to_string()),
        Some(new_target.name.to_string()),
    );
    actions_details(sub, old_actions, new_actions, out);
}

/// A state's timers in both versions (`timers`).
fn state_timers(at: &str, s: &ast::State, t: &ast::State, out: &mut Vec<Detail>) {
    let of = |s: &ast::State| -> Vec<ast::AfterClause> {
        s.clauses
            .iter()
            .filter_map(|c| match c {
                StateClause::After(a) => Some(a.clone()),
                _ => None,
            })
            .collect()
    };
    timers(at, &of(s), &of(t), out);
}

/// Timers (of a state, or of the workflow), paired by kind (interrupting or not) and
/// occurrence: deadline, condition, target, actions.
fn timers(at: &str, xs: &[ast::AfterClause], ys: &[ast::AfterClause], out: &mut Vec<Detail>) {
    for interrupting in [true, false] {
        let pick = |v: &[ast::AfterClause]| -> Vec<ast::AfterClause> {
            v.iter()
                .filter(|a| a.target.is_some() == interrupting)
                .cloned()
                .collect()
        };
        let (px, py) = (pick(xs), pick(ys));
        for (k, (a, b)) in px.iter().zip(&py).enumerate() {
            let sub = path(at, &timer_label(interrupting, k, py.len()));
            let (d1, d2) = (delay_text(&a.delay), delay_text(&b.delay));
            if d1 != d2 {
                out.push(Detail::set(&sub, "deadline", d1, d2));
            }
            cond_details(&sub, a.cond.as_ref(), b.cond.as_ref(), out);
            let tgt = |a: &ast::AfterClause| a.target.as_ref().map(|t| t.name.to_string());
            scalar(out, &sub, "target", tgt(a), tgt(b));
            actions_details(&sub, &a.actions, &b.actions, out);
        }
        for (k, a) in px.iter().enumerate().skip(py.len()) {
            out.push(Detail::removed(
                path(at, &timer_label(interrupting, k, px.len())),
                "timer",
                after_text(a),
            ));
        }
        for (k, b) in py.iter().enumerate().skip(px.len()) {
            out.push(Detail::added(
                path(at, &timer_label(interrupting, k, py.len())),
                "timer",
                after_text(b),
            ));
        }
    }
}

/// A rule's settings, each shown when it changed: title, severity, mode, expiry, tags.
fn rule_settings(r: &ast::Rule, s: &ast::Rule, out: &mut Vec<Detail>) {
    let title = |r: &ast::Rule| {
        r.clauses.iter().find_map(|c| match c {
            RuleClause::Title(t) => Some(string_text(t)),
            _ => None,
        })
    };
    scalar(out, "", "title", title(r), title(s));
    let severity = |r: &ast::Rule| {
        r.clauses
            .iter()
            .find_map(|c| match c {
                RuleClause::Severity(s) => Some(expr_text(s)),
                _ => None,
            })
            .or_else(|| Some("medium (default)".into()))
    };
    scalar(out, "", "severity", severity(r), severity(s));
    let mode = |r: &ast::Rule| {
        r.clauses.iter().find_map(|c| match c {
            RuleClause::Mode(m) => Some(m.name.to_string()),
            _ => None,
        })
    };
    scalar(out, "", "mode", mode(r), mode(s));
    let expires = |r: &ast::Rule| {
        r.clauses.iter().find_map(|c| match c {
            RuleClause::Expires(e) => Some(expr_text(e)),
            _ => None,
        })
    };
    scalar(out, "", "expires", expires(r), expires(s));
    let tags = |r: &ast::Rule| {
        r.clauses.iter().find_map(|c| match c {
            RuleClause::Tags(t, _) => {
                Some(t.iter().map(string_text).collect::<Vec<_>>().join(", "))
            }
            _ => None,
        })
    };
    scalar(out, "", "tags", tags(r), tags(s));
}

/// What a rule does when it matches: its suppression, then its actions.
fn rule_effects(r: &ast::Rule, s: &ast::Rule, out: &mut Vec<Detail>) {
    let suppress = |r: &ast::Rule| {
        r.clauses.iter().find_map(|c| match c {
            RuleClause::Suppress(s) => Some(format!(
                "suppress{} for {}",
                s.by.as_ref()
                    .map(|b| format!(" by {}", expr_text(b)))
                    .unwrap_or_default(),
                expr_text(&s.duration)
            )),
            _ => None,
        })
    };
    scalar(out, "", "suppress", suppress(r), suppress(s));
    let actions = |r: &ast::Rule| -> Vec<Action> {
        r.clauses
            .iter()
            .filter_map(|c| match c {
                RuleClause::Action(a) => Some(a.clone()),
                _ => None,
            })
            .collect()
    };
    actions_details("", &actions(r), &actions(s), out);
}

impl<'a> Cx<'a> {
    pub(super) fn new(a: &'a Side, b: &'a Side) -> Cx<'a> {
        Cx {
            a,
            b,
            changes: BTreeMap::new(),
            schema: Vec::new(),
            conditions: Vec::new(),
            changed_names: BTreeSet::new(),
        }
    }

    pub(super) fn finish(self, report: &mut Report) {
        report.items = self.changes.into_values().collect();
        report.schema = self.schema;
        report.conditions = self.conditions;
    }

    fn record(&mut self, tag: ItemTag, name: &SmolStr, change: ItemChange) {
        self.changes.insert((order(tag), name.clone()), change);
    }

    pub(super) fn compare_items(&mut self) {
        let keys: BTreeSet<&Key> = self.a.items.keys().chain(self.b.items.keys()).collect();
        let mut removed: Vec<Key> = Vec::new();
        let mut added: Vec<Key> = Vec::new();
        let mut changed: Vec<Key> = Vec::new();
        let mut same: Vec<Key> = Vec::new();
        for k in keys {
            match (self.a.items.get(k), self.b.items.get(k)) {
                (Some(x), Some(y)) => {
                    if canonical_item(x) == canonical_item(y) {
                        same.push(k.clone());
                    } else {
                        changed.push(k.clone());
                    }
                }
                (Some(_), None) => removed.push(k.clone()),
                (None, Some(_)) => added.push(k.clone()),
                (None, None) => {}
            }
        }

        // Renames: a removed item whose body reappears under a new name.
        let mut renames: Vec<(Key, Key)> = Vec::new();
        for r in &removed {
            if r.0 == ItemTag::Timezone {
                continue;
            }
            let Some(old) = self.a.items.get(r) else {
                continue;
            };
            let body = body_text(old);
            let hit = added.iter().find(|k| {
                k.0 == r.0
                    && !renames.iter().any(|(_, n)| n == *k)
                    && self.b.items.get(*k).is_some_and(|n| body_text(n) == body)
            });
            if let Some(k) = hit {
                renames.push((r.clone(), k.clone()));
            }
        }
        removed.retain(|r| !renames.iter().any(|(o, _)| o == r));
        added.retain(|a| !renames.iter().any(|(_, n)| n == a));

        // What changed meaning, for the items that use it.
        let value_kinds = [
            ItemTag::Const,
            ItemTag::Fn,
            ItemTag::List,
            ItemTag::Map,
            ItemTag::Zone,
            ItemTag::Calendar,
            ItemTag::Enum,
        ];
        for k in changed
            .iter()
            .chain(&removed)
            .chain(renames.iter().map(|(o, _)| o))
        {
            if k.0 == ItemTag::List && self.same_list(&k.1) {
                continue;
            }
            if value_kinds.contains(&k.0) {
                self.changed_names.insert(k.1.clone());
                if k.0 == ItemTag::Calendar {
                    self.changed_names.insert(SmolStr::new(CALENDAR));
                }
            }
        }
        // Lists, zones and calendars whose text is the same but whose files changed.
        let mut contents: Vec<(Key, Vec<Detail>)> = Vec::new();
        for k in &same {
            let details = self.contents_details(k);
            if !details.is_empty() {
                self.changed_names.insert(k.1.clone());
                if k.0 == ItemTag::Calendar {
                    self.changed_names.insert(SmolStr::new(CALENDAR));
                }
                contents.push((k.clone(), details));
            }
        }
        // Constants and functions that use a changed one change too.
        loop {
            let mut grew = false;
            for k in &same {
                if !matches!(k.0, ItemTag::Const | ItemTag::Fn) || self.changed_names.contains(&k.1)
                {
                    continue;
                }
                let Some(item) = self.b.items.get(k) else {
                    continue;
                };
                if super::references(item)
                    .iter()
                    .any(|n| self.changed_names.contains(n))
                {
                    self.changed_names.insert(k.1.clone());
                    grew = true;
                }
            }
            if !grew {
                break;
            }
        }

        for k in &removed {
            self.added_or_removed(k, false);
        }
        for k in &added {
            self.added_or_removed(k, true);
        }
        for (o, n) in &renames {
            self.renamed(o, n);
        }
        for k in &changed {
            self.changed(k, k, Status::Changed);
        }
        for (k, details) in contents {
            let change = ItemChange {
                tag: k.0,
                name: k.1.clone(),
                status: Status::Changed,
                semantic: true,
                details,
                text: None,
            };
            self.record(k.0, &k.1, change);
        }
        for k in &same {
            if self.changes.contains_key(&(order(k.0), k.1.clone())) {
                continue;
            }
            let Some(item) = self.b.items.get(k) else {
                continue;
            };
            let via: Vec<SmolStr> = super::references(item)
                .into_iter()
                .filter(|n| self.changed_names.contains(n) && *n != k.1)
                .map(|n| self.display_name(n))
                .collect();
            if via.is_empty() {
                continue;
            }
            self.changed(k, k, Status::Affected { via });
        }
    }

    /// Whether list `name` has the same elements in both programs (a reordered literal list).
    fn same_list(&self, name: &str) -> bool {
        let (Some(pa), Some(pb)) = (&self.a.program, &self.b.program) else {
            return false;
        };
        let index = |p: &Program| {
            p.lists
                .iter()
                .position(|l| l.name == name)
                .and_then(|i| u32::try_from(i).ok())
        };
        match (index(pa), index(pb)) {
            (Some(i), Some(j)) => super::equiv::list_eq(pa, i, pb, j),
            _ => false,
        }
    }

    /// `calendar` stands for the rule set's calendar; show its name.
    fn display_name(&self, n: SmolStr) -> SmolStr {
        if n != CALENDAR {
            return n;
        }
        self.b
            .items
            .keys()
            .chain(self.a.items.keys())
            .find(|(t, _)| *t == ItemTag::Calendar)
            .map_or(n, |(_, name)| name.clone())
    }

    fn added_or_removed(&mut self, k: &Key, added: bool) {
        let side = if added { self.b } else { self.a };
        let Some(item) = side.items.get(k) else {
            return;
        };
        match &item.kind {
            ItemKind::Event(e) => self.schema.push(SchemaChange {
                item: e.name.name.clone(),
                tag: ItemTag::Event,
                change: if added {
                    "event added"
                } else {
                    "event removed"
                },
                member: None,
                old: None,
                new: None,
                breaking: !added,
            }),
            ItemKind::Enum(e) if !added => self.schema.push(SchemaChange {
                item: e.name.name.clone(),
                tag: ItemTag::Enum,
                change: "enum removed",
                member: None,
                old: None,
                new: None,
                breaking: true,
            }),
            _ => {}
        }
        let change = ItemChange {
            tag: k.0,
            name: k.1.clone(),
            status: if added {
                Status::Added
            } else {
                Status::Removed
            },
            semantic: semantic_kind(k.0),
            details: Vec::new(),
            // A test's text says nothing about behaviour; its name is enough.
            text: (k.0 != ItemTag::Test).then(|| canonical_item(item)),
        };
        self.record(k.0, &k.1, change);
    }

    fn renamed(&mut self, o: &Key, n: &Key) {
        if n.0 == ItemTag::Event {
            self.schema.push(SchemaChange {
                item: n.1.clone(),
                tag: ItemTag::Event,
                change: "event renamed",
                member: None,
                old: Some(o.1.to_string()),
                new: Some(n.1.to_string()),
                breaking: true,
            });
        }
        let change = ItemChange {
            tag: n.0,
            name: n.1.clone(),
            status: Status::Renamed { from: o.1.clone() },
            semantic: semantic_kind(n.0),
            details: Vec::new(),
            text: None,
        };
        self.record(n.0, &n.1, change);
    }

    /// A changed or affected item: its details by kind.
    fn changed(&mut self, ok: &Key, nk: &Key, status: Status) {
        let (Some(x), Some(y)) = (self.a.items.get(ok), self.b.items.get(nk)) else {
            return;
        };
        let (x, y) = (x.clone(), y.clone());
        let mut details = Vec::new();
        let mut semantic = semantic_kind(nk.0);
        match (&x.kind, &y.kind) {
            (ItemKind::Rule(r), ItemKind::Rule(s)) => {
                self.rule(r, s, &mut details);
                semantic = match (&self.a.program, &self.b.program) {
                    (Some(pa), Some(pb)) => match (
                        pa.rules.iter().find(|q| q.name == r.name.name),
                        pb.rules.iter().find(|q| q.name == s.name.name),
                    ) {
                        (Some(q1), Some(q2)) => !super::equiv::rule_eq(pa, q1, pb, q2),
                        _ => true,
                    },
                    _ => true,
                };
                if !semantic {
                    let mut d = Detail::new("", "meaning");
                    d.note = Some("unchanged (both versions lower to the same rule)".into());
                    details.push(d);
                }
            }
            (ItemKind::Workflow(v), ItemKind::Workflow(w)) => {
                self.workflow(v, w, &mut details);
                semantic = match (&self.a.program, &self.b.program) {
                    (Some(pa), Some(pb)) => match (
                        pa.workflows.iter().find(|q| q.name == v.name.name),
                        pb.workflows.iter().find(|q| q.name == w.name.name),
                    ) {
                        (Some(q1), Some(q2)) => !super::equiv::workflow_eq(pa, q1, pb, q2),
                        _ => true,
                    },
                    _ => true,
                };
                if !semantic {
                    let mut d = Detail::new("", "meaning");
                    d.note = Some("unchanged (both versions lower to the same workflow)".into());
                    details.push(d);
                }
            }
            (ItemKind::Event(e), ItemKind::Event(f)) => {
                self.event(e, f, &mut details);
                // Fields and variants are matched by name: their order means nothing.
                semantic = details.iter().any(|d| !d.what.ends_with(" order"));
            }
            (ItemKind::Enum(e), ItemKind::Enum(f)) => {
                self.enumeration(e, f, &mut details);
                semantic = details.iter().any(|d| !d.what.ends_with(" order"));
            }
            (ItemKind::Unit(u), ItemKind::Unit(v)) => unit(u, v, &mut details),
            (ItemKind::List(l), ItemKind::List(m)) => {
                list(l, m, &mut details);
                details.extend(self.contents_details(nk));
                if let (Some(pa), Some(pb)) = (&self.a.program, &self.b.program)
                    && let (Some(i), Some(j)) = (
                        pa.lists.iter().position(|q| q.name == l.name.name),
                        pb.lists.iter().position(|q| q.name == m.name.name),
                    )
                    && l.name.name == m.name.name
                {
                    let (i, j) = (
                        u32::try_from(i).unwrap_or(u32::MAX),
                        u32::try_from(j).unwrap_or(u32::MAX),
                    );
                    semantic = !super::equiv::list_eq(pa, i, pb, j);
                }
            }
            (ItemKind::Map(a), ItemKind::Map(b)) => {
                let source = |m: &ast::Map| match &m.source {
                    ast::MapSource::File(p) => Some(string_text(p)),
                    ast::MapSource::Literal(..) => None,
                };
                if source(a) != source(b) {
                    let shown =
                        |s: Option<String>| s.map_or("a literal".into(), |p| format!("file({p})"));
                    details.push(Detail::set(
                        "",
                        "source",
                        shown(source(a)),
                        shown(source(b)),
                    ));
                }
                if let (Some(pa), Some(pb)) = (&self.a.program, &self.b.program) {
                    map_entries(pa, pb, &a.name.name, &b.name.name, &mut details);
                    let index = |p: &Program, n: &str| {
                        p.maps
                            .iter()
                            .position(|m| m.name == n)
                            .and_then(|i| u32::try_from(i).ok())
                    };
                    if let (Some(i), Some(j)) = (index(pa, &a.name.name), index(pb, &b.name.name)) {
                        semantic =
                            a.name.name != b.name.name || !super::equiv::map_eq(pa, i, pb, j);
                    }
                }
            }
            (ItemKind::Zone(z), ItemKind::Zone(w))
            | (ItemKind::Calendar(z), ItemKind::Calendar(w)) => {
                if z.path.raw != w.path.raw {
                    details.push(Detail::set(
                        "",
                        "file",
                        string_text(&z.path),
                        string_text(&w.path),
                    ));
                }
                details.extend(self.contents_details(nk));
            }
            (ItemKind::Const(c), ItemKind::Const(d)) => {
                let ty = |c: &ast::Const| c.ty.as_ref().map(ToString::to_string);
                if ty(c) != ty(d) {
                    details.push(Detail::set(
                        "",
                        "type",
                        ty(c).unwrap_or_else(|| "(inferred)".into()),
                        ty(d).unwrap_or_else(|| "(inferred)".into()),
                    ));
                }
                let (t1, t2) = (expr_text(&c.value), expr_text(&d.value));
                if t1 != t2 {
                    details.push(Detail::set("", "value", t1, t2));
                }
            }
            (ItemKind::Fn(f), ItemKind::Fn(g)) => {
                let sig = |f: &ast::Fn| {
                    let params: Vec<String> = f
                        .params
                        .iter()
                        .map(|p| format!("{}: {}", p.name.name, p.ty))
                        .collect();
                    format!("({}) -> {}", params.join(", "), f.ret)
                };
                if sig(f) != sig(g) {
                    details.push(Detail::set("", "signature", sig(f), sig(g)));
                }
                let (t1, t2) = (expr_text(&f.body), expr_text(&g.body));
                if t1 != t2 {
                    details.push(Detail::set("", "body", t1, t2));
                }
            }
            (ItemKind::Timezone(t), ItemKind::Timezone(u)) => {
                details.push(Detail::set("", "timezone", string_text(t), string_text(u)));
            }
            (ItemKind::Test(_), ItemKind::Test(_)) => {
                // Line by line, the test's name left out.
                let lines = |i: &ast::Item| -> Vec<String> {
                    canonical_item(i)
                        .lines()
                        .skip(1)
                        .map(|l| l.trim().to_string())
                        .filter(|l| !l.is_empty() && l != "}")
                        .collect()
                };
                let (lx, ly) = (lines(&x), lines(&y));
                for step in align(&lx, &ly) {
                    match step {
                        Step::Same(..) => {}
                        Step::Removed(l) => details.push(Detail::removed("", "line", l.clone())),
                        Step::Added(l) => details.push(Detail::added("", "line", l.clone())),
                        Step::Changed(l, m) => {
                            details.push(Detail::set("", "line", l.clone(), m.clone()))
                        }
                    }
                }
            }
            _ => {}
        }
        let change = ItemChange {
            tag: nk.0,
            name: nk.1.clone(),
            status,
            semantic,
            details,
            text: None,
        };
        self.record(nk.0, &nk.1, change);
    }

    /// Differences in the files a list, zone or calendar reads (from the compiled programs).
    fn contents_details(&self, k: &Key) -> Vec<Detail> {
        let (Some(pa), Some(pb)) = (&self.a.program, &self.b.program) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match k.0 {
            ItemTag::List => {
                let (Some(l1), Some(l2)) = (
                    pa.lists.iter().find(|l| l.name == k.1),
                    pb.lists.iter().find(|l| l.name == k.1),
                ) else {
                    return out;
                };
                if l1.path.is_none() && l2.path.is_none() {
                    // A literal list: its text says what changed.
                    return out;
                }
                let show = |p: &Program, v: &vigil_ir::Value| value_text(p, &l1.elem, v);
                let before: BTreeSet<String> =
                    l1.values.items.iter().map(|v| show(pa, v)).collect();
                let after: BTreeSet<String> = l2.values.items.iter().map(|v| show(pb, v)).collect();
                let gone: Vec<&String> = before.difference(&after).collect();
                let new: Vec<&String> = after.difference(&before).collect();
                if !gone.is_empty() || !new.is_empty() {
                    let mut d = Detail::new("", "entries");
                    d.note = Some(format!(
                        "{} added, {} removed{}",
                        new.len(),
                        gone.len(),
                        sample(&new, &gone)
                    ));
                    out.push(d);
                }
            }
            ItemTag::Map if pa.maps.iter().any(|m| m.name == k.1 && m.path.is_some()) => {
                map_entries(pa, pb, &k.1, &k.1, &mut out);
            }
            ItemTag::Zone
                if pa.zones.iter().find(|z| z.name == k.1)
                    != pb.zones.iter().find(|z| z.name == k.1) =>
            {
                let mut d = Detail::new("", "polygons");
                d.note = Some("the zone's file changed".into());
                out.push(d);
            }
            ItemTag::Calendar => {
                if let (Some(c1), Some(c2)) = (&pa.calendar, &pb.calendar) {
                    let day = |(y, m, d): &(i16, i8, i8)| format!("{y:04}-{m:02}-{d:02}");
                    for (what, s1, s2) in [
                        ("holidays", &c1.holidays, &c2.holidays),
                        ("workdays", &c1.workdays, &c2.workdays),
                    ] {
                        let new: Vec<String> = s2.difference(s1).map(day).collect();
                        let gone: Vec<String> = s1.difference(s2).map(day).collect();
                        if !new.is_empty() || !gone.is_empty() {
                            let mut d = Detail::new("", what);
                            let (n, g): (Vec<&String>, Vec<&String>) =
                                (new.iter().collect(), gone.iter().collect());
                            d.note = Some(format!(
                                "{} added, {} removed{}",
                                new.len(),
                                gone.len(),
                                sample(&n, &g)
                            ));
                            out.push(d);
                        }
                    }
                }
            }
            _ => {}
        }
        out
    }

    // -----------------------------------------------------------------------------------------
    // Conditions

    /// Compares two conditions at `place`; registers the pair for the witness search when its
    /// text changed or it uses something whose meaning changed.
    fn condition(
        &mut self,
        out: &mut Vec<Detail>,
        place: Place<'_>,
        old: Option<&Expr>,
        new: Option<&Expr>,
    ) {
        let Place {
            tag,
            item,
            at,
            sites,
        } = place;
        let (to, tn) = (old.map(expr_text), new.map(expr_text));
        let index = self.conditions.len();
        let mut details = Vec::new();
        let mut names = BTreeSet::new();
        for e in old.iter().chain(new.iter()) {
            exprs::names(e, &mut names);
        }
        let via: Vec<SmolStr> = names
            .into_iter()
            .filter(|n| self.changed_names.contains(n))
            .collect();
        let changed = via
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if to == tn {
            if via.is_empty() {
                return;
            }
            let mut d = Detail::new(at, "condition");
            d.note = Some(format!("same text, but {changed} changed"));
            details.push(d);
        } else {
            cond_details(at, old, new, &mut details);
            if !via.is_empty() {
                let mut d = Detail::new(at, "condition");
                d.note = Some(format!("{changed} changed too"));
                details.push(d);
            }
        }
        for d in &mut details {
            d.condition = Some(index);
        }
        out.extend(details);
        self.conditions.push(ConditionChange {
            tag,
            item: item.clone(),
            at: at.to_string(),
            old_site: sites.0,
            new_site: sites.1,
            old: to,
            new: tn,
            via,
            equivalent: None,
            search: Search::Skipped(String::new()),
        });
    }

    /// Compares two event matches at `place`: the event type (or, for the same type, the
    /// binding's name), `by`, and the `where` condition.
    fn event_match(
        &mut self,
        out: &mut Vec<Detail>,
        place: Place<'_>,
        x: &ast::EventMatch,
        y: &ast::EventMatch,
    ) {
        let at = place.at;
        if x.ty.name != y.ty.name {
            out.push(Detail::set(at, "event", match_head(x), match_head(y)));
        } else {
            // Only the binding's name: no change in meaning, but shown.
            let b = |m: &ast::EventMatch| m.binding.as_ref().map(|b| b.name.to_string());
            scalar(out, at, "binding", b(x), b(y));
        }
        let by = |m: &ast::EventMatch| m.by.as_ref().map(expr_text);
        match (by(x), by(y)) {
            (a, b) if a == b => {}
            (None, Some(b)) => out.push(Detail::added(at, "by", b)),
            (Some(a), None) => out.push(Detail::removed(at, "by", a)),
            (Some(a), Some(b)) => out.push(Detail::set(at, "by", a, b)),
            (None, None) => {}
        }
        let where_at = path(at, "where");
        self.condition(
            out,
            Place {
                at: &where_at,
                ..place
            },
            x.cond.as_ref(),
            y.cond.as_ref(),
        );
    }

    // -----------------------------------------------------------------------------------------
    // Rules

    fn rule(&mut self, r: &ast::Rule, s: &ast::Rule, out: &mut Vec<Detail>) {
        rule_settings(r, s, out);
        let names = RuleNames {
            item: s.name.name.clone(),
            old: r.name.name.clone(),
            new: s.name.name.clone(),
        };
        let pattern = |r: &ast::Rule| -> Option<Pattern> {
            r.clauses.iter().find_map(|c| match c {
                RuleClause::When(p) => Some(p.clone()),
                _ => None,
            })
        };
        match (pattern(r), pattern(s)) {
            (Some(Pattern::Single(p)), Some(Pattern::Single(q))) => {
                self.single_pattern(&names, &p, &q, out);
            }
            (Some(Pattern::Sequence(p)), Some(Pattern::Sequence(q))) => {
                self.sequence_pattern(&names, &p, &q, out);
            }
            (p, q) => scalar(
                out,
                "",
                "when",
                p.as_ref().map(pattern_text),
                q.as_ref().map(pattern_text),
            ),
        }
        rule_effects(r, s, out);
    }

    /// A single-event pattern: its event match, then its group (window and `having`).
    fn single_pattern(
        &mut self,
        names: &RuleNames,
        p: &ast::SinglePattern,
        q: &ast::SinglePattern,
        out: &mut Vec<Detail>,
    ) {
        self.event_match(
            out,
            Place {
                tag: ItemTag::Rule,
                item: &names.item,
                at: "when",
                sites: (
                    Site::RuleWhere {
                        rule: names.old.clone(),
                    },
                    Site::RuleWhere {
                        rule: names.new.clone(),
                    },
                ),
            },
            &p.event,
            &q.event,
        );
        let group_text = |g: &ast::GroupClause| {
            format!(
                "group by {} within {} having {}",
                expr_text(&g.key),
                expr_text(&g.within),
                expr_text(&g.having)
            )
        };
        match (&p.group, &q.group) {
            (None, None) => {}
            (None, Some(g)) => out.push(Detail::added("when", "group", group_text(g))),
            (Some(g), None) => out.push(Detail::removed("when", "group", group_text(g))),
            (Some(g), Some(h)) => self.group(names, g, h, out),
        }
    }

    /// A group in both versions: its key, its window and its `having` condition.
    fn group(
        &mut self,
        names: &RuleNames,
        g: &ast::GroupClause,
        h: &ast::GroupClause,
        out: &mut Vec<Detail>,
    ) {
        scalar(
            out,
            "when",
            "group by",
            Some(expr_text(&g.key)),
            Some(expr_text(&h.key)),
        );
        let (w1, w2) = (expr_text(&g.within), expr_text(&h.within));
        if w1 != w2 {
            out.push(Detail::set("within", "window", w1, w2));
        }
        self.condition(
            out,
            Place {
                tag: ItemTag::Rule,
                item: &names.item,
                at: "having",
                sites: (
                    Site::RuleHaving {
                        rule: names.old.clone(),
                    },
                    Site::RuleHaving {
                        rule: names.new.clone(),
                    },
                ),
            },
            Some(&g.having),
            Some(&h.having),
        );
    }

    /// A sequence: its key and span, its steps paired by position, then the steps only one
    /// version has.
    fn sequence_pattern(
        &mut self,
        names: &RuleNames,
        p: &ast::SequencePattern,
        q: &ast::SequencePattern,
        out: &mut Vec<Detail>,
    ) {
        if p.key.name != q.key.name {
            out.push(Detail::set(
                "sequence",
                "key",
                p.key.name.to_string(),
                q.key.name.to_string(),
            ));
        }
        let (w1, w2) = (expr_text(&p.within), expr_text(&q.within));
        if w1 != w2 {
            out.push(Detail::set("sequence", "span", w1, w2));
        }
        for (i, (st, su)) in p.steps.iter().zip(&q.steps).enumerate() {
            let at = format!("step {}", i + 1);
            if st.absent != su.absent {
                let word = |a: bool| if a { "absence" } else { "event" }.to_string();
                out.push(Detail::set(&at, "kind", word(st.absent), word(su.absent)));
            }
            let site = |rule: &SmolStr| Site::SequenceStep {
                rule: rule.clone(),
                step: i,
            };
            self.event_match(
                out,
                Place {
                    tag: ItemTag::Rule,
                    item: &names.item,
                    at: &at,
                    sites: (site(&names.old), site(&names.new)),
                },
                &st.event,
                &su.event,
            );
        }
        let step_text = |st: &ast::Step| {
            format!(
                "then {}{}",
                if st.absent { "not " } else { "" },
                match_text(&st.event)
            )
        };
        for (i, st) in p.steps.iter().enumerate().skip(q.steps.len()) {
            out.push(Detail::removed(
                format!("step {}", i + 1),
                "step",
                step_text(st),
            ));
        }
        for (i, st) in q.steps.iter().enumerate().skip(p.steps.len()) {
            out.push(Detail::added(
                format!("step {}", i + 1),
                "step",
                step_text(st),
            ));
        }
    }

    // -----------------------------------------------------------------------------------------
    // Workflows

    fn workflow(&mut self, v: &ast::Workflow, w: &ast::Workflow, out: &mut Vec<Detail>) {
        let name = w.name.name.clone();
        let (vn, wn) = (v.name.name.clone(), w.name.name.clone());
        let title = |w: &ast::Workflow| {
            w.clauses.iter().find_map(|c| match c {
                ast::WorkflowClause::Title(t) => Some(string_text(t)),
                _ => None,
            })
        };
        scalar(out, "", "title", title(v), title(w));
        let start = |w: &ast::Workflow| {
            w.clauses.iter().find_map(|c| match c {
                ast::WorkflowClause::Start(m, _) => Some(m.clone()),
                _ => None,
            })
        };
        match (start(v), start(w)) {
            (Some(x), Some(y)) => self.event_match(
                out,
                Place {
                    tag: ItemTag::Workflow,
                    item: &name,
                    at: "start on",
                    sites: (
                        Site::WorkflowStart {
                            workflow: vn.clone(),
                        },
                        Site::WorkflowStart {
                            workflow: wn.clone(),
                        },
                    ),
                },
                &x,
                &y,
            ),
            (x, y) => scalar(
                out,
                "",
                "start on",
                x.as_ref().map(match_text),
                y.as_ref().map(match_text),
            ),
        }
        let states = |w| {
            clauses_of(w, |c| match c {
                ast::WorkflowClause::State(s) => Some(s),
                _ => None,
            })
        };
        let (sv, sw) = (states(v), states(w));
        let first = |s: &[ast::State]| s.first().map(|s| s.name.name.to_string());
        scalar(out, "", "initial state", first(&sv), first(&sw));
        let vars = |w| {
            clauses_of(w, |c| match c {
                ast::WorkflowClause::Var(v) => Some(v),
                _ => None,
            })
        };
        let var_text =
            |v: &ast::VarDecl| format!("var {}: {} = {}", v.name.name, v.ty, expr_text(&v.init));
        let (vv, vw) = (vars(v), vars(w));
        for x in &vv {
            match vw.iter().find(|y| y.name.name == x.name.name) {
                None => out.push(Detail::removed("", "variable", var_text(x))),
                Some(y) if var_text(x) != var_text(y) => out.push(Detail::set(
                    format!("var {}", x.name.name),
                    "declaration",
                    var_text(x),
                    var_text(y),
                )),
                Some(_) => {}
            }
        }
        for y in vw
            .iter()
            .filter(|y| !vv.iter().any(|x| x.name.name == y.name.name))
        {
            out.push(Detail::added("", "variable", var_text(y)));
        }
        let workflow_timers = |w| {
            clauses_of(w, |c| match c {
                ast::WorkflowClause::After(a) => Some(a),
                _ => None,
            })
        };
        timers(
            "workflow-level",
            &workflow_timers(v),
            &workflow_timers(w),
            out,
        );
        let state_line = |s: &ast::State| {
            format!(
                "{} {}",
                if s.is_final { "final" } else { "state" },
                s.name.name
            )
        };
        for s in &sv {
            if !sw.iter().any(|t| t.name.name == s.name.name) {
                out.push(Detail::removed("", "state", state_line(s)));
            }
        }
        for t in &sw {
            let at = format!("state {}", t.name.name);
            let Some(s) = sv.iter().find(|s| s.name.name == t.name.name) else {
                out.push(Detail::added("", "state", state_line(t)));
                continue;
            };
            if s.is_final != t.is_final {
                out.push(Detail::set(&at, "kind", state_line(s), state_line(t)));
            }
            self.state(out, &name, (&vn, &wn), &at, s, t);
        }
    }

    fn state(
        &mut self,
        out: &mut Vec<Detail>,
        name: &SmolStr,
        workflows: (&SmolStr, &SmolStr),
        at: &str,
        s: &ast::State,
        t: &ast::State,
    ) {
        let on_enter = |s: &ast::State| -> Vec<Action> {
            s.clauses
                .iter()
                .filter_map(|c| match c {
                    StateClause::OnEnter(a, _) => Some(a.clone()),
                    _ => None,
                })
                .flatten()
                .collect()
        };
        actions_details(&path(at, "on enter"), &on_enter(s), &on_enter(t), out);
        let pair = StatePair {
            item: name,
            workflows,
            at,
            old: s,
            new: t,
        };
        self.transitions(out, &pair);
        state_timers(at, s, t, out);
    }

    /// Event-driven transitions, paired by discriminator (`on T`, `await`) and occurrence.
    fn transitions(&mut self, out: &mut Vec<Detail>, pair: &StatePair<'_>) {
        let (s, t, at) = (pair.old, pair.new, pair.at);
        let (ts, tt) = (transition_keys(s), transition_keys(t));
        for (key, n, i) in &ts {
            if !tt.iter().any(|(k, m, _)| k == key && m == n)
                && let Some(tr) = clause_at(s, *i)
            {
                out.push(Detail::removed(
                    path(at, key),
                    "transition",
                    state_clause_text(tr.clause),
                ));
            }
        }
        for (key, m, j) in &tt {
            let Some(tr_new) = clause_at(t, *j) else {
                continue;
            };
            let sub = path(at, key);
            let Some((_, _, i)) = ts.iter().find(|(k, n, _)| k == key && n == m) else {
                out.push(Detail::added(
                    sub,
                    "transition",
                    state_clause_text(tr_new.clause),
                ));
                continue;
            };
            let Some(tr_old) = clause_at(s, *i) else {
                continue;
            };
            self.transition(out, pair, &sub, (&tr_old, &tr_new));
        }
    }

    /// A transition in both versions, at `sub`: its guards, quorum, target and actions.
    fn transition(
        &mut self,
        out: &mut Vec<Detail>,
        pair: &StatePair<'_>,
        sub: &str,
        (tr_old, tr_new): (&Tr<'_>, &Tr<'_>),
    ) {
        let (name, workflows, s, t) = (pair.item, pair.workflows, pair.old, pair.new);
        let site = |w: &SmolStr, st: &ast::State, index: usize, item: usize| Site::Trigger {
            workflow: w.clone(),
            state: st.name.name.clone(),
            transition: index,
            item,
        };
        match (tr_old.clause, tr_new.clause) {
            (StateClause::On(a), StateClause::On(b)) => {
                self.event_match(
                    out,
                    Place {
                        tag: ItemTag::Workflow,
                        item: name,
                        at: sub,
                        sites: (
                            site(workflows.0, s, tr_old.index, 0),
                            site(workflows.1, t, tr_new.index, 0),
                        ),
                    },
                    &a.event,
                    &b.event,
                );
                target_and_actions(sub, (&a.target, &a.actions), (&b.target, &b.actions), out);
            }
            (StateClause::Await(a), StateClause::Await(b)) => {
                let quorum = |q: &ast::Quorum| match q {
                    ast::Quorum::All => "all".to_string(),
                    ast::Quorum::Any(k, _) => format!("any {k}"),
                };
                scalar(
                    out,
                    sub,
                    "quorum",
                    Some(quorum(&a.quorum)),
                    Some(quorum(&b.quorum)),
                );
                for (k, (x, y)) in a.items.iter().zip(&b.items).enumerate() {
                    self.event_match(
                        out,
                        Place {
                            tag: ItemTag::Workflow,
                            item: name,
                            at: &path(sub, &format!("item {}", k + 1)),
                            sites: (
                                site(workflows.0, s, tr_old.index, k),
                                site(workflows.1, t, tr_new.index, k),
                            ),
                        },
                        x,
                        y,
                    );
                }
                await_items(sub, a, b, out);
            }
            _ => {}
        }
    }

    // -----------------------------------------------------------------------------------------
    // Schema

    fn event(&mut self, e: &ast::Event, f: &ast::Event, out: &mut Vec<Detail>) {
        let name = f.name.name.clone();
        let mut push = |cx: &mut Cx<'_>,
                        change: &'static str,
                        member: &SmolStr,
                        old: Option<String>,
                        new: Option<String>,
                        breaking: bool| {
            // Added and removed fields read "field added: region: str?"; the others
            // "field region: str? → str".
            let (what, o, n) = match change {
                "field added" | "field removed" => (
                    "field".to_string(),
                    old.as_ref().map(|t| format!("{member}: {t}")),
                    new.as_ref().map(|t| format!("{member}: {t}")),
                ),
                _ => (format!("field {member}"), old.clone(), new.clone()),
            };
            out.push(Detail {
                old: o,
                new: n,
                breaking: Some(breaking),
                ..Detail::new("", what)
            });
            cx.schema.push(SchemaChange {
                item: name.clone(),
                tag: ItemTag::Event,
                change,
                member: Some(member.clone()),
                old,
                new,
                breaking,
            });
        };
        for a in &e.fields {
            match f.fields.iter().find(|b| b.name.name == a.name.name) {
                None => push(
                    self,
                    "field removed",
                    &a.name.name,
                    Some(a.ty.to_string()),
                    None,
                    true,
                ),
                Some(b) => {
                    let (ta, tb) = (a.ty.to_string(), b.ty.to_string());
                    let base = |t: &ast::TypeExpr| {
                        let mut t = t.clone();
                        t.optional = false;
                        t.to_string()
                    };
                    if base(&a.ty) != base(&b.ty) {
                        push(self, "type changed", &a.name.name, Some(ta), Some(tb), true);
                    } else if a.ty.optional && !b.ty.optional {
                        push(self, "now required", &a.name.name, Some(ta), Some(tb), true);
                    } else if !a.ty.optional && b.ty.optional {
                        push(
                            self,
                            "now optional",
                            &a.name.name,
                            Some(ta),
                            Some(tb),
                            false,
                        );
                    }
                }
            }
        }
        for b in &f.fields {
            if !e.fields.iter().any(|a| a.name.name == b.name.name) {
                // Producers that do not send a new required field have their events rejected.
                let breaking = !b.ty.optional;
                push(
                    self,
                    "field added",
                    &b.name.name,
                    None,
                    Some(b.ty.to_string()),
                    breaking,
                );
            }
        }
        let names = |e: &ast::Event| -> Vec<SmolStr> {
            e.fields.iter().map(|x| x.name.name.clone()).collect()
        };
        let common = |x: &[SmolStr], y: &[SmolStr]| -> Vec<SmolStr> {
            x.iter().filter(|n| y.contains(n)).cloned().collect()
        };
        let (ne, nf) = (names(e), names(f));
        if common(&ne, &nf) != common(&nf, &ne) {
            out.push(Detail {
                breaking: Some(false),
                ..Detail::set("", "field order", ne.join(", "), nf.join(", "))
            });
        }
    }

    fn enumeration(&mut self, e: &ast::Enum, f: &ast::Enum, out: &mut Vec<Detail>) {
        let name = f.name.name.clone();
        let (ve, vf): (Vec<SmolStr>, Vec<SmolStr>) = (
            e.variants.iter().map(|v| v.name.clone()).collect(),
            f.variants.iter().map(|v| v.name.clone()).collect(),
        );
        for v in &ve {
            if !vf.contains(v) {
                out.push(Detail {
                    breaking: Some(true),
                    ..Detail::removed("", "variant", v.to_string())
                });
                self.schema.push(SchemaChange {
                    item: name.clone(),
                    tag: ItemTag::Enum,
                    change: "variant removed",
                    member: Some(v.clone()),
                    old: Some(v.to_string()),
                    new: None,
                    breaking: true,
                });
            }
        }
        for v in &vf {
            if !ve.contains(v) {
                out.push(Detail {
                    breaking: Some(false),
                    ..Detail::added("", "variant", v.to_string())
                });
                self.schema.push(SchemaChange {
                    item: name.clone(),
                    tag: ItemTag::Enum,
                    change: "variant added",
                    member: Some(v.clone()),
                    old: None,
                    new: Some(v.to_string()),
                    breaking: false,
                });
            }
        }
        let kept = |x: &[SmolStr], y: &[SmolStr]| -> Vec<SmolStr> {
            x.iter().filter(|n| y.contains(n)).cloned().collect()
        };
        if kept(&ve, &vf) != kept(&vf, &ve) {
            out.push(Detail {
                breaking: Some(false),
                ..Detail::set("", "variant order", ve.join(", "), vf.join(", "))
            });
        }
    }
}

/// The clauses of one kind of workflow `w`, in source order.
fn clauses_of<T: Clone>(
    w: &ast::Workflow,
    pick: impl Fn(&ast::WorkflowClause) -> Option<&T>,
) -> Vec<T> {
    w.clauses.iter().filter_map(|c| pick(c).cloned()).collect()
}

fn timer_label(interrupting: bool, k: usize, count: usize) -> String {
    let base = if interrupting {
        "after"
    } else {
        "after (escalation)"
    };
    if count > 1 {
        format!("{base} #{}", k + 1)
    } else {
        base.to_string()
    }
}

fn after_text(a: &ast::AfterClause) -> String {
    let mut out = format!("after {}", delay_text(&a.delay));
    if let Some(c) = &a.cond {
        out.push_str(&format!(" where {}", expr_text(c)));
    }
    if let Some(t) = &a.target {
        out.push_str(&format!(" -> {}", t.name));
    }
    for act in &a.actions {
        out.push(' ');
        out.push_str(&action_text(act));
    }
    out
}

fn state_clause_text(c: &StateClause) -> String {
    match c {
        StateClause::OnEnter(a, _) => {
            let acts: Vec<String> = a.iter().map(action_text).collect();
            format!("on enter {}", acts.join(" "))
        }
        StateClause::On(t) => {
            let mut out = format!("on {} -> {}", match_text(&t.event), t.target.name);
            for a in &t.actions {
                out.push(' ');
                out.push_str(&action_text(a));
            }
            out
        }
        StateClause::After(a) => after_text(a),
        StateClause::Await(a) => {
            let quorum = match a.quorum {
                ast::Quorum::All => "all".to_string(),
                ast::Quorum::Any(k, _) => format!("any {k}"),
            };
            let items: Vec<String> = a.items.iter().map(match_text).collect();
            format!(
                "await {quorum} of {} -> {}",
                items.join(", "),
                a.target.name
            )
        }
    }
}

/// A clause with one value on each side (absent on a side: added or removed).
fn scalar(out: &mut Vec<Detail>, at: &str, what: &str, old: Option<String>, new: Option<String>) {
    out.push(match (old, new) {
        (o, n) if o == n => return,
        (Some(o), Some(n)) => Detail::set(at, what, o, n),
        (None, Some(n)) => Detail::added(at, what, n),
        (Some(o), None) => Detail::removed(at, what, o),
        (None, None) => return,
    });
}

/// The details of a changed condition (its text differs).
fn cond_details(at: &str, old: Option<&Expr>, new: Option<&Expr>, out: &mut Vec<Detail>) {
    match (old, new) {
        (None, None) => {}
        (None, Some(n)) => out.push(Detail::added(at, "condition", expr_text(n))),
        (Some(o), None) => out.push(Detail::removed(at, "condition", expr_text(o))),
        (Some(o), Some(n)) => {
            // Each clause with its text, which is what the clauses are aligned by.
            let co: Vec<(String, &Expr)> = conjuncts(o)
                .into_iter()
                .map(|c| (expr_text(c), c))
                .collect();
            let cn: Vec<(String, &Expr)> = conjuncts(n)
                .into_iter()
                .map(|c| (expr_text(c), c))
                .collect();
            for step in exprs::align_by(&co, &cn, |a, b| a.0 == b.0) {
                match step {
                    Step::Same(..) => {}
                    Step::Removed((to, _)) => {
                        out.push(Detail::removed(at, "clause", to.clone()));
                    }
                    Step::Added((tn, _)) => out.push(Detail::added(at, "clause", tn.clone())),
                    Step::Changed((to, x), (tn, y)) => {
                        let context = Some((to.clone(), tn.clone()));
                        out.push(match focus(x, y) {
                            Focus::Part { what, old, new } => Detail {
                                context,
                                ..Detail::set(at, what, old, new)
                            },
                            Focus::Operator { old, new } => Detail {
                                context,
                                ..Detail::set(at, "operator", old, new)
                            },
                            Focus::Whole => Detail::set(at, "clause", to.clone(), tn.clone()),
                        });
                    }
                }
            }
        }
    }
}

/// Actions compared by kind: alerts in order (units, severity, message), emits by event
/// type, starts by workflow.
fn actions_details(at: &str, old: &[Action], new: &[Action], out: &mut Vec<Detail>) {
    let alerts = |v: &[Action]| -> Vec<ast::AlertAction> {
        v.iter()
            .filter_map(|a| match a {
                Action::Alert(al) => Some(al.clone()),
                _ => None,
            })
            .collect()
    };
    let (ao, an) = (alerts(old), alerts(new));
    let many = ao.len().max(an.len()) > 1;
    let alert_at = |k: usize| {
        let label = if many {
            format!("alert #{}", k + 1)
        } else {
            "alert".to_string()
        };
        path(at, &label)
    };
    for (k, (x, y)) in ao.iter().zip(&an).enumerate() {
        let a = alert_at(k);
        // A recipient is a unit by name, or an expression (SPEC v0.2) compared as written.
        let recipients = |al: &ast::AlertAction| -> Vec<(String, &'static str)> {
            al.to
                .iter()
                .map(|r| {
                    let what = match &r.kind {
                        ast::ExprKind::Name(_) => "unit",
                        _ => "recipient",
                    };
                    (expr_text(r), what)
                })
                .collect()
        };
        let (ro, rn) = (recipients(x), recipients(y));
        for (u, what) in &ro {
            if !rn.iter().any(|(v, _)| v == u) {
                out.push(Detail::removed(&a, *what, u.clone()));
            }
        }
        for (u, what) in &rn {
            if !ro.iter().any(|(v, _)| v == u) {
                out.push(Detail::added(&a, *what, u.clone()));
            }
        }
        let (uo, un): (Vec<&str>, Vec<&str>) = (
            ro.iter().map(|(u, _)| u.as_str()).collect(),
            rn.iter().map(|(u, _)| u.as_str()).collect(),
        );
        if uo != un && uo.len() == un.len() && uo.iter().all(|u| un.contains(u)) {
            out.push(Detail::set(&a, "unit order", uo.join(", "), un.join(", ")));
        }
        let sev = |al: &ast::AlertAction| al.severity.as_ref().map(expr_text);
        match (sev(x), sev(y)) {
            (p, q) if p == q => {}
            (None, Some(q)) => out.push(Detail::added(&a, "severity", q)),
            (Some(p), None) => out.push(Detail::removed(&a, "severity", p)),
            (Some(p), Some(q)) => out.push(Detail::set(&a, "severity", p, q)),
            (None, None) => {}
        }
        let msg = |al: &ast::AlertAction| al.message.as_ref().map(string_text);
        match (msg(x), msg(y)) {
            (p, q) if p == q => {}
            (None, Some(q)) => out.push(Detail::added(&a, "message", q)),
            (Some(p), None) => out.push(Detail::removed(&a, "message", p)),
            (Some(p), Some(q)) => out.push(Detail::set(&a, "message", p, q)),
            (None, None) => {}
        }
    }
    for (k, x) in ao.iter().enumerate().skip(an.len()) {
        out.push(Detail::removed(alert_at(k), "action", alert_text(x)));
    }
    for (k, y) in an.iter().enumerate().skip(ao.len()) {
        out.push(Detail::added(alert_at(k), "action", alert_text(y)));
    }
    // Emits and starts: by their text, as sets.
    let others = |v: &[Action]| -> Vec<String> {
        v.iter()
            .filter(|a| !matches!(a, Action::Alert(_)))
            .map(action_text)
            .collect()
    };
    let (oo, on) = (others(old), others(new));
    for step in align(&oo, &on) {
        match step {
            Step::Same(..) => {}
            Step::Removed(a) => out.push(Detail::removed(at, "action", a.clone())),
            Step::Added(b) => out.push(Detail::added(at, "action", b.clone())),
            Step::Changed(a, b) => out.push(Detail::set(at, "action", a.clone(), b.clone())),
        }
    }
}

fn unit(u: &ast::Unit, v: &ast::Unit, out: &mut Vec<Detail>) {
    scalar(
        out,
        "",
        "display name",
        u.display.as_ref().map(string_text),
        v.display.as_ref().map(string_text),
    );
    let sees = |u: &ast::Unit| -> Vec<String> {
        u.sees
            .iter()
            .flatten()
            .flat_map(|s| {
                s.fields
                    .iter()
                    .map(|f| format!("{}.{}", s.event.name, f.name))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (a, b) = (sees(u), sees(v));
    let everything = |u: &ast::Unit| u.sees.as_ref().is_none_or(Vec::is_empty);
    if everything(u) != everything(v) {
        let word = |u: &ast::Unit| {
            if everything(u) {
                "every field".to_string()
            } else {
                sees(u).join(", ")
            }
        };
        out.push(Detail::set("sees", "fields", word(u), word(v)));
        return;
    }
    for f in &a {
        if !b.contains(f) {
            out.push(Detail::removed("sees", "field", f.clone()));
        }
    }
    for f in &b {
        if !a.contains(f) {
            out.push(Detail::added("sees", "field", f.clone()));
        }
    }
}

fn list(l: &ast::List, m: &ast::List, out: &mut Vec<Detail>) {
    match (&l.source, &m.source) {
        (ast::ListSource::Literal(x), ast::ListSource::Literal(y)) => {
            let elems = |e: &Expr| -> Vec<String> {
                match &e.kind {
                    ast::ExprKind::Set(xs) => xs.iter().map(expr_text).collect(),
                    _ => vec![expr_text(e)],
                }
            };
            let (a, b) = (elems(x), elems(y));
            for v in &a {
                if !b.contains(v) {
                    out.push(Detail::removed("", "element", v.clone()));
                }
            }
            for v in &b {
                if !a.contains(v) {
                    out.push(Detail::added("", "element", v.clone()));
                }
            }
            if out.is_empty() && a != b {
                out.push(Detail::set("", "order", a.join(", "), b.join(", ")));
            }
        }
        (ast::ListSource::File(p), ast::ListSource::File(q)) => {
            if p.raw != q.raw {
                out.push(Detail::set("", "file", string_text(p), string_text(q)));
            }
        }
        (x, y) => {
            let text = |s: &ast::ListSource| match s {
                ast::ListSource::File(p) => format!("file({})", string_text(p)),
                ast::ListSource::Literal(e) => expr_text(e),
            };
            out.push(Detail::set("", "source", text(x), text(y)));
        }
    }
}

/// A map's entries compared by key, from the compiled programs (SPEC v0.2): each entry added,
/// removed or given another value, and a change of the key or value type.
fn map_entries(pa: &Program, pb: &Program, a: &str, b: &str, out: &mut Vec<Detail>) {
    let (Some(m1), Some(m2)) = (
        pa.maps.iter().find(|m| m.name == a),
        pb.maps.iter().find(|m| m.name == b),
    ) else {
        return;
    };
    if (&m1.key, &m1.value) != (&m2.key, &m2.value) {
        out.push(Detail::set(
            "",
            "type",
            format!("{} -> {}", m1.key, m1.value),
            format!("{} -> {}", m2.key, m2.value),
        ));
        return;
    }
    let show = |p: &Program, ty: &vigil_ir::Ty, v: &vigil_ir::Value| {
        let mut o = String::new();
        let style = vigil_ir::text::LiteralStyle {
            tz: &p.time_zone(),
            qualified_enums: false,
        };
        vigil_ir::text::write_literal(&mut o, p, style, ty, v);
        o
    };
    let entries = |p: &Program, m: &vigil_ir::MapDef| -> BTreeMap<String, String> {
        m.entries
            .entries
            .iter()
            .map(|(k, v)| (show(p, &m.key, k), show(p, &m.value, v)))
            .collect()
    };
    let (before, after) = (entries(pa, m1), entries(pb, m2));
    for (k, v) in &before {
        match after.get(k) {
            None => out.push(Detail::removed("", "entry", format!("{k}: {v}"))),
            Some(w) if w != v => {
                out.push(Detail::set("", format!("entry {k}"), v.clone(), w.clone()))
            }
            Some(_) => {}
        }
    }
    for (k, w) in &after {
        if !before.contains_key(k) {
            out.push(Detail::added("", "entry", format!("{k}: {w}")));
        }
    }
}

/// Whether adding, removing or renaming an item of this kind changes what the rule set does.
fn semantic_kind(tag: ItemTag) -> bool {
    !matches!(tag, ItemTag::Test | ItemTag::Const | ItemTag::Fn)
}

/// A list value as text: strings as they are, enum values by name.
fn value_text(p: &Program, elem: &vigil_ir::Ty, v: &vigil_ir::Value) -> String {
    use vigil_ir::Value;
    match (elem, v) {
        (vigil_ir::Ty::Enum(name), Value::Enum(i)) => {
            super::equiv::variant(p, name, *i).map_or_else(|| i.to_string(), ToString::to_string)
        }
        (_, Value::Str(s)) => s.to_string(),
        (_, Value::Int(i)) => i.to_string(),
        (_, other) => format!("{other:?}"),
    }
}

fn sample(new: &[&String], gone: &[&String]) -> String {
    let list = |v: &[&String]| -> String {
        let mut parts: Vec<String> = v.iter().take(3).map(|s| s.to_string()).collect();
        if v.len() > 3 {
            parts.push(format!("… {} more", v.len() - 3));
        }
        parts.join(", ")
    };
    let mut parts = Vec::new();
    if !new.is_empty() {
        parts.push(format!("added {}", list(new)));
    }
    if !gone.is_empty() {
        parts.push(format!("removed {}", list(gone)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}
