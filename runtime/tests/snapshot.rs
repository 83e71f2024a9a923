//! Engine state survives a snapshot: stopping at any line, restoring into a fresh engine and
//! going on gives the records of an uninterrupted run; a reloaded rule set keeps the state of
//! what did not change and reports workflow instances whose state is gone.

use std::fmt::Write as _;
use std::sync::Arc;

use proptest::prelude::*;
use vigil_compiler::load::compile_sources as compile;
use vigil_runtime::{Engine, EngineConfig, Record};

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
fn a_snapshot_of_another_format_version_is_refused_with_a_reason() {
    let program = program(RULES);
    let engine = Engine::new(program.clone(), EngineConfig::default());
    let mut bytes = engine.snapshot();
    bytes[7] = b'0';
    let mut other = Engine::new(program, EngineConfig::default());
    let err = other.restore(&bytes).expect_err("another version");
    assert!(err.0.contains("another version"), "{}", err.0);
    let err = other.restore(b"garbage!").expect_err("garbage");
    assert!(err.0.contains("not a Vigil engine snapshot"), "{}", err.0);
}
