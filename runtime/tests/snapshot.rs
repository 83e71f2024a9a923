//! Engine state survives a snapshot: stopping at any line, restoring into a fresh engine and
//! going on gives the records of an uninterrupted run; a reloaded rule set keeps the state of
//! what did not change and reports workflow instances whose state is gone.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt::Write as _;
use std::sync::Arc;

use proptest::prelude::*;
use vigil_compiler::load::compile_sources as compile;
use vigil_runtime::{Engine, EngineConfig, Pushed, Record};

pub const RULES: &str = r#"
timezone "Asia/Shanghai"
unit desk
enum Category { noise, theft, violence }
event Incident { id2: str, category: Category, address: str }
event Contact { track: str, identified: bool }
event Identified { track: str }
event Ack { id2: str }
event Arrived { id2: str, role: str }

rule recurring {
  when i: Incident where i.category != violence
    group by i.address within 1h having count() >= 3
  alert desk message "{key}: {count()}"
  suppress for 30m
}

// Shares its groups with `recurring` (same type, key and span): an incident both take is
// kept once, with a bit for each.
rule repeated_theft {
  when i: Incident where i.category == theft
    group by i.address within 1h having count() >= 2
  alert desk message "{key}: {count()} thefts"
}

rule unidentified {
  when sequence by track within 10m
    a: Contact where not a.identified
    then not Identified
  alert desk message "{a.track}"
}

rule contact_pair {
  when sequence by track within 20m
    a: Contact
    then b: Contact where b.identified
  alert desk
}

workflow response {
  start on i: Incident where i.category == violence by i.id2
  state raised {
    after 1m alert desk message "not acknowledged"
    on Ack -> dispatched
    after 5m -> escalated
  }
  state dispatched {
    await all of Arrived where role == "police", Arrived where role == "medic" -> on_scene
    after 10m -> escalated
  }
  state on_scene { after 30m -> closed }
  final closed
  final escalated
}

// Workflow-level timers and variables (SPEC v0.2), tied to the instance.
workflow ring {
  start on i: Incident where i.category == theft by i.id2
  var acks: int = 0
  after 1m where visits(acknowledged) == 0 alert desk message "ring: not acknowledged"
  after 3m where visits(on_scene) == 0 -> late
  state raised { on Ack -> acknowledged set acks = acks + 1 }
  state acknowledged {
    on Ack -> acknowledged set acks = acks + 1
    on Arrived where role == "police" -> on_scene alert desk message "ring: on scene after {acks} acks"
  }
  state late {
    on enter alert desk message "ring: late after {acks} acks"
    on Ack -> late set acks = acks + 1
    on Arrived -> on_scene
  }
  state on_scene { after 10m where visits(late) == 0 -> closed }
  final closed
}
"#;

fn program(text: &str) -> Arc<vigil_ir::Program> {
    Arc::new(compile(&[("rules.vigil", text)]).expect("rules check"))
}

fn events() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec((1u64..40, 0u8..6, 0u8..4, 0u8..3, any::<bool>()), 20..200).prop_map(|steps| {
        let mut t: u64 = 1_637_800_000;
        let mut out = Vec::new();
        for (dt, kind, a, b, flag) in steps {
            t += dt * 7;
            let time = t * 1000;
            let line = match kind {
                0 | 1 => {
                    let cat = ["noise", "theft", "violence"][b as usize];
                    format!(r#"{{"type":"Incident","time":{time},"id2":"I{a}","category":"{cat}","address":"A{b}"}}"#)
                }
                2 => format!(r#"{{"type":"Contact","time":{time},"track":"T{a}","identified":{flag}}}"#),
                3 => format!(r#"{{"type":"Identified","time":{time},"track":"T{a}"}}"#),
                4 => format!(r#"{{"type":"Ack","time":{time},"id2":"I{a}"}}"#),
                _ => {
                    let role = ["police", "medic", "fire"][b as usize];
                    format!(r#"{{"type":"Arrived","time":{time},"id2":"I{a}","role":"{role}"}}"#)
                }
            };
            out.push(line);
        }
        out
    })
}

fn drain(e: &mut Engine, out: &mut Vec<String>) {
    let recs = e.take_records();
    out.extend(recs.iter().map(|r| e.to_json(r)));
}

fn uninterrupted(p: &Arc<vigil_ir::Program>, lines: &[String], lateness: i64) -> Vec<String> {
    let config = EngineConfig {
        lateness,
        ..EngineConfig::default()
    };
    let mut e = Engine::new(p.clone(), config);
    let mut out = Vec::new();
    for l in lines {
        e.push_line(l.as_bytes());
        drain(&mut e, &mut out);
    }
    e.finish();
    e.advance_to(i64::MAX);
    drain(&mut e, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn restoring_a_snapshot_anywhere_changes_nothing(lines in events(), cut in any::<prop::sample::Index>(), lateness in prop::sample::select(vec![0i64, 30_000])) {
        let p = program(RULES);
        let expected = uninterrupted(&p, &lines, lateness);
        let cut = cut.index(lines.len() + 1);
        let config = EngineConfig { lateness, ..EngineConfig::default() };
        let mut first = Engine::new(p.clone(), config.clone());
        let mut out = Vec::new();
        for l in &lines[..cut] {
            first.push_line(l.as_bytes());
            drain(&mut first, &mut out);
        }
        let bytes = first.snapshot();
        drop(first);
        let mut second = Engine::new(p.clone(), config);
        let consumed = second.restore(&bytes).expect("restores");
        prop_assert_eq!(consumed, cut as u64);
        // Every state type's decoder is its encoder's exact inverse: the restored engine
        // writes the same bytes.
        prop_assert!(second.snapshot() == bytes, "a restored engine snapshots differently");
        for l in &lines[cut..] {
            second.push_line(l.as_bytes());
            drain(&mut second, &mut out);
        }
        second.finish();
        second.advance_to(i64::MAX);
        drain(&mut second, &mut out);
        prop_assert_eq!(out, expected);
    }
}

#[test]
fn the_generated_streams_exercise_every_rule_and_the_workflow() {
    let p = program(RULES);
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut all = String::new();
    for _ in 0..20 {
        let lines =
            proptest::strategy::ValueTree::current(&events().new_tree(&mut runner).expect("tree"));
        for r in uninterrupted(&p, &lines, 0) {
            let _ = writeln!(all, "{r}");
        }
    }
    for needle in [
        r#""rule":"recurring""#,
        r#""rule":"unidentified""#,
        r#""rule":"contact_pair""#,
        r#""to":"dispatched""#,
        r#""to":"escalated""#,
        r#""message":"ring: not acknowledged""#,
        r#""to":"late""#,
        r#""workflow":"ring""#,
        r#"ring: late after 1 acks"#,
    ] {
        assert!(all.contains(needle), "no {needle} in the generated runs");
    }
}

#[test]
fn a_reload_keeps_unchanged_state_and_reports_instances_whose_state_is_gone() {
    let old = program(RULES);
    let mut e = Engine::new(old, EngineConfig::default());
    for l in [
        r#"{"type":"Incident","time":"2021-11-25T10:00:00Z","id2":"I1","category":"violence","address":"A"}"#,
        r#"{"type":"Ack","time":"2021-11-25T10:00:30Z","id2":"I1"}"#,
        r#"{"type":"Incident","time":"2021-11-25T10:01:00Z","id2":"I2","category":"violence","address":"A"}"#,
        r#"{"type":"Incident","time":"2021-11-25T10:02:00Z","id2":"x","category":"noise","address":"B"}"#,
        r#"{"type":"Incident","time":"2021-11-25T10:03:00Z","id2":"y","category":"noise","address":"B"}"#,
    ] {
        e.push_line(l.as_bytes());
    }
    let _ = e.take_records();
    // The new version drops the `dispatched` state (I1 is in it) and changes the message of
    // `recurring` (its pattern, and so its window, stays).
    let new_text = RULES
        .replace(
            "    on Ack -> dispatched\n",
            "    on Ack -> on_scene\n",
        )
        .replace(
            "  state dispatched {\n    await all of Arrived where role == \"police\", Arrived where role == \"medic\" -> on_scene\n    after 10m -> escalated\n  }\n",
            "",
        )
        .replace("{key}: {count()}", "{key} has {count()}");
    assert_ne!(new_text, RULES);
    e.reload(program(&new_text)).expect("reloads");
    let records = e.take_records();
    let orphan = records.iter().find_map(|r| match r {
        Record::Orphan(o) => Some(o.clone()),
        _ => None,
    });
    let orphan = orphan.expect("an orphan record");
    assert_eq!(&*orphan.state, "dispatched");
    assert_eq!(orphan.key, vigil_ir::Value::str("I1"));
    // The window of `recurring` kept its two events: a third fires with the new message.
    e.push_line(br#"{"type":"Incident","time":"2021-11-25T10:04:00Z","id2":"z","category":"noise","address":"B"}"#);
    let after: Vec<String> = {
        let recs = e.take_records();
        recs.iter().map(|r| e.to_json(r)).collect()
    };
    assert!(
        after.iter().any(|r| r.contains(r#""message":"B has 3""#)),
        "{after:?}"
    );
    // I2 (still raised, unchanged state) escalates on time under the new version.
    e.advance_to(i64::MAX);
    let end: Vec<String> = {
        let recs = e.take_records();
        recs.iter().map(|r| e.to_json(r)).collect()
    };
    assert!(
        end.iter()
            .any(|r| r.contains(r#""key":"I2","from":"raised","to":"escalated""#)),
        "{end:?}"
    );
}

#[test]
fn records_pending_at_a_reload_are_written_with_the_rule_set_that_made_them() {
    let old = program(RULES);
    let lines = [
        r#"{"type":"Incident","time":"2021-11-25T10:02:00Z","id2":"x","category":"noise","address":"B"}"#,
        r#"{"type":"Incident","time":"2021-11-25T10:03:00Z","id2":"y","category":"noise","address":"B"}"#,
        r#"{"type":"Incident","time":"2021-11-25T10:04:00Z","id2":"z","category":"noise","address":"B"}"#,
    ];
    let written = |e: &Engine, records: &[Record]| -> Vec<String> {
        let mut out = Vec::new();
        for r in records {
            out.push(e.to_json(r));
            let mut line = String::new();
            e.write_json(r, &mut line);
            out.push(line);
            if let Record::Alert(a) = r {
                out.push(e.to_json_for_unit(a, "desk").expect("a unit"));
            }
        }
        out
    };
    let mut alone = Engine::new(old.clone(), EngineConfig::default());
    for l in lines {
        alone.push_line(l.as_bytes());
    }
    let records = alone.take_records();
    let want = written(&alone, &records);
    assert!(
        want.iter()
            .any(|r| r.contains("+08:00") && r.contains(r#""message":"B: 3""#)),
        "{want:?}"
    );

    // The same, with the records still pending when a version in another zone, whose
    // incidents list their fields in another order, comes in.
    let new_text = RULES
        .replace(r#"timezone "Asia/Shanghai""#, r#"timezone "UTC""#)
        .replace(
            "event Incident { id2: str, category: Category, address: str }",
            "event Incident { address: str, category: Category, id2: str }",
        );
    let mut e = Engine::new(old, EngineConfig::default());
    for l in lines {
        e.push_line(l.as_bytes());
    }
    e.reload(program(&new_text)).expect("reloads");
    let records = e.take_records();
    assert_eq!(written(&e, &records), want);
    // What the new rule set makes is written with it.
    e.push_line(br#"{"type":"Incident","time":"2021-11-25T11:30:00Z","id2":"w","category":"violence","address":"C"}"#);
    let records = e.take_records();
    let after = written(&e, &records);
    assert!(after.iter().any(|r| r.contains("T11:30:00Z")), "{after:?}");
}

#[test]
fn a_snapshot_of_another_format_version_is_refused_with_a_reason() {
    let program = program(RULES);
    let engine = Engine::new(program.clone(), EngineConfig::default());
    let mut bytes = engine.snapshot();
    bytes[7] = b'9';
    let mut other = Engine::new(program, EngineConfig::default());
    let err = other.restore(&bytes).expect_err("another version");
    assert!(
        err.0
            .contains("state format 9, which this Vigil cannot read"),
        "{}",
        err.0
    );
    let err = other.restore(b"garbage!").expect_err("garbage");
    assert!(err.0.contains("not a Vigil engine snapshot"), "{}", err.0);
}

/// The rule set and city day the format 3 fixture was written for (`fixtures/format3/`: the
/// bundled rules and the first 10,500 lines of the city day as they were at 0cdab7e, before
/// language v0.2 changed the library), as `vigil run rules/ --lateness 10s` reads them.
fn city() -> (Arc<vigil_ir::Program>, Vec<String>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format3");
    let program = vigil_compiler::load::compile_paths(&[dir.join("rules")]).expect("rules check");
    let events = std::fs::read_to_string(dir.join("city-1day-head.jsonl")).expect("events");
    (program, events.lines().map(str::to_string).collect())
}

fn city_engine(program: Arc<vigil_ir::Program>) -> Engine {
    let config = EngineConfig {
        lateness: 10_000,
        ..EngineConfig::default()
    };
    Engine::new(program, config)
}

/// Pushes `lines`, then ends the input; every record as JSON.
fn run_to_end(e: &mut Engine, lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for l in lines {
        e.push_line(l.as_bytes());
        out.extend(e.take_records().iter().map(|r| e.to_json(r)));
    }
    e.finish();
    out.extend(e.take_records().iter().map(|r| e.to_json(r)));
    out
}

/// `city-format3-line9000.snapshot` was written by Vigil at 8abd746 (state format 3, the last
/// release before identities became digests of the IR text): the bundled rules after the first
/// 9,000 lines of the city day, with a lateness of 10s.
const FORMAT3_CUT: usize = 9000;

fn format3_snapshot() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/city-format3-line9000.snapshot");
    std::fs::read(path).expect("the fixture")
}

#[test]
fn a_checkpoint_of_the_previous_format_restores_into_its_rule_set() {
    let (program, lines) = city();
    let whole = run_to_end(&mut city_engine(program.clone()), &lines);

    let mut first = city_engine(program.clone());
    let mut before = Vec::new();
    for l in &lines[..FORMAT3_CUT] {
        first.push_line(l.as_bytes());
        before.extend(first.take_records().iter().map(|r| first.to_json(r)));
    }
    let mut resumed = city_engine(program);
    resumed
        .restore(&format3_snapshot())
        .expect("format 3 restores");
    let after = run_to_end(&mut resumed, &lines[FORMAT3_CUT..]);
    // The state of windows, sequences and workflow instances came through: the records after
    // the cut are the uninterrupted run's, and some of them depend on that state.
    assert_eq!([before, after.clone()].concat(), whole);
    assert!(after.iter().any(|r| r.contains(r#""kind":"transition""#)));
    // What it saves now is format 4, and restores the same.
    let mut again = city_engine(resumed.program().clone());
    again
        .restore(&resumed.snapshot())
        .expect("format 4 restores");
}

#[test]
fn a_checkpoint_of_the_previous_format_is_refused_for_a_changed_rule_set() {
    let (program, _) = city();
    let mut changed = (*program).clone();
    changed.fingerprint = "sha256:0000".into();
    let mut e = city_engine(Arc::new(changed));
    let err = e.restore(&format3_snapshot()).expect_err("refused");
    assert!(err.0.contains("state format 3"), "{}", err.0);
    assert!(err.0.contains(&program.fingerprint), "{}", err.0);
    assert!(err.0.contains("sha256:0000"), "{}", err.0);
    // Refused before anything was restored.
    assert_eq!(e.snapshot(), city_engine(e.program().clone()).snapshot());
}

/// Identities decide which state a restored snapshot keeps, so they must not move with the
/// build: this one is pinned. If it changes, `vigil_ir::text` changed what it prints, and
/// every checkpoint written before would silently lose its state: bump `SNAPSHOT_FORMAT` and
/// say in `restore` what happens to the older format.
#[test]
fn identities_are_pinned_and_follow_what_decides_state() {
    use vigil_ir::text::{rule_identity, workflow_identity};
    let hex = |id: [u8; 32]| id.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let p = program(RULES);
    let rule = |p: &vigil_ir::Program, name: &str| {
        let r = p.rules.iter().find(|r| r.name == name).expect("the rule");
        hex(rule_identity(p, r))
    };
    let wf =
        |p: &vigil_ir::Program| hex(workflow_identity(p, &p.workflows[vigil_ir::WorkflowId(0)]));
    assert_eq!(
        rule(&p, "recurring"),
        "b8d0e8bca6bd8f9175e1752653444a9b89f20f90e4b4cb17b251dac8d2323ab1"
    );
    // Formatting, messages and other items do not count; the pattern and suppression do.
    let reworded = program(
        &RULES
            .replace("{key}: {count()}", "{key} has {count()}")
            .replace("  suppress for 30m", "\n\n     suppress   for 30m")
            .replace(
                "event Ack { id2: str }",
                "event Ack { id2: str, note: str? }",
            ),
    );
    assert_eq!(rule(&reworded, "recurring"), rule(&p, "recurring"));
    assert_eq!(wf(&reworded), wf(&p));
    let narrower = program(&RULES.replace("having count() >= 3", "having count() >= 4"));
    assert_ne!(rule(&narrower, "recurring"), rule(&p, "recurring"));
    assert_eq!(rule(&narrower, "unidentified"), rule(&p, "unidentified"));
    let longer = program(&RULES.replace("suppress for 30m", "suppress for 31m"));
    assert_ne!(rule(&longer, "recurring"), rule(&p, "recurring"));
    let slower = program(&RULES.replace("after 5m -> escalated", "after 6m -> escalated"));
    assert_ne!(wf(&slower), wf(&p));
}

/// A snapshot cut short or with a bit flipped anywhere is refused, and the engine it was
/// offered to is unchanged: the checksum is checked and everything is read before anything is
/// applied.
#[test]
fn a_damaged_snapshot_changes_nothing() {
    let p = program(RULES);
    let lines = [
        r#"{"type":"Incident","time":"2021-11-25T10:00:00Z","id2":"I1","category":"violence","address":"A"}"#,
        r#"{"type":"Incident","time":"2021-11-25T10:01:00Z","id2":"x","category":"noise","address":"B"}"#,
        r#"{"type":"Contact","time":"2021-11-25T10:02:00Z","track":"T1","identified":false}"#,
        r#"{"type":"Incident","time":"2021-11-25T10:03:00Z","id2":"y","category":"theft","address":"B"}"#,
    ];
    let mut full = Engine::new(p.clone(), EngineConfig::default());
    for l in lines {
        full.push_line(l.as_bytes());
    }
    let bytes = full.snapshot();
    assert!(bytes.len() > 200, "{}", bytes.len());
    // An engine with state of its own, which a failed restore must keep.
    let mut other = Engine::new(p, EngineConfig::default());
    other.push_line(lines[1].as_bytes());
    let _ = other.take_records();
    let before = other.snapshot();
    for cut in 0..bytes.len() {
        assert!(
            other.restore(&bytes[..cut]).is_err(),
            "a cut at {cut} restored"
        );
        assert!(other.take_records().is_empty());
        assert_eq!(
            other.snapshot(),
            before,
            "a cut at {cut} changed the engine"
        );
    }
    // A bit flipped anywhere is caught (by the checksum, or before it by the header).
    for at in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x10;
        let err = other.restore(&flipped).expect_err("a flipped bit restored");
        assert!(
            at < 8 || at >= bytes.len() - 32 || err.0.contains("checksum does not match"),
            "byte {at}: {}",
            err.0
        );
        assert_eq!(
            other.snapshot(),
            before,
            "a flip at {at} changed the engine"
        );
    }
    other.restore(&bytes).expect("the whole snapshot restores");
    assert_eq!(other.snapshot(), bytes);
}

/// A `$reload` line in the input switches rule sets at its place, as `Engine::reload` between
/// the same lines would; one that cannot be carried out is rejected and the old rules go on.
#[test]
fn a_reload_line_switches_rule_sets_at_its_place_in_the_input() {
    let old = program(RULES);
    let new = program(&RULES.replace("{key}: {count()}", "{key} has {count()}"));
    let before = [
        r#"{"type":"Incident","time":"2021-11-25T10:00:00Z","id2":"I1","category":"violence","address":"A"}"#,
        r#"{"type":"Incident","time":"2021-11-25T10:02:00Z","id2":"x","category":"noise","address":"B"}"#,
        r#"{"type":"Incident","time":"2021-11-25T10:03:00Z","id2":"y","category":"noise","address":"B"}"#,
    ];
    let after = [
        r#"{"type":"Incident","time":"2021-11-25T10:04:00Z","id2":"z","category":"noise","address":"B"}"#,
        r#"{"type":"Ack","time":"2021-11-25T10:05:00Z","id2":"I1"}"#,
    ];
    let reload = |fp: &str| format!(r#"{{"type":"$reload","ruleset":"{fp}"}}"#);
    let run = |config: EngineConfig, middle: Option<String>, direct: bool| {
        let mut e = Engine::new(Arc::clone(&old), config);
        let mut out = Vec::new();
        let take = |e: &mut Engine, out: &mut Vec<String>| {
            let recs = e.take_records();
            out.extend(recs.iter().map(|r| e.to_json(r)));
        };
        for l in before {
            e.push_line(l.as_bytes());
        }
        take(&mut e, &mut out);
        // A blank line in place of the reload keeps the line numbers.
        let pushed = e.push_line(middle.as_deref().unwrap_or("").as_bytes());
        if direct {
            e.reload(Arc::clone(&new)).expect("reloads");
        }
        for l in after {
            e.push_line(l.as_bytes());
        }
        e.advance_to(i64::MAX);
        take(&mut e, &mut out);
        (pushed, out, e.program().fingerprint.clone())
    };
    let found = Arc::clone(&new);
    let rulesets = vigil_runtime::Rulesets::new(move |fp| {
        (fp == found.fingerprint)
            .then(|| Arc::clone(&found))
            .ok_or_else(|| vigil_runtime::NotFound::Missing(format!("unknown {fp}")))
    });
    let with = EngineConfig {
        rulesets: Some(rulesets),
        ..EngineConfig::default()
    };
    let (_, reloaded_directly, _) = run(EngineConfig::default(), None, true);
    let (_, unchanged, _) = run(EngineConfig::default(), None, false);
    assert_ne!(reloaded_directly, unchanged, "the new message shows");
    assert!(
        reloaded_directly
            .iter()
            .any(|r| r.contains(r#""message":"B has 3""#))
    );

    let (pushed, by_line, now) = run(with.clone(), Some(reload(&new.fingerprint)), false);
    assert_eq!(pushed, Pushed::Reloaded(new.fingerprint.clone()));
    assert_eq!(now, new.fingerprint);
    assert_eq!(by_line, reloaded_directly);

    // The same rule set again: nothing changes.
    let (pushed, same, now) = run(with.clone(), Some(reload(&old.fingerprint)), false);
    assert_eq!(pushed, Pushed::Reloaded(old.fingerprint.clone()));
    assert_eq!((same, now), (unchanged.clone(), old.fingerprint.clone()));

    // Refused: unknown here, nowhere to look, or no fingerprint; the old rules go on.
    let refused = [
        (with.clone(), reload("sha256:0000"), "reload"),
        (EngineConfig::default(), reload(&new.fingerprint), "reload"),
        (with, r#"{"type":"$reload"}"#.to_string(), "missing_field"),
    ];
    for (config, line, reason) in refused {
        let (pushed, out, now) = run(config, Some(line.clone()), false);
        match pushed {
            Pushed::Rejected(r) => assert_eq!(r.kind.as_str(), reason, "{line}: {r}"),
            other => panic!("{line}: {other:?}"),
        }
        assert_eq!(
            (out, now),
            (unchanged.clone(), old.fingerprint.clone()),
            "{line}"
        );
    }
}

/// A changed workflow's state timers count from when the state was entered, and one already
/// due fired under the old definition: after the reload it does not fire again.
#[test]
fn a_reload_does_not_fire_again_a_deadline_that_fired_before_it() {
    let ring = |message: &str| {
        program(&format!(
            "unit desk\nevent Incident {{ case: str }}\nevent Ack {{ case: str }}\n\
             workflow ring {{\n  start on i: Incident by i.case\n  state raised {{\n    \
             on Ack -> done\n    after 1m alert desk message \"{message} {{i.case}}\"\n    \
             after 10m alert desk message \"{message} late {{i.case}}\"\n  }}\n  final done\n}}\n"
        ))
    };
    let mut e = Engine::new(ring("v1"), EngineConfig::default());
    e.push_line(br#"{"type":"Incident","time":"2022-03-01T03:00:00Z","case":"A"}"#);
    e.push_line(br#"{"type":"Incident","time":"2022-03-01T03:02:00Z","case":"B"}"#);
    let before: Vec<String> = e.take_records().iter().map(|r| e.to_json(r)).collect();
    assert_eq!(
        before.iter().filter(|r| r.contains("v1 A")).count(),
        1,
        "{before:?}"
    );
    e.reload(ring("v2")).expect("reloads");
    e.advance_to(i64::MAX);
    let after: Vec<String> = e.take_records().iter().map(|r| e.to_json(r)).collect();
    let messages: Vec<&str> = after
        .iter()
        .filter_map(|r| r.split("\"message\":\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(messages, ["v2 B", "v2 late A", "v2 late B"], "{after:?}");
}
