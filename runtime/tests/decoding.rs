//! SPEC §7, "Decoding, precisely": every rule of the paragraph as lines with the reason they
//! get (or the value they decode to). The fast path and the general decoder both see each
//! line, since a line the fast path declines goes to the general one.

// Test code: a failed unwrap or assertion stops the test right there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use vigil_compiler::load::compile_sources as compile;
use vigil_runtime::{Engine, EngineConfig, Pushed};

const RULES: &str = r#"
unit desk "desk"
event E { n: int, d: duration?, at: time?, s: str? }
rule all { when e: E alert desk message "{e.n} {e.d} {e.at} {e.id} {e.time}" }
"#;

fn engine() -> Engine {
    let program = compile(&[("t.vigil", RULES)]).unwrap_or_else(|e| panic!("{e}"));
    Engine::new(Arc::new(program), EngineConfig::default())
}

/// The reason `line` is rejected with, or `None` when it is accepted (or blank).
fn reason(line: &str) -> Option<&'static str> {
    match engine().push_line(line.as_bytes()) {
        Pushed::Rejected(r) => Some(r.kind.as_str()),
        Pushed::Accepted | Pushed::Blank | Pushed::Reloaded(_) | Pushed::Unavailable(_) => None,
    }
}

/// The alert message of an accepted line: `n d at id time`.
fn message(line: &str) -> String {
    let mut e = engine();
    let pushed = e.push_line(line.as_bytes());
    assert_eq!(pushed, Pushed::Accepted, "{line}");
    e.finish();
    let records = e.take_records();
    let json = e.to_json(records.first().expect("an alert"));
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    v["message"].as_str().expect("message").to_string()
}

const T: &str = r#""time":"2021-11-25T19:00:00Z""#;

#[test]
fn each_line_gets_the_reason_the_spec_gives_it() {
    let cases: &[(&str, Option<&str>)] = &[
        // not_json: not a JSON object, whatever else it is.
        ("not json", Some("not_json")),
        // A `$reload` needs `ruleset`, a string; with no rule sets to find it in, it is
        // refused (`reload`) and the rules go on. Its other members do not matter.
        (
            r#"{"type":"$reload","ruleset":"sha256:00"}"#,
            Some("reload"),
        ),
        (
            r#"{"ruleset":"sha256:00","time":"bad","type":"$reload"}"#,
            Some("reload"),
        ),
        (r#"{"type":"$reload"}"#, Some("missing_field")),
        (r#"{"type":"$reload","ruleset":5}"#, Some("wrong_type")),
        ("[1, 2]", Some("not_json")),
        ("42", Some("not_json")),
        (r#""E""#, Some("not_json")),
        // Blank is JSON's space, tab and CR only: a form feed or a no-break space is not.
        (" \t\r ", None),
        ("\x0c", Some("not_json")),
        ("\u{a0}", Some("not_json")),
        // missing_field: `type`, `time` and required fields absent or null.
        (&format!(r#"{{{T},"n":1}}"#), Some("missing_field")),
        (
            &format!(r#"{{"type":null,{T},"n":1}}"#),
            Some("missing_field"),
        ),
        (r#"{"type":"E","n":1}"#, Some("missing_field")),
        (r#"{"type":"E","time":null,"n":1}"#, Some("missing_field")),
        (&format!(r#"{{"type":"E",{T}}}"#), Some("missing_field")),
        (
            &format!(r#"{{"type":"E",{T},"n":null}}"#),
            Some("missing_field"),
        ),
        // An optional field may be null or absent.
        (&format!(r#"{{"type":"E",{T},"n":1,"s":null}}"#), None),
        // unknown_type.
        (
            &format!(r#"{{"type":"F",{T},"n":1}}"#),
            Some("unknown_type"),
        ),
        // wrong_type: a `type` that is not a string, an `id` that is not one, a field of
        // another JSON type or out of range.
        (&format!(r#"{{"type":7,{T},"n":1}}"#), Some("wrong_type")),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"id":7}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"id":true}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"id":{{}}}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"id":[]}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":"1"}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":3.5}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":9223372036854775808}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1e19}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"d":"P1DT"}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"d":"PT1.5H30M"}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"d":"P1W"}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"d":true}}"#),
            Some("wrong_type"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"at":true}}"#),
            Some("wrong_type"),
        ),
        // bad_time: not RFC 3339 with an offset within ±23:59 or integer epoch milliseconds,
        // or outside years 0001–9999 (on the UTC instant); `time` and time fields alike.
        (
            r#"{"type":"E","time":"2021-11-25T19:00:00","n":1}"#,
            Some("bad_time"),
        ),
        (
            r#"{"type":"E","time":"2021-11-25T19:00:00+24:00","n":1}"#,
            Some("bad_time"),
        ),
        (
            r#"{"type":"E","time":"2021-11-25T19:00:00-23:60","n":1}"#,
            Some("bad_time"),
        ),
        (
            r#"{"type":"E","time":"2021-11-25T19:00:00+23:59","n":1}"#,
            None,
        ),
        (
            r#"{"type":"E","time":"0000-12-31T23:59:59Z","n":1}"#,
            Some("bad_time"),
        ),
        (
            r#"{"type":"E","time":"0001-01-01T00:30:00+01:00","n":1}"#,
            Some("bad_time"),
        ),
        (r#"{"type":"E","time":"0001-01-01T00:00:00Z","n":1}"#, None),
        (
            r#"{"type":"E","time":"9999-12-31T23:59:59.999Z","n":1}"#,
            None,
        ),
        (
            r#"{"type":"E","time":"9999-12-31T23:30:00-01:00","n":1}"#,
            Some("bad_time"),
        ),
        (
            r#"{"type":"E","time":-62135596800001,"n":1}"#,
            Some("bad_time"),
        ),
        (
            r#"{"type":"E","time":253402300800000,"n":1}"#,
            Some("bad_time"),
        ),
        (
            r#"{"type":"E","time":1637866800000.5,"n":1}"#,
            Some("bad_time"),
        ),
        (r#"{"type":"E","time":true,"n":1}"#, Some("bad_time")),
        (
            r#"{"type":"E","time":"2021-02-29T00:00:00Z","n":1}"#,
            Some("bad_time"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"at":"2021-11-25"}}"#),
            Some("bad_time"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"at":"2021-11-25T19:00:00+24:00"}}"#),
            Some("bad_time"),
        ),
        (
            &format!(r#"{{"type":"E",{T},"n":1,"at":253402300800000}}"#),
            Some("bad_time"),
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(reason(line), *expected, "{line:?}");
    }
}

#[test]
fn values_decode_as_the_spec_reads_them() {
    let line = |fields: &str| format!(r#"{{"type":"E",{T},{fields}}}"#);
    // `3`, `3.0` and `3e0` are the same int.
    for n in ["3", "3.0", "3e0", "0.3e1"] {
        assert!(
            message(&line(&format!(r#""n":{n}"#))).starts_with("3 "),
            "{n}"
        );
    }
    // Durations: ISO 8601 or seconds, truncated to the millisecond.
    let d = |d: &str| message(&line(&format!(r#""n":1,"d":{d}"#)));
    assert_eq!(d(r#""PT1M30S""#), d("90"));
    assert_eq!(d(r#""P1DT2H""#), d("93600"));
    assert_eq!(d("1.0019"), d(r#""PT1.001S""#));
    assert_eq!(d(r#""PT1.0019S""#), d(r#""PT1.001S""#));
    assert_eq!(d("4.35"), d(r#""PT4.35S""#));
    // Times: digits beyond the millisecond truncated; a leap second is the last millisecond
    // of its minute.
    let at = |t: &str| message(&line(&format!(r#""n":1,"at":"{t}""#)));
    assert_eq!(
        at("2021-11-25T19:00:00.1239Z"),
        at("2021-11-25T19:00:00.123Z")
    );
    assert_eq!(at("2016-12-31T23:59:60Z"), at("2016-12-31T23:59:59.999Z"));
    assert_ne!(at("2016-12-31T23:59:59.999Z"), at("2016-12-31T23:59:59Z"));
    // `id` is a string, kept as it is.
    let id = message(&line(r#""n":1,"id":"x-1""#));
    assert!(id.contains(" x-1 "), "{id}");
}

#[test]
fn cloud_events_take_fields_from_data_and_type_time_id_from_the_top() {
    let top = r#""type":"E","time":"2021-11-25T19:00:00Z","id":"c-1""#;
    // Fields from `data`; a top-level member of a field's name is ignored, before or after.
    let m = message(&format!(r#"{{"n":9,{top},"data":{{"n":2}},"s":"x"}}"#));
    assert!(m.starts_with("2 "), "{m}");
    assert!(m.contains(" c-1 "), "{m}");
    // `type`, `time` and `id` inside `data` are not the event's.
    let m = message(&format!(
        r#"{{{top},"data":{{"n":2,"time":"2000-01-01T00:00:00Z","id":"other"}}}}"#
    ));
    assert!(m.contains(" c-1 2021-11-25"), "{m}");
    assert_eq!(
        reason(r#"{"type":"E","data":{"n":2,"time":"2021-11-25T19:00:00Z"}}"#),
        Some("missing_field")
    );
    // A required field only at the top level of a CloudEvent is missing.
    assert_eq!(
        reason(&format!(r#"{{{top},"n":2,"data":{{}}}}"#)),
        Some("missing_field")
    );
    // `data` before `type` works the same.
    let m = message(&format!(r#"{{"data":{{"n":5}},{top}}}"#));
    assert!(m.starts_with("5 "), "{m}");
}

/// Issue 26, hostile input: a line of 10^6 nested brackets or of 10^6 escapes gets an answer
/// (the scanner's depth is bounded, so no stack overflow), and the next line is decoded.
#[test]
fn hostile_lines_get_an_answer_and_the_next_line_is_decoded() {
    let mut e = engine();
    let n = 1_000_000;
    let deep = format!(
        r#"{{"type":"E",{T},"n":1,"x":{}{}}}"#,
        "[".repeat(n),
        "]".repeat(n)
    );
    match e.push_line(deep.as_bytes()) {
        Pushed::Rejected(r) => assert_eq!(r.kind.as_str(), "not_json", "{}", r.detail),
        other => panic!("deep nesting: {other:?}"),
    }
    let escapes = format!(r#"{{"type":"E",{T},"n":1,"s":"{}"}}"#, "\\n".repeat(n));
    assert_eq!(e.push_line(escapes.as_bytes()), Pushed::Accepted);
    let unclosed = format!(r#"{{"type":"E",{T},"n":1,"s":"{}"#, "\\u00e9".repeat(n / 6));
    assert!(matches!(
        e.push_line(unclosed.as_bytes()),
        Pushed::Rejected(_)
    ));
    let next = format!(r#"{{"type":"E",{T},"n":2}}"#);
    assert_eq!(e.push_line(next.as_bytes()), Pushed::Accepted);
}

/// Issue 26, hostile input: regular expressions on strings of a megabyte. The rule's patterns
/// are compiled once by the `regex` crate, whose matching is linear in the text (no
/// backtracking), so a pattern that backtracks exponentially elsewhere (`(a|aa)*c` on a run
/// of `a`s) answers on a line near the 1 MiB limit, both ways, in both engines.
#[test]
fn regular_expressions_on_megabyte_strings_answer() {
    const REGEX_RULES: &str = r#"
unit desk "desk"
event S { s: str }
rule ends_in_c { when e: S where matches(e.s, "^(a|aa)*c$") alert desk }
rule many_groups { when e: S where matches(e.s, "(a+)+b") or matches(e.s, "(x|y|z){3,}") alert desk }
"#;
    let program = Arc::new(compile(&[("r.vigil", REGEX_RULES)]).unwrap_or_else(|e| panic!("{e}")));
    for kind in [
        vigil_runtime::EngineKind::Interp,
        vigil_runtime::EngineKind::Jit,
    ] {
        let mut e = Engine::new(
            program.clone(),
            EngineConfig {
                engine: kind,
                ..EngineConfig::default()
            },
        );
        let a = "a".repeat(1_000_000);
        for (s, alerts) in [
            (format!("{a}c"), 1),
            (format!("{a}d"), 0),
            (format!("{a}b"), 1),
        ] {
            let line = format!(r#"{{"type":"S",{T},"s":"{s}"}}"#);
            assert_eq!(e.push_line(line.as_bytes()), Pushed::Accepted);
            e.finish();
            let records = e.take_records();
            assert_eq!(
                records.len(),
                alerts,
                "{kind:?}, ending {:?}",
                &s[s.len() - 1..]
            );
        }
    }
}
