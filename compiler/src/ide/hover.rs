//! Hover text: the declaration of the named thing under the cursor (with its `///` docs, unit
//! display names, enum values, folded constants) or the type of the expression under it, and
//! what a duration literal amounts to.

use std::fmt::Write as _;

use super::{Def, def_at, find_item, item_at, walk_expr};
use crate::check::Scope;
use crate::db::{self, Db, RuleSet, SourceFile};
use crate::syntax::Span;
use crate::syntax::ast::{self, ExprKind, ItemKind};
use vigil_ir::{Ty, Value};

/// Hover text in Markdown, and the range it describes (absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoverInfo {
    pub span: Span,
    pub markdown: String,
}

fn code(text: &str) -> String {
    format!("```vigil\n{text}\n```")
}

/// What to show for the position `offset` of `file`.
pub fn hover(db: &dyn Db, ruleset: RuleSet, file: SourceFile, offset: u32) -> Option<HoverInfo> {
    let scope = db::scope(db, ruleset);
    if let Some((span, def)) = def_at(db, ruleset, file, offset) {
        let mut markdown = describe(db, ruleset, &def);
        // A name that is also an expression (a field read, a constant): its type here.
        if let Some((ty, optional)) = type_at(db, ruleset, file, span, true)
            && !matches!(def, Def::Item(_) | Def::Variant { .. })
        {
            let _ = write!(markdown, "\n\n---\n\nType here: `{ty}`");
            if optional {
                markdown.push_str(" (may be absent)");
            }
        }
        return Some(HoverInfo { span, markdown });
    }
    let (id, base) = item_at(db, ruleset, file, offset)?;
    let rel = offset.checked_sub(base)?;
    let tree = db::item_syntax(db, id).as_ref()?;
    if let Some((span, raw)) = duration_at(tree, rel) {
        let ms = vigil_ir::time::parse_duration_literal(&raw).ok()?;
        let markdown = format!(
            "{}\n\n= {} ({ms} ms)",
            code(&format!("{raw}: duration")),
            vigil_ir::time::format_duration(ms)
        );
        return Some(HoverInfo {
            span: span.shift(base),
            markdown,
        });
    }
    let checked = db::check_item(db, id);
    let (span, ty, optional) = checked
        .facts
        .types
        .iter()
        .filter(|(s, _, _)| s.contains(rel))
        .min_by_key(|(s, _, _)| s.len())?;
    let mut markdown = code(&ty.to_string());
    if *optional {
        markdown.push_str("\n\nMay be absent: an optional field is missing in some events.");
    }
    let _ = scope;
    Some(HoverInfo {
        span: span.shift(base),
        markdown,
    })
}

/// The type the checker gave the expression at exactly `span` (absolute), if any.
fn type_at(
    db: &dyn Db,
    ruleset: RuleSet,
    file: SourceFile,
    span: Span,
    exact: bool,
) -> Option<(Ty, bool)> {
    let (id, base) = item_at(db, ruleset, file, span.start)?;
    let rel = Span {
        start: span.start.checked_sub(base)?,
        end: span.end.checked_sub(base)?,
    };
    db::check_item(db, id)
        .facts
        .types
        .iter()
        .filter(|(s, _, _)| {
            if exact {
                *s == rel
            } else {
                s.contains(rel.start)
            }
        })
        .min_by_key(|(s, _, _)| s.len())
        .map(|(_, t, o)| (t.clone(), *o))
}

fn duration_at(tree: &ast::Item, rel: u32) -> Option<(Span, String)> {
    let mut found = None;
    for_each_expr(tree, &mut |e| {
        walk_expr(e, &mut |e| {
            if let ExprKind::Duration(raw) = &e.kind
                && e.span.contains(rel)
            {
                found = Some((e.span, raw.to_string()));
            }
        })
    });
    found
}

/// Calls `f` on every top-level expression of an item (not on their subexpressions).
pub(crate) fn for_each_expr(tree: &ast::Item, f: &mut dyn FnMut(&ast::Expr)) {
    let matches = |m: &ast::EventMatch, f: &mut dyn FnMut(&ast::Expr)| {
        if let Some(e) = &m.by {
            f(e);
        }
        if let Some(e) = &m.cond {
            f(e);
        }
    };
    match &tree.kind {
        ItemKind::List(ast::List {
            source: ast::ListSource::Literal(e),
            ..
        }) => f(e),
        ItemKind::Const(c) => f(&c.value),
        ItemKind::Fn(func) => f(&func.body),
        ItemKind::Rule(r) => {
            for c in &r.clauses {
                match c {
                    ast::RuleClause::When(ast::Pattern::Single(s)) => {
                        matches(&s.event, f);
                        if let Some(g) = &s.group {
                            f(&g.key);
                            f(&g.within);
                            f(&g.having);
                        }
                    }
                    ast::RuleClause::When(ast::Pattern::Sequence(s)) => {
                        f(&s.within);
                        for st in &s.steps {
                            matches(&st.event, f);
                        }
                    }
                    ast::RuleClause::Suppress(s) => {
                        if let Some(b) = &s.by {
                            f(b);
                        }
                        f(&s.duration);
                    }
                    ast::RuleClause::Expires(e) => f(e),
                    ast::RuleClause::Action(a) => action_exprs(a, f),
                    _ => {}
                }
            }
        }
        ItemKind::Workflow(w) => {
            for c in &w.clauses {
                match c {
                    ast::WorkflowClause::Start(m, _) => matches(m, f),
                    ast::WorkflowClause::State(s) => {
                        for sc in &s.clauses {
                            match sc {
                                ast::StateClause::OnEnter(a, _) => {
                                    a.iter().for_each(|a| action_exprs(a, f))
                                }
                                ast::StateClause::On(t) => {
                                    matches(&t.event, f);
                                    t.actions.iter().for_each(|a| action_exprs(a, f));
                                }
                                ast::StateClause::After(a) => after_exprs(a, f),
                                ast::StateClause::Await(a) => {
                                    a.items.iter().for_each(|m| matches(m, f));
                                    a.actions.iter().for_each(|a| action_exprs(a, f));
                                }
                            }
                        }
                    }
                    ast::WorkflowClause::After(a) => after_exprs(a, f),
                    ast::WorkflowClause::Var(v) => f(&v.init),
                    ast::WorkflowClause::Title(_) => {}
                }
            }
        }
        ItemKind::Test(t) => {
            for c in &t.clauses {
                match c {
                    ast::TestClause::Events(steps, _) => {
                        for s in steps {
                            match s {
                                ast::TestStep::Event(ev) => {
                                    ev.fields.iter().for_each(|fi| f(&fi.value))
                                }
                                ast::TestStep::AdvanceBy(e, _) | ast::TestStep::AdvanceTo(e, _) => {
                                    f(e)
                                }
                            }
                        }
                    }
                    ast::TestClause::Expect(e) => {
                        if let ast::ExpectKind::Transition { key, .. } = &e.kind {
                            f(key);
                        }
                        for o in &e.options {
                            match o {
                                ast::ExpectOption::Key(e)
                                | ast::ExpectOption::Count(e)
                                | ast::ExpectOption::At(e) => f(e),
                                ast::ExpectOption::Message(_)
                                | ast::ExpectOption::KeyNull(_)
                                | ast::ExpectOption::To(_) => {}
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// The expressions of an `after` clause: its delay, its condition and its actions'.
fn after_exprs(a: &ast::AfterClause, f: &mut dyn FnMut(&ast::Expr)) {
    if let ast::Delay::Duration(e) = &a.delay {
        f(e);
    }
    if let Some(c) = &a.cond {
        f(c);
    }
    a.actions.iter().for_each(|a| action_exprs(a, f));
}

fn action_exprs(a: &ast::Action, f: &mut dyn FnMut(&ast::Expr)) {
    match a {
        ast::Action::Emit(e) => {
            if let Some(each) = &e.each {
                f(&each.set);
            }
            e.fields.iter().for_each(|fi| f(&fi.value));
        }
        ast::Action::Set(s) => f(&s.value),
        ast::Action::Alert(_) | ast::Action::Start(..) => {}
    }
}

/// Markdown describing a named thing: its declaration as code, then its docs.
pub fn describe(db: &dyn Db, ruleset: RuleSet, def: &Def<'_>) -> String {
    let scope = db::scope(db, ruleset);
    match def {
        Def::Item(name) => {
            let Some(id) = find_item(db, ruleset, name) else {
                return code(name);
            };
            let docs = db::item_location(db, id).2.clone();
            let tree = db::item_syntax(db, id);
            let mut out = match tree.as_deref() {
                Some(tree) => item_signature(db, ruleset, scope, tree),
                None => code(&format!("{} {name}", id.tag(db).keyword())),
            };
            if let Some(d) = docs {
                out.push_str("\n\n---\n\n");
                out.push_str(d.trim());
            }
            out
        }
        Def::Field { event, field } => {
            let (ty, optional) = scope
                .events
                .get(event)
                .and_then(|e| e.field(field).map(|f| e.field_type(f)))
                .unwrap_or((Ty::Error, false));
            let mut out = code(&format!(
                "{event}.{field}: {ty}{}",
                if optional { "?" } else { "" }
            ));
            match field.as_str() {
                "time" => out.push_str("\n\nThe event time (every event has one)."),
                "id" => out.push_str("\n\nThe event id, if the source gave one."),
                _ if optional => out.push_str("\n\nOptional: absent in events that omit it."),
                _ => {}
            }
            out
        }
        Def::Variant { enum_name, variant } => {
            let all = scope
                .enums
                .get(enum_name)
                .map(|e| e.variants.join(", "))
                .unwrap_or_default();
            format!(
                "{}\n\nA value of `enum {enum_name} {{ {all} }}`",
                code(&format!("{enum_name}.{variant}"))
            )
        }
        Def::State { workflow, state } => {
            let states = scope
                .workflows
                .get(workflow)
                .map(|w| w.states.join(", "))
                .unwrap_or_default();
            format!(
                "{}\n\nA state of workflow `{workflow}` (states: {states})",
                code(&format!("state {state}"))
            )
        }
        Def::Variable { workflow, name } => {
            let ty = find_item(db, ruleset, workflow)
                .and_then(|id| db::item_syntax(db, id).clone())
                .and_then(|tree| match &tree.kind {
                    ast::ItemKind::Workflow(w) => w.clauses.iter().find_map(|c| match c {
                        ast::WorkflowClause::Var(v) if v.name.name == *name => {
                            Some(v.ty.to_string())
                        }
                        _ => None,
                    }),
                    _ => None,
                })
                .unwrap_or_default();
            format!(
                "{}\n\nA variable of workflow `{workflow}`: set when an instance starts, changed by `set`",
                code(&format!("var {name}: {ty}"))
            )
        }
        Def::Local { item, span, name } => {
            let checked = db::check_item(db, *item);
            if let Some((_, event)) = checked.facts.bindings.iter().find(|(s, _)| s == span) {
                let mut out = code(&format!("{name}: {event}"));
                out.push_str("\n\nThe matched event.");
                return out;
            }
            let ty = db::item_syntax(db, *item)
                .as_deref()
                .and_then(|t| match &t.kind {
                    ItemKind::Fn(f) => f.params.iter().find(|p| p.name.span == *span),
                    _ => None,
                })
                .map(|p| p.ty.to_string())
                .unwrap_or_default();
            code(&format!("{name}: {ty}"))
        }
    }
}

fn item_signature(db: &dyn Db, ruleset: RuleSet, scope: &Scope, tree: &ast::Item) -> String {
    match &tree.kind {
        ItemKind::Timezone(tz) => code(&format!("timezone \"{}\"", tz.raw)),
        ItemKind::Unit(u) => {
            let mut out = code(&format!("unit {}", u.name.name));
            if let Some(d) = &u.display {
                let _ = write!(out, "\n\nDisplay name: **{}**", d.raw);
            }
            out
        }
        ItemKind::Calendar(c) => code(&format!(
            "calendar {} = file(\"{}\")",
            c.name.name, c.path.raw
        )),
        ItemKind::Zone(z) => code(&format!(
            "zone {} = geojson(\"{}\")",
            z.name.name, z.path.raw
        )),
        ItemKind::Enum(e) => {
            let vs: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
            code(&format!("enum {} {{ {} }}", e.name.name, vs.join(", ")))
        }
        ItemKind::Event(e) => {
            let fields: Vec<String> = e
                .fields
                .iter()
                .map(|f| format!("  {}: {},", f.name.name, f.ty))
                .collect();
            code(&format!(
                "event {} {{\n{}\n}}",
                e.name.name,
                fields.join("\n")
            ))
        }
        ItemKind::List(l) => {
            let elem = scope
                .lists
                .get(&l.name.name)
                .map_or(Ty::Error, |s| s.elem.clone());
            let source = match &l.source {
                ast::ListSource::File(p) => format!("\n\nRead from `{}`", p.raw),
                ast::ListSource::Literal(_) => String::new(),
            };
            format!(
                "{}{source}",
                code(&format!("list {}: set<{elem}>", l.name.name))
            )
        }
        ItemKind::Map(m) => {
            let (source, entries) = match &m.source {
                ast::MapSource::File(p) => (format!(" from `{}`", p.raw), None),
                ast::MapSource::Literal(e, _) => (String::new(), Some(e.len())),
            };
            let lowered = find_item(db, ruleset, &m.name.name).map(|id| db::check_item(db, id));
            let count = match lowered.as_ref().map(|c| &c.lowered) {
                Some(crate::check::Lowered::Map(def)) => Some(def.entries.entries.len()),
                _ => entries,
            };
            let count = count.map_or(String::new(), |n| {
                format!(
                    "\n\n{n} {}{source}",
                    if n == 1 { "entry" } else { "entries" }
                )
            });
            format!(
                "{}{count}",
                code(&format!("map {}: {} -> {}", m.name.name, m.key, m.value))
            )
        }
        ItemKind::Const(c) => {
            let sig = scope.consts.get(&c.name.name);
            let ty = sig.map_or(Ty::Error, |s| s.ty.clone());
            let value = sig
                .and_then(|s| s.value.as_ref())
                .map(|v| format!(" = {}", show_value(scope, v, &ty)))
                .unwrap_or_default();
            code(&format!("const {}: {ty}{value}", c.name.name))
        }
        ItemKind::Fn(f) => {
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| format!("{}: {}", p.name.name, p.ty))
                .collect();
            code(&format!(
                "fn {}({}) -> {}",
                f.name.name,
                params.join(", "),
                f.ret
            ))
        }
        ItemKind::Rule(r) => {
            let mut out = code(&format!("rule {}", r.name.name));
            for c in &r.clauses {
                match c {
                    ast::RuleClause::Title(t) => {
                        let _ = write!(out, "\n\n**{}**", t.raw);
                    }
                    ast::RuleClause::Severity(s) => {
                        let _ = write!(out, "\n\nSeverity: {}", crate::fmt::expr_text(s));
                    }
                    _ => {}
                }
            }
            out
        }
        ItemKind::Workflow(w) => {
            let states: Vec<&str> = w
                .clauses
                .iter()
                .filter_map(|c| match c {
                    ast::WorkflowClause::State(s) => Some(s.name.name.as_str()),
                    _ => None,
                })
                .collect();
            let _ = (db, ruleset);
            format!(
                "{}\n\nStates: {}",
                code(&format!("workflow {}", w.name.name)),
                states.join(", ")
            )
        }
        ItemKind::Test(t) => code(&format!("test \"{}\"", t.name.raw)),
    }
}

/// A constant's value as it would be written in source (`vigil_ir::text::write_literal`).
pub fn show_value(scope: &Scope, v: &Value, ty: &Ty) -> String {
    let tz = vigil_ir::time::time_zone(&scope.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let style = vigil_ir::text::LiteralStyle {
        tz: &tz,
        qualified_enums: false,
    };
    let mut o = String::new();
    vigil_ir::text::write_literal(&mut o, scope, style, ty, v);
    o
}
