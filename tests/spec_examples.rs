//! Every example in SPEC.md parses and checks clean.
//!
//! The code blocks are read from `docs/SPEC.md` (a copy of the shared specification; the test
//! also compares it with `../shared/SPEC.md` when that file is present). Complete blocks form
//! one rule set together, with `tests/fixtures/spec/declarations.vigil` (the units and event
//! types they use but do not show) and the fixture files they name; the `when` fragments of
//! §4.1 are checked inside a rule of their own.
//!
//! A block introduced by a `*v0.2*` item is checked on its own (`the_v0_2_examples_check_clean`);
//! lines marked `// v0.2` (the `map` items of §2) are checked with the rest.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

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

/// The SPEC's examples: blocks checked today, and how many v0.2 blocks and lines were left out.
struct Examples {
    blocks: Vec<String>,
    /// The blocks of *v0.2* items, checked on their own (`the_v0_2_examples_check_clean`).
    v0_2: Vec<String>,
    v0_2_blocks: usize,
}

fn code_blocks(markdown: &str) -> Examples {
    let mut ex = Examples {
        blocks: Vec::new(),
        v0_2: Vec::new(),
        v0_2_blocks: 0,
    };
    let mut current: Option<String> = None;
    // Whether the prose since the last block opened a *v0.2* item.
    let mut in_v0_2_item = false;
    for line in markdown.lines() {
        match (&mut current, line.trim()) {
            (None, "```vigil") => current = Some(String::new()),
            (Some(_), "```") => {
                if in_v0_2_item {
                    ex.v0_2_blocks += 1;
                    ex.v0_2.extend(current.take());
                } else {
                    ex.blocks.extend(current.take());
                }
            }
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            (None, prose) => {
                if prose.starts_with("* ") || prose.starts_with("#") || prose.is_empty() {
                    in_v0_2_item = prose.starts_with("* *v0.2*");
                }
            }
        }
    }
    ex
}

fn load(files: BTreeMap<String, String>) -> (Database, RuleSet) {
    let dir = common::fixtures().join("spec");
    let declarations =
        std::fs::read_to_string(dir.join("declarations.vigil")).expect("declarations.vigil");
    let db = Database::new(Arc::new(move |path: &str| {
        std::fs::read_to_string(dir.join(path)).map_err(|e| e.to_string())
    }));
    let mut files = files;
    files.insert("declarations.vigil".into(), declarations);
    let sources = files
        .into_iter()
        .map(|(name, text)| SourceFile::new(&db, name, Arc::from(text)))
        .collect();
    let ruleset = RuleSet::new(&db, sources, Some(common::FIXED_NOW));
    (db, ruleset)
}

#[test]
fn every_complete_example_checks_clean_as_one_rule_set() {
    let Examples {
        blocks,
        v0_2_blocks,
        ..
    } = code_blocks(&spec_text());
    assert!(
        blocks.len() >= 8,
        "expected the SPEC's examples, found {} blocks",
        blocks.len()
    );
    // Checked apart (`the_v0_2_examples_check_clean`): the workflow-level timer block, which
    // names the workflow of §5 again.
    assert_eq!(v0_2_blocks, 1);
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
    // The two maps of §2, one read from its file.
    let maps: Vec<(&str, usize)> = program
        .maps
        .iter()
        .map(|m| (m.name.as_str(), m.entries.entries.len()))
        .collect();
    assert_eq!(maps, [("speed_limit", 2), ("station_of", 3)]);
}

#[test]
fn every_when_fragment_parses_and_checks_inside_a_rule() {
    let blocks = code_blocks(&spec_text()).blocks;
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

/// The blocks of *v0.2* items, each with the other examples: the workflow-level timers of §5
/// (its `...` stands for the states of the §5 example, filled in here; renamed, since it
/// declares the §5 workflow again).
#[test]
fn the_v0_2_examples_check_clean() {
    let examples = code_blocks(&spec_text());
    assert_eq!(examples.v0_2.len(), 1);
    let states = "  state dispatched { on UnitArrived -> on_scene }\n  state on_scene { on Cleared -> closed }\n  final second_level_response\n  final closed\n";
    for (i, block) in examples.v0_2.iter().enumerate() {
        assert!(block.contains("..."), "block {i}: {block}");
        let text: String = block
            .lines()
            .map(|l| {
                if l.trim() == "..." {
                    states.to_string()
                } else {
                    format!("{l}\n")
                }
            })
            .collect::<String>()
            .replace(
                "workflow violent_incident",
                "workflow violent_incident_v0_2",
            );
        let mut files: BTreeMap<String, String> = examples
            .blocks
            .iter()
            .filter(|b| !b.trim_start().starts_with("when"))
            .enumerate()
            .map(|(j, b)| (format!("spec_{j:02}.vigil"), b.clone()))
            .collect();
        files.insert("v0_2.vigil".to_string(), text.clone());
        let (db, ruleset) = load(files);
        let diags = ruleset_diagnostics(&db, ruleset);
        assert!(diags.is_empty(), "{text}\n{}", render_human(diags, false));
        let program = program(&db, ruleset).as_ref().expect("a program");
        let timers = program
            .workflows
            .iter()
            .find(|w| w.name == "violent_incident_v0_2")
            .map(|w| w.timers.len());
        assert_eq!(timers, Some(3), "{text}");
    }
}
