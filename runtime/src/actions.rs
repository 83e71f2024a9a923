//! Actions (SPEC §4.2): alerts with their messages, emitted events, workflow starts. Rules and
//! workflow states share this code.

use std::sync::Arc;

use vigil_ir::{self as ir, ExprArena, Recipient, Severity, SeverityOf, TemplatePart, Ty, Value};

use crate::engine::Engine;
use crate::interp::Ctx;
use crate::record::{AlertRecord, Origin, Record, Writer, alert_id};
use crate::row::Event;

/// Where actions run: who raises the alerts and what they carry.
pub(crate) struct ActionContext<'a> {
    /// The engine's program (passed down rather than counted again per alert).
    pub program: &'a ir::Program,
    pub origin: Origin,
    /// The rule's severity (a workflow's alerts are `medium` unless they say otherwise).
    pub default_severity: SeverityOf,
    pub title: Option<Arc<str>>,
    pub key: Value,
    pub time: i64,
    pub evidence: &'a [Event],
    pub evidence_total: usize,
    pub shadow: bool,
    /// The rule or workflow name, recorded on emitted events.
    pub producer: Arc<str>,
    /// The event a `start` action starts its workflow with.
    pub trigger: Option<&'a Event>,
}

impl Engine {
    pub(crate) fn run_actions(
        &mut self,
        actions: &[ir::Action],
        arena: &ExprArena,
        ctx: &Ctx<'_>,
        ac: ActionContext<'_>,
    ) {
        for action in actions {
            match action {
                // A workflow runs its actions one at a time and applies `set` itself, so that
                // the actions after it read the new value (`Engine::workflow_actions`).
                ir::Action::Set { .. } => {}
                ir::Action::Alert {
                    to,
                    severity,
                    message,
                } => {
                    let (message, interpolations) = match message {
                        Some(m) => {
                            let (text, parts) = self.message(ac.program, m, arena, ctx);
                            (Some(text), parts)
                        }
                        None => (None, Vec::new()),
                    };
                    let to = self.recipients(to, arena, ctx);
                    let severity =
                        self.severity(severity.unwrap_or(ac.default_severity), arena, ctx);
                    let evidence = ac.evidence.to_vec();
                    let record = AlertRecord {
                        id: alert_id(&ac.origin, &ac.key, ac.time, &evidence),
                        origin: ac.origin.clone(),
                        severity,
                        title: ac.title.clone(),
                        to,
                        key: ac.key.clone(),
                        time: ac.time,
                        message,
                        interpolations,
                        evidence,
                        evidence_total: ac.evidence_total,
                        shadow: ac.shadow,
                        ruleset: self.fingerprint.clone(),
                    };
                    if ac.shadow {
                        self.stats.shadow_alerts += 1;
                    } else {
                        self.stats.alerts += 1;
                    }
                    self.records.push(Record::Alert(record));
                }
                // A shadow rule only writes its alerts: it must not change what other rules
                // and workflows see.
                ir::Action::Emit { .. } | ir::Action::Start { .. } if ac.shadow => {}
                ir::Action::Emit {
                    event,
                    fields,
                    each: None,
                } => {
                    if !self.emit(*event, fields, arena, ctx, &ac) {
                        return;
                    }
                }
                ir::Action::Emit {
                    event,
                    fields,
                    each: Some(set),
                } => {
                    let set = match self.value(arena, *set, ctx) {
                        Some(Value::Set(set)) => set,
                        // An absent set has no elements to emit for.
                        Some(_) => continue,
                        None => return,
                    };
                    for element in &set.items {
                        let ctx = Ctx {
                            element: Some(element),
                            ..*ctx
                        };
                        if !self.emit(*event, fields, arena, &ctx, &ac) {
                            return;
                        }
                    }
                }
                ir::Action::Start { workflow } => {
                    if let Some(trigger) = ac.trigger {
                        self.start_by_rule(*workflow, trigger, ac.time);
                    }
                }
            }
        }
    }

    /// Queues one derived event. `false` when a field fails to evaluate (an overflow): the
    /// firing's remaining actions do not run.
    fn emit(
        &mut self,
        event: ir::EventTypeId,
        fields: &[ir::ExprId],
        arena: &ExprArena,
        ctx: &Ctx<'_>,
        ac: &ActionContext<'_>,
    ) -> bool {
        let mut values = Vec::with_capacity(fields.len());
        for f in fields {
            match self.value(arena, *f, ctx) {
                Some(v) => values.push(v),
                None => return false,
            }
        }
        let row = self.derived_row(event, ac.time, values, &ac.producer);
        self.derived.push_back(row);
        true
    }

    /// The units an alert goes to: each once, in the order written, a set's members in
    /// declaration order (SPEC v0.2). A recipient that fails to evaluate (an overflow in its
    /// key) is left out and counted; the alert is still written.
    fn recipients(&mut self, to: &[Recipient], arena: &ExprArena, ctx: &Ctx<'_>) -> Vec<Arc<str>> {
        let mut units: Vec<u32> = Vec::with_capacity(to.len());
        let mut add = |u: u32| {
            if !units.contains(&u) {
                units.push(u);
            }
        };
        for r in to {
            match r {
                Recipient::Unit(u) => add(*u),
                Recipient::Expr(e) => match self.value(arena, *e, ctx) {
                    Some(Value::Unit(u)) => add(u),
                    Some(Value::Set(set)) => {
                        for v in &set.items {
                            if let Value::Unit(u) = v {
                                add(*u);
                            }
                        }
                    }
                    _ => {}
                },
            }
        }
        units
            .iter()
            .filter_map(|u| self.names.units.get(*u as usize).cloned())
            .collect()
    }

    /// An alert's severity; a computed one that fails to evaluate is `medium` (counted).
    fn severity(&mut self, s: SeverityOf, arena: &ExprArena, ctx: &Ctx<'_>) -> Severity {
        match s {
            SeverityOf::Fixed(s) => s,
            SeverityOf::Expr(e) => match self.value(arena, e, ctx) {
                Some(Value::Enum(i)) => Severity::ALL
                    .get(i as usize)
                    .copied()
                    .unwrap_or(Severity::Medium),
                _ => Severity::Medium,
            },
        }
    }

    /// A message with its interpolations evaluated, and where each value is in it; a part
    /// that fails to evaluate is left empty (and counted).
    pub(crate) fn message(
        &mut self,
        program: &ir::Program,
        template: &ir::Template,
        arena: &ExprArena,
        ctx: &Ctx<'_>,
    ) -> (String, Vec<(std::ops::Range<usize>, ir::ExprId)>) {
        // Room for the text and a short value per interpolation: one allocation, not one per
        // doubling.
        let room: usize = template
            .parts
            .iter()
            .map(|p| match p {
                TemplatePart::Text(t) => t.len(),
                TemplatePart::Expr(_) => 16,
            })
            .sum();
        let mut out = String::with_capacity(room);
        let mut parts = Vec::new();
        for part in &template.parts {
            match part {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Expr(id) => {
                    let start = out.len();
                    if let Some(v) = self.value(arena, *id, ctx) {
                        let enum_name = match arena.ty(*id) {
                            Ty::Enum(name) => Some(name),
                            _ => None,
                        };
                        let writer = Writer {
                            program,
                            tables: &self.tables,
                        };
                        writer.value_text(&v, enum_name.map(|n| &**n), &mut out);
                    }
                    parts.push((start..out.len(), *id));
                }
            }
        }
        (out, parts)
    }
}
