//! `vigil diff --events`: both versions over the same input, and the alerts and transitions
//! only one of them produces.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value as Json;
use vigil_ir::Program;
use vigil_runtime::{Engine, EngineConfig, Pushed, Record};

/// How many alerts or transitions of each kind a report shows in full.
pub const SAMPLE: usize = 3;

pub struct Replay {
    /// Input lines read.
    pub lines: u64,
    /// Lines each version rejected (old, new).
    pub rejected: (u64, u64),
    /// Per rule or workflow that raised alerts in either version, by name.
    pub alerts: Vec<Outputs>,
    /// Per workflow that made transitions in either version, by name.
    pub transitions: Vec<Outputs>,
}

impl Replay {
    /// Whether the two versions produced different records.
    pub fn differs(&self) -> bool {
        self.alerts
            .iter()
            .chain(&self.transitions)
            .any(|o| o.only_old_total > 0 || o.only_new_total > 0)
    }
}

/// The records of one rule or workflow in both versions.
pub struct Outputs {
    /// `rule` or `workflow`.
    pub kind: &'static str,
    pub name: String,
    pub old: usize,
    pub new: usize,
    pub only_old: Vec<Sample>,
    pub only_new: Vec<Sample>,
    pub only_old_total: usize,
    pub only_new_total: usize,
    /// How many each version produced per hour of event time, local to the rule set's zone
    /// (`2022-06-13T10`), the hours in order; hours in which neither produced any are left out.
    pub hours: Vec<(String, usize, usize)>,
}

/// An alert or a transition that only one version produced.
pub struct Sample {
    /// The record as the version wrote it.
    pub record: Json,
    /// The input lines it refers to (evidence, or the transition's cause), with their text.
    pub lines: Vec<(u64, String)>,
}

struct Run {
    records: Vec<Json>,
    rejected: u64,
}

fn run(program: &Program, input: &[&[u8]], lateness: i64) -> Run {
    let config = EngineConfig {
        lateness,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(Arc::new(program.clone()), config);
    let mut rejected = 0;
    let mut records = Vec::new();
    let take = |engine: &mut Engine, records: &mut Vec<Json>| {
        for r in engine.take_records() {
            if matches!(r, Record::Alert(_) | Record::Transition(_))
                && let Ok(j) = serde_json::from_str::<Json>(&engine.to_json(&r))
            {
                records.push(j);
            }
        }
    };
    for line in input {
        if let Pushed::Rejected(_) = engine.push_line(line) {
            rejected += 1;
        }
        take(&mut engine, &mut records);
    }
    engine.finish();
    take(&mut engine, &mut records);
    Run { records, rejected }
}

/// What makes two records "the same" across versions: everything but the fingerprint, the
/// alert id (it hashes the evidence) and the evidence itself.
fn identity(r: &Json) -> String {
    let field = |k: &str| r.get(k).map(Json::to_string).unwrap_or_default();
    match r.get("kind").and_then(Json::as_str) {
        Some("alert") => format!(
            "{}|{}|{}|{}|{}",
            field("rule"),
            field("workflow"),
            field("state"),
            field("key"),
            field("time")
        ),
        _ => format!(
            "{}|{}|{}|{}|{}|{}",
            field("workflow"),
            field("key"),
            field("from"),
            field("to"),
            field("time"),
            field("cause")
        ),
    }
}

fn owner(r: &Json) -> (&'static str, String, bool) {
    let is_alert = r.get("kind").and_then(Json::as_str) == Some("alert");
    match r.get("rule").and_then(Json::as_str) {
        Some(rule) => ("rule", rule.to_string(), is_alert),
        None => (
            "workflow",
            r.get("workflow")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
            is_alert,
        ),
    }
}

fn lines_of(r: &Json, input: &[&[u8]]) -> Vec<(u64, String)> {
    let mut numbers: Vec<u64> = Vec::new();
    if let Some(ev) = r.get("evidence").and_then(Json::as_array) {
        numbers.extend(
            ev.iter()
                .filter_map(|e| e.get("line").and_then(Json::as_u64)),
        );
    }
    if let Some(n) = r.get("line").and_then(Json::as_u64) {
        numbers.push(n);
    }
    numbers.dedup();
    numbers
        .into_iter()
        .take(5)
        .map(|n| {
            let text = usize::try_from(n)
                .ok()
                .and_then(|i| input.get(i.checked_sub(1)?))
                .map(|l| String::from_utf8_lossy(l).trim().to_string())
                .unwrap_or_default();
            (n, text)
        })
        .collect()
}

/// Replays the events at `path` through both programs, waiting `lateness` ms for
/// out-of-order events as `vigil run --lateness` does.
pub fn replay(old: &Program, new: &Program, path: &Path, lateness: i64) -> Result<Replay, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mut input: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if input.last().is_some_and(|l| l.is_empty()) {
        input.pop();
    }
    let input: Vec<&[u8]> = input
        .into_iter()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    let a = run(old, &input, lateness);
    let b = run(new, &input, lateness);

    // Per owner: the records of each version, in order.
    type Groups = BTreeMap<(bool, &'static str, String), (Vec<Json>, Vec<Json>)>;
    let mut groups: Groups = BTreeMap::new();
    for (side, records) in [(0, a.records), (1, b.records)] {
        for r in records {
            let (kind, name, is_alert) = owner(&r);
            let entry = groups.entry((!is_alert, kind, name)).or_default();
            if side == 0 {
                entry.0.push(r);
            } else {
                entry.1.push(r);
            }
        }
    }
    let mut alerts = Vec::new();
    let mut transitions = Vec::new();
    for ((is_transition, kind, name), (olds, news)) in groups {
        let mut unmatched: BTreeMap<String, usize> = BTreeMap::new();
        for r in &news {
            *unmatched.entry(identity(r)).or_insert(0) += 1;
        }
        let mut only_old = Vec::new();
        for r in &olds {
            match unmatched.get_mut(&identity(r)) {
                Some(n) if *n > 0 => *n -= 1,
                _ => only_old.push(r),
            }
        }
        let mut unmatched: BTreeMap<String, usize> = BTreeMap::new();
        for r in &olds {
            *unmatched.entry(identity(r)).or_insert(0) += 1;
        }
        let mut only_new = Vec::new();
        for r in &news {
            match unmatched.get_mut(&identity(r)) {
                Some(n) if *n > 0 => *n -= 1,
                _ => only_new.push(r),
            }
        }
        let sample = |v: &[&Json]| -> Vec<Sample> {
            v.iter()
                .take(SAMPLE)
                .map(|r| Sample {
                    record: (*r).clone(),
                    lines: lines_of(r, &input),
                })
                .collect()
        };
        let mut hours: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (side, records) in [(0, &olds), (1, &news)] {
            for r in records {
                let hour = r
                    .get("time")
                    .and_then(Json::as_str)
                    .and_then(|t| t.get(..13));
                let counts = hours
                    .entry(hour.unwrap_or_default().to_string())
                    .or_default();
                if side == 0 {
                    counts.0 += 1;
                } else {
                    counts.1 += 1;
                }
            }
        }
        let out = Outputs {
            hours: hours.into_iter().map(|(h, (a, b))| (h, a, b)).collect(),
            kind,
            name,
            old: olds.len(),
            new: news.len(),
            only_old: sample(&only_old),
            only_new: sample(&only_new),
            only_old_total: only_old.len(),
            only_new_total: only_new.len(),
        };
        if is_transition {
            transitions.push(out);
        } else {
            alerts.push(out);
        }
    }
    Ok(Replay {
        lines: input.len() as u64,
        rejected: (a.rejected, b.rejected),
        alerts,
        transitions,
    })
}
