//! What one workflow instance looks like now, and how its current state judges an event:
//! `vigil explain --workflow W --key K`.

use vigil_ir::{self as ir, Transition, Value};

use crate::engine::Engine;
use crate::explain::ClauseValue;
use crate::interp::Ctx;
use crate::row::{Event, Key};
use crate::timers::TimerKind;

/// An instance as it stands.
#[derive(Debug, Clone)]
pub struct InstanceView {
    /// The state it is in (never a final one: an instance ends there).
    pub state: String,
    /// When it entered `state` (event time, ms).
    pub entered: i64,
    /// Its variables (SPEC v0.2): name, type and value.
    pub vars: Vec<(String, ir::Ty, Value)>,
    /// How many times it entered each state it has entered.
    pub visits: Vec<(String, u32)>,
    /// Each `await` of the state: its items' event types and whether each has come.
    pub awaits: Vec<Vec<(String, bool)>>,
    /// Its pending timers, soonest first: due time, the clause (`after 5m`), and the state a
    /// timer moves it to.
    pub timers: Vec<(i64, String, Option<String>)>,
}

/// How a transition out of the current state judges one event.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// The event is for another instance: its key.
    OtherKey(Value),
    /// The event's time is before the instance entered the state.
    BeforeEntry {
        /// When the instance entered its state.
        entered: i64,
    },
    /// The transition's condition is false: its clauses with their values.
    ConditionFalse(ClauseValue),
    /// It would take (or fill) the transition.
    Takes,
}

/// One transition of the current state and its verdict on the event.
#[derive(Debug, Clone)]
pub struct Judged {
    /// `on Acknowledged -> dispatched`, `await all of ... -> on_scene`.
    pub transition: String,
    /// What it makes of the event.
    pub verdict: Verdict,
}

impl Engine {
    /// Instance `key` of workflow `workflow`, if it is live.
    pub fn instance_view(&self, workflow: &str, key: &Value) -> Option<InstanceView> {
        let (w, wf) = self
            .program
            .workflows
            .iter_enumerated()
            .find(|(_, wf)| wf.name == workflow)?;
        let key = Key(key.clone());
        let inst = self.workflows.get(w)?.instances.get(&key)?;
        let state = wf.states.get(inst.state)?;
        let name = |s: ir::StateId| wf.states.get(s).map_or("?", |s| s.name.as_str());
        let mut timers: Vec<(i64, String, Option<String>)> = self
            .timers
            .iter()
            .filter_map(|t| match &t.kind {
                TimerKind::Workflow {
                    workflow,
                    key: k,
                    generation,
                    timer,
                } if *workflow == w && *k == key && *generation == inst.generation => {
                    let def = state.timers.get(*timer)?;
                    Some((
                        t.due,
                        def.label.clone(),
                        def.target.map(|s| name(s).to_string()),
                    ))
                }
                TimerKind::WorkflowLevel {
                    workflow,
                    key: k,
                    born,
                    timer,
                } if *workflow == w && *k == key && *born == inst.born => {
                    let def = wf.timers.get(*timer)?;
                    let label = format!("{} (from the start)", def.label);
                    Some((t.due, label, def.target.map(|s| name(s).to_string())))
                }
                _ => None,
            })
            .collect();
        timers.sort_by_key(|t| t.0);
        let awaits = state
            .transitions
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match t {
                Transition::Await { items, .. } => Some(
                    items
                        .iter()
                        .enumerate()
                        .map(|(j, item)| {
                            let filled = inst
                                .awaits
                                .get(i)
                                .and_then(|a| a.get(j))
                                .is_some_and(Option::is_some);
                            (self.event_name(item.event), filled)
                        })
                        .collect(),
                ),
                Transition::On { .. } => None,
            })
            .collect();
        Some(InstanceView {
            state: state.name.to_string(),
            entered: inst.entered,
            vars: wf
                .vars
                .iter()
                .zip(&inst.vars)
                .map(|(d, v)| (d.name.to_string(), d.ty.clone(), v.clone()))
                .collect(),
            visits: wf
                .states
                .iter_enumerated()
                .filter_map(|(s, def)| {
                    let n = inst.visits.get(s).copied().unwrap_or(0);
                    (n > 0).then(|| (def.name.to_string(), n))
                })
                .collect(),
            awaits,
            timers,
        })
    }

    /// How each transition of instance `key`'s current state that `event` could drive judges
    /// it: for another instance, too early, its condition false (with the clauses' values), or
    /// taken. Transitions for other event types are left out.
    pub fn judge(&mut self, workflow: &str, key: &Value, event: &Event) -> Vec<Judged> {
        let program = self.program.clone();
        let Some((w, wf)) = program
            .workflows
            .iter_enumerated()
            .find(|(_, wf)| wf.name == workflow)
        else {
            return Vec::new();
        };
        let k = Key(key.clone());
        let Some(inst) = self
            .workflows
            .get(w)
            .and_then(|s| s.instances.get(&k))
            .cloned()
        else {
            return Vec::new();
        };
        let Some(state) = wf.states.get(inst.state) else {
            return Vec::new();
        };
        let name = |s: ir::StateId| wf.states.get(s).map_or("?", |s| s.name.as_str());
        let mut out = Vec::new();
        for t in &state.transitions {
            let (triggers, target, head): (Vec<&ir::Trigger>, ir::StateId, String) = match t {
                Transition::On {
                    trigger, target, ..
                } => (
                    vec![trigger],
                    *target,
                    format!("on {}", self.event_name(trigger.event)),
                ),
                Transition::Await {
                    quorum,
                    items,
                    target,
                    ..
                } => {
                    let names: Vec<String> =
                        items.iter().map(|i| self.event_name(i.event)).collect();
                    let q = if *quorum as usize == items.len() {
                        "all".to_string()
                    } else {
                        format!("any {quorum}")
                    };
                    (
                        items.iter().collect(),
                        *target,
                        format!("await {q} of {}", names.join(", ")),
                    )
                }
            };
            for trig in triggers.into_iter().filter(|t| t.event == event.ty) {
                let transition = format!("{head} -> {}", name(target));
                let slots = [Some(&*inst.start), Some(&**event)];
                let ctx = Ctx {
                    slots: &slots,
                    from: Some(&state.name),
                    visits: &inst.visits,
                    vars: &inst.vars,
                    ..Ctx::default()
                };
                let their = crate::interp::eval(&wf.exprs, trig.key, &ctx, &self.tables)
                    .unwrap_or(Value::Absent);
                let verdict = if Key(their.clone()) != k {
                    Verdict::OtherKey(their)
                } else if event.time < inst.entered {
                    Verdict::BeforeEntry {
                        entered: inst.entered,
                    }
                } else {
                    match trig.cond {
                        Some(c) => {
                            let v = crate::explain::clause(&wf.exprs, c, &ctx, &self.tables);
                            if v.holds() {
                                Verdict::Takes
                            } else {
                                Verdict::ConditionFalse(v)
                            }
                        }
                        None => Verdict::Takes,
                    }
                };
                out.push(Judged {
                    transition,
                    verdict,
                });
            }
        }
        out
    }

    fn event_name(&self, ty: ir::EventTypeId) -> String {
        self.program
            .event(ty)
            .map_or_else(|| "?".to_string(), |e| e.name.to_string())
    }
}
