//! `vigil explain` end to end: one event of each pattern kind, and the summary over an input,
//! as snapshots of what an author reads.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::{Command, Output};

const RULES: &str = "tests/fixtures/explain";
const EVENTS: &str = "tests/fixtures/explain/events.jsonl";

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("vigil runs")
}

/// The report for `rule` (at `line`), which must succeed.
fn explain(rule: &str, line: Option<u64>) -> String {
    let line = line.map(|l| l.to_string());
    let mut args = vec!["explain", RULES, "--events", EVENTS, "--rule", rule];
    if let Some(l) = &line {
        args.extend(["--line", l]);
    }
    let o = vigil(&args);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn single_event_rules_show_each_clause_with_its_operands() {
    insta::assert_snapshot!("single_not_fired", explain("fraud_call", Some(1)));
    insta::assert_snapshot!("single_fired", explain("fraud_call", Some(3)));
    insta::assert_snapshot!("single_summary", explain("fraud_call", None));
}

/// An inlined `fn` of several clauses reads as its call, once, with the values its body reads
/// (its parts all carry the call's span, so they would print as the call three times).
#[test]
fn an_inlined_fn_is_one_clause_with_the_values_it_reads() {
    let out = explain("risky_long_call", Some(3));
    insta::assert_snapshot!("inlined_fn", out);
    assert_eq!(out.matches("risky(c.caller)").count(), 1, "{out}");
}

#[test]
fn window_rules_show_the_window_its_aggregates_and_having() {
    insta::assert_snapshot!(
        "window_evidence_of_a_later_firing",
        explain("recurring_dispute", Some(6))
    );
    insta::assert_snapshot!("window_fired", explain("recurring_dispute", Some(7)));
    insta::assert_snapshot!("window_where_false", explain("recurring_dispute", Some(8)));
    insta::assert_snapshot!("window_summary", explain("recurring_dispute", None));
}

#[test]
fn sequences_show_partial_matches_and_what_became_of_them() {
    insta::assert_snapshot!(
        "absence_cancelled",
        explain("unidentified_contact", Some(11))
    );
    insta::assert_snapshot!(
        "absence_fired_at_deadline",
        explain("unidentified_contact", Some(12))
    );
    insta::assert_snapshot!("absence_summary", explain("unidentified_contact", None));
    insta::assert_snapshot!(
        "sequence_discarded_earlier",
        explain("sighted_twice", Some(16))
    );
    insta::assert_snapshot!("sequence_wrong_key", explain("sighted_twice", Some(18)));
    insta::assert_snapshot!(
        "sequence_condition_false",
        explain("sighted_twice", Some(20))
    );
    insta::assert_snapshot!("sequence_fired", explain("sighted_twice", Some(21)));
    insta::assert_snapshot!("sequence_expired", explain("sighted_twice", Some(24)));
    insta::assert_snapshot!("sequence_summary", explain("sighted_twice", None));
}

#[test]
fn mistakes_get_clear_errors() {
    let o = vigil(&["explain", RULES, "--events", EVENTS, "--rule", "fraud_cal"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did you mean `fraud_call`"), "{err}");

    let o = vigil(&[
        "explain",
        RULES,
        "--events",
        EVENTS,
        "--rule",
        "fraud_call",
        "--line",
        "99",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("has 24 lines"), "{err}");

    // A workflow is not a rule.
    let dir = std::env::temp_dir().join(format!("vigil-explain-wf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("w.vigil"),
        "unit desk\nevent E { k: str }\nworkflow case {\n  start on e: E by e.k\n  state open { after 1h -> done }\n  final done\n}\n",
    )
    .expect("write");
    let o = vigil(&[
        "explain",
        dir.to_str().expect("utf-8"),
        "--events",
        EVENTS,
        "--rule",
        "case",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`case` is a workflow"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);

    // A line of another event type says which types the rule reads.
    let out = explain("fraud_call", Some(4));
    assert!(out.contains("the rule reads Call events"), "{out}");
}

#[test]
fn a_rejected_line_is_reported_as_such() {
    let dir = std::env::temp_dir().join(format!("vigil-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        "{\"type\":\"Call\",\"time\":\"2026-03-01T09:00:00Z\",\"caller\":\"x\"}\n",
    )
    .expect("write");
    let o = vigil(&[
        "explain",
        RULES,
        "--events",
        events.to_str().expect("utf-8 path"),
        "--rule",
        "fraud_call",
        "--line",
        "1",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(
        out.contains("line 1 was rejected, so no rule saw it: missing_field"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
