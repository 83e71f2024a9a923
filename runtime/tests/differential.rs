//! The JIT against the interpreter: random well-typed rule sets over random events must give
//! byte-identical records and the same error counts in both engines.
//!
//! The normal test run tries `CASES` cases; `VIGIL_DIFF_CASES=100000 cargo test --release
//! --test differential` runs a longer search. A failing case prints itself as a fixture: save
//! the printed block as `runtime/tests/differential/<name>.case` and it is replayed on every
//! run from then on.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt::Write as _;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use vigil_runtime::EngineKind;

#[path = "support/differential.rs"]
mod support;

use support::{CASES, Case, case, parse_fixture, run, same};

#[test]
fn jit_and_interpreter_agree_on_random_rule_sets() {
    let cases = std::env::var("VIGIL_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |c| same(&c).map_err(TestCaseError::fail));
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Enough distinct conditions that the JIT compiles them on several threads into several
/// modules (where the machine has the cores): each rule must still get its own conjuncts.
#[test]
fn a_plan_compiled_in_parts_keeps_each_condition_with_its_rule() {
    let mut rules = String::new();
    for k in 0..300 {
        let _ = writeln!(
            rules,
            "rule r{k} {{\n  when e: E where e.i >= {k} and e.s != \"s{k}\"\n  alert desk\n}}"
        );
    }
    let events = [(150, "s7"), (7, "s7"), (299, "x"), (-1, "x")]
        .iter()
        .enumerate()
        .map(|(n, (i, s))| {
            format!(
                r#"{{"type":"E","time":{},"s":"{s}","i":{i},"f":0.0,"d":0,"b":true,"c":"a"}}"#,
                1_637_800_000_000i64 + n as i64 * 1000
            )
        })
        .collect();
    let case = Case { rules, events };
    same(&case).unwrap_or_else(|e| panic!("{e}"));
    let (records, _) = run(&case, EngineKind::Jit).expect("runs");
    // i = 150 fires r0..=r150 but r7 (s7); i = 7 fires r0..=r6; i = 299 fires all 300.
    assert_eq!(records.len(), 150 + 7 + 300, "{records:#?}");
}

#[test]
fn saved_regressions_still_agree() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "case") {
            let text = std::fs::read_to_string(&path).expect("readable");
            if let Err(e) = same(&parse_fixture(&text)) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}

#[test]
fn the_generator_makes_rules_that_fire_and_conditions_the_jit_compiles() {
    // Guard against a vacuous differential test: the generated cases must produce alerts and
    // the JIT must compile their conditions.
    let mut runner = TestRunner::deterministic();
    let mut alerts = 0;
    let mut fired = [0; 5];
    for _ in 0..50 {
        let c = case().new_tree(&mut runner).expect("a case").current();
        let (records, _) = run(&c, EngineKind::Jit).expect("runs");
        alerts += records.len();
        for (rule, n) in ["q1", "q2", "q3", "w", "w2"].iter().zip(&mut fired) {
            let tag = format!(r#""rule":"{rule}""#);
            *n += records.iter().filter(|r| r.contains(&tag)).count();
        }
    }
    assert!(alerts > 50, "only {alerts} alerts in 50 cases");
    assert!(
        fired.iter().all(|n| *n > 0),
        "alerts of q1, q2, q3, w, w2: {fired:?}"
    );
}
