//! Actions (SPEC §4.2): alerts with their messages, emitted events, workflow starts. Rules and
//! workflow states share this code.

use std::sync::Arc;

use vigil_ir::{self as ir, ExprArena, Severity, TemplatePart, Ty, Value};

use crate::engine::Engine;
use crate::interp::Ctx;
use crate::record::{AlertRecord, Origin, Record, Writer, alert_id};
use crate::row::Event;

/// Where actions run: who raises the alerts and what they carry.
pub(crate) struct ActionContext<'a> {
    /// The engine's program (passed down rather than counted again per alert).
    pub program: &'a ir::Program,
    pub origin: Origin,
    pub default_severity: Severity,
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
                    units,
                    severity,
                    message,
                } => {
                    let message = message
                        .as_ref()
                        .map(|m| self.message(ac.program, m, arena, ctx));
                    let to = units
                        .iter()
                        .filter_map(|u| self.names.units.get(*u as usize).cloned())
                        .collect();
                    let evidence = ac.evidence.to_vec();
                    let record = AlertRecord {
                        id: alert_id(&ac.origin, &ac.key, ac.time, &evidence),
                        origin: ac.origin.clone(),
                        severity: severity.unwrap_or(ac.default_severity),
                        title: ac.title.clone(),
                        to,
                        key: ac.key.clone(),
                        time: ac.time,
                        message,
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
                ir::Action::Emit { event, fields } => {
                    let mut values = Vec::with_capacity(fields.len());
                    for f in fields {
                        match self.value(arena, *f, ctx) {
                            Some(v) => values.push(v),
                            None => return,
                        }
                    }
                    let row = self.derived_row(*event, ac.time, values, &ac.producer);
                    self.derived.push_back(row);
                }
                ir::Action::Start { workflow } => {
                    if let Some(trigger) = ac.trigger {
                        self.start_by_rule(*workflow, trigger, ac.time);
                    }
                }
            }
        }
    }

    /// A message with its interpolations evaluated; a part that fails to evaluate is left
    /// empty (and counted).
    pub(crate) fn message(
        &mut self,
        program: &ir::Program,
        template: &ir::Template,
        arena: &ExprArena,
        ctx: &Ctx<'_>,
    ) -> String {
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
        for part in &template.parts {
            match part {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Expr(id) => {
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
                }
            }
        }
        out
    }
}
