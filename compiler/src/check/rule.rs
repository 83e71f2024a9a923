//! Checking and lowering rules (SPEC §4).

use smol_str::SmolStr;

use super::expr::ExprCx;
use super::scope::Scope;
use super::{CheckedItem, Lowered, actions, event_type, has_errors, severity};
use crate::diagnostics::*;
use crate::syntax::ast::{self, Pattern, RuleClause};
use vigil_ir::{self as ir, Node, Ty, Value};

pub(super) fn check(scope: &Scope, rule: &ast::Rule) -> CheckedItem {
    let mut cx = ExprCx::new(scope);
    let mut title = None;
    let mut sev = None;
    let mut when: Option<&ast::Pattern> = None;
    let mut suppress: Option<&ast::Suppress> = None;
    let mut tags = None;
    let mut expires = None;
    let mut mode = None;
    let mut action_list: Vec<ast::Action> = Vec::new();

    for clause in &rule.clauses {
        let (name, span, seen) = match clause {
            RuleClause::Title(t) => ("title", t.span, title.replace(t).is_some()),
            RuleClause::Severity(s) => ("severity", s.span, sev.replace(s).is_some()),
            RuleClause::When(p) => ("when", pattern_span(p), when.replace(p).is_some()),
            RuleClause::Suppress(s) => ("suppress", s.span, suppress.replace(s).is_some()),
            RuleClause::Tags(t, span) => ("tags", *span, tags.replace(t).is_some()),
            RuleClause::Expires(e) => ("expires", e.span, expires.replace(e).is_some()),
            RuleClause::Mode(m) => ("mode", m.span, mode.replace(m).is_some()),
            RuleClause::Action(a) => {
                action_list.push(a.clone());
                continue;
            }
        };
        if seen {
            cx.report(RepeatedClause { span, clause: name });
        }
    }

    let shadow = match mode {
        Some(m) if m.name == "shadow" => true,
        Some(m) => {
            cx.report(UnknownMode {
                span: m.span,
                name: m.name.to_string(),
            });
            false
        }
        None => false,
    };
    let expires = expires.and_then(
        |e| match cx.constant_value(e, Some(&Ty::Time), "`expires`") {
            Some((Value::Time(t), _)) => Some(t),
            Some((_, ty)) => {
                cx.report(TypeMismatch {
                    span: e.span,
                    expected: "a time such as 2027-01-01T00:00:00+08:00".into(),
                    found: ty.described(),
                    help: None,
                });
                None
            }
            None => None,
        },
    );

    let Some(pattern_ast) = when else {
        cx.report(MissingClause {
            span: rule.name.span,
            owner: format!("rule `{}`", rule.name.name),
            clause: "`when` pattern",
            help: Some("add `when x: EventType where ...`".into()),
        });
        return finish(cx, None);
    };
    let lowered = pattern(&mut cx, pattern_ast);
    if action_list.is_empty() {
        cx.report(NoAction {
            span: rule.name.span,
            what: format!("rule `{}`", rule.name.name),
            help: Some(
                "add an action: `alert unit`, `emit Event { ... }` or `start workflow`".into(),
            ),
        });
    }
    let trigger = lowered.as_ref().and_then(|p| p.trigger.clone());
    let suppress = suppress.and_then(|s| {
        let key = s.by.as_ref().map(|by| {
            let t = cx.check(by, None);
            if !t.ty.is_key() {
                cx.report(TypeMismatch {
                    span: by.span,
                    expected: "a key (str, int, bool, time, duration or enum)".into(),
                    found: t.ty.described(),
                    help: None,
                });
            }
            t.id
        });
        let duration = cx.constant_duration(&s.duration, "the suppression interval")?;
        Some(ir::Suppress { key, duration })
    });
    // Checked with the pattern's bindings: a computed severity reads its events (SPEC v0.2).
    let severity = sev
        .and_then(|s| severity(&mut cx, s))
        .unwrap_or(ir::SeverityOf::Fixed(ir::Severity::Medium));
    let acts = actions(&mut cx, &action_list, trigger.as_ref());
    let Some(mut lowered) = lowered else {
        return finish(cx, None);
    };
    if let ir::Pattern::Window { aggregates, .. } = &mut lowered.pattern {
        *aggregates = cx.aggregates.take().unwrap_or_default();
    }
    let ir_rule = ir::Rule {
        name: rule.name.name.clone(),
        title: title.map(|t| super::literal::string_value(t).to_string()),
        severity,
        tags: tags
            .map(|t| {
                t.iter()
                    .map(|s| super::literal::string_value(s).to_string())
                    .collect()
            })
            .unwrap_or_default(),
        expires,
        shadow,
        pattern: lowered.pattern,
        actions: acts,
        suppress,
        exprs: ir::ExprArena::default(),
        origin: ir::Origin::default(),
    };
    finish(cx, Some(ir_rule))
}

fn finish(mut cx: ExprCx<'_>, rule: Option<ir::Rule>) -> CheckedItem {
    let lowered = match rule {
        Some(mut r) if !has_errors(&cx.diags) => {
            r.exprs = std::mem::take(&mut cx.arena);
            Lowered::Rule(r)
        }
        _ => Lowered::Nothing,
    };
    CheckedItem {
        diagnostics: cx.diags,
        facts: cx.facts,
        lowered,
    }
}

fn pattern_span(p: &Pattern) -> crate::syntax::Span {
    match p {
        Pattern::Single(s) => s.span,
        Pattern::Sequence(s) => s.span,
    }
}

struct LoweredPattern {
    pattern: ir::Pattern,
    /// The event type whose arrival fires the rule (what a `start` action starts with).
    trigger: Option<SmolStr>,
}

/// Checks the pattern and leaves `cx` ready for the actions: bindings in scope, aggregates and
/// `key` available where the pattern has them.
fn pattern(cx: &mut ExprCx<'_>, p: &Pattern) -> Option<LoweredPattern> {
    match p {
        Pattern::Single(s) => single(cx, s),
        Pattern::Sequence(s) => sequence(cx, s),
    }
}

fn bind(cx: &mut ExprCx<'_>, m: &ast::EventMatch, slot: u8, event: &SmolStr) {
    match &m.binding {
        Some(b) => {
            cx.env.bind_event(b, slot, event);
            cx.facts.bindings.push((b.span, event.clone()));
        }
        None => cx.env.implicit = Some((slot, event.clone())),
    }
}

fn single(cx: &mut ExprCx<'_>, s: &ast::SinglePattern) -> Option<LoweredPattern> {
    let event = event_type(cx, &s.event.ty);
    if let Some(by) = &s.event.by {
        cx.report(MisplacedConstruct {
            span: by.span,
            what: "`by`".into(),
            place: "on a single event".into(),
            help: Some("to count events per key, write `group by key within D having ...`".into()),
        });
    }
    // An unknown type still binds its name, so its uses report nothing more.
    bind(
        cx,
        &s.event,
        0,
        event.as_ref().unwrap_or(&SmolStr::default()),
    );
    let cond = s.event.cond.as_ref().map(|c| cx.condition(c));
    let event = event?;
    let index = cx.scope.events.get(&event)?.index;
    let Some(group) = &s.group else {
        return Some(LoweredPattern {
            pattern: ir::Pattern::Single { event: index, cond },
            trigger: Some(event),
        });
    };
    let key = cx.check(&group.key, None);
    if !key.ty.is_key() {
        cx.report(TypeMismatch {
            span: group.key.span,
            expected: "a key (str, int, bool, time, duration or enum)".into(),
            found: key.ty.described(),
            help: None,
        });
    }
    let within = cx.constant_duration(&group.within, "the window");
    cx.aggregates = Some(Vec::new());
    cx.key = Some(key.ty.clone());
    let having = cx.condition(&group.having);
    Some(LoweredPattern {
        pattern: ir::Pattern::Window {
            event: index,
            cond,
            key: key.id,
            within: within?,
            having,
            // Filled in after the actions, whose messages may add aggregates of their own.
            aggregates: Vec::new(),
        },
        trigger: Some(event),
    })
}

fn sequence(cx: &mut ExprCx<'_>, s: &ast::SequencePattern) -> Option<LoweredPattern> {
    let within = cx.constant_duration(&s.within, "the sequence span");
    let mut steps = Vec::new();
    let mut key_ty: Option<Ty> = None;
    let mut ok = true;
    let mut trigger = None;
    let mut bound: Vec<SmolStr> = Vec::new();
    for (i, step) in s.steps.iter().enumerate() {
        let slot = u8::try_from(i).unwrap_or(u8::MAX);
        if i == 0 && step.absent {
            cx.report(SequenceStartsAbsent { span: step.span });
            ok = false;
        }
        let Some(event) = event_type(cx, &step.event.ty) else {
            bind(cx, &step.event, slot, &SmolStr::default());
            cx.env.implicit = None;
            ok = false;
            continue;
        };
        let Some(sig) = cx.scope.events.get(&event).cloned() else {
            ok = false;
            continue;
        };
        if let Some(b) = &step.event.binding
            && bound.contains(&b.name)
        {
            cx.report(DuplicateBinding {
                span: b.span,
                name: b.name.to_string(),
            });
            ok = false;
        }
        // The step's key: its own `by` expression over this event alone, else the field
        // named by the sequence.
        let saved = cx.env.clone();
        cx.env = Default::default();
        bind(cx, &step.event, slot, &event);
        let key = match &step.event.by {
            Some(by) => Some(cx.check(by, None)),
            None => match sig.field(&s.key.name) {
                Some(f) => {
                    cx.facts.refs.push((
                        s.key.span,
                        super::Target::Field {
                            event: event.clone(),
                            field: s.key.name.clone(),
                        },
                    ));
                    let (ty, optional) = sig.field_type(f);
                    let node = match f {
                        super::scope::FieldRef::Time => Node::EventTime(slot),
                        super::scope::FieldRef::Id => Node::EventId(slot),
                        super::scope::FieldRef::Declared(fi) => Node::Field { slot, field: fi },
                    };
                    let id = cx.arena.push(node, ty.clone(), s.key.span);
                    Some(super::expr::Typed { id, ty, optional })
                }
                None => {
                    if sig.complete {
                        let candidates = sig.fields.iter().map(|f| f.name.as_str());
                        let help = did_you_mean(&s.key.name, candidates)
                            .map(|h| format!("{h} or write `{} by expr`", event))
                            .or_else(|| Some(format!("give this step its key: `{event} by expr`")));
                        cx.report(SequenceKeyMissing {
                            span: step.event.ty.span,
                            event: event.to_string(),
                            key: s.key.name.to_string(),
                            help,
                        });
                    }
                    None
                }
            },
        };
        cx.env = saved;
        let Some(key) = key else {
            ok = false;
            continue;
        };
        match &key_ty {
            None => {
                if !key.ty.is_key() {
                    cx.report(TypeMismatch {
                        span: step.event.by.as_ref().map_or(s.key.span, |b| b.span),
                        expected: "a key (str, int, bool, time, duration or enum)".into(),
                        found: key.ty.described(),
                        help: None,
                    });
                }
                key_ty = Some(key.ty.clone());
            }
            Some(first) if !key.ty.fits(first) => {
                cx.report(SequenceKeyType {
                    span: step
                        .event
                        .by
                        .as_ref()
                        .map_or(step.event.ty.span, |b| b.span),
                    key: s.key.name.to_string(),
                    expected: first.to_string(),
                    found: key.ty.to_string(),
                });
                ok = false;
            }
            Some(_) => {}
        }
        // The condition sees earlier positive steps and this step; an absent step's binding
        // is visible only in its own condition.
        let before = cx.env.clone();
        bind(cx, &step.event, slot, &event);
        let cond = step.event.cond.as_ref().map(|c| cx.condition(c));
        if step.absent {
            cx.env = before;
        } else {
            trigger = Some(event.clone());
            if let Some(b) = &step.event.binding {
                bound.push(b.name.clone());
            }
            // Implicit fields belong to the step that declared them only.
            cx.env.implicit = None;
        }
        steps.push(ir::SeqStep {
            event: sig.index,
            absent: step.absent,
            key: key.id,
            cond,
        });
    }
    cx.key = key_ty;
    if !ok {
        return None;
    }
    Some(LoweredPattern {
        pattern: ir::Pattern::Sequence {
            within: within?,
            steps,
        },
        trigger,
    })
}
