//! `vigil explain --workflow W --key K`: one instance's story — each transition with its
//! cause, its alerts, where it stands now (state, variables, `await` progress, pending timers
//! with their due times), and, for each transition out of its current state, why the events
//! that came did not take it (another instance's key, before the state was entered, or a
//! condition false, with its values).

use std::fmt::Write as _;
use std::fs::File;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use vigil_ir::{self as ir, Program, Ty, Value};
use vigil_runtime::explain::ClauseValue;
use vigil_runtime::instance::Verdict;
use vigil_runtime::{Decoded, Engine, EngineConfig, EngineKind, Record};

use super::source::Sources;

/// Events of the workflow's trigger types kept to judge at the end.
const KEPT: usize = 10_000;
/// Events listed per transition and verdict.
const SHOWN: usize = 5;

pub fn run(
    program: Arc<Program>,
    workflow: &str,
    key: &str,
    events: &Path,
    lateness: i64,
) -> ExitCode {
    let Some(wf) = program.workflows.iter().find(|w| w.name == workflow) else {
        let names: Vec<&str> = program.workflows.iter().map(|w| w.name.as_str()).collect();
        return super::fail(format!(
            "no workflow `{workflow}`; the workflows are: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
    };
    let key_ty = wf.exprs.ty(wf.start.key).clone();
    let Some(key_value) = parse_key(&program, key, &key_ty) else {
        return super::fail(format!(
            "--key {key}: not {} (the key of `{workflow}`)",
            key_ty.described()
        ));
    };
    let triggers: Vec<ir::EventTypeId> = wf
        .states
        .iter()
        .flat_map(|s| &s.transitions)
        .flat_map(|t| match t {
            ir::Transition::On { trigger, .. } => vec![trigger.event],
            ir::Transition::Await { items, .. } => items.iter().map(|i| i.event).collect(),
        })
        .collect();
    let file = match File::open(events) {
        Ok(f) => f,
        Err(e) => return super::fail(format!("{}: {e}", events.display())),
    };
    let wf = wf.clone();
    let mut engine = Engine::new(
        program.clone(),
        EngineConfig {
            lateness,
            engine: EngineKind::Interp,
            ..EngineConfig::default()
        },
    );
    let mut decoder = engine.decoder();
    let mut reader = vigil_runtime::LineReader::new(file);
    let mut kept: Vec<vigil_runtime::Event> = Vec::new();
    let mut story: Vec<Record> = Vec::new();
    let mut n = 0u64;
    let take = |engine: &mut Engine, story: &mut Vec<Record>| {
        for r in engine.take_records() {
            let mine = match &r {
                Record::Transition(t) => *t.workflow == *workflow && t.key == key_value,
                Record::Alert(a) => {
                    matches!(&a.origin, vigil_runtime::Origin::Workflow { workflow: w, .. } if **w == *workflow)
                        && a.key == key_value
                }
                _ => false,
            };
            if mine {
                story.push(r);
            }
        }
    };
    loop {
        let line = match reader.next_line() {
            Ok(Some((line, _))) => line,
            Ok(None) => break,
            Err(e) => return super::fail(format!("{}: {e}", events.display())),
        };
        n += 1;
        let decoded = decoder.decode(line, n);
        if let Decoded::Row(row) = &decoded
            && triggers.contains(&row.ty)
            && kept.len() < KEPT
        {
            kept.push(Arc::new(row.clone()));
        }
        engine.push_decoded(decoded);
        take(&mut engine, &mut story);
    }
    engine.finish();
    take(&mut engine, &mut story);
    // Each event of a trigger type, judged by the current state's transitions.
    let judged: Vec<(&vigil_runtime::Event, Vec<vigil_runtime::instance::Judged>)> = kept
        .iter()
        .map(|e| (e, engine.judge(workflow, &key_value, e)))
        .collect();

    let mut out = String::new();
    let mut sources = Sources::default();
    let o = &wf.origin;
    let _ = writeln!(
        out,
        "workflow {} ({}:{}) — instance {}",
        wf.name,
        o.file,
        o.line,
        engine.literal(&key_value, &key_ty)
    );
    let time = |t: i64| engine.literal(&Value::Time(t), &Ty::Time);
    if story.is_empty() {
        let _ = writeln!(
            out,
            "\nno instance with this key started in {} ({n} lines)",
            events.display()
        );
        print!("{out}");
        return ExitCode::SUCCESS;
    }
    let _ = writeln!(out, "\nhistory:");
    for r in &story {
        match r {
            Record::Transition(t) => {
                let from = t.from.as_deref().unwrap_or("(start)");
                let line = t.line.map_or(String::new(), |l| format!(", line {l}"));
                let _ = writeln!(
                    out,
                    "  {}  {from} -> {}  ({}{line})",
                    time(t.time),
                    t.to,
                    t.cause
                );
            }
            Record::Alert(a) => {
                let to: Vec<&str> = a.to.iter().map(|u| &**u).collect();
                let msg = a.message.as_deref().unwrap_or("");
                let _ = writeln!(
                    out,
                    "  {}  alert {} to {}: {msg}",
                    time(a.time),
                    a.severity.as_str(),
                    to.join(", ")
                );
            }
            _ => {}
        }
    }
    let Some(view) = engine.instance_view(workflow, &key_value) else {
        let last = story.iter().rev().find_map(|r| match r {
            Record::Transition(t) => Some((t.to.clone(), t.time)),
            _ => None,
        });
        if let Some((state, at)) = last {
            let _ = writeln!(out, "\nended in {state} at {}", time(at));
        }
        print!("{out}");
        return ExitCode::SUCCESS;
    };
    let _ = writeln!(out, "\nnow: in {} since {}", view.state, time(view.entered));
    if !view.vars.is_empty() {
        let vars: Vec<String> = view
            .vars
            .iter()
            .map(|(name, ty, v)| format!("{name} = {}", engine.literal(v, ty)))
            .collect();
        let _ = writeln!(out, "  variables: {}", vars.join(", "));
    }
    let visits: Vec<String> = view
        .visits
        .iter()
        .map(|(s, k)| format!("{s} ×{k}"))
        .collect();
    let _ = writeln!(out, "  visits: {}", visits.join(", "));
    for items in &view.awaits {
        let parts: Vec<String> = items
            .iter()
            .map(|(e, come)| format!("{e} {}", if *come { "✓" } else { "…" }))
            .collect();
        let _ = writeln!(out, "  await: {}", parts.join(", "));
    }
    if view.timers.is_empty() {
        let _ = writeln!(out, "  no timer pending");
    }
    for (due, label, target) in &view.timers {
        let to = target
            .as_ref()
            .map_or(" (acts, the state stays)".to_string(), |t| {
                format!(" -> {t}")
            });
        let _ = writeln!(out, "  timer {label} due {}{to}", time(*due));
    }

    let mut verdicts: Vec<(String, String, Vec<String>)> = Vec::new();
    for (event, judgements) in judged {
        let line = event
            .line()
            .map_or(String::new(), |l| format!("line {l}: "));
        let name = program.event(event.ty).map_or("?", |e| e.name.as_str());
        for j in judgements {
            let (class, detail) = match &j.verdict {
                Verdict::Takes => continue,
                Verdict::OtherKey(k) => (
                    "for other instances".to_string(),
                    format!(
                        "{line}{name} at {} has key {}",
                        time(event.time),
                        engine.literal(k, &key_ty)
                    ),
                ),
                Verdict::BeforeEntry { entered } => (
                    format!("before {} was entered at {}", view.state, time(*entered)),
                    format!("{line}{name} at {}", time(event.time)),
                ),
                Verdict::ConditionFalse(c) => (
                    "the condition was false".to_string(),
                    format!(
                        "{line}{name} at {}: {}",
                        time(event.time),
                        false_clauses(&engine, &mut sources, &wf, c)
                    ),
                ),
            };
            match verdicts
                .iter_mut()
                .find(|(t, c, _)| *t == j.transition && *c == class)
            {
                Some((_, _, list)) => list.push(detail),
                None => verdicts.push((j.transition, class, vec![detail])),
            }
        }
    }
    let _ = writeln!(out, "\nwhy the events that came did not move it:");
    if verdicts.is_empty() {
        let _ = writeln!(out, "  no event of a type its transitions read came for it");
    }
    for (transition, class, list) in &verdicts {
        let _ = writeln!(
            out,
            "  {transition}: {} event{} {class}",
            list.len(),
            if list.len() == 1 { "" } else { "s" }
        );
        for d in list.iter().take(SHOWN) {
            let _ = writeln!(out, "    {d}");
        }
        if list.len() > SHOWN {
            let _ = writeln!(out, "    … {} more", list.len() - SHOWN);
        }
    }
    for line in out.lines() {
        println!("{}", line.trim_end());
    }
    ExitCode::SUCCESS
}

/// The clauses that made a condition false, with their operands' values.
fn false_clauses(
    engine: &Engine,
    sources: &mut Sources,
    wf: &ir::Workflow,
    c: &ClauseValue,
) -> String {
    let mut leaves = Vec::new();
    collect_false(c, &mut leaves);
    let parts: Vec<String> = leaves
        .iter()
        .map(|l| {
            let text = sources.snippet(&wf.origin, &wf.exprs, l.expr).1;
            let values: Vec<String> = l
                .operands
                .iter()
                .map(|(e, v)| {
                    let t = sources.snippet(&wf.origin, &wf.exprs, *e).1;
                    format!("{t} = {}", engine.literal(v, wf.exprs.ty(*e)))
                })
                .collect();
            if values.is_empty() {
                format!("✗ {text}")
            } else {
                format!("✗ {text} ({})", values.join(", "))
            }
        })
        .collect();
    parts.join("; ")
}

fn collect_false<'a>(c: &'a ClauseValue, out: &mut Vec<&'a ClauseValue>) {
    if c.holds() {
        return;
    }
    if c.parts.is_empty() {
        out.push(c);
    } else {
        for p in &c.parts {
            collect_false(p, out);
        }
    }
}

/// `--key` as a value of the workflow's key type.
fn parse_key(program: &Program, text: &str, ty: &Ty) -> Option<Value> {
    Some(match ty {
        Ty::Str => Value::str(text),
        Ty::Int => Value::Int(text.parse().ok()?),
        Ty::Bool => Value::Bool(text.parse().ok()?),
        Ty::Enum(_) | Ty::Unit => vigil_ir::maps::parse_value(program, text, ty)?,
        Ty::Time => Value::Time(vigil_ir::time::parse_time(text).ok()?),
        _ => return None,
    })
}
