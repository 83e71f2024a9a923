//! A run split over key groups without a broker (issue 23, phase 1): a router decodes each
//! line once, decides lateness on the global watermark, and hands each accepted event, with
//! its line number, to every group its consumers' keys put it in; one engine per group (and
//! one global) processes what the partition gives it and moves to the global watermark after
//! every line. The records of all engines together must be those of one engine: the same
//! records, and in the same order for each rule or workflow and key.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use vigil_ir::Program;
use vigil_runtime::partition::{Partition, Routed, Router, Target};
use vigil_runtime::{Engine, EngineConfig, Line, RejectKind};

#[allow(dead_code)]
#[path = "support/differential.rs"]
mod support;

const LATENESS: i64 = 10_000;

fn config() -> EngineConfig {
    EngineConfig {
        lateness: LATENESS,
        ..EngineConfig::default()
    }
}

fn library() -> Arc<Program> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    vigil_compiler::load::compile_paths(&[root.join("rules")]).expect("the library compiles")
}

fn city_day() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join("examples/city-1day.jsonl"))
        .expect("the bundled day")
        .lines()
        .map(str::to_string)
        .collect()
}

/// The counters of a unit's work, which summed over the group engines must equal one
/// engine's (input counters are the router's: an event sent to two groups is accepted twice).
fn work(stats: &vigil_runtime::Stats) -> [u64; 8] {
    [
        stats.eval_errors.values().sum(),
        stats.alerts,
        stats.shadow_alerts,
        stats.suppressed,
        stats.transitions,
        stats.derived,
        stats.key_absent,
        stats.duplicate_starts,
    ]
}

/// One engine's counters over every line.
fn single_work(program: &Arc<Program>, lines: &[String]) -> [u64; 8] {
    let mut e = Engine::new(program.clone(), config());
    for l in lines {
        e.push_line(l.as_bytes());
    }
    e.finish();
    work(e.stats())
}

/// One engine over every line: its records as JSON lines.
fn single(program: &Arc<Program>, lines: &[String]) -> Vec<String> {
    let mut e = Engine::new(program.clone(), config());
    let mut out = Vec::new();
    for l in lines {
        e.push_line(l.as_bytes());
        out.extend(e.take_records().iter().map(|r| e.to_json(r)));
    }
    e.finish();
    out.extend(e.take_records().iter().map(|r| e.to_json(r)));
    out
}

/// A router and one engine per target: the records of each target in its order, and the
/// group engines' counters summed.
fn split_with_work(
    program: &Arc<Program>,
    lines: &[String],
    groups: u32,
) -> (BTreeMap<Target, Vec<String>>, [u64; 8]) {
    split_crashing(program, lines, groups, None)
}

/// `split_with_work`; with `crash_every: Some(k)`, a group's engine is replaced after every
/// k-th line (shifted by group) by a new one restored from its snapshot, as a worker that
/// takes a group over from its checkpoint would.
fn split_crashing(
    program: &Arc<Program>,
    lines: &[String],
    groups: u32,
    crash_every: Option<u64>,
) -> (BTreeMap<Target, Vec<String>>, [u64; 8]) {
    let partition = Arc::new(Partition::new(program.clone(), groups));
    let mut router = Router::new(partition.clone(), LATENESS);
    let mut engines: BTreeMap<Target, Engine> = (0..groups)
        .map(Target::Group)
        .chain([Target::Global])
        .map(|t| {
            let mut e = Engine::new(program.clone(), config());
            e.set_partition(Some((partition.clone(), t)));
            (t, e)
        })
        .collect();
    let mut out: BTreeMap<Target, Vec<String>> = BTreeMap::new();
    for l in lines {
        if let Routed::Event { row, targets } = router.push(Line::Bytes(l.as_bytes())) {
            for t in targets {
                let e = engines.get_mut(&t).unwrap();
                e.push_row(row.clone()).expect("never late in a group");
            }
        }
        let n = router.lines();
        for (k, (t, e)) in engines.iter_mut().enumerate() {
            e.advance_to(router.watermark());
            let records = e.take_records();
            out.entry(*t)
                .or_default()
                .extend(records.iter().map(|r| e.to_json(r)));
            if let Some(every) = crash_every
                && (n + k as u64 * 131).is_multiple_of(every)
            {
                let snapshot = e.snapshot();
                let mut fresh = Engine::new(program.clone(), config());
                fresh.set_partition(Some((partition.clone(), *t)));
                fresh.restore(&snapshot).expect("restores");
                assert!(fresh.take_records().is_empty(), "no orphans");
                *e = fresh;
            }
        }
    }
    let mut sum = [0; 8];
    for (t, e) in &mut engines {
        if let Some(end) = router.end() {
            e.advance_to(end);
        }
        let records = e.take_records();
        out.entry(*t)
            .or_default()
            .extend(records.iter().map(|r| e.to_json(r)));
        for (s, w) in sum.iter_mut().zip(work(e.stats())) {
            *s += w;
        }
    }
    (out, sum)
}

/// The record's rule or workflow and key: the records of one must keep their order.
fn stream_of(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).expect("a record is JSON");
    let origin = v
        .get("rule")
        .or_else(|| v.get("workflow"))
        .map_or(String::new(), |o| o.to_string());
    format!(
        "{origin} {}",
        v.get("key").map_or(String::new(), |k| k.to_string())
    )
}

fn per_stream<'a>(records: impl Iterator<Item = &'a String>) -> BTreeMap<String, Vec<&'a String>> {
    let mut streams: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for r in records {
        streams.entry(stream_of(r)).or_default().push(r);
    }
    streams
}

#[test]
fn the_city_day_split_over_key_groups_gives_the_records_of_one_engine() {
    let program = library();
    let lines = city_day();
    let one = single(&program, &lines);
    assert!(one.len() > 200, "{} records", one.len());
    let mut sorted_one = one.clone();
    sorted_one.sort();
    let one_work = single_work(&program, &lines);
    for groups in [1, 2, 3, 7] {
        let (parts, work) = split_with_work(&program, &lines, groups);
        assert_eq!(
            work, one_work,
            "G = {groups}: eval errors, alerts, shadow, suppressed, transitions, derived, key absent, duplicate starts"
        );
        let mut all: Vec<String> = parts.values().flatten().cloned().collect();
        all.sort();
        assert_eq!(all.len(), sorted_one.len(), "G = {groups}: record count");
        assert!(all == sorted_one, "G = {groups}: the records differ");
        // Each rule's or workflow's records for one key keep their order.
        let want = per_stream(one.iter());
        let mut got: BTreeMap<String, Vec<&String>> = BTreeMap::new();
        for records in parts.values() {
            for (stream, rs) in per_stream(records.iter()) {
                got.entry(stream).or_default().extend(rs);
            }
        }
        assert_eq!(got, want, "G = {groups}: the order within a stream");
        if groups == 3 {
            // Group engines replaced from their snapshots every 997 lines or so.
            let (crashed, crashed_work) = split_crashing(&program, &lines, groups, Some(997));
            let mut all: Vec<String> = crashed.values().flatten().cloned().collect();
            all.sort();
            assert!(all == sorted_one, "G = 3, restored: the records differ");
            assert_eq!(crashed_work, one_work, "G = 3, restored: the counters");
        }
        if groups > 1 {
            // The work is spread: more than one key group made records.
            let busy = parts
                .iter()
                .filter(|(t, r)| matches!(t, Target::Group(_)) && !r.is_empty())
                .count();
            assert!(busy > 1, "G = {groups}: {busy} busy groups");
        }
    }
}

/// Random rule sets of the JIT's differential generator (single events, windows by a key and
/// sequences by another, absences among them), split over 2 and 3 groups: the same records as
/// one engine. Chains, suppression and workflows are the library's, over the city day above.
#[test]
fn random_rule_sets_split_over_key_groups_give_the_records_of_one_engine() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    let mut checked = 0;
    for _ in 0..96 {
        let case = support::case()
            .new_tree(&mut runner)
            .expect("a case")
            .current();
        let Ok(program) = support::program(&case) else {
            continue;
        };
        let mut one = single(&program, &case.events);
        one.sort();
        let one_work = single_work(&program, &case.events);
        for groups in [2, 3] {
            let (parts, work) = split_with_work(&program, &case.events, groups);
            assert_eq!(work, one_work, "G = {groups}\n{}", support::fixture(&case));
            let mut all: Vec<String> = parts.into_values().flatten().collect();
            all.sort();
            assert!(
                all == one,
                "G = {groups}: the records differ\n{}\n--- one engine\n{}\n--- split\n{}",
                support::fixture(&case),
                one.join("\n"),
                all.join("\n")
            );
        }
        checked += 1;
    }
    assert!(checked > 48, "{checked} cases compiled");
}

/// A condition that fails to evaluate (a division by zero) is counted once, by the engine that
/// runs the rule, though the event also goes to another group for another rule's key.
#[test]
fn an_evaluation_error_is_counted_once_over_the_groups() {
    let program = Arc::new(
        vigil_compiler::load::compile_sources(&[(
            "rules.vigil",
            r#"
unit desk
event E { a: str, b: str, n: int }
rule by_a {
  when e: E where 10 / e.n > 1
    group by e.a within 1h having count() >= 1
  alert desk
}
rule by_b {
  when e: E group by e.b within 1h having count() >= 2
  alert desk
}
"#,
        )])
        .expect("compiles"),
    );
    let lines: Vec<String> = (0..40)
        .map(|i| {
            format!(
                r#"{{"type":"E","time":"2022-01-01T00:{:02}:00Z","a":"a{}","b":"b{}","n":{}}}"#,
                i,
                i % 5,
                i % 3,
                i % 4
            )
        })
        .collect();
    let one = single_work(&program, &lines);
    assert_eq!(
        one[0], 10,
        "one engine: a division by zero in every fourth event"
    );
    for groups in [2, 3, 7] {
        let (_, work) = split_with_work(&program, &lines, groups);
        assert_eq!(work, one, "G = {groups}");
    }
}

/// The events of one test block (`TestStep`s) through one engine, or through a router and an
/// engine per target: the records, sorted, and the counters.
fn test_block(
    program: &Arc<Program>,
    test: &vigil_ir::TestCase,
    groups: Option<u32>,
) -> (Vec<String>, [u64; 8]) {
    use vigil_ir::TestStep;
    use vigil_runtime::Source;
    let config = EngineConfig {
        lateness: test.lateness,
        ..EngineConfig::default()
    };
    let partition = Arc::new(Partition::new(program.clone(), groups.unwrap_or(1)));
    let mut router = Router::new(partition.clone(), test.lateness);
    // One engine (`None`) takes every accepted event.
    let targets: Vec<Option<Target>> = match groups {
        None => vec![None],
        Some(g) => (0..g)
            .map(Target::Group)
            .chain([Target::Global])
            .map(Some)
            .collect(),
    };
    let mut engines: Vec<(Option<Target>, Engine)> = targets
        .into_iter()
        .map(|t| {
            let mut e = Engine::new(program.clone(), config.clone());
            if let Some(t) = t {
                e.set_partition(Some((partition.clone(), t)));
            }
            (t, e)
        })
        .collect();
    let mut records = Vec::new();
    for step in &test.steps {
        match step {
            TestStep::Event {
                event,
                time,
                fields,
                line,
            } => {
                let source = Source::Line(u64::from(*line));
                let row = engines[0].1.make_row(*event, *time, fields, source);
                let Routed::Event { row, targets } = router.push_row(row) else {
                    continue;
                };
                for (t, e) in &mut engines {
                    if t.is_none_or(|t| targets.contains(&t)) {
                        e.push_row(row.clone()).expect("never late in a group");
                    }
                }
            }
            TestStep::AdvanceBy(d) => {
                let base = router.end().unwrap_or(router.watermark());
                router.advance_to(base.saturating_add(*d));
            }
            TestStep::AdvanceTo(t) => router.advance_to(*t),
        }
        for (_, e) in &mut engines {
            e.advance_to(router.watermark());
            let taken = e.take_records();
            records.extend(taken.iter().map(|r| e.to_json(r)));
        }
    }
    let mut sum = [0; 8];
    for (_, e) in &mut engines {
        if let Some(end) = router.end() {
            e.advance_to(end);
        }
        let taken = e.take_records();
        records.extend(taken.iter().map(|r| e.to_json(r)));
        for (s, w) in sum.iter_mut().zip(work(e.stats())) {
            *s += w;
        }
    }
    records.sort();
    (records, sum)
}

/// Every test block of the library and of the semantics suite (chains, suppression,
/// workflows, timers, `emit ... for`), split over 3 and 7 groups: the records and counters of
/// one engine.
#[test]
fn every_test_block_of_the_library_and_the_semantics_suite_splits_alike() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut blocks = 0;
    for set in ["rules", "tests/semantics"] {
        let program = Arc::new(
            vigil_compiler::load::compile_paths(&[root.join(set)]).expect("the rule set compiles"),
        );
        for test in &program.tests {
            let one = test_block(&program, test, None);
            for groups in [3, 7] {
                let split = test_block(&program, test, Some(groups));
                assert_eq!(
                    split, one,
                    "{set}: test \"{}\" over {groups} groups",
                    test.name
                );
            }
            blocks += 1;
        }
    }
    assert!(blocks > 150, "{blocks} test blocks");
}

/// The router's input counters are one engine's: every line numbered, rejected for the same
/// reasons (lateness on the global watermark included), every other event accepted once.
#[test]
fn the_router_accepts_and_rejects_the_lines_one_engine_does() {
    let program = library();
    let mut lines = city_day();
    // `--max-skew 1m`: a tick at the day's last time, then copies of some lines an hour past
    // it (`future`) and one 30 s past it (accepted).
    let time_of = |line: &str| -> Option<i64> {
        line.split("\"time\":")
            .nth(1)
            .and_then(|t| t.split(',').next())
            .and_then(|t| t.parse().ok())
    };
    let last = lines
        .iter()
        .filter_map(|l| time_of(l))
        .max()
        .expect("times");
    let timed: Vec<String> = (lines.iter())
        .filter(|l| time_of(l).is_some())
        .take(4)
        .cloned()
        .collect();
    lines.push(format!("{{\"type\":\"$tick\",\"time\":{last}}}"));
    for (k, line) in timed.iter().enumerate() {
        let to = last + if k == 3 { 30_000 } else { 3_600_000 };
        let time = time_of(line).expect("a time");
        lines.push(line.replacen(&time.to_string(), &to.to_string(), 1));
    }
    let mut one = Engine::new(
        program.clone(),
        EngineConfig {
            max_skew: Some(60_000),
            ..config()
        },
    );
    let mut router = Router::new(Arc::new(Partition::new(program.clone(), 3)), LATENESS)
        .with_max_skew(Some(60_000));
    for l in &lines {
        let by_one = one.push_line(l.as_bytes());
        let routed = router.push(Line::Bytes(l.as_bytes()));
        match (by_one, routed) {
            (vigil_runtime::Pushed::Rejected(a), Routed::Rejected(b)) => assert_eq!(a, b),
            (vigil_runtime::Pushed::Rejected(a), other) => panic!("{a:?} against {other:?}"),
            (_, Routed::Rejected(b)) => panic!("the router rejected {b:?}"),
            _ => {}
        }
    }
    assert_eq!(router.lines(), one.lines());
    assert_eq!(router.accepted, one.stats().accepted);
    assert_eq!(router.rejected, one.stats().rejected);
    assert!(
        router.rejected.values().sum::<u64>() >= 5,
        "{:?}",
        router.rejected
    );
    assert_eq!(router.rejected.get(&RejectKind::Future), Some(&3));
}

/// The router's batches, one per target per input message of 7 lines (markers for targets
/// without events), through bytes and back, applied by the group engines: one engine's records.
#[test]
fn batches_through_bytes_give_the_records_of_one_engine() {
    use vigil_runtime::partition::Batch;
    let program = library();
    let lines = city_day();
    let mut one = single(&program, &lines);
    one.sort();
    let partition = Arc::new(Partition::new(program.clone(), 3));
    let mut router = Router::new(partition.clone(), LATENESS);
    let mut engines: BTreeMap<Target, Engine> = BTreeMap::new();
    let mut records = Vec::new();
    let (mut markers, mut rejects) = (0, 0);
    for message in lines.chunks(7) {
        let (batches, rejected) = router.batches(message.iter().map(|l| l.as_bytes()));
        rejects += rejected.len();
        for (t, batch) in batches {
            markers += usize::from(batch.events.is_empty());
            let bytes = batch.encode();
            let back = Batch::decode(&bytes).expect("a batch");
            assert_eq!(back, batch);
            let twice = [bytes.clone(), bytes.clone()].concat();
            let both = Batch::decode_all(&twice).expect("two batches");
            assert_eq!(both, vec![batch.clone(), batch.clone()]);
            let e = engines.entry(t).or_insert_with(|| {
                let mut e = Engine::new(program.clone(), config());
                e.set_partition(Some((partition.clone(), t)));
                e
            });
            e.push_batch(&back);
            assert_eq!(e.lines(), router.lines());
            let taken = e.take_records();
            records.extend(taken.iter().map(|r| e.to_json(r)));
        }
    }
    for e in engines.values_mut() {
        e.advance_to(router.end().expect("events"));
        let taken = e.take_records();
        records.extend(taken.iter().map(|r| e.to_json(r)));
    }
    records.sort();
    assert!(records == one, "the records differ");
    assert!(markers > 0, "some target had a message without events");
    assert_eq!(rejects as u64, router.rejected.values().sum::<u64>());
    assert!(Batch::decode(b"{\"type\":\"Call\"}\n").is_err());
}

/// A router stopped anywhere and resumed from its state (through JSON, as a checkpoint would
/// keep it) routes the rest of the input as one that never stopped.
#[test]
fn a_router_resumed_from_its_state_routes_as_one_that_never_stopped() {
    use vigil_runtime::partition::RouterState;
    let program = library();
    let lines = city_day();
    let partition = Arc::new(Partition::new(program.clone(), 3));
    let route_all = |router: &mut Router, lines: &[String]| {
        lines
            .chunks(50)
            .map(|m| {
                let (batches, rejects) = router.batches(m.iter().map(|l| l.as_bytes()));
                let rejects: Vec<u64> = rejects.iter().map(|(n, _, _)| *n).collect();
                (batches, rejects)
            })
            .collect::<Vec<_>>()
    };
    let mut whole = Router::new(partition.clone(), LATENESS);
    let want = route_all(&mut whole, &lines);
    for stop in [50, 3_200, 9_950] {
        let mut first = Router::new(partition.clone(), LATENESS);
        let mut got = route_all(&mut first, &lines[..stop]);
        let json = serde_json::to_string(&first.state()).expect("serialises");
        let state: RouterState = serde_json::from_str(&json).expect("reads back");
        let mut second = Router::resume(partition.clone(), LATENESS, &state);
        got.extend(route_all(&mut second, &lines[stop..]));
        assert!(got == want, "stopped after line {stop}");
        assert_eq!(second.state(), whole.state(), "stopped after line {stop}");
    }
}
