//! The engine against SPEC §7: input, rejects, event time, ordering, output, state.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use vigil_compiler::load::compile_sources as compile;
use vigil_runtime::{Engine, EngineConfig, Pushed, Record, RejectKind};

const RULES: &str = r#"
timezone "Asia/Shanghai"
unit desk
unit patrol "巡逻" { sees Contact.{track} }
enum Category { noise, theft }
event Call { caller: str, minutes: int, duration: duration?, category: Category? }
event Contact { track: str, identified: bool, position: point?, secret: str? }
event Escalation { caller: str }

rule long_call {
  when c: Call where c.minutes >= 30
  alert desk message "{c.caller}"
}

rule also_long {
  when c: Call where c.minutes >= 30
  alert desk
  emit Escalation { caller: c.caller }
}

rule escalated {
  when e: Escalation
  alert desk
}

rule ratio {
  when c: Call where 100 / (c.minutes - 7) > 1 and c.minutes * 4611686018427387904 > 0
  alert desk
}

rule unidentified {
  when sequence by track within 15m
    a: Contact where not a.identified
    then not Contact where identified
  alert patrol
}

rule per_caller {
  when c: Call group by c.caller within 1h having count() >= 100
  alert desk
}
"#;

fn engine(lateness: i64, max_keys: usize) -> Engine {
    let program = compile(&[("rules.vigil", RULES)]).expect("rules check");
    Engine::new(
        Arc::new(program),
        EngineConfig {
            lateness,
            max_keys_per_rule: max_keys,
            ..EngineConfig::default()
        },
    )
}

fn call(time: &str, caller: &str, minutes: i64) -> String {
    format!(r#"{{"type":"Call","time":"{time}","caller":"{caller}","minutes":{minutes}}}"#)
}

fn json(engine: &mut Engine) -> Vec<String> {
    let records = engine.take_records();
    records.iter().map(|r| engine.to_json(r)).collect()
}

fn rejected(p: Pushed) -> RejectKind {
    match p {
        Pushed::Rejected(r) => r.kind,
        other => panic!("expected a reject, got {other:?}"),
    }
}

#[test]
fn bad_lines_are_rejected_with_their_reason_and_processing_continues() {
    let mut e = engine(0, 1000);
    assert_eq!(rejected(e.push_line(b"not json")), RejectKind::NotJson);
    assert_eq!(rejected(e.push_line(b"[1, 2]")), RejectKind::NotJson);
    assert_eq!(
        rejected(e.push_line(br#"{"time":"2021-11-25T19:00:00Z"}"#)),
        RejectKind::MissingField
    );
    assert_eq!(
        rejected(e.push_line(br#"{"type":"Nope","time":"2021-11-25T19:00:00Z"}"#)),
        RejectKind::UnknownType
    );
    assert_eq!(
        rejected(e.push_line(br#"{"type":"Call","time":"2021-11-25T19:00:00Z","caller":"a"}"#)),
        RejectKind::MissingField
    );
    assert_eq!(
        rejected(e.push_line(
            br#"{"type":"Call","time":"2021-11-25T19:00:00Z","caller":"a","minutes":"x"}"#
        )),
        RejectKind::WrongType
    );
    assert_eq!(
        rejected(e.push_line(
            br#"{"type":"Call","time":"2021-11-25T19:00:00Z","caller":"a","minutes":1.5}"#
        )),
        RejectKind::WrongType
    );
    assert_eq!(
        rejected(e.push_line(
            br#"{"type":"Call","time":"2021-11-25T19:00:00","caller":"a","minutes":1}"#
        )),
        RejectKind::BadTime
    );
    assert_eq!(
        rejected(e.push_line(br#"{"type":"Call","caller":"a","minutes":1}"#)),
        RejectKind::MissingField
    );
    assert_eq!(
        rejected(e.push_line(br#"{"type":"Call","time":"2021-11-25T19:00:00Z","caller":"a","minutes":1,"category":"arson"}"#)),
        RejectKind::WrongType
    );
    assert_eq!(e.push_line(b"   "), Pushed::Blank);
    assert_eq!(
        e.push_line(call("2021-11-25T19:00:00Z", "a", 45).as_bytes()),
        Pushed::Accepted
    );
    e.finish();
    let out = json(&mut e);
    // Blank lines count for line numbers: the accepted event is on line 12.
    assert!(out[0].contains(r#""line":12"#), "{}", out[0]);
    assert_eq!(e.stats().rejected_total(), 10);
}

#[test]
fn fields_decode_from_every_accepted_form() {
    let mut e = engine(0, 1000);
    // CloudEvents structured mode: fields under `data`, the top-level id is the event's id;
    // epoch milliseconds; an int written 45.0; an ISO duration; an enum by name.
    let line = r#"{"specversion":"1.0","id":"evt-1","source":"carrier","type":"Call","time":1637866800000,"data":{"caller":"+86","minutes":45.0,"duration":"PT1H30M","category":"theft"}}"#;
    assert_eq!(e.push_line(line.as_bytes()), Pushed::Accepted);
    // The type after the fields.
    let late_type = r#"{"time":"2021-11-25T19:00:01Z","caller":"b","minutes":31,"duration":5400,"type":"Call"}"#;
    assert_eq!(e.push_line(late_type.as_bytes()), Pushed::Accepted);
    e.finish();
    let out = json(&mut e);
    assert!(
        out[0].contains(
            r#""id":"evt-1","caller":"+86","minutes":45,"duration":5400,"category":"theft""#
        ),
        "{}",
        out[0]
    );
    assert!(
        out[0].contains(r#""time":"2021-11-26T03:00:00+08:00""#),
        "{}",
        out[0]
    );
    assert!(
        out.iter()
            .any(|r| r.contains(r#""caller":"b","minutes":31,"duration":5400"#))
    );
}

#[test]
fn late_events_are_rejected_and_an_event_at_the_watermark_is_not() {
    let mut e = engine(5_000, 1000);
    assert_eq!(
        e.push_line(call("2021-11-25T19:00:10Z", "a", 1).as_bytes()),
        Pushed::Accepted
    );
    // Watermark is now 19:00:05. Exactly at it: accepted; before it: late.
    assert_eq!(
        e.push_line(call("2021-11-25T19:00:05Z", "b", 1).as_bytes()),
        Pushed::Accepted
    );
    assert_eq!(
        rejected(e.push_line(call("2021-11-25T19:00:04.999Z", "c", 1).as_bytes())),
        RejectKind::Late
    );
    assert_eq!(e.stats().rejected[&RejectKind::Late], 1);
}

#[test]
fn the_lateness_buffer_releases_events_in_time_then_arrival_order() {
    let mut e = engine(60_000, 1000);
    for (t, who) in [
        ("19:00:30", "second"),
        ("19:00:10", "first"),
        ("19:00:30", "third"),
    ] {
        e.push_line(call(&format!("2021-11-25T{t}Z"), who, 40).as_bytes());
    }
    assert!(
        e.take_records().is_empty(),
        "nothing is released before the watermark passes"
    );
    e.finish();
    let callers: Vec<String> = json(&mut e)
        .into_iter()
        .filter(|r| r.contains(r#""rule":"long_call""#))
        .map(|r| {
            r.split(r#""message":""#)
                .nth(1)
                .unwrap_or("")
                .split('"')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(callers, ["first", "second", "third"]);
}

#[test]
fn rules_firing_on_one_event_write_in_declaration_order_and_derived_events_follow() {
    let mut e = engine(0, 1000);
    e.push_line(call("2021-11-25T19:00:00Z", "a", 40).as_bytes());
    e.finish();
    let out = json(&mut e);
    let rules: Vec<&str> = out
        .iter()
        .map(|r| {
            r.split(r#""rule":""#)
                .nth(1)
                .unwrap_or("")
                .split('"')
                .next()
                .unwrap_or("")
        })
        .collect();
    // `ratio` is declared between them but its condition overflows for 40 minutes.
    assert_eq!(rules, ["long_call", "also_long", "escalated"]);
    assert!(
        out[2].contains(r#""line":null,"derived_from":"also_long""#),
        "{}",
        out[2]
    );
}

#[test]
fn overflow_and_division_by_zero_make_the_condition_false_and_are_counted() {
    let mut e = engine(0, 1000);
    // minutes = 7: division by zero; minutes = 40: 40 * 2^62 overflows.
    e.push_line(call("2021-11-25T19:00:00Z", "a", 7).as_bytes());
    e.push_line(call("2021-11-25T19:00:01Z", "b", 40).as_bytes());
    e.push_line(call("2021-11-25T19:00:02Z", "c", 0).as_bytes());
    e.finish();
    let out = json(&mut e);
    assert!(
        !out.iter().any(|r| r.contains(r#""rule":"ratio""#)),
        "{out:?}"
    );
    let errors = &e.stats().eval_errors;
    assert_eq!(errors.get("division by zero"), Some(&1));
    assert_eq!(errors.get("integer overflow"), Some(&1));
}

#[test]
fn end_of_input_keeps_later_deadlines_pending_and_until_fires_them() {
    let contact = |t: &str, track: &str| {
        format!(
            r#"{{"type":"Contact","time":"{t}","track":"{track}","identified":false,"secret":"s"}}"#
        )
    };
    let mut e = engine(0, 1000);
    e.push_line(contact("2021-11-25T19:00:00Z", "T1").as_bytes());
    e.push_line(contact("2021-11-25T19:20:00Z", "T2").as_bytes());
    e.finish();
    let out = json(&mut e);
    assert_eq!(
        out.len(),
        1,
        "T1's deadline (19:15) passed; T2's (19:35) did not: {out:?}"
    );
    assert_eq!(e.pending_deadlines(), 1);
    e.advance_to(i64::MAX);
    let out = json(&mut e);
    assert_eq!(out.len(), 1);
    assert!(
        out[0].contains(r#""time":"2021-11-26T03:35:00+08:00""#),
        "{}",
        out[0]
    );
    assert_eq!(e.pending_deadlines(), 0);
}

#[test]
fn delivered_evidence_carries_only_the_fields_a_unit_sees() {
    let mut e = engine(0, 1000);
    let line = r#"{"type":"Contact","time":"2021-11-25T19:00:00Z","track":"T1","identified":false,"secret":"classified","position":{"lat":22.5,"lon":114.1}}"#;
    e.push_line(line.as_bytes());
    e.advance_to(i64::MAX);
    let records = e.take_records();
    let Record::Alert(alert) = &records[0] else {
        panic!("an alert")
    };
    let full = e.to_json(&records[0]);
    assert!(
        full.contains("classified") && full.contains(r#""position":{"lat":22.5,"lon":114.1}"#),
        "{full}"
    );
    let delivered = e.to_json_for_unit(alert, "patrol").expect("a unit");
    assert!(
        !delivered.contains("classified") && !delivered.contains("position"),
        "{delivered}"
    );
    assert!(
        delivered.contains(r#""track":"T1""#) && delivered.contains(r#""time":"#),
        "{delivered}"
    );
}

#[test]
fn a_rule_at_its_key_cap_writes_an_overflow_record() {
    let mut e = engine(0, 2);
    for (i, who) in ["a", "b", "c"].iter().enumerate() {
        e.push_line(call(&format!("2021-11-25T19:00:0{i}Z"), who, 1).as_bytes());
    }
    e.finish();
    let out = json(&mut e);
    let overflow: Vec<&String> = out
        .iter()
        .filter(|r| r.contains(r#""kind":"overflow""#))
        .collect();
    assert_eq!(overflow.len(), 1, "{out:?}");
    assert!(
        overflow[0].contains(r#""rule":"per_caller","key":"c""#),
        "{}",
        overflow[0]
    );
    assert_eq!(e.stats().overflows, 1);
}

#[test]
fn state_is_evicted_once_keys_go_quiet() {
    let mut e = engine(0, 1_000_000);
    for i in 0..1000 {
        e.push_line(call("2021-11-25T19:00:00Z", &format!("caller-{i}"), 1).as_bytes());
    }
    assert_eq!(e.live_keys(), 1000);
    // Two hours later every window (1h) is empty and its group gone.
    e.push_line(call("2021-11-25T21:00:00Z", "late", 1).as_bytes());
    assert_eq!(e.live_keys(), 1);
}

#[test]
fn replaying_the_same_input_gives_byte_identical_output() {
    let mut lines = Vec::new();
    for i in 0..500 {
        let t = format!(
            "2021-11-25T{:02}:{:02}:{:02}Z",
            10 + i / 3600,
            (i / 60) % 60,
            i % 60
        );
        lines.push(call(&t, &format!("c{}", i % 7), (i * 13) % 60));
        lines.push(format!(
            r#"{{"type":"Contact","time":"{t}","track":"T{}","identified":{}}}"#,
            i % 5,
            i % 3 == 0
        ));
    }
    let run = || {
        let mut e = engine(2_000, 1000);
        let mut out = Vec::new();
        for l in &lines {
            e.push_line(l.as_bytes());
            out.extend(json(&mut e));
        }
        e.finish();
        out.extend(json(&mut e));
        out.join("\n")
    };
    let first = run();
    assert!(first.len() > 10_000);
    assert_eq!(first, run());
}

#[test]
fn alerts_on_different_derived_events_have_different_ids() {
    let program = compile(&[(
        "r.vigil",
        "unit desk\nevent Incident { address: str }\nevent Lead { address: str }\n\
         rule lead {\n  when i: Incident\n  emit Lead { address: i.address }\n}\n\
         rule lead_alert {\n  when l: Lead\n  alert desk\n}\n",
    )])
    .expect("checks");
    let mut e = Engine::new(Arc::new(program), EngineConfig::default());
    e.push_line(br#"{"type":"Incident","time":"2021-11-25T19:00:00Z","address":"A"}"#);
    e.push_line(br#"{"type":"Incident","time":"2021-11-25T19:00:00Z","address":"B"}"#);
    e.finish();
    let ids: Vec<String> = e
        .take_records()
        .iter()
        .filter_map(|r| match r {
            Record::Alert(a) => Some(a.id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn a_units_copy_leaves_out_a_key_and_the_message_values_made_of_fields_it_may_not_see() {
    let program = compile(&[(
        "r.vigil",
        "unit stewards { sees EntranceCheck.{gate} }\nunit desk\nevent EntranceCheck { gate: str, person_ref: str }\n\
         rule watched {\n  when e: EntranceCheck where e.person_ref == \"9f2c\"\n  alert stewards, desk message \"{e.person_ref} at {e.gate}\"\n  suppress by e.person_ref for 30m\n}\n\
         rule gate_busy {\n  when e: EntranceCheck\n  alert stewards message \"gate {e.gate}\"\n}\n",
    )])
    .expect("checks");
    let mut e = Engine::new(Arc::new(program), EngineConfig::default());
    e.push_line(br#"{"type":"EntranceCheck","time":"2021-11-25T19:00:00Z","gate":"G1","person_ref":"9f2c"}"#);
    e.finish();
    let records = e.take_records();
    let alert = |i: usize| match &records[i] {
        Record::Alert(a) => a.clone(),
        other => panic!("{other:?}"),
    };
    let stewards = e.to_json_for_unit(&alert(0), "stewards").expect("a unit");
    assert!(!stewards.contains("9f2c"), "{stewards}");
    assert!(
        stewards.contains(r#""key":null"#) && stewards.contains(r#""redacted":["key","message"]"#),
        "{stewards}"
    );
    // SPEC v0.2: only the value it may not see reads `…`; the gate it may see stays.
    assert!(stewards.contains(r#""message":"… at G1""#), "{stewards}");
    let desk = e.to_json_for_unit(&alert(0), "desk").expect("a unit");
    assert_eq!(e.to_json_for_unit(&alert(0), "nobody"), None);
    assert!(
        desk.contains(r#""key":"9f2c""#) && desk.contains("9f2c at G1"),
        "{desk}"
    );
    // A message made only of visible fields is delivered whole.
    let gate = e.to_json_for_unit(&alert(1), "stewards").expect("a unit");
    assert!(
        gate.contains(r#""message":"gate G1""#) && !gate.contains("redacted"),
        "{gate}"
    );
}

#[test]
fn an_engine_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    let e = engine(0, 1_000_000);
    send(&e);
    // And really run there: a service hands engines to worker threads.
    let handle = std::thread::spawn(move || {
        let mut e = e;
        e.push_line(call("2021-11-25T19:00:00Z", "a", 45).as_bytes());
        e.take_records().len()
    });
    assert_eq!(handle.join().expect("the thread runs"), 3);
}

#[test]
fn state_follows_the_live_keys_not_the_length_of_the_stream() {
    // A band of 500 keys moves through 20,000: every key is busy for a while, then quiet for
    // good. One call a second; windows are an hour.
    let mut e = engine(0, 1_000_000);
    let key = |i: u64| (i / 10 + (i.wrapping_mul(2_654_435_761) % 500)) % 20_000;
    let start = 1_637_866_800_000i64; // 2021-11-25T19:00:00Z
    let mut live = Vec::new();
    for i in 0..200_000u64 {
        let line = format!(
            r#"{{"type":"Call","time":{},"caller":"c{}","minutes":1}}"#,
            start + i as i64 * 1000,
            key(i)
        );
        e.push_line(line.as_bytes());
        if i % 20_000 == 19_999 {
            live.push(e.live_keys());
        }
    }
    // 20,000 callers came and went; an hour holds 3,600 calls over at most ~860 callers, and
    // expired groups are swept once per hour, so state never holds more than two hours' worth.
    let most = *live.iter().max().unwrap_or(&0);
    assert!(most <= 2 * 860, "live keys at each 20,000 events: {live:?}");
    // And it does hold the hour's callers (at least the 500 of the band).
    assert!(live.iter().all(|&n| n >= 500), "{live:?}");
}

/// The rules that `program` fires, as "rule i" for the `i`th of `lines`, in one engine of
/// `kind` (which is returned for its reports).
/// `Call` events with `fields`, one second apart.
fn call_lines(fields: &[&str]) -> Vec<String> {
    fields
        .iter()
        .enumerate()
        .map(|(i, fields)| format!(r#"{{"type":"Call","time":"2024-07-01T00:00:0{i}Z",{fields}}}"#))
        .collect()
}

fn fired(
    program: &Arc<vigil_ir::Program>,
    kind: vigil_runtime::EngineKind,
    lines: &[String],
) -> (Vec<String>, Engine) {
    let mut e = Engine::new(
        Arc::clone(program),
        EngineConfig {
            engine: kind,
            ..EngineConfig::default()
        },
    );
    let mut fired = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(e.push_line(line.as_bytes()), Pushed::Accepted, "{line}");
        for r in e.take_records() {
            if let Record::Alert(a) = r
                && let vigil_runtime::Origin::Rule(rule) = &a.origin
            {
                fired.push(format!("{rule} {i}"));
            }
        }
    }
    (fired, e)
}

/// A test of a `bool` field is answered by the dispatch plan's index, like `field == value`:
/// a rule set of such tests compiles no code (and never pages in Cranelift). `not` of an
/// optional field stays a condition: it holds when the field is absent, which no index entry
/// says.
#[test]
fn bool_field_tests_are_indexed_and_not_of_an_optional_one_is_not() {
    let rules = r#"
unit desk
event Contact { track: str, identified: bool, hostile: bool? }
rule unknown {
  when a: Contact where not a.identified
  alert desk
}
rule known {
  when a: Contact where a.identified
  alert desk
}
rule maybe_friendly {
  when a: Contact where not a.hostile
  alert desk
}
"#;
    let program = Arc::new(compile(&[("rules.vigil", rules)]).expect("rules check"));
    let lines: Vec<String> = [
        r#""identified":false"#,
        r#""identified":true,"hostile":true"#,
        r#""identified":false,"hostile":false"#,
    ]
    .iter()
    .enumerate()
    .map(|(i, fields)| {
        format!(r#"{{"type":"Contact","time":"2024-05-01T00:00:0{i}Z","track":"T{i}",{fields}}}"#)
    })
    .collect();
    let run = |kind| fired(&program, kind, &lines);
    let (fired, jit) = run(vigil_runtime::EngineKind::Jit);
    assert_eq!(
        fired,
        [
            "unknown 0",
            "maybe_friendly 0",
            "known 1",
            "unknown 2",
            "maybe_friendly 2"
        ]
    );
    let (compiled, total, _) = jit.jit_report().expect("the JIT runs");
    assert_eq!(
        (compiled, total),
        (1, 1),
        "only `not a.hostile` is compiled"
    );
    let (reference, _) = run(vigil_runtime::EngineKind::Coverage);
    assert_eq!(fired, reference);
}

/// Rules of different event types whose conditions read alike (`a.n * 2 >= 10`,
/// `b.n * 2 >= 10`: field 1 of slot 0 in both) share no conjunct: field 1 is word 2 of an `A`
/// (after a string) and word 1 of a `B` (after a bool), so the code compiled for one type
/// reads the wrong word of the other, or past its end.
#[test]
fn alike_conditions_of_different_event_types_are_not_shared() {
    let rules = r#"
unit desk
event A { s: str, n: int }
event B { b: bool, n: int }
rule ra {
  when a: A where a.n * 2 >= 10 and a.s == "x"
  alert desk
}
rule rb {
  when b: B where b.n * 2 >= 10 and b.b
  alert desk
}
"#;
    let program = Arc::new(compile(&[("rules.vigil", rules)]).expect("rules check"));
    let lines: Vec<String> = [
        ("A", r#""s":"x","n":7"#),
        ("B", r#""b":true,"n":7"#),
        ("B", r#""b":true,"n":1"#),
        ("A", r#""s":"x","n":1"#),
    ]
    .iter()
    .enumerate()
    .map(|(i, (ty, fields))| {
        format!(r#"{{"type":"{ty}","time":"2024-05-01T00:00:0{i}Z",{fields}}}"#)
    })
    .collect();
    let run = |kind| fired(&program, kind, &lines);
    let (fired, jit) = run(vigil_runtime::EngineKind::Jit);
    assert_eq!(fired, ["ra 0", "rb 1"]);
    let (_, total, _) = jit.jit_report().expect("the JIT runs");
    assert_eq!(total, 2, "one `n * 2 >= 10` per event type");
    let (reference, _) = run(vigil_runtime::EngineKind::Coverage);
    assert_eq!(fired, reference);
}

/// Candidates whose first test bounds the same field the same way are tested as a range
/// group: a binary search over their bounds finds those whose test holds. `>` and `<` bound
/// at the next value, a constant on the left is read the other way round, and an absent
/// field has each rule tested in full.
#[test]
fn range_tests_alike_are_answered_by_one_search() {
    let rules = r#"
unit desk
event Call { region: str, age: int, length: duration, at: time? }
rule old        { when c: Call where c.region == "X" and c.age >= 65  alert desk }
rule older      { when c: Call where c.region == "X" and c.age > 70   alert desk }
rule young      { when c: Call where c.region == "X" and c.age <= 20  alert desk }
rule minor      { when c: Call where c.region == "X" and 18 > c.age   alert desk }
rule long_old   { when c: Call where c.age >= 65 and c.length >= 1h   alert desk }
rule short_old  { when c: Call where 80 <= c.age and c.length < 30m   alert desk }
rule may        { when c: Call where c.at >= 2024-05-01T00:00:00Z and c.age > 0  alert desk }
rule june       { when c: Call where c.at >= 2024-06-01T00:00:00Z and c.age > 0  alert desk }
"#;
    let program = Arc::new(compile(&[("rules.vigil", rules)]).expect("rules check"));
    let lines = call_lines(&[
        r#""region":"X","age":65,"length":7200"#,
        r#""region":"X","age":71,"length":600"#,
        r#""region":"X","age":17,"length":600"#,
        r#""region":"X","age":18,"length":600"#,
        r#""region":"Y","age":85,"length":600"#,
        r#""region":"X","age":70,"length":3600,"at":"2024-05-02T00:00:00Z""#,
        r#""region":"Y","age":1,"length":0,"at":"2024-06-01T00:00:00Z""#,
    ]);
    let run = |kind| fired(&program, kind, &lines).0;
    let fired = run(vigil_runtime::EngineKind::Jit);
    assert_eq!(
        fired,
        [
            "old 0",
            "long_old 0",
            "old 1",
            "older 1",
            "young 2",
            "minor 2",
            "young 3",
            "short_old 4",
            "old 5",
            "long_old 5",
            "may 5",
            "may 6",
            "june 6",
        ]
    );
    assert_eq!(fired, run(vigil_runtime::EngineKind::Interp));
    // The coverage engine has no index and no groups: every test of every rule is evaluated.
    assert_eq!(fired, run(vigil_runtime::EngineKind::Coverage));
}

/// Conjuncts left after dispatch that compare one field with a constant or a list are
/// answered by reading the field, with no compiled code: `==` and `!=` on strings, enums,
/// ints and bools, either way round, and `in` / `not in` a list or a set of constants. An
/// absent optional field has the conjunct evaluated as written.
#[test]
fn field_tests_need_no_compiled_code() {
    let rules = r#"
unit desk
enum Kind { noise, theft, fraud }
list places = ["A1", "B2"]
list codes = [3, 5]
event Call { region: str, kind: Kind, code: int, urgent: bool, place: str?, note: int? }
rule theft      { when c: Call where c.region == "X" and c.kind == theft       alert desk }
rule not_noise  { when c: Call where c.region == "X" and noise != c.kind       alert desk }
rule placed     { when c: Call where c.region == "X" and c.place in places     alert desk }
rule unplaced   { when c: Call where c.region == "X" and c.place not in places alert desk }
rule coded      { when c: Call where c.region == "X" and c.code in codes       alert desk }
rule uncoded    { when c: Call where c.region == "X" and c.note not in codes   alert desk }
rule calm       { when c: Call where c.region == "X" and c.urgent == false     alert desk }
rule elsewhere  { when c: Call where c.kind == fraud and c.region != "X"       alert desk }
rule noted      { when c: Call where c.kind == fraud and c.note == 5           alert desk }
rule petty      { when c: Call where c.region == "X" and c.kind in [noise, theft]  alert desk }
rule low_code   { when c: Call where c.region == "X" and c.code in [3, 4]          alert desk }
rule far        { when c: Call where c.kind == fraud and c.region not in ["Y", "Z"] alert desk }
"#;
    let program = Arc::new(compile(&[("rules.vigil", rules)]).expect("rules check"));
    let lines = call_lines(&[
        r#""region":"X","kind":"theft","code":3,"urgent":true,"place":"A1""#,
        r#""region":"X","kind":"noise","code":4,"urgent":false,"place":"C3","note":5"#,
        r#""region":"X","kind":"fraud","code":5,"urgent":true"#,
        r#""region":"Y","kind":"fraud","code":1,"urgent":false,"note":5"#,
        r#""region":"Y","kind":"fraud","code":1,"urgent":false"#,
    ]);
    let run = |kind| fired(&program, kind, &lines);
    let (fired, jit) = run(vigil_runtime::EngineKind::Jit);
    assert_eq!(
        fired,
        [
            "theft 0",
            "not_noise 0",
            "placed 0",
            "coded 0",
            "uncoded 0",
            "petty 0",
            "low_code 0",
            "unplaced 1",
            "calm 1",
            "petty 1",
            "low_code 1",
            "not_noise 2",
            "unplaced 2",
            "coded 2",
            "uncoded 2",
            "far 2",
            "elsewhere 3",
            "noted 3",
            "elsewhere 4",
        ]
    );
    let (compiled, total, _) = jit.jit_report().expect("the JIT runs");
    assert_eq!((compiled, total), (0, 0), "every conjunct is a field test");
    assert_eq!(fired, run(vigil_runtime::EngineKind::Interp).0);
    // The coverage engine evaluates every conjunct as written.
    assert_eq!(fired, run(vigil_runtime::EngineKind::Coverage).0);
}

/// SPEC §7 (v0.2), ticks: a `$tick` line moves time on a quiet feed, so a deadline fires
/// without another event; it is never matched, written or rejected as unknown.
#[test]
fn a_tick_fires_the_deadlines_it_passes_and_nothing_else() {
    let contact = r#"{"type":"Contact","time":"2021-11-25T19:00:00Z","track":"T1","identified":false,"secret":"s"}"#;
    let tick = |t: &str| format!(r#"{{"type":"$tick","time":"{t}"}}"#);
    let mut e = engine(0, 1000);
    assert_eq!(e.push_line(contact.as_bytes()), Pushed::Accepted);
    // Before the deadline (19:15): nothing.
    assert_eq!(
        e.push_line(tick("2021-11-25T19:14:59Z").as_bytes()),
        Pushed::Accepted
    );
    assert!(json(&mut e).is_empty());
    // At it: the alert, with no event but the tick.
    assert_eq!(
        e.push_line(tick("2021-11-25T19:15:00Z").as_bytes()),
        Pushed::Accepted
    );
    let out = json(&mut e);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(
        out[0].contains(r#""time":"2021-11-26T03:15:00+08:00""#),
        "{}",
        out[0]
    );
    // A tick behind the watermark changes nothing and is not late.
    assert_eq!(
        e.push_line(tick("2021-11-25T18:00:00Z").as_bytes()),
        Pushed::Accepted
    );
    assert_eq!(e.watermark(), 1_637_867_700_000);
    // A tick with a bad or missing time is rejected; its other members are ignored.
    assert_eq!(
        rejected(e.push_line(br#"{"type":"$tick","time":"soon"}"#)),
        RejectKind::BadTime
    );
    assert_eq!(
        rejected(e.push_line(br#"{"type":"$tick"}"#)),
        RejectKind::MissingField
    );
    let extra = r#"{"type":"$tick","time":"2021-11-25T19:16:00Z","id":"t","track":"T1"}"#;
    assert_eq!(e.push_line(extra.as_bytes()), Pushed::Accepted);
    e.finish();
    assert!(json(&mut e).is_empty());
    let s = e.stats();
    assert_eq!((s.ticks, s.accepted, s.processed), (4, 1, 1));
    assert_eq!(s.rejected_total(), 2);
}

/// With lateness, a tick releases the buffered events it passes, as an event would.
#[test]
fn a_tick_moves_the_watermark_like_an_event_of_its_time() {
    let contact = |t: &str| {
        format!(r#"{{"type":"Contact","time":"{t}","track":"T1","identified":false,"secret":"s"}}"#)
    };
    let mut ticked = engine(60_000, 1000);
    let mut evented = engine(60_000, 1000);
    for e in [&mut ticked, &mut evented] {
        e.push_line(contact("2021-11-25T19:00:00Z").as_bytes());
    }
    ticked.push_line(br#"{"type":"$tick","time":"2021-11-25T19:20:00Z"}"#);
    evented.push_line(contact("2021-11-25T19:20:00Z").as_bytes());
    assert_eq!(ticked.watermark(), evented.watermark());
    let (a, b) = (json(&mut ticked), json(&mut evented));
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a, b);
}

/// Maps reload while the engine runs (SPEC v0.2), all or nothing: a text that does not parse
/// leaves every map as it was.
#[test]
fn maps_reload_whole_or_not_at_all() {
    let rules = r#"
unit desk
unit patrol
event Passage { checkpoint: str, speed: int }
map limit: str -> int = { "K1": 60 }
map duty: str -> unit = { "K1": desk }
rule speeding {
  when p: Passage where p.speed > (limit[p.checkpoint] ?? 100)
  alert duty[p.checkpoint] ?? patrol message "{p.checkpoint}"
}
"#;
    let program = compile(&[("rules.vigil", rules)]).expect("rules check");
    let mut engine = Engine::new(Arc::new(program), EngineConfig::default());
    let passage = |t: &str, speed: i64| {
        format!(
            r#"{{"type":"Passage","time":"2022-03-01T10:00:0{t}Z","checkpoint":"K1","speed":{speed}}}"#
        )
    };
    engine.push_line(passage("0", 70).as_bytes());
    let first = json(&mut engine);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].contains(r#""to":["desk"]"#), "{first:?}");

    let bad = engine.reload_maps(vec![
        ("limit".into(), "K1\t80\n".into()),
        ("duty".into(), "K1\tnobody\n".into()),
    ]);
    assert_eq!(
        bad,
        Err("map `duty`: line 1: `nobody` is not a unit".into())
    );
    engine.push_line(passage("1", 70).as_bytes());
    assert_eq!(
        json(&mut engine).len(),
        1,
        "the old limit of 60 still holds"
    );

    engine
        .reload_maps(vec![
            ("limit".into(), "# checkpoint\tkm/h\nK1\t80\n".into()),
            ("duty".into(), "K1\tpatrol\n".into()),
        ])
        .expect("reload");
    engine.push_line(passage("2", 70).as_bytes());
    assert!(json(&mut engine).is_empty(), "70 is under the new limit");
    engine.push_line(passage("3", 90).as_bytes());
    let last = json(&mut engine);
    assert!(last[0].contains(r#""to":["patrol"]"#), "{last:?}");
    assert!(
        engine
            .reload_maps(vec![("nope".into(), String::new())])
            .is_err()
    );
}

/// A sequence's key is computed by each step from its own event: a unit that may see the key
/// field of one step's event sees the key, and `{key}` in the message, though another step's
/// event is hidden from it (the radar alerts of the patrol boats). A workflow-level timer's
/// message is redacted like any other.
#[test]
fn a_key_any_step_shows_is_shown_and_workflow_timer_messages_are_redacted() {
    let program = compile(&[(
        "r.vigil",
        "unit boats { sees Contact.{track} }\nevent Contact { track: str, secret: str }\nevent Identified { track: str }\n\
         rule unidentified {\n  when sequence by track within 15m\n    a: Contact\n    then not Identified\n  alert boats message \"{key} {a.secret}\"\n}\n\
         workflow w {\n  start on c: Contact by c.track\n  after 1m alert boats message \"{c.track} {c.secret}\"\n  state s { on Identified -> done }\n  final done\n}\n",
    )])
    .expect("checks");
    let mut e = Engine::new(Arc::new(program), EngineConfig::default());
    e.push_line(br#"{"type":"Contact","time":"2021-11-25T19:00:00Z","track":"T1","secret":"s3"}"#);
    e.push_line(br#"{"type":"Contact","time":"2021-11-25T19:20:00Z","track":"T2","secret":"x"}"#);
    let records = e.take_records();
    let copies: Vec<String> = records
        .iter()
        .filter_map(|r| match r {
            Record::Alert(a) => e.to_json_for_unit(a, "boats"),
            _ => None,
        })
        .collect();
    let radar = copies
        .iter()
        .find(|c| c.contains(r#""rule":"unidentified""#))
        .expect("the radar alert");
    assert!(
        radar.contains(r#""key":"T1""#) && radar.contains(r#""message":"T1 …""#),
        "{radar}"
    );
    let timer = copies
        .iter()
        .find(|c| c.contains(r#""workflow":"w""#))
        .expect("the timer's alert");
    assert!(timer.contains(r#""message":"T1 …""#), "{timer}");
    assert!(!copies.iter().any(|c| c.contains("s3")), "{copies:?}");
}

/// SPEC §9 `--max-skew`: an event stamped more than the skew after the latest `$tick` before it
/// is rejected `future`; before the first tick nothing is judged; the tick a snapshot saw is
/// restored with it, so a restarted server judges the next event as an uninterrupted one would.
#[test]
fn events_too_far_after_the_latest_tick_are_rejected_future_across_a_restore() {
    let config = EngineConfig {
        max_skew: Some(60_000),
        ..EngineConfig::default()
    };
    let program = Arc::new(compile(&[("rules.vigil", RULES)]).expect("rules check"));
    let mut e = Engine::new(program.clone(), config.clone());
    assert_eq!(
        e.push_line(call("2021-11-25T19:00:00Z", "a", 1).as_bytes()),
        Pushed::Accepted,
        "no tick yet: not judged"
    );
    e.push_line(br#"{"type":"$tick","time":"2021-11-25T19:00:00Z"}"#);
    assert_eq!(
        e.push_line(call("2021-11-25T19:01:00Z", "a", 1).as_bytes()),
        Pushed::Accepted,
        "exactly the skew is allowed"
    );
    let mut restored = Engine::new(program, config);
    restored.restore(&e.snapshot()).expect("restores");
    for engine in [&mut e, &mut restored] {
        let r = rejected(engine.push_line(call("2021-11-25T19:01:00.001Z", "a", 1).as_bytes()));
        assert_eq!(r, RejectKind::Future);
        assert_eq!(engine.stats().rejected[&RejectKind::Future], 1);
    }
}
