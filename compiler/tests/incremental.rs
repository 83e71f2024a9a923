//! The database re-checks only what an edit can affect (STYLE 13): editing the body of one
//! rule does not re-run the check of another, while changing an event schema re-checks the
//! rules that read it.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use salsa::Setter;
use salsa::plumbing::AsId;
use vigil_compiler::db::{Database, RuleSet, SourceFile, check_item, items, ruleset_diagnostics};

const SCHEMA: &str = "unit u\nevent E { a: int, b: str }\n";
const RULES: &str = "rule r1 {\n  when e: E where e.a > 1\n  alert u\n}\n\nrule r2 {\n  when e: E where e.b == \"x\"\n  alert u\n}\n";

fn setup() -> (Database, RuleSet, SourceFile, SourceFile) {
    let db = Database::new(Arc::new(|_: &str| Err("no files".to_string())));
    let schema = SourceFile::new(&db, "schema.vigil".into(), Arc::from(SCHEMA));
    let rules = SourceFile::new(&db, "rules.vigil".into(), Arc::from(RULES));
    let ruleset = RuleSet::new(&db, vec![schema, rules], None);
    (db, ruleset, schema, rules)
}

/// The names of the rules whose `check_item` ran since the last call.
fn rechecked(db: &Database, ruleset: RuleSet) -> Vec<String> {
    let executed = db.take_executed();
    let mut names: Vec<String> = items(db, ruleset)
        .iter()
        .filter(|id| {
            executed
                .iter()
                .any(|(q, key)| q == "check_item" && *key == id.as_id())
        })
        .map(|id| id.name(db).to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn editing_one_rule_body_rechecks_only_that_rule() {
    let (mut db, ruleset, _, rules) = setup();
    assert!(ruleset_diagnostics(&db, ruleset).is_empty());
    assert_eq!(rechecked(&db, ruleset), ["E", "r1", "r2", "u"]);

    // Change r1's condition (and its length, so r2 moves in the file).
    let edited = RULES.replace("e.a > 1", "e.a > 100 and e.b != \"y\"");
    rules.set_text(&mut db).to(Arc::from(edited));
    assert!(ruleset_diagnostics(&db, ruleset).is_empty());
    assert_eq!(rechecked(&db, ruleset), ["r1"]);
}

#[test]
fn changing_a_schema_rechecks_its_readers() {
    let (mut db, ruleset, schema, _) = setup();
    assert!(ruleset_diagnostics(&db, ruleset).is_empty());
    db.take_executed();

    schema
        .set_text(&mut db)
        .to(Arc::from("unit u\nevent E { a: int, c: str }\n"));
    let diags = ruleset_diagnostics(&db, ruleset);
    assert_eq!(diags.len(), 1, "r2 reads the removed field `b`");
    assert_eq!(diags[0].diag.code_str(), "vigil::unknown_field");
    let again = rechecked(&db, ruleset);
    assert!(
        again.contains(&"r1".to_string()) && again.contains(&"r2".to_string()),
        "{again:?}"
    );
}

#[test]
fn check_item_results_are_shared_between_queries() {
    let (db, ruleset, _, _) = setup();
    let ids = items(&db, ruleset);
    let first = Arc::as_ptr(check_item(&db, ids[2]));
    let second = Arc::as_ptr(check_item(&db, ids[2]));
    assert_eq!(first, second);
}

/// Checking the items on several threads first gives the diagnostics and the program that
/// checking them one by one gives, errors included, and each item is checked once.
#[test]
fn checking_in_parallel_changes_nothing() {
    let mut text = String::from(SCHEMA);
    for k in 0..700 {
        // Every seventh rule compares a string with an int: an error in its item.
        let cond = if k % 7 == 0 {
            format!("e.b > {k}")
        } else {
            format!("e.a > {k}")
        };
        text.push_str(&format!(
            "rule r{k} {{\n  when e: E where {cond}\n  alert u\n}}\n"
        ));
    }
    let setup = || {
        let db = Database::new(Arc::new(|_: &str| Err("no files".to_string())));
        let file = SourceFile::new(&db, "rules.vigil".into(), Arc::from(text.as_str()));
        let ruleset = RuleSet::new(&db, vec![file], None);
        (db, ruleset)
    };
    let render = |db: &Database, ruleset: RuleSet| -> Vec<String> {
        ruleset_diagnostics(db, ruleset)
            .iter()
            .map(|d| format!("{:?} {}", d.diag.span(), d.diag))
            .collect()
    };
    let (one_by_one, r1) = setup();
    let expected = render(&one_by_one, r1);
    assert_eq!(expected.len(), 100, "{expected:#?}");

    let (parallel, r2) = setup();
    vigil_compiler::db::check_items_in_parallel(&parallel, r2);
    let checked = parallel
        .take_executed()
        .iter()
        .filter(|(q, _)| q == "check_item")
        .count();
    assert_eq!(
        checked, 702,
        "every item (the unit, the event, 700 rules) checked once"
    );
    assert_eq!(render(&parallel, r2), expected);
    assert!(
        !parallel
            .take_executed()
            .iter()
            .any(|(q, _)| q == "check_item"),
        "the diagnostics found every item checked"
    );
}
