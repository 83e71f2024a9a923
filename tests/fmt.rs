//! `vigil fmt`: canonical output (snapshots), idempotence and comment preservation over every
//! `.vigil` file in the repository, and stability under whitespace and comment edits.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use vigil_compiler::fmt::{FormatError, format_file};
use vigil_compiler::syntax::parse_file;

#[test]
fn canonical_style() {
    insta::glob!("fixtures/fmt/*.vigil", |path| {
        let text = std::fs::read_to_string(path).expect("fixture");
        insta::assert_snapshot!(format_file(&text).expect("formats"));
    });
}

#[test]
fn a_blank_line_after_a_trailing_comment_is_kept() {
    // The blank line is looked for after the trailing comment, not before it (found by the
    // whitespace property below).
    let text = "unit a\n\nrule r {\n  title \"t\"  /* x */\n\n  /* y */\n  severity high\n  when c: E\n  alert a\n}\n\nevent E {\n  x: int,\n}\n";
    assert_eq!(format_file(text).expect("formats"), text);
}

fn repository_vigil_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() && !matches!(name, "target" | ".git" | "node_modules") {
                walk(&p, out);
            } else if name.ends_with(".vigil") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new(env!("CARGO_MANIFEST_DIR")), &mut out);
    out.sort();
    out
}

fn comments(text: &str) -> Vec<String> {
    let parsed = parse_file(text);
    parsed
        .comments
        .iter()
        .map(|c| text[c.span.range()].trim_end().to_string())
        .collect()
}

#[test]
fn every_repository_file_formats_idempotently_and_keeps_its_comments() {
    let files = repository_vigil_files();
    assert!(files.len() >= 50, "found only {} .vigil files", files.len());
    let mut formatted = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        match format_file(&text) {
            Ok(once) => {
                let twice =
                    format_file(&once).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(
                    once,
                    twice,
                    "{}: formatting is not idempotent",
                    path.display()
                );
                assert_eq!(
                    comments(&text),
                    comments(&once),
                    "{}: comments changed",
                    path.display()
                );
                formatted += 1;
            }
            // Fixtures of syntax errors are the only files that may not format.
            Err(FormatError::Syntax) => {
                assert!(
                    !parse_file(&text).errors.is_empty()
                        || parse_file(&text).items.iter().any(|i| i.tree.is_none())
                );
            }
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    assert!(formatted >= 40);
}

/// A valid file with blanks and comments added between its tokens.
fn respaced(text: &str, choices: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    let mut in_string = false;
    let mut in_comment = false;
    for (pos, c) in text.char_indices() {
        out.push(c);
        if c == '"' && !in_comment && !text[..pos].ends_with('\\') {
            in_string = !in_string;
        }
        if !in_string && text[pos..].starts_with("//") {
            in_comment = true;
        }
        if c == '\n' {
            in_comment = false;
        }
        if c == ' ' && !in_string && !in_comment {
            match choices.get(i % choices.len().max(1)).copied().unwrap_or(0) % 4 {
                1 => out.push_str("  "),
                2 => out.push('\n'),
                3 => out.push_str(" /* x */ "),
                _ => {}
            }
            i += 1;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Re-spacing a file changes nothing but the block comments added.
    #[test]
    fn whitespace_edits_do_not_change_the_canonical_items(choices in proptest::collection::vec(0u8..4, 1..64)) {
        let path = common::fixtures().join("fmt/messy_rule.vigil");
        let text = std::fs::read_to_string(path).expect("fixture");
        let edited = respaced(&text, &choices);
        let formatted = format_file(&edited).expect("still formats");
        prop_assert_eq!(format_file(&formatted).expect("again"), formatted.clone());
        let items = |t: &str| -> Vec<String> {
            parse_file(t).items.iter().filter_map(|i| i.tree.as_deref().map(vigil_compiler::fmt::canonical_item)).collect()
        };
        prop_assert_eq!(items(&formatted), items(&text));
    }
}
