//! Placement for a run split over key groups (SCALEOUT.md §3.4): which units are keyed and by
//! what, which run anywhere, and which need the global group and why. `vigil build --emit
//! placement` prints it.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use vigil_compiler::load::{compile_paths, compile_sources};
use vigil_ir::Program;
use vigil_ir::placement::{Home, Reason, UnitRef, identity, place, text};

const EVENTS: &str = r#"
unit desk
event Call { caller: str, callee: str, minutes: int }
event Lead { address: str, count: int }
event Contact { address: str }
event Account { account: str, case_id: str }
event Answer { account: str }
"#;

fn program(rules: &str) -> Program {
    compile_sources(&[("events.vigil", EVENTS), ("rules.vigil", rules)])
        .unwrap_or_else(|e| panic!("{e}"))
}

fn rule(p: &Program, name: &str) -> UnitRef {
    let (id, _) = p
        .rules
        .iter_enumerated()
        .find(|(_, r)| r.name == name)
        .unwrap_or_else(|| panic!("no rule {name}"));
    UnitRef::Rule(id)
}

fn workflow(p: &Program, name: &str) -> UnitRef {
    let (id, _) = p
        .workflows
        .iter_enumerated()
        .find(|(_, w)| w.name == name)
        .unwrap_or_else(|| panic!("no workflow {name}"));
    UnitRef::Workflow(id)
}

fn home(p: &Program, u: UnitRef) -> Home {
    place(p).home(u).cloned().expect("placed")
}

#[test]
fn a_stateless_rule_runs_anywhere_and_suppression_keys_a_rule() {
    let p = program(
        r#"
rule any_long_call {
  when c: Call where c.minutes > 60
  alert desk
}
rule per_callee {
  when c: Call where c.minutes > 30
  alert desk
  suppress by c.callee for 1h
}
rule once_for_all {
  when c: Call where c.minutes > 90
  alert desk
  suppress for 1h
}
rule windows_by_caller_suppressed_by_callee {
  when c: Call group by c.caller within 1h having count() >= 3
  alert desk
  suppress by c.callee for 1h
}
"#,
    );
    assert_eq!(home(&p, rule(&p, "any_long_call")), Home::Anywhere);
    assert!(matches!(home(&p, rule(&p, "per_callee")), Home::Keyed(k) if k.len() == 1));
    assert_eq!(
        home(&p, rule(&p, "once_for_all")),
        Home::Global(Reason::WholeRuleSuppression)
    );
    assert_eq!(
        home(&p, rule(&p, "windows_by_caller_suppressed_by_callee")),
        Home::Global(Reason::SuppressedByAnotherKey)
    );
}

#[test]
fn a_chain_that_keeps_its_key_stays_keyed_and_one_that_changes_it_goes_global() {
    let p = program(
        r#"
// Keeps the key: the window by address emits a lead whose workflow is keyed by address.
rule recurring {
  when c: Contact group by c.address within 7d having count() >= 3
  emit Lead { address: key, count: count() }
}
workflow lead {
  start on l: Lead by l.address
  state open { on Contact -> closed }
  final closed
}
// Changes it: a window by case emits a request keyed by account.
rule by_case {
  when a: Account group by a.case_id within 1d having count() >= 2
  emit Answer { account: a.account }
}
workflow answered {
  start on x: Answer by x.account
  state open { after 1h -> done }
  final done
}
// Stateless producer: routed by the key of what it emits.
rule relay {
  when a: Account where a.case_id != ""
  emit Answer { account: a.account }
}
"#,
    );
    let lead = home(&p, workflow(&p, "lead"));
    assert!(matches!(lead, Home::Keyed(_)), "{lead:?}");
    assert!(matches!(home(&p, rule(&p, "recurring")), Home::Keyed(_)));
    let by_case = rule(&p, "by_case");
    let answered = workflow(&p, "answered");
    let changed = Reason::KeyChanged {
        from: by_case,
        to: answered,
        event: p.event_id("Answer").expect("Answer"),
    };
    assert_eq!(home(&p, by_case), Home::Global(changed.clone()));
    assert_eq!(home(&p, answered), Home::Global(changed));
    // The relay feeds the same workflow, now global: it goes along.
    assert_eq!(
        home(&p, rule(&p, "relay")),
        Home::Global(Reason::ChainedTo(by_case))
    );
}

#[test]
fn a_stateless_producer_alone_is_routed_by_its_consumers_key() {
    let p = program(
        r#"
rule relay {
  when a: Account where a.case_id != ""
  emit Answer { account: a.account }
}
workflow answered {
  start on x: Answer by x.account
  state open { after 1h -> done }
  final done
}
"#,
    );
    let text = text(&p, &place(&p));
    assert!(
        text.contains("rule relay") && text.contains("Account by account"),
        "{text}"
    );
    assert!(
        matches!(home(&p, workflow(&p, "answered")), Home::Keyed(_)),
        "{text}"
    );
}

/// The library's placement, as `vigil build --emit placement` prints it: the key-changing
/// chains (a confirmed call's per-account stop-payments, a 110 dispute's mediation case) are
/// global with everything chained to them; the rest is keyed or runs anywhere.
#[test]
fn the_rules_library_placement() {
    let p = compile_paths(&[std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")])
        .expect("the library compiles");
    insta::assert_snapshot!(text(&p, &place(&p)));
}

/// A deployment's identity follows where events are processed: another key or another group
/// count changes it; another threshold or message does not.
#[test]
fn the_identity_changes_with_placement_and_group_count_only() {
    let rules = |key: &str, minutes: u32, message: &str| {
        program(&format!(
            "rule r {{\n  when c: Call where c.minutes > {minutes}\n  alert desk message \"{message}\"\n  suppress by c.{key} for 1h\n}}\n"
        ))
    };
    let id = |p: &Program, g: u32| identity(p, &place(p), g);
    let base = rules("callee", 30, "a");
    assert_eq!(id(&base, 4), id(&rules("callee", 45, "b"), 4));
    assert_ne!(id(&base, 4), id(&rules("caller", 30, "a"), 4));
    assert_ne!(id(&base, 4), id(&base, 5));
    assert!(id(&base, 4).starts_with("sha256:"));
}
