//! The IR as text, Cranelift-style: what `vigil build --emit ir` prints, what the IR file
//! tests compare, and what persisted identities are digests of.
//!
//! The text is canonical: it names things (event types, fields, lists, units, states) rather
//! than numbering them, prints expressions as trees rather than arena entries, and leaves out
//! spans and source positions, so reformatting a file or inserting a field elsewhere in an
//! event type does not change it. Times print in UTC, durations as literals (`1h30m`).
//!
//! Each rule and workflow has a *state part*: the lines that decide what state it keeps
//! (a rule's pattern and suppression; a workflow's start, states, transitions and timers).
//! [`rule_identity`] and [`workflow_identity`] hash exactly those lines, so a restored snapshot
//! keeps a rule's windows and partial matches when, and only when, that part is unchanged.
//! Changing what this module prints changes every identity: bump `SNAPSHOT_FORMAT` in the
//! runtime with it, and say what happens to older checkpoints.

use std::fmt::Write;

use sha2::{Digest, Sha256};

use crate::{
    Action, Delay, EventTypeId, ExprArena, ExprId, Node, Pattern, Program, Recipient, Rule,
    SeverityOf, StateDef, StateId, Template, TemplatePart, Timer, Transition, Trigger, Ty, Value,
    VarDef, Workflow, time,
};

/// A SHA-256 digest of a canonical text.
pub type Identity = [u8; 32];

/// The whole program as text.
pub fn program(p: &Program) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "ruleset {}", p.fingerprint);
    let _ = writeln!(o, "timezone {}", quoted(&p.timezone));
    for e in &p.enums {
        let _ = writeln!(o, "enum {} {{ {} }}", e.name, e.variants.join(", "));
    }
    for e in &p.events {
        let fields: Vec<String> = e
            .fields
            .iter()
            .map(|f| format!("{}: {}{}", f.name, f.ty, if f.optional { "?" } else { "" }))
            .collect();
        let _ = writeln!(o, "event {} {{ {} }}", e.name, fields.join(", "));
    }
    for u in &p.units {
        let _ = write!(o, "unit {}", u.name);
        if let Some(d) = &u.display {
            let _ = write!(o, " {}", quoted(d));
        }
        if let Some(sees) = &u.sees {
            let parts: Vec<String> = sees
                .iter()
                .map(|(ty, fields)| {
                    let names: Vec<&str> = fields.iter().map(|f| field_name(p, *ty, *f)).collect();
                    format!("{}.{{{}}}", event_name(p, *ty), names.join(", "))
                })
                .collect();
            let _ = write!(o, " sees {}", parts.join(", "));
        }
        o.push('\n');
    }
    for l in &p.lists {
        let _ = write!(o, "list {}: set<{}> = ", l.name, l.elem);
        let set = Value::Set(l.values.clone());
        write_value(&mut o, p, &Ty::Set(Box::new(l.elem.clone())), &set);
        if let Some(path) = &l.path {
            let _ = write!(o, " from {}", quoted(path));
        }
        o.push('\n');
    }
    for m in &p.maps {
        let _ = write!(o, "map {}: {} -> {} = {{", m.name, m.key, m.value);
        for (i, (k, v)) in m.entries.entries.iter().enumerate() {
            o.push_str(if i == 0 { " " } else { ", " });
            write_value(&mut o, p, &m.key, k);
            o.push_str(": ");
            write_value(&mut o, p, &m.value, v);
        }
        o.push_str(" }");
        if let Some(path) = &m.path {
            let _ = write!(o, " from {}", quoted(path));
        }
        o.push('\n');
    }
    for z in &p.zones {
        let _ = write!(o, "zone {} =", z.name);
        let ring = |o: &mut String, kind: &str, points: &[(f64, f64)]| {
            let points: Vec<String> = points
                .iter()
                .map(|(lon, lat)| format!("{lon:?} {lat:?}"))
                .collect();
            let _ = write!(o, " {kind}({})", points.join(", "));
        };
        for poly in &z.polygons {
            ring(&mut o, "polygon", &poly.exterior);
            for h in &poly.holes {
                ring(&mut o, "hole", h);
            }
        }
        o.push('\n');
    }
    if let Some(c) = &p.calendar {
        let days = |set: &std::collections::BTreeSet<(i16, i8, i8)>| -> String {
            let v: Vec<String> = set
                .iter()
                .map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
                .collect();
            v.join(" ")
        };
        let _ = writeln!(
            o,
            "calendar {} holidays [{}] workdays [{}]",
            c.name,
            days(&c.holidays),
            days(&c.workdays)
        );
    }
    for r in &p.rules {
        o.push('\n');
        o.push_str(&rule(p, r));
    }
    for w in &p.workflows {
        o.push('\n');
        o.push_str(&workflow(p, w));
    }
    for t in &p.tests {
        let _ = writeln!(
            o,
            "\ntest {} ({} steps, {} expectations)",
            quoted(&t.name),
            t.steps.len(),
            t.expects.len()
        );
    }
    o
}

/// A rule as text: its header, its state part, then its actions.
pub fn rule(p: &Program, r: &Rule) -> String {
    let mut o = format!("rule {}\n", r.name);
    if let Some(t) = &r.title {
        let _ = writeln!(o, "  title {}", quoted(t));
    }
    o.push_str("  severity ");
    Ctx::new(p, &r.exprs, &rule_slots(r)).severity(&mut o, r.severity);
    o.push('\n');
    if !r.tags.is_empty() {
        let tags: Vec<String> = r.tags.iter().map(|t| quoted(t)).collect();
        let _ = writeln!(o, "  tags [{}]", tags.join(", "));
    }
    if let Some(t) = r.expires {
        let _ = writeln!(o, "  expires {}", utc(t));
    }
    if r.shadow {
        o.push_str("  mode shadow\n");
    }
    o.push_str(&rule_state(p, r));
    let slots = rule_slots(r);
    for a in &r.actions {
        o.push_str("  ");
        write_action(&mut o, &Ctx::new(p, &r.exprs, &slots), a);
        o.push('\n');
    }
    o
}

/// The part of a rule's text that decides its state: its pattern and its suppression.
pub fn rule_state(p: &Program, r: &Rule) -> String {
    let slots = rule_slots(r);
    let cx = Ctx::new(p, &r.exprs, &slots);
    let mut o = String::new();
    match &r.pattern {
        Pattern::Single { event, cond } => {
            let _ = write!(o, "  when $0: {}", event_name(p, *event));
            cx.write_where(&mut o, *cond);
            o.push('\n');
        }
        Pattern::Window {
            event,
            cond,
            key,
            within,
            having,
            aggregates,
        } => {
            let _ = write!(o, "  when $0: {}", event_name(p, *event));
            cx.write_where(&mut o, *cond);
            o.push_str("\n    group by ");
            cx.expr(&mut o, *key);
            let _ = write!(o, " within {}", time::format_duration(*within));
            for (i, a) in aggregates.iter().enumerate() {
                let _ = write!(o, "\n    agg{i} = {}(", a.kind.name());
                if let Some(arg) = a.arg {
                    cx.expr(&mut o, arg);
                }
                o.push(')');
            }
            o.push_str("\n    having ");
            cx.expr(&mut o, *having);
            o.push('\n');
        }
        Pattern::Sequence { within, steps } => {
            let _ = writeln!(
                o,
                "  when sequence within {}",
                time::format_duration(*within)
            );
            for (i, s) in steps.iter().enumerate() {
                let then = if i == 0 { "" } else { "then " };
                let not = if s.absent { "not " } else { "" };
                let _ = write!(o, "    {then}{not}${i}: {} by ", event_name(p, s.event));
                cx.expr(&mut o, s.key);
                cx.write_where(&mut o, s.cond);
                o.push('\n');
            }
        }
    }
    if let Some(s) = &r.suppress {
        o.push_str("  suppress");
        if let Some(k) = s.key {
            o.push_str(" by ");
            cx.expr(&mut o, k);
        }
        let _ = writeln!(o, " for {}", time::format_duration(s.duration));
    }
    o
}

/// A workflow as text: its header, then its state part.
pub fn workflow(p: &Program, w: &Workflow) -> String {
    let mut o = format!("workflow {}\n", w.name);
    if let Some(t) = &w.title {
        let _ = writeln!(o, "  title {}", quoted(t));
    }
    o.push_str(&workflow_state(p, w));
    o
}

/// The part of a workflow's text that its instances depend on: the start, and every state
/// with its actions, transitions and timers.
pub fn workflow_state(p: &Program, w: &Workflow) -> String {
    let start = [Some(w.start.event)];
    let cx = Ctx::new(p, &w.exprs, &start).in_workflow(w);
    let mut o = format!("  start on $0: {} by ", event_name(p, w.start.event));
    cx.expr(&mut o, w.start.key);
    cx.write_where(&mut o, w.start.cond);
    o.push('\n');
    for v in &w.vars {
        let _ = write!(o, "  var {}: {} = ", v.name, v.ty);
        cx.expr(&mut o, v.init);
        o.push('\n');
    }
    // Workflow-level timers come before the states (an absent list adds nothing, so the text
    // of a workflow without them is what it was before v0.2).
    for t in &w.timers {
        write_timer(&mut o, &cx, w, t, "  ");
    }
    for s in &w.states {
        write_state(&mut o, p, w, s);
    }
    o
}

fn write_state(o: &mut String, p: &Program, w: &Workflow, s: &StateDef) {
    let kind = if s.is_final { "final" } else { "state" };
    let _ = writeln!(o, "  {kind} {}", s.name);
    let start = [Some(w.start.event)];
    let cx = Ctx::new(p, &w.exprs, &start).in_workflow(w);
    for a in &s.on_enter {
        o.push_str("    on enter ");
        write_action(o, &cx, a);
        o.push('\n');
    }
    for t in &s.transitions {
        let (target, actions, offered) = match t {
            Transition::On {
                trigger,
                target,
                actions,
            } => {
                o.push_str("    on ");
                write_trigger(o, p, w, trigger);
                (*target, actions, Some(trigger.event))
            }
            Transition::Await {
                quorum,
                items,
                target,
                actions,
            } => {
                let _ = write!(o, "    await {quorum} of ");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        o.push_str(", ");
                    }
                    write_trigger(o, p, w, item);
                }
                // The completing event may be of any item's type.
                let one_type = items
                    .first()
                    .map(|f| f.event)
                    .filter(|e| items.iter().all(|i| i.event == *e));
                (*target, actions, one_type)
            }
        };
        let _ = writeln!(o, " -> {}", state_name(w, target));
        let slots = [Some(w.start.event), offered];
        let cx = Ctx::new(p, &w.exprs, &slots).in_workflow(w);
        for a in actions {
            o.push_str("      ");
            write_action(o, &cx, a);
            o.push('\n');
        }
    }
    for t in &s.timers {
        write_timer(o, &cx, w, t, "    ");
    }
}

/// `after D [where c] [-> s]` and its actions, at `indent`.
fn write_timer(o: &mut String, cx: &Ctx<'_>, w: &Workflow, t: &Timer, indent: &str) {
    match t.delay {
        Delay::Duration(d) => {
            let _ = write!(o, "{indent}after {}", time::format_duration(d));
        }
        Delay::Workdays(n) => {
            let _ = write!(o, "{indent}after {n} workdays");
        }
    }
    cx.write_where(o, t.cond);
    if let Some(target) = t.target {
        let _ = write!(o, " -> {}", state_name(w, target));
    }
    o.push('\n');
    for a in &t.actions {
        let _ = write!(o, "{indent}  ");
        write_action(o, cx, a);
        o.push('\n');
    }
}

fn write_trigger(o: &mut String, p: &Program, w: &Workflow, t: &Trigger) {
    let slots = [Some(w.start.event), Some(t.event)];
    let cx = Ctx::new(p, &w.exprs, &slots).in_workflow(w);
    let _ = write!(o, "$1: {} by ", event_name(p, t.event));
    cx.expr(o, t.key);
    cx.write_where(o, t.cond);
}

/// The identity a snapshot stores for a rule's state: SHA-256 of [`rule_state`].
pub fn rule_identity(p: &Program, r: &Rule) -> Identity {
    Sha256::digest(rule_state(p, r).as_bytes()).into()
}

/// The identity a snapshot stores for a workflow's instances: SHA-256 of [`workflow_state`].
pub fn workflow_identity(p: &Program, w: &Workflow) -> Identity {
    Sha256::digest(workflow_state(p, w).as_bytes()).into()
}

/// An expression of `arena` in the canonical text, its event slots being of the types in
/// `slots`. Equal texts mean equal behaviour: identities rest on it, and the runtime's plan
/// shares a condition between rules by it.
pub fn expr(p: &Program, arena: &ExprArena, slots: &[Option<EventTypeId>], id: ExprId) -> String {
    let mut o = String::new();
    Ctx::new(p, arena, slots).expr(&mut o, id);
    o
}

fn rule_slots(r: &Rule) -> Vec<Option<EventTypeId>> {
    r.pattern.event_types().into_iter().map(Some).collect()
}

fn write_action(o: &mut String, cx: &Ctx<'_>, a: &Action) {
    match a {
        Action::Alert {
            to,
            severity,
            message,
        } => {
            o.push_str("alert");
            for (i, r) in to.iter().enumerate() {
                o.push_str(if i == 0 { " " } else { ", " });
                match r {
                    Recipient::Unit(u) => o.push_str(unit_name(cx.program, *u)),
                    Recipient::Expr(e) => cx.expr(o, *e),
                }
            }
            if let Some(s) = severity {
                o.push_str(" severity ");
                cx.severity(o, *s);
            }
            if let Some(m) = message {
                o.push_str(" message ");
                cx.template(o, m);
            }
        }
        Action::Set { var, value } => {
            let name = cx.vars.get(*var as usize).map_or("?", |v| v.name.as_str());
            let _ = write!(o, "set {name} = ");
            cx.expr(o, *value);
        }
        Action::Emit {
            event,
            fields,
            each,
        } => {
            let _ = write!(o, "emit {} {{ ", event_name(cx.program, *event));
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    o.push_str(", ");
                }
                let _ = write!(o, "{}: ", field_name(cx.program, *event, i as u16));
                cx.expr(o, *f);
            }
            o.push_str(" }");
            if let Some(set) = each {
                o.push_str(" for (element) in ");
                cx.expr(o, *set);
            }
        }
        Action::Start { workflow } => {
            let name = cx
                .program
                .workflows
                .get(*workflow)
                .map_or("?", |w| w.name.as_str());
            let _ = write!(o, "start {name}");
        }
    }
}

/// What an expression's slots and state numbers refer to.
struct Ctx<'a> {
    program: &'a Program,
    arena: &'a ExprArena,
    slots: &'a [Option<EventTypeId>],
    states: &'a [StateDef],
    vars: &'a [VarDef],
}

impl<'a> Ctx<'a> {
    fn new(program: &'a Program, arena: &'a ExprArena, slots: &'a [Option<EventTypeId>]) -> Self {
        Ctx {
            program,
            arena,
            slots,
            states: &[],
            vars: &[],
        }
    }

    fn in_workflow(self, w: &'a Workflow) -> Self {
        Ctx {
            states: &w.states,
            vars: &w.vars,
            ..self
        }
    }

    fn write_where(&self, o: &mut String, cond: Option<ExprId>) {
        if let Some(c) = cond {
            o.push_str(" where ");
            self.expr(o, c);
        }
    }

    fn template(&self, o: &mut String, t: &Template) {
        o.push('"');
        for part in &t.parts {
            match part {
                TemplatePart::Text(s) => {
                    for c in s.chars() {
                        match c {
                            '{' => o.push_str("{{"),
                            '}' => o.push_str("}}"),
                            c => escape_char(o, c),
                        }
                    }
                }
                TemplatePart::Expr(e) => {
                    o.push('{');
                    self.expr(o, *e);
                    o.push('}');
                }
            }
        }
        o.push('"');
    }

    fn severity(&self, o: &mut String, s: SeverityOf) {
        match s {
            SeverityOf::Fixed(s) => o.push_str(s.as_str()),
            SeverityOf::Expr(e) => self.expr(o, e),
        }
    }

    /// An expression as a tree: `(op operand...)`, leaves as they are written.
    fn expr(&self, o: &mut String, id: ExprId) {
        let node = self.arena.node(id);
        match node {
            Node::Const(v) => write_value(o, self.program, self.arena.ty(id), v),
            Node::Field { slot, field } => {
                let event = self.slots.get(usize::from(*slot)).copied().flatten();
                match event {
                    Some(e) => {
                        let _ = write!(o, "${slot}.{}", field_name(self.program, e, *field));
                    }
                    None => {
                        let _ = write!(o, "${slot}.#{field}");
                    }
                }
            }
            Node::EventTime(slot) => {
                let _ = write!(o, "${slot}.time");
            }
            Node::EventId(slot) => {
                let _ = write!(o, "${slot}.id");
            }
            Node::Agg(i) => {
                let _ = write!(o, "agg{i}");
            }
            Node::Key => o.push_str("key"),
            Node::From => o.push_str("from"),
            Node::Visits(i) => {
                let state = self
                    .states
                    .get(*i as usize)
                    .map_or("?", |s| s.name.as_str());
                let _ = write!(o, "(visits {state})");
            }
            Node::Var(i) => {
                let name = self.vars.get(*i as usize).map_or("?", |v| v.name.as_str());
                let _ = write!(o, "(var {name})");
            }
            Node::Param(i) => {
                let _ = write!(o, "(param {i})");
            }
            Node::Element => o.push_str("(element)"),
            Node::InList {
                value,
                list,
                negated,
            } => {
                o.push_str(if *negated { "(not-in " } else { "(in " });
                self.expr(o, *value);
                let list = self.program.lists.get(*list as usize);
                let _ = write!(o, " list:{})", list.map_or("?", |l| l.name.as_str()));
            }
            Node::List(i) => {
                let list = self.program.lists.get(*i as usize);
                let _ = write!(o, "list:{}", list.map_or("?", |l| l.name.as_str()));
            }
            Node::Lookup { map, key } => {
                let map = self.program.maps.get(*map as usize);
                let _ = write!(o, "(lookup map:{} ", map.map_or("?", |m| m.name.as_str()));
                self.expr(o, *key);
                o.push(')');
            }
            Node::Matches(a, re) => {
                o.push_str("(matches ");
                self.expr(o, *a);
                let _ = write!(o, " {})", quoted(re));
            }
            Node::Within(a, zone) => {
                o.push_str("(within ");
                self.expr(o, *a);
                let zone = self.program.zones.get(*zone as usize);
                let _ = write!(o, " zone:{})", zone.map_or("?", |z| z.name.as_str()));
            }
            Node::Unary(..)
            | Node::Binary(..)
            | Node::And(..)
            | Node::Or(..)
            | Node::In { .. }
            | Node::Coalesce(..)
            | Node::If(..)
            | Node::Exists(_)
            | Node::Call(..) => {
                let op = match node {
                    Node::Unary(crate::UnOp::Not, _) => "not",
                    Node::Unary(crate::UnOp::Neg, _) => "neg",
                    Node::Binary(op, ..) => op.as_str(),
                    Node::And(..) => "and",
                    Node::Or(..) => "or",
                    Node::In { negated: true, .. } => "not-in",
                    Node::In { .. } => "in",
                    Node::Coalesce(..) => "??",
                    Node::If(..) => "if",
                    Node::Exists(_) => "exists",
                    Node::Call(b, _) => b.name(),
                    _ => "?",
                };
                let _ = write!(o, "({op}");
                for operand in self.arena.operands(node) {
                    o.push(' ');
                    self.expr(o, operand);
                }
                o.push(')');
            }
        }
    }
}

/// Where the names of enum values and units are found: the program, or the compiler's scope.
pub trait EnumNames {
    /// The name of value `index` of enum `enum_name`.
    fn variant(&self, enum_name: &str, index: u32) -> Option<&str>;
    /// The declared name of unit number `index`.
    fn unit(&self, index: u32) -> Option<&str>;
}

/// The values of the built-in enum `severity` (SPEC v0.2), which no program declares.
pub const SEVERITY_ENUM: &str = "severity";

/// The name of value `index` of the built-in enum `severity`.
pub fn severity_variant(index: u32) -> Option<&'static str> {
    crate::Severity::NAMES.get(index as usize).copied()
}

impl EnumNames for Program {
    fn variant(&self, enum_name: &str, index: u32) -> Option<&str> {
        match self.enums.iter().find(|e| e.name == enum_name) {
            Some(e) => e.variants.get(index as usize).map(|v| v.as_str()),
            None if enum_name == SEVERITY_ENUM => severity_variant(index),
            None => None,
        }
    }

    fn unit(&self, index: u32) -> Option<&str> {
        self.units.get(index as usize).map(|u| u.name.as_str())
    }
}

/// How `write_literal` writes what differs between its readers.
#[derive(Clone, Copy)]
pub struct LiteralStyle<'a> {
    /// The zone times are written in: UTC in the IR text, the rule set's zone for people.
    pub tz: &'a jiff::tz::TimeZone,
    /// `Category.noise` (the IR text) rather than `noise` (what authors write).
    pub qualified_enums: bool,
}

/// A value as it is written in source: the one printer of values for the IR text, hover and
/// `vigil explain`. Strings quoted with the language's escapes, enum values by name, durations
/// as `1h30m`, times in RFC 3339, floats with their point (`3.0`), `point(lat, lon)`, sets in
/// brackets, `absent` for a missing value.
pub fn write_literal(
    o: &mut String,
    names: &impl EnumNames,
    style: LiteralStyle<'_>,
    ty: &Ty,
    v: &Value,
) {
    match v {
        Value::Absent => o.push_str("absent"),
        Value::Bool(b) => o.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(o, "{i}");
        }
        // `{:?}` keeps a float a float: `3.0`, not `3`.
        Value::Float(f) => {
            let _ = write!(o, "{f:?}");
        }
        Value::Str(s) => o.push_str(&quoted(s)),
        Value::Time(t) => time::write_time(o, *t, style.tz),
        Value::Duration(d) => o.push_str(&time::format_duration(*d)),
        Value::Point(pt) => {
            let _ = write!(o, "point({:?}, {:?})", pt.lat, pt.lon);
        }
        Value::Enum(i) => {
            let found = match ty {
                Ty::Enum(name) => names.variant(name, *i).map(|v| (name, v)),
                _ => None,
            };
            match found {
                Some((name, variant)) if style.qualified_enums => {
                    let _ = write!(o, "{name}.{variant}");
                }
                Some((_, variant)) => o.push_str(variant),
                None => {
                    let _ = write!(o, "enum#{i}");
                }
            }
        }
        Value::Unit(i) => match names.unit(*i) {
            Some(name) => o.push_str(name),
            None => {
                let _ = write!(o, "unit#{i}");
            }
        },
        Value::Set(set) => {
            let elem = match ty {
                Ty::Set(e) => e,
                _ => &Ty::Error,
            };
            o.push('[');
            for (i, item) in set.items.iter().enumerate() {
                if i > 0 {
                    o.push_str(", ");
                }
                write_literal(o, names, style, elem, item);
            }
            o.push(']');
        }
    }
}

/// A value in the IR text: `write_literal` with qualified enum values and times in UTC.
pub fn write_value(o: &mut String, p: &Program, ty: &Ty, v: &Value) {
    let style = LiteralStyle {
        tz: &jiff::tz::TimeZone::UTC,
        qualified_enums: true,
    };
    write_literal(o, p, style, ty, v);
}

fn event_name(p: &Program, e: EventTypeId) -> &str {
    p.event(e).map_or("?", |e| e.name.as_str())
}

fn unit_name(p: &Program, u: u32) -> &str {
    p.units.get(u as usize).map_or("?", |u| u.name.as_str())
}

fn field_name(p: &Program, e: EventTypeId, field: u16) -> &str {
    p.event(e)
        .and_then(|e| e.fields.get(usize::from(field)))
        .map_or("?", |f| f.name.as_str())
}

fn state_name(w: &Workflow, s: StateId) -> &str {
    w.states.get(s).map_or("?", |s| s.name.as_str())
}

fn utc(ms: i64) -> String {
    time::format_time(ms, &jiff::tz::TimeZone::UTC)
}

/// A string in double quotes, with `"`, `\` and control characters escaped.
fn quoted(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        escape_char(&mut o, c);
    }
    o.push('"');
    o
}

fn escape_char(o: &mut String, c: char) {
    match c {
        '"' => o.push_str("\\\""),
        '\\' => o.push_str("\\\\"),
        '\n' => o.push_str("\\n"),
        '\t' => o.push_str("\\t"),
        c if c.is_control() => {
            let _ = write!(o, "\\u{{{:x}}}", c as u32);
        }
        c => o.push(c),
    }
}
