//! Checking and lowering `test` blocks (SPEC §6).

use super::expr::ExprCx;
use super::scope::Scope;
use super::{CheckedItem, Lowered, Target, event_type, field_values, has_errors};
use crate::diagnostics::*;
use crate::syntax::ast::{self, ExpectKind, ExpectOption, TestClause, TestStep};
use vigil_ir::{self as ir, Ty, Value};

pub(super) fn check(scope: &Scope, t: &ast::Test) -> CheckedItem {
    let mut cx = ExprCx::new(scope);
    let mut steps = Vec::new();
    let mut expects = Vec::new();
    let mut seen_events = false;
    for clause in &t.clauses {
        match clause {
            TestClause::Events(list, span) => {
                if seen_events {
                    cx.report(RepeatedClause {
                        span: *span,
                        clause: "events",
                    });
                }
                seen_events = true;
                for step in list {
                    if let Some(s) = test_step(&mut cx, step) {
                        steps.push(s);
                    }
                }
            }
            TestClause::Expect(e) => {
                if let Some(x) = expectation(&mut cx, e) {
                    expects.push(x);
                }
            }
        }
    }
    let lateness = match &t.lateness {
        None => 0,
        Some(e) => cx.constant_duration(e, "the test's lateness").unwrap_or(0),
    };
    let lowered = if has_errors(&cx.diags) {
        Lowered::Nothing
    } else {
        Lowered::Test(ir::TestCase {
            name: super::literal::string_value(&t.name).to_string(),
            lateness,
            steps,
            expects,
            origin: ir::Origin::default(),
        })
    };
    CheckedItem {
        diagnostics: cx.diags,
        facts: cx.facts,
        lowered,
    }
}

fn test_step(cx: &mut ExprCx<'_>, step: &TestStep) -> Option<ir::TestStep> {
    match step {
        TestStep::AdvanceBy(e, _) => {
            let (v, _) = cx.constant_value(e, Some(&Ty::Duration), "`advance`")?;
            match v {
                Value::Duration(ms) if ms >= 0 => Some(ir::TestStep::AdvanceBy(ms)),
                _ => {
                    cx.report(TypeMismatch {
                        span: e.span,
                        expected: "a duration of zero or more".into(),
                        found: describe(&v),
                        help: Some("write `advance 4d`, or `advance to <time>`".into()),
                    });
                    None
                }
            }
        }
        TestStep::AdvanceTo(e, _) => {
            let (v, _) = cx.constant_value(e, Some(&Ty::Time), "`advance to`")?;
            match v {
                Value::Time(t) => Some(ir::TestStep::AdvanceTo(t)),
                _ => {
                    cx.report(TypeMismatch {
                        span: e.span,
                        expected: "a time".into(),
                        found: describe(&v),
                        help: None,
                    });
                    None
                }
            }
        }
        TestStep::Event(ev) => {
            let Some(name) = event_type(cx, &ev.ty) else {
                for f in &ev.fields {
                    cx.check(&f.value, None);
                }
                return None;
            };
            let sig = cx.scope.events.get(&name)?.clone();
            let time = match ev.fields.iter().find(|f| f.name.name == "time") {
                Some(f) => match cx.constant_value(&f.value, Some(&Ty::Time), "an event's time") {
                    Some((Value::Time(t), _)) => Some(t),
                    Some((v, _)) => {
                        cx.report(TypeMismatch {
                            span: f.value.span,
                            expected: "a time such as 2021-11-25T19:00:00+08:00".into(),
                            found: describe(&v),
                            help: None,
                        });
                        None
                    }
                    None => None,
                },
                None => None,
            };
            let fields = field_values(
                cx,
                &name,
                &sig,
                &ev.fields,
                ev.span,
                true,
                |cx, value, ty| match cx.constant_value(value, Some(ty), "a test event's field") {
                    Some((v, t)) => (v, t, false),
                    None => (Value::Absent, Ty::Error, false),
                },
            )?;
            Some(ir::TestStep::Event {
                event: sig.index,
                time: time?,
                fields: fields
                    .into_iter()
                    .map(|v| v.unwrap_or(Value::Absent))
                    .collect(),
                line: ev.span.start,
            })
        }
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Duration(ms) if *ms < 0 => "a negative duration".into(),
        Value::Absent => "nothing".into(),
        Value::Bool(_) => "a bool".into(),
        Value::Int(_) => "an int".into(),
        Value::Float(_) => "a float".into(),
        Value::Str(_) => "a str".into(),
        Value::Time(_) => "a time".into(),
        Value::Duration(_) => "a duration".into(),
        Value::Point(_) => "a point".into(),
        Value::Enum(_) => "an enum value".into(),
        Value::Unit(_) => "a unit".into(),
        Value::Set(_) => "a set".into(),
    }
}

fn expectation(cx: &mut ExprCx<'_>, e: &ast::Expect) -> Option<ir::Expectation> {
    let mut key = None;
    let mut count = None;
    let mut at = None;
    let mut message = None;
    let mut to = None;
    let mut ok = true;
    let target = match &e.kind {
        ExpectKind::Alert(name) => {
            let known = cx.scope.rules.contains_key(&name.name)
                || cx.scope.workflows.contains_key(&name.name);
            if known {
                cx.facts
                    .refs
                    .push((name.span, Target::Item(name.name.clone())));
            } else {
                let candidates = cx
                    .scope
                    .rules
                    .keys()
                    .chain(cx.scope.workflows.keys())
                    .map(|k| k.as_str());
                let help = did_you_mean(&name.name, candidates);
                cx.report(UnknownRule {
                    span: name.span,
                    name: name.name.to_string(),
                    help,
                });
                ok = false;
            }
            ir::ExpectTarget::Alert(name.name.clone())
        }
        ExpectKind::Transition {
            workflow,
            key: k,
            to,
        } => {
            let sig = cx.scope.workflows.get(&workflow.name).cloned();
            let Some(sig) = sig else {
                let help = did_you_mean(
                    &workflow.name,
                    cx.scope.workflows.keys().map(|k| k.as_str()),
                );
                cx.report(UnknownWorkflow {
                    span: workflow.span,
                    name: workflow.name.to_string(),
                    help,
                });
                cx.check(k, None);
                return None;
            };
            cx.facts
                .refs
                .push((workflow.span, Target::Item(workflow.name.clone())));
            if sig.states.contains(&to.name) {
                cx.facts.refs.push((
                    to.span,
                    Target::State {
                        workflow: workflow.name.clone(),
                        state: to.name.clone(),
                    },
                ));
            } else {
                let help = did_you_mean(&to.name, sig.states.iter().map(|s| s.as_str()));
                cx.report(UnknownState {
                    span: to.span,
                    name: to.name.to_string(),
                    workflow: workflow.name.to_string(),
                    help,
                });
                ok = false;
            }
            let key_value = cx
                .constant_value(k, None, "the instance key")
                .map(|(v, _)| v);
            ir::ExpectTarget::Transition {
                workflow: workflow.name.clone(),
                key: key_value.unwrap_or(Value::Absent),
                to: to.name.clone(),
            }
        }
        ExpectKind::Reject(reason) => {
            // A test event can only be rejected for arriving behind the watermark: the checker
            // refuses every other mistake in it.
            if reason.name != "late" {
                cx.report(BadExpectation {
                    span: reason.span,
                    reason: format!("a test event cannot be rejected as `{}`", reason.name),
                    label: "test events are checked when the rule set is: only `late` can happen"
                        .into(),
                });
                ok = false;
            }
            if let Some(o) = e
                .options
                .iter()
                .find(|o| !matches!(o, ExpectOption::Count(_)))
            {
                let at = match o {
                    ExpectOption::Key(v) | ExpectOption::At(v) | ExpectOption::Count(v) => v.span,
                    ExpectOption::Message(s) => s.span,
                    ExpectOption::KeyNull(span) => *span,
                    ExpectOption::To(u) => u.span,
                };
                cx.report(BadExpectation {
                    span: at,
                    reason: "`expect reject` takes only a count".into(),
                    label: "a rejected event has no key, time or message to match".into(),
                });
                ok = false;
            }
            ir::ExpectTarget::Reject(reason.name.clone())
        }
    };
    for option in &e.options {
        match option {
            ExpectOption::Message(s) => match super::literal::unescape(&s.raw) {
                Ok(text) => message = Some(text),
                Err((reason, _)) => {
                    cx.report(BadString {
                        span: s.span,
                        reason,
                        help: None,
                    });
                    ok = false;
                }
            },
            ExpectOption::Key(k) => {
                key = cx
                    .constant_value(k, None, "the expected key")
                    .map(|(v, _)| v)
            }
            ExpectOption::KeyNull(_) => key = Some(Value::Absent),
            ExpectOption::To(u) => {
                if cx.scope.units.contains_key(&u.name) {
                    cx.facts.refs.push((u.span, Target::Item(u.name.clone())));
                    to = Some(u.name.clone());
                } else {
                    let help = did_you_mean(&u.name, cx.scope.units.keys().map(|k| k.as_str()));
                    cx.report(UnknownUnit {
                        span: u.span,
                        name: u.name.to_string(),
                        help,
                    });
                    ok = false;
                }
            }
            ExpectOption::Count(c) => {
                match cx.constant_value(c, Some(&Ty::Int), "the expected count") {
                    Some((Value::Int(n), _)) if n >= 0 => count = u64::try_from(n).ok(),
                    Some((v, _)) => {
                        cx.report(TypeMismatch {
                            span: c.span,
                            expected: "a count of zero or more".into(),
                            found: describe(&v),
                            help: None,
                        });
                        ok = false;
                    }
                    None => ok = false,
                }
            }
            ExpectOption::At(t) => match cx.constant_value(t, Some(&Ty::Time), "the expected time")
            {
                Some((Value::Time(ms), _)) => at = Some(ms),
                Some((v, _)) => {
                    cx.report(TypeMismatch {
                        span: t.span,
                        expected: "a time".into(),
                        found: describe(&v),
                        help: None,
                    });
                    ok = false;
                }
                None => ok = false,
            },
        }
    }
    if to.is_some() && matches!(e.kind, ExpectKind::Transition { .. }) {
        cx.report(BadExpectation {
            span: e.span,
            reason: "transitions have no recipients".into(),
            label: "`to` applies to `expect alert`".into(),
        });
        ok = false;
    }
    if message.is_some() && matches!(e.kind, ExpectKind::Transition { .. }) {
        cx.report(BadExpectation {
            span: e.span,
            reason: "transitions have no message".into(),
            label: "`message` applies to `expect alert`".into(),
        });
        ok = false;
    }
    if e.negated && count.is_some() {
        cx.report(BadExpectation {
            span: e.span,
            reason: "`expect no ...` cannot also give a count".into(),
            label: "write `count 0` without `no`, or drop the count".into(),
        });
        ok = false;
    }
    if !ok {
        return None;
    }
    Some(ir::Expectation {
        negated: e.negated,
        target,
        key,
        count,
        at,
        to,
        message,
        text: String::new(),
        line: e.span.start,
    })
}
