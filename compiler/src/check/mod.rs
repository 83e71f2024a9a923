//! Name resolution, type checking and lowering, one item at a time.
//!
//! `check_item` reads only the item's syntax tree, the global `Scope` and (for lists, zones and
//! calendars) the contents of the files the item names. It returns diagnostics, the facts an
//! editor needs (what each name refers to, the type of each expression) and the item's IR.

mod decl;
pub(crate) mod expr;
pub mod graph;
pub(crate) mod literal;
mod rule;
pub mod scope;
mod test;
mod workflow;

use std::sync::Arc;

use smol_str::SmolStr;

pub use expr::BUILTINS;
pub use scope::Scope;

use crate::diagnostics::Diag;
use crate::syntax::Span;
use crate::syntax::ast::{self, ItemKind};
use vigil_ir::{self as ir, Ty, Value};

/// What a name in the source refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A top-level item by name.
    Item(SmolStr),
    Field {
        event: SmolStr,
        field: SmolStr,
    },
    Variant {
        enum_name: SmolStr,
        variant: SmolStr,
    },
    /// A binding declared at this span in the same item.
    Binding(Span),
    State {
        workflow: SmolStr,
        state: SmolStr,
    },
    /// A workflow variable (`var`).
    Variable {
        workflow: SmolStr,
        name: SmolStr,
    },
}

/// Per-item facts for the language server; spans relative to the item.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    pub refs: Vec<(Span, Target)>,
    /// The type of each checked expression, and whether it may be absent.
    pub types: Vec<(Span, Ty, bool)>,
    /// Bindings declared in the item: span of the name and the event type it binds.
    pub bindings: Vec<(Span, SmolStr)>,
}

/// The IR of one item, when it checked without errors.
#[derive(Debug, Clone, PartialEq)]
pub enum Lowered {
    Nothing,
    Rule(ir::Rule),
    Workflow(ir::Workflow),
    Test(ir::TestCase),
    List(ir::ListDef),
    Map(ir::MapDef),
    Zone(ir::ZoneDef),
    Calendar(ir::CalendarDef),
    /// The parsed contents are needed only for `List`, `Map`, `Zone` and `Calendar`; other
    /// declarations are lowered from the scope.
    Declaration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckedItem {
    pub diagnostics: Vec<Diag>,
    pub facts: Facts,
    pub lowered: Lowered,
}

/// Reads a file that an item names (relative to the item's file): its contents or why not.
/// The second string is the resolved path, for messages.
pub type ReadResource<'a> = &'a dyn Fn(&str) -> (Result<Arc<str>, String>, String);

/// Checks one item against the scope.
pub fn check_item(scope: &Scope, item: &ast::Item, read: ReadResource<'_>) -> CheckedItem {
    match &item.kind {
        ItemKind::Rule(r) => rule::check(scope, r),
        ItemKind::Workflow(w) => workflow::check(scope, w),
        ItemKind::Test(t) => test::check(scope, t),
        _ => decl::check(scope, item, read),
    }
}

/// Adds constants to a scope built by `scope::declare`, in dependency order; constants in a
/// cycle get no value (the cycle is reported by `graph::fn_const_cycles`).
pub fn define_consts(scope: &mut Scope, consts: &[&ast::Const]) {
    let order = graph::const_order(scope, consts);
    // Constants in a cycle are known names without a value, so their uses report nothing more.
    for c in consts {
        scope.consts.insert(
            c.name.name.clone(),
            scope::ConstSig {
                ty: Ty::Error,
                value: None,
            },
        );
    }
    for c in order {
        let (ty, value) = {
            let mut cx = expr::ExprCx::new(scope);
            let expected = c.ty.as_ref().and_then(|t| scope.resolve_type(t));
            let t = cx.check(&c.value, expected.as_ref());
            let value = cx.arena.as_const(t.id).cloned();
            let failed = cx
                .diags
                .iter()
                .any(|d| d.level() == crate::diagnostics::Level::Error);
            (expected.unwrap_or(t.ty), if failed { None } else { value })
        };
        scope
            .consts
            .insert(c.name.name.clone(), scope::ConstSig { ty, value });
    }
}

/// Checks the actions of a rule or a workflow state. `trigger` is the event type a `start`
/// action would start its workflow with.
pub(crate) fn actions(
    cx: &mut expr::ExprCx<'_>,
    actions: &[ast::Action],
    trigger: Option<&SmolStr>,
) -> Vec<ir::Action> {
    use crate::diagnostics::*;
    let mut out = Vec::new();
    for action in actions {
        match action {
            ast::Action::Alert(a) => {
                let to: Vec<ir::Recipient> = a.to.iter().filter_map(|r| recipient(cx, r)).collect();
                let severity = a.severity.as_ref().and_then(|s| severity(cx, s));
                let message = a.message.as_ref().map(|m| literal::template(cx, m));
                if let Some(m) = &message {
                    hidden_in_message(cx, &to, m);
                }
                out.push(ir::Action::Alert {
                    to,
                    severity,
                    message,
                });
            }
            ast::Action::Emit(e) => {
                if let Some(a) = emit(cx, e) {
                    out.push(a);
                }
            }
            ast::Action::Set(s) => out.extend(set_action(cx, s)),
            ast::Action::Start(w, span) => match cx.scope.workflows.get(&w.name) {
                Some(sig) => {
                    cx.facts.refs.push((w.span, Target::Item(w.name.clone())));
                    if let (Some(expected), Some(found)) = (&sig.start_event, trigger)
                        && expected != found
                    {
                        cx.report(StartTypeMismatch {
                            span: *span,
                            workflow: w.name.to_string(),
                            expected: expected.to_string(),
                            found: format!("`{found}`"),
                        });
                    }
                    out.push(ir::Action::Start {
                        workflow: sig.index,
                    });
                }
                None => {
                    let help = did_you_mean(&w.name, cx.scope.workflows.keys().map(|k| k.as_str()));
                    cx.report(UnknownWorkflow {
                        span: w.span,
                        name: w.name.to_string(),
                        help,
                    });
                }
            },
        }
    }
    out
}

/// `set name = value`: only in a workflow, naming one of its variables, with a value of its
/// type.
fn set_action(cx: &mut expr::ExprCx<'_>, s: &ast::SetAction) -> Option<ir::Action> {
    use crate::diagnostics::*;
    let Some(w) = cx.workflow.clone() else {
        cx.check(&s.value, None);
        cx.report(MisplacedConstruct {
            span: s.span,
            what: "`set`".into(),
            place: "outside a workflow".into(),
            help: Some("a rule has no variables; a workflow declares them with `var`".into()),
        });
        return None;
    };
    let Some(i) = w.vars.iter().position(|(n, _)| *n == s.name.name) else {
        cx.check(&s.value, None);
        if !s.name.name.is_empty() {
            let help = did_you_mean(&s.name.name, w.vars.iter().map(|(n, _)| n.as_str()))
                .or_else(|| Some(format!("declare it: `var {}: str = \"\"`", s.name.name)));
            cx.report(UnknownVariable {
                span: s.name.span,
                name: s.name.name.to_string(),
                workflow: w.name.to_string(),
                help,
            });
        }
        return None;
    };
    let ty = w.vars.get(i).map(|(_, t)| t.clone()).unwrap_or(Ty::Error);
    cx.facts.refs.push((
        s.name.span,
        Target::Variable {
            workflow: w.name.clone(),
            name: s.name.name.clone(),
        },
    ));
    let value = cx.check(&s.value, Some(&ty));
    if !value.ty.is_error() && !ty.is_error() && !value.ty.fits(&ty) {
        cx.report(TypeMismatch {
            span: s.value.span,
            expected: ty.described(),
            found: value.ty.described(),
            help: Some(format!("`{}` is declared `{ty}`", s.name.name)),
        });
        return None;
    }
    Some(ir::Action::Set {
        var: u32::try_from(i).unwrap_or(u32::MAX),
        value: value.id,
    })
}

/// An alert's recipient: a unit by name or, SPEC v0.2, an expression of type `unit` or
/// `set<unit>` that is never absent.
fn recipient(cx: &mut expr::ExprCx<'_>, r: &ast::Expr) -> Option<ir::Recipient> {
    use crate::diagnostics::*;
    if let ast::ExprKind::Name(u) = &r.kind {
        // A bare name is a unit first, as it always was, whatever else it could name.
        if let Some(i) = cx.scope.units.get(&u.name) {
            cx.facts.refs.push((u.span, Target::Item(u.name.clone())));
            return Some(ir::Recipient::Unit(*i));
        }
        if !cx.names_a_value(&u.name) {
            let help = if cx.scope.maps.contains_key(&u.name) {
                Some(format!(
                    "`{0}` is a map: look a key up, `{0}[key] ?? unit`",
                    u.name
                ))
            } else {
                did_you_mean(&u.name, cx.scope.units.keys().map(|k| k.as_str()))
            };
            cx.report(UnknownUnit {
                span: u.span,
                name: u.name.to_string(),
                help,
            });
            return None;
        }
    }
    let t = cx.check(r, Some(&Ty::Unit));
    if t.ty.is_error() {
        return None;
    }
    if !matches!(&t.ty, Ty::Unit) && !matches!(&t.ty, Ty::Set(e) if **e == Ty::Unit) {
        cx.report(TypeMismatch {
            span: r.span,
            expected: "a unit or a set<unit>".into(),
            found: t.ty.described(),
            help: Some("an alert goes to units: `alert police` or `alert i.station`".into()),
        });
        return None;
    }
    if t.optional {
        // The first unit declared, as an example of a default.
        let help = cx
            .scope
            .units
            .iter()
            .min_by_key(|(_, i)| **i)
            .map(|(u, _)| format!("give a default: `{} ?? {u}`", crate::fmt::expr_text(r)));
        cx.report(OptionalRecipient { span: r.span, help });
        return None;
    }
    Some(match cx.arena.as_const(t.id) {
        Some(Value::Unit(i)) => ir::Recipient::Unit(*i),
        _ => ir::Recipient::Expr(t.id),
    })
}

/// Warns where a message interpolates a field that a unit it goes to by name may not see
/// (SPEC v0.2). Units computed from the data are only known when the alert fires; their
/// copies are redacted the same way, without a warning.
fn hidden_in_message(cx: &mut expr::ExprCx<'_>, to: &[ir::Recipient], m: &ir::Template) {
    let slots: Vec<(u8, SmolStr)> = cx
        .env
        .event_bindings()
        .map(|(_, slot, event)| (slot, event.clone()))
        .chain(cx.env.implicit.clone())
        .collect();
    let mut shown: Vec<(ir::ExprId, SmolStr, SmolStr)> = Vec::new();
    for part in &m.parts {
        let ir::TemplatePart::Expr(root) = part else {
            continue;
        };
        let mut stack = vec![*root];
        while let Some(id) = stack.pop() {
            let node = cx.arena.node(id);
            if let ir::Node::Field { slot, field } = node
                && let Some((_, event)) = slots.iter().find(|(s, _)| s == slot)
                && let Some(f) = cx
                    .scope
                    .events
                    .get(event)
                    .and_then(|e| e.fields.get(usize::from(*field)))
            {
                shown.push((*root, event.clone(), f.name.clone()));
            }
            stack.extend(cx.arena.operands(node));
        }
    }
    for r in to {
        let ir::Recipient::Unit(u) = r else { continue };
        let Some((unit, _)) = cx.scope.units.iter().find(|(_, i)| *i == u) else {
            continue;
        };
        let Some(sees) = cx.scope.sees.get(unit) else {
            continue;
        };
        let unit = unit.clone();
        let mut warned = std::collections::BTreeSet::new();
        for (root, event, field) in &shown {
            let visible = sees.get(event).is_some_and(|fs| fs.contains(field));
            if visible || !warned.insert((event.clone(), field.clone())) {
                continue;
            }
            let span = cx.arena.span(*root);
            cx.report(crate::diagnostics::HiddenInMessage {
                span,
                unit: unit.to_string(),
                event: event.to_string(),
                field: field.to_string(),
                help: Some(format!(
                    "add `{field}` to `{unit}`'s `sees {event}.{{...}}`, or send this message to \
                     a unit that may see it"
                )),
            });
        }
    }
}

/// A severity by name or, SPEC v0.2, an expression of the built-in enum `severity`.
pub(crate) fn severity(cx: &mut expr::ExprCx<'_>, s: &ast::Expr) -> Option<ir::SeverityOf> {
    use crate::diagnostics::*;
    if let ast::ExprKind::Name(n) = &s.kind
        && !cx.names_a_value(&n.name)
    {
        let parsed = ir::Severity::parse(&n.name);
        if parsed.is_none() {
            let help = did_you_mean(&n.name, ir::Severity::NAMES);
            cx.report(UnknownSeverity {
                span: n.span,
                name: n.name.to_string(),
                help,
            });
        }
        return parsed.map(ir::SeverityOf::Fixed);
    }
    let want = Ty::Enum(SmolStr::new(ir::text::SEVERITY_ENUM));
    let t = cx.check(s, Some(&want));
    if t.ty.is_error() {
        return None;
    }
    if t.ty != want {
        cx.report(TypeMismatch {
            span: s.span,
            expected: "a severity: low, medium, high or critical".into(),
            found: t.ty.described(),
            help: Some("`severity if c.duration >= 60m then critical else high`".into()),
        });
        return None;
    }
    if t.optional {
        cx.report(TypeMismatch {
            span: s.span,
            expected: "a severity for every alert".into(),
            found: "one that may be absent".into(),
            help: Some("give a default with `??`".into()),
        });
        return None;
    }
    Some(match cx.arena.as_const(t.id) {
        Some(Value::Enum(i)) => match ir::Severity::ALL.get(*i as usize) {
            Some(s) => ir::SeverityOf::Fixed(*s),
            None => ir::SeverityOf::Expr(t.id),
        },
        _ => ir::SeverityOf::Expr(t.id),
    })
}

fn emit(cx: &mut expr::ExprCx<'_>, e: &ast::EmitAction) -> Option<ir::Action> {
    use crate::diagnostics::*;
    // `for x in set`: the set is read in the firing's scope; `x` is visible in the fields only.
    let each = e.each.as_ref().map(|each| {
        let set = cx.check(&each.set, None);
        let elem = match &set.ty {
            Ty::Set(elem) => Some((**elem).clone()),
            Ty::Error => None,
            other => {
                cx.report(TypeMismatch {
                    span: each.set.span,
                    expected: "a set".into(),
                    found: other.described(),
                    help: Some("`emit ... for x in s` emits one event per element of `s`".into()),
                });
                None
            }
        };
        let elem = elem.unwrap_or(Ty::Error);
        let element = cx
            .arena
            .push(ir::Node::Element, elem.clone(), each.name.span);
        cx.env.push_value(
            each.name.name.clone(),
            expr::Binding::Value(expr::Typed {
                id: element,
                ty: elem,
                optional: false,
            }),
        );
        set.id
    });
    let action = emit_fields(cx, e, each);
    if each.is_some() {
        cx.env.pop();
    }
    action
}

fn emit_fields(
    cx: &mut expr::ExprCx<'_>,
    e: &ast::EmitAction,
    each: Option<ir::ExprId>,
) -> Option<ir::Action> {
    use crate::diagnostics::*;
    let Some(sig) = cx.scope.events.get(&e.ty.name).cloned() else {
        let help = did_you_mean(&e.ty.name, cx.scope.events.keys().map(|k| k.as_str()));
        cx.report(UnknownEvent {
            span: e.ty.span,
            name: e.ty.name.to_string(),
            help,
        });
        for f in &e.fields {
            cx.check(&f.value, None);
        }
        return None;
    };
    cx.facts
        .refs
        .push((e.ty.span, Target::Item(e.ty.name.clone())));
    let fields = field_values(
        cx,
        &e.ty.name,
        &sig,
        &e.fields,
        e.span,
        false,
        |cx, value, ty| {
            let t = cx.check(value, Some(ty));
            (t.id, t.ty, t.optional)
        },
    )?;
    let absent = |cx: &mut expr::ExprCx<'_>| {
        cx.arena
            .push(ir::Node::Const(ir::Value::Absent), Ty::Error, e.span)
    };
    let ids = fields
        .into_iter()
        .map(|f| f.unwrap_or_else(|| absent(cx)))
        .collect();
    Some(ir::Action::Emit {
        event: sig.index,
        fields: ids,
        each,
    })
}

/// Checks `Type { field: value, ... }` against the event's declaration: every field known and
/// given once with the right type, every required field present. Returns a value per field
/// slot (`None` for an omitted optional field). `allow_time` permits the implicit `time`,
/// which the caller reads separately.
#[allow(clippy::too_many_arguments)]
pub(crate) fn field_values<T>(
    cx: &mut expr::ExprCx<'_>,
    event: &SmolStr,
    sig: &scope::EventSig,
    inits: &[ast::FieldInit],
    span: Span,
    allow_time: bool,
    mut value: impl FnMut(&mut expr::ExprCx<'_>, &ast::Expr, &Ty) -> (T, Ty, bool),
) -> Option<Vec<Option<T>>> {
    use crate::diagnostics::*;
    let mut out: Vec<Option<T>> = sig.fields.iter().map(|_| None).collect();
    let mut seen: Vec<&str> = Vec::new();
    let mut ok = true;
    for init in inits {
        let name = init.name.name.as_str();
        if seen.contains(&name) {
            cx.report(DuplicateMember {
                span: init.name.span,
                what: "field",
                name: name.to_string(),
                owner: event.to_string(),
            });
            ok = false;
            continue;
        }
        seen.push(name);
        if name == "time" && allow_time {
            continue;
        }
        if name == "time" || name == "id" {
            cx.report(EngineField {
                span: init.name.span,
                field: name.to_string(),
                help: Some(if name == "time" {
                    "an emitted event takes the time of the firing".into()
                } else {
                    "ids of derived events are assigned by the engine".into()
                }),
            });
            ok = false;
            continue;
        }
        let Some((slot, field)) = sig.fields.iter().enumerate().find(|(_, f)| f.name == name)
        else {
            if sig.complete {
                let help = did_you_mean(name, sig.fields.iter().map(|f| f.name.as_str()));
                cx.report(UnknownField {
                    span: init.name.span,
                    field: name.to_string(),
                    event: event.to_string(),
                    help,
                });
            }
            cx.check(&init.value, None);
            ok = false;
            continue;
        };
        cx.facts.refs.push((
            init.name.span,
            Target::Field {
                event: event.clone(),
                field: init.name.name.clone(),
            },
        ));
        let want = field.ty.clone();
        let (v, ty, may_be_absent) = value(cx, &init.value, &want);
        if may_be_absent && !field.optional && ty.fits(&want) {
            cx.report(TypeMismatch {
                span: init.value.span,
                expected: format!("a value that is always present for the required field `{name}`"),
                found: "a value that may be absent".into(),
                help: Some(format!(
                    "give a default: `{} ?? ...`",
                    literal::source_text(&init.value)
                )),
            });
            ok = false;
        } else if !ty.fits(&want) {
            cx.report(TypeMismatch {
                span: init.value.span,
                expected: format!("{} for `{name}`", want.described()),
                found: ty.described(),
                help: None,
            });
            ok = false;
        }
        // PANIC SAFETY: `out` has an entry for each of `sig.fields`, and `slot` is the position
        // of one of them.
        #[allow(clippy::indexing_slicing)]
        {
            out[slot] = Some(v);
        }
    }
    let missing: Vec<String> = sig
        .fields
        .iter()
        .zip(&out)
        .filter(|(f, v)| !f.optional && v.is_none() && !seen.contains(&f.name.as_str()))
        .map(|(f, _)| format!("`{}`", f.name))
        .chain((allow_time && !seen.contains(&"time")).then(|| "`time`".to_string()))
        .collect();
    if !missing.is_empty() && sig.complete {
        cx.report(MissingField {
            span,
            plural: if missing.len() == 1 { "" } else { "s" },
            fields: missing.join(", "),
            event: event.to_string(),
        });
        ok = false;
    }
    ok.then_some(out)
}

/// Reports an unknown event type and returns `None`, or records the reference.
pub(crate) fn event_type(cx: &mut expr::ExprCx<'_>, ty: &ast::Ident) -> Option<SmolStr> {
    if cx.scope.events.contains_key(&ty.name) {
        cx.facts.refs.push((ty.span, Target::Item(ty.name.clone())));
        return Some(ty.name.clone());
    }
    if ty.name.is_empty() {
        return None;
    }
    let help =
        crate::diagnostics::did_you_mean(&ty.name, cx.scope.events.keys().map(|k| k.as_str()));
    cx.report(crate::diagnostics::UnknownEvent {
        span: ty.span,
        name: ty.name.to_string(),
        help,
    });
    None
}

/// Whether `diags` has an error (not only warnings).
pub(crate) fn has_errors(diags: &[Diag]) -> bool {
    diags
        .iter()
        .any(|d| d.level() == crate::diagnostics::Level::Error)
}
