//! Every example in SPEC.md parses and checks clean.
//!
//! The code blocks are read from `docs/SPEC.md` (a copy of the shared specification; the test
//! also compares it with `../shared/SPEC.md` when that file is present). Complete blocks form
//! one rule set together, with the fixture files Appendix A names; the `when` fragments of
//! §4.1 are checked inside a rule of their own.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_compiler::db::{Database, RuleSet, SourceFile, program, ruleset_diagnostics};
use vigil_compiler::diagnostics::render_human;

fn spec_text() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let ours = std::fs::read_to_string(format!("{root}/docs/SPEC.md")).expect("docs/SPEC.md");
    if let Ok(shared) = std::fs::read_to_string(format!("{root}/../shared/SPEC.md")) {
        assert_eq!(
            ours, shared,
            "docs/SPEC.md differs from ../shared/SPEC.md: copy it again"
        );
    }
    ours
}

fn code_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim()) {
            (None, "```vigil") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn load(files: BTreeMap<String, String>) -> (Database, RuleSet) {
    let dir = common::fixtures().join("spec");
    let db = Database::new(Arc::new(move |path: &str| {
        std::fs::read_to_string(dir.join(path)).map_err(|e| e.to_string())
    }));
    let sources = files
        .into_iter()
        .map(|(name, text)| SourceFile::new(&db, name, Arc::from(text)))
        .collect();
    let ruleset = RuleSet::new(&db, sources, Some(common::FIXED_NOW));
    (db, ruleset)
}

#[test]
fn every_complete_example_checks_clean_as_one_rule_set() {
    let blocks = code_blocks(&spec_text());
    assert!(
        blocks.len() >= 8,
        "expected the SPEC's examples, found {} blocks",
        blocks.len()
    );
    let files: BTreeMap<String, String> = blocks
        .iter()
        .filter(|b| !b.trim_start().starts_with("when"))
        .enumerate()
        .map(|(i, b)| (format!("spec_{i:02}.vigil"), b.clone()))
        .collect();
    let (db, ruleset) = load(files);
    let diags = ruleset_diagnostics(&db, ruleset);
    assert!(diags.is_empty(), "{}", render_human(diags, false));
    let program = program(&db, ruleset).as_ref().expect("a program");
    assert_eq!(program.rules.len(), 4);
    assert_eq!(program.workflows.len(), 2);
    assert_eq!(program.tests.len(), 1);
    assert_eq!(program.timezone, "Asia/Shanghai");
}

#[test]
fn every_when_fragment_parses_and_checks_inside_a_rule() {
    let blocks = code_blocks(&spec_text());
    let fragments: Vec<&String> = blocks
        .iter()
        .filter(|b| b.trim_start().starts_with("when"))
        .collect();
    assert_eq!(fragments.len(), 3, "§4.1 has three `when` fragments");
    let complete: Vec<&String> = blocks
        .iter()
        .filter(|b| !b.trim_start().starts_with("when"))
        .collect();
    for (i, fragment) in fragments.iter().enumerate() {
        let mut files: BTreeMap<String, String> = complete
            .iter()
            .enumerate()
            .map(|(j, b)| (format!("spec_{j:02}.vigil"), (*b).clone()))
            .collect();
        // The appendix has these patterns as rules already; the fragment replaces one of them.
        let wrapped = format!("rule fragment_{i} {{\n{fragment}  alert community_police\n}}\n");
        files.insert("fragment.vigil".into(), wrapped);
        let (db, ruleset) = load(files);
        let diags = ruleset_diagnostics(&db, ruleset);
        assert!(
            diags.is_empty(),
            "fragment {i}:\n{}",
            render_human(diags, false)
        );
    }
}
