//! The rules library (`rules/`) over the synthetic city stream of `examples/city/`: every
//! planted situation must be found, nothing else may be raised, and the bundled one-day sample
//! must be what the generator writes.
//!
//! The generator is compiled into this test (`#[path]`), and the stream goes line by line into
//! an embedded `Engine`, as `vigil run rules/ --lateness 10s` would read it, so the 30-day run
//! (about 390,000 lines) needs no temporary files.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../examples/city/generator.rs"]
mod generator;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use generator::{Config, Planted};
use vigil_runtime::{Engine, EngineConfig, Pushed};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One output record, as the JSON Lines output has it.
#[derive(Debug, Clone)]
struct Rec {
    kind: String,
    /// The rule, or the workflow.
    origin: String,
    is_workflow: bool,
    /// A workflow alert's state, or the state a transition enters.
    state: Option<String>,
    key: Option<String>,
    time: i64,
    json: String,
}

fn parse_record(json: String) -> Rec {
    let v: serde_json::Value = serde_json::from_str(&json).expect("a record is JSON");
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let kind = s("kind").unwrap_or_default();
    let (origin, is_workflow) = match (s("rule"), s("workflow")) {
        (Some(r), _) => (r, false),
        (None, Some(w)) => (w, true),
        _ => (String::new(), false),
    };
    let state = if kind == "transition" {
        s("to")
    } else {
        s("state")
    };
    let key = match v.get("key") {
        Some(serde_json::Value::String(k)) => Some(k.clone()),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let time = s("time")
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond())
        .unwrap_or(i64::MIN);
    Rec {
        kind,
        origin,
        is_workflow,
        state,
        key,
        time,
        json,
    }
}

fn matches(p: &Planted, r: &Rec) -> bool {
    if p.kind != r.kind || p.key != r.key || r.time < p.from || r.time > p.until {
        return false;
    }
    match (p.rule, p.workflow) {
        (Some(rule), _) => !r.is_workflow && r.origin == rule,
        (None, Some(wf)) => r.is_workflow && r.origin == wf && r.state.as_deref() == p.state,
        _ => false,
    }
}

/// Workflow states that mean something went wrong (a deadline passed): entering one that was
/// not planted is a false positive.
const ESCALATIONS: &[&str] = &[
    "overdue",
    "escalated",
    "lapsed",
    "second_level_response",
    "follow_up_overdue",
    // A short-let guest still unverified after the grace period; a call for help without
    // mutual aid at three minutes; a drone whose pilot was not found.
    "unverified",
    "police_requested",
    "untraced",
];

struct Outcome {
    found: usize,
    missed: Vec<Planted>,
    false_positives: Vec<Rec>,
    /// Per rule or workflow: (planted, found).
    by_origin: BTreeMap<String, (usize, usize)>,
}

/// Which planted situations the records contain, and which records no planted situation
/// explains. A workflow alert is routine (not a false positive) when it is an `on enter`
/// action: the record before it is the transition into its state, at the same time.
fn compare(planted: &[Planted], records: &[Rec]) -> Outcome {
    let mut hit = vec![false; planted.len()];
    let mut false_positives = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let mut explained = false;
        for (j, p) in planted.iter().enumerate() {
            if matches(p, r) {
                hit[j] = true;
                explained = true;
            }
        }
        if explained {
            continue;
        }
        let suspicious = match r.kind.as_str() {
            "alert" if !r.is_workflow => true,
            "alert" => !records[..i].iter().rev().take(8).any(|q| {
                q.kind == "transition"
                    && q.origin == r.origin
                    && q.key == r.key
                    && q.time == r.time
                    && q.state == r.state
            }),
            "transition" => r.state.as_deref().is_some_and(|s| ESCALATIONS.contains(&s)),
            // Overflow and orphan records: never expected here.
            _ => true,
        };
        if suspicious {
            false_positives.push(r.clone());
        }
    }
    let mut by_origin: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (p, h) in planted.iter().zip(&hit) {
        let name = match (p.rule, p.workflow) {
            (Some(r), _) => r.to_string(),
            (None, Some(w)) => format!("{w} ({} {})", p.kind, p.state.unwrap_or("")),
            _ => String::new(),
        };
        let e = by_origin.entry(name).or_default();
        e.0 += 1;
        e.1 += usize::from(*h);
    }
    let missed: Vec<Planted> = planted
        .iter()
        .zip(&hit)
        .filter(|(_, h)| !**h)
        .map(|(p, _)| p.clone())
        .collect();
    Outcome {
        found: planted.len() - missed.len(),
        missed,
        false_positives,
        by_origin,
    }
}

/// Generates `cfg`'s stream straight into an engine running the rules library.
fn run_library(
    cfg: &Config,
) -> (
    Vec<Planted>,
    generator::Summary,
    Vec<Rec>,
    vigil_runtime::Stats,
) {
    let program = vigil_compiler::load::compile_paths(&[root().join("rules")])
        .unwrap_or_else(|e| panic!("the rules library compiles:\n{e}"));
    let mut engine = Engine::new(
        program,
        EngineConfig {
            lateness: generator::LATENESS_MS,
            ..EngineConfig::default()
        },
    );
    let mut records = Vec::new();
    let mut blank = 0u64;
    let (planted, summary) = generator::generate(cfg, &mut |line| {
        if engine.push_line(line.as_bytes()) == Pushed::Blank {
            blank += 1;
        }
        for r in engine.take_records() {
            records.push(parse_record(engine.to_json(&r)));
        }
    });
    engine.finish();
    for r in engine.take_records() {
        records.push(parse_record(engine.to_json(&r)));
    }
    assert_eq!(blank, summary.blank, "blank lines are skipped");
    (planted, summary, records, engine.stats().clone())
}

#[test]
fn thirty_days_every_planted_situation_is_found_and_nothing_else() {
    let started = Instant::now();
    let cfg = Config::new(30, 2022);
    let (planted, summary, records, stats) = run_library(&cfg);
    let outcome = compare(&planted, &records);

    // Written to the standard error stream itself, not through the test harness's capture,
    // so `cargo test` shows the report even when the test passes.
    let events: u64 = summary.events.values().sum();
    let mut report = format!(
        "city, 30 days, seed {}: {} lines, {} events of {} types, {} out of order, {} malformed; {} records in {:.1} s\n",
        cfg.seed,
        summary.lines,
        events,
        summary.events.len(),
        summary.out_of_order,
        summary.malformed,
        records.len(),
        started.elapsed().as_secs_f64()
    );
    for (name, (n, found)) in &outcome.by_origin {
        report.push_str(&format!("  {name:<58} planted {n:>4}  found {found:>4}\n"));
    }
    report.push_str(&format!(
        "city: planted {}, found {}, missed {}, false positives {}\n",
        planted.len(),
        outcome.found,
        outcome.missed.len(),
        outcome.false_positives.len()
    ));
    let _ = std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes());
    for p in outcome.missed.iter().take(20) {
        println!("MISSED {}", p.to_json());
    }
    for r in outcome.false_positives.iter().take(20) {
        println!("FALSE POSITIVE {}", r.json);
    }

    // Every event type of the domains the generator plays appears (the derived PreventiveLead,
    // FraudWarning and NoFlyIntrusion come from the rules).
    assert_eq!(summary.events.len(), 81, "{:?}", summary.events.keys());
    // Every malformed line is rejected, none of the others.
    assert_eq!(
        stats.rejected_total(),
        summary.malformed,
        "{:?}",
        stats.rejected
    );
    assert_eq!(
        stats.rejected.len(),
        6,
        "every reason: {:?}",
        stats.rejected
    );
    assert!(summary.out_of_order > 1000, "the stream has some disorder");
    // Every rule and workflow of the library has planted situations.
    for name in [
        "flagged_number_contact",
        "long_call_medium",
        "long_call_high",
        "unusual_transfer",
        "caller_targets_elderly",
        "confirmed_fraud_call",
        "repeated_preventable_address",
        "district_daily_surge",
        "busy_district_daily_surge",
        "unidentified_radar_contact",
        "restricted_zone_entry",
        "important_incident_unacknowledged",
        "plate_hit_disposal",
        "guard_post_unstaffed",
        "dispute_intake",
        "joint_mediation_visit",
        "watch_not_relieved",
        "watch_double_shift",
        "radar_contact_interception",
        "watchlist_plate_hit",
        "skipped_inspection",
        "crowd_density_high",
        "entrance_watchlist_match",
        "entrance_hold_gate",
        "gate_alarm_unanswered",
        "gate_alarm_out_of_hours",
        "mediation_excluded",
        "minor_party_without_guardian",
        "emergency_stop_payment",
        "fraud_dissuasion",
        "preventive_lead",
        "missing_person_search",
        "violent_incident_response",
        "police_mediation",
        "people_mediation",
        "short_let_identity_check",
        "lodging_watchlist_hit",
        "outlet_repeated_seizures",
        "parcel_seizure_handover",
        "peak_duty_post_unstaffed",
        "station_suspicious_item",
        "no_fly_drone_response",
        "cii_attack_response",
        "cii_attack_source_sweep",
        "volunteer_help_call",
    ] {
        assert!(
            planted
                .iter()
                .any(|p| p.rule == Some(name) || p.workflow == Some(name)),
            "nothing planted for {name}"
        );
    }
    assert!(planted.len() > 900, "{} planted", planted.len());
    assert!(
        outcome.missed.is_empty(),
        "{} planted situations not found",
        outcome.missed.len()
    );
    assert!(
        outcome.false_positives.is_empty(),
        "{} false positives",
        outcome.false_positives.len()
    );
}

#[test]
fn the_generator_is_deterministic() {
    let run = |seed| {
        let mut lines = Vec::new();
        let (planted, _) =
            generator::generate(&Config::new(2, seed), &mut |l| lines.push(l.to_string()));
        (lines, planted)
    };
    let (a, pa) = run(7);
    let (b, pb) = run(7);
    assert!(a == b && pa == pb, "same seed, same stream");
    let (c, _) = run(8);
    assert!(a != c, "another seed, another stream");
}

#[test]
fn the_bundled_sample_is_the_generators_output() {
    let cfg = Config::new(1, 2022);
    let mut stream = String::new();
    let (planted, _) = generator::generate(&cfg, &mut |l| {
        stream.push_str(l);
        stream.push('\n');
    });
    let planted: String = planted.iter().map(|p| p.to_json() + "\n").collect();
    let read = |name: &str| {
        std::fs::read_to_string(root().join("examples").join(name))
            .unwrap_or_else(|e| panic!("examples/{name}: {e}"))
    };
    let regenerate = "cargo run --release --example city -- --days 1 --seed 2022 \
        --out examples/city-1day.jsonl --planted examples/city-1day.planted.jsonl";
    assert!(
        read("city-1day.jsonl") == stream,
        "examples/city-1day.jsonl differs from the generator's output; regenerate it: {regenerate}"
    );
    assert!(
        read("city-1day.planted.jsonl") == planted,
        "examples/city-1day.planted.jsonl differs; regenerate it: {regenerate}"
    );
}

#[test]
fn the_bundled_sample_finds_what_was_planted() {
    let (planted, summary, records, _) = run_library(&Config::new(1, 2022));
    let outcome = compare(&planted, &records);
    println!(
        "1 day: {} lines, {} planted, {} found, {} false positives",
        summary.lines,
        planted.len(),
        outcome.found,
        outcome.false_positives.len()
    );
    assert!(outcome.missed.is_empty(), "missed: {:?}", outcome.missed);
    assert!(
        outcome.false_positives.is_empty(),
        "false positives: {:?}",
        outcome.false_positives
    );
}
