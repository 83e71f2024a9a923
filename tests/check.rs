//! `vigil check` diagnostics, one snapshot per fixture in `fixtures/check/`.
//!
//! Each fixture is a mistake authors really make; the snapshot is the rendered report the
//! author would see. A new case is a new file; review with `cargo insta review`.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use vigil_compiler::db::ruleset_diagnostics;
use vigil_compiler::diagnostics::{render_human, render_json};

fn check_report(path: &std::path::Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("main.vigil");
    let text = std::fs::read_to_string(path).expect("fixture");
    let (db, ruleset) = common::Fixture::parse(name, &text).load();
    let diags = ruleset_diagnostics(&db, ruleset);
    assert!(
        !diags.is_empty(),
        "{name}: a check fixture must produce a diagnostic"
    );
    let mut out = render_human(diags, false);
    out.push_str("\n--- json ---\n");
    out.push_str(&render_json(diags));
    out
}

#[test]
fn diagnostics_of_common_mistakes() {
    insta::glob!("fixtures/check/*.vigil", |path| {
        insta::assert_snapshot!(check_report(path));
    });
}
