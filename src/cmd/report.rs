//! `vigil run --report FILE.html`: one self-contained page (no network) for the people who look
//! rather than read: alerts per rule over time, alerts per rule and unit, rejected lines by
//! reason, open workflow instances by state at the end.
//!
//! The run's figures are embedded as JSON and drawn in the browser by the page's own script
//! (inline SVG), so the page is the same file wherever it is opened, and a test in a real
//! browser checks what was drawn, not only the text that was written.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value as Json, json};
use vigil_runtime::{Engine, Origin, Record};

/// Above this many hours between the first and the last alert, the chart counts per day.
const MAX_HOURS: i64 = 24 * 62;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// What the run's records add up to, gathered as they are written.
#[derive(Debug, Default)]
pub struct Tally {
    /// Each rule's (or workflow's) alerts per hour of event time (hours since the epoch).
    alerts: BTreeMap<Arc<str>, BTreeMap<i64, u64>>,
    /// Alerts delivered to each unit, by rule or workflow.
    units: BTreeMap<(Arc<str>, Arc<str>), u64>,
    /// Shadow alerts, by rule: recorded, delivered to nobody.
    shadow: BTreeMap<Arc<str>, u64>,
    transitions: u64,
}

impl Tally {
    pub fn add(&mut self, record: &Record) {
        match record {
            Record::Alert(a) => {
                let origin = match &a.origin {
                    Origin::Rule(r) => r,
                    Origin::Workflow { workflow, .. } => workflow,
                };
                if a.shadow {
                    *self.shadow.entry(origin.clone()).or_default() += 1;
                    return;
                }
                for unit in &a.to {
                    *(self.units)
                        .entry((origin.clone(), unit.clone()))
                        .or_default() += 1;
                }
                let hours = self.alerts.entry(origin.clone()).or_default();
                *hours.entry(a.time.div_euclid(HOUR)).or_default() += 1;
            }
            Record::Transition(_) => self.transitions += 1,
            Record::Overflow(_) | Record::Orphan(_) => {}
        }
    }

    /// The figures the page draws, with the engine's counters at the end of the run.
    fn figures(&self, engine: &Engine, events: &str) -> Json {
        let program = engine.program();
        let zone = program.time_zone();
        let hours = self.alerts.values().flat_map(BTreeMap::keys);
        let (first, last) = (hours.clone().min(), hours.max());
        let step = match (first, last) {
            (Some(f), Some(l)) if l - f > MAX_HOURS => DAY,
            _ => HOUR,
        };
        // The chart's bar holding an hour.
        let bucket = |hour: i64| (hour * HOUR).div_euclid(step);
        let (first, last) = match (first, last) {
            (Some(f), Some(l)) => (bucket(*f), bucket(*l)),
            _ => (0, -1),
        };
        let label = |bucket: i64| {
            let at = jiff::Timestamp::from_millisecond(bucket * step).unwrap_or_default();
            let local = zone.to_datetime(at);
            if step == DAY {
                local.date().to_string()
            } else {
                format!("{} {:02}:{:02}", local.date(), local.hour(), local.minute())
            }
        };
        let labels: Vec<String> = (first..=last).map(label).collect();
        let mut alerts: Vec<(&Arc<str>, Vec<u64>)> = (self.alerts.iter())
            .map(|(name, hours)| {
                let mut counts = vec![0u64; labels.len()];
                for (hour, n) in hours {
                    let i = usize::try_from(bucket(*hour) - first).unwrap_or(0);
                    if let Some(c) = counts.get_mut(i) {
                        *c += n;
                    }
                }
                (name, counts)
            })
            .collect();
        // The busiest rule first: what a reader looks for.
        alerts.sort_by_key(|(name, counts)| (std::cmp::Reverse(counts.iter().sum::<u64>()), *name));
        let stats = engine.stats();
        json!({
            "ruleset": program.fingerprint,
            "events": events,
            "timezone": program.timezone,
            "lines": engine.lines(),
            "bucket": if step == DAY { "day" } else { "hour" },
            "labels": labels,
            "alerts": alerts.iter().map(|(name, counts)| json!({"name": name, "counts": counts})).collect::<Vec<_>>(),
            "units": self.units.iter().map(|((rule, unit), n)| json!({"rule": rule, "unit": unit, "count": n})).collect::<Vec<_>>(),
            "shadow": self.shadow.iter().map(|(rule, n)| json!({"rule": rule, "count": n})).collect::<Vec<_>>(),
            "rejects": stats.rejected.iter().map(|(kind, n)| json!({"reason": kind.as_str(), "count": n})).collect::<Vec<_>>(),
            "open": engine.instances_by_state().into_iter().map(|(w, s, n)| json!({"workflow": w, "state": s, "count": n})).collect::<Vec<_>>(),
            "transitions": self.transitions,
        })
    }
}

/// Writes the page for the run that `engine` has finished.
pub fn write(path: &Path, tally: &Tally, engine: &Engine, events: &str) -> Result<(), String> {
    let figures = tally.figures(engine, events).to_string();
    // Inside a <script> element only `</` could end it early: JSON allows `<\/`.
    let figures = figures.replace("</", "<\\/");
    let page = PAGE
        .replace("/*PAGE_JS*/", super::PAGE_JS)
        .replace("/*FIGURES*/null", &figures);
    std::fs::write(path, page).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

const PAGE: &str = include_str!("report.html");
