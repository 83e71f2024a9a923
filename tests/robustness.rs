//! No input makes the compiler panic: mutated versions of the repository's rule files go
//! through parse, check, lowering and the formatter. (The cargo-fuzz target in `fuzz/` does
//! the same with arbitrary bytes.)

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use proptest::prelude::*;
use vigil_compiler::db::{program, ruleset_diagnostics};

const SNIPPETS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "->",
    "where",
    "then not",
    "and",
    "or",
    "not",
    "in",
    ",",
    ":",
    "when",
    "rule x {",
    "alert",
    "emit X { a: 1 }",
    "group by",
    "within",
    "having count() >= ",
    "sequence by",
    "state s {",
    "after 3 workdays",
    "await any 2 of",
    "final",
    "expect alert",
    "1h30m",
    "2021-11-25T19:00:00+08:00",
    "99999999999999999999",
    "1.5",
    "??",
    "{x}",
    "/*",
    "//",
    "\n",
    "通话",
    "é",
    "\u{0}",
    "test \"t\" {",
    "events {",
    "advance 1d",
    "matches(x, \"(\")",
];

fn seeds() -> Vec<String> {
    let dirs = ["fixtures/check", "fixtures/fmt"];
    let mut out = Vec::new();
    for d in dirs {
        let dir = common::fixtures().join(d.trim_start_matches("fixtures/"));
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("fixtures")
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            if let Ok(t) = std::fs::read_to_string(&f) {
                out.push(t);
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut t: Vec<char> = text.chars().collect();
    for m in mutations {
        let n = t.len().max(1);
        match *m {
            Mutation::Delete(a, len) => {
                let a = a % n;
                let b = (a + len % 20).min(t.len());
                t.drain(a.min(t.len())..b);
            }
            Mutation::Insert(a, s) => {
                let a = (a % n).min(t.len());
                let snippet: Vec<char> = SNIPPETS[s % SNIPPETS.len()].chars().collect();
                t.splice(a..a, snippet);
            }
            Mutation::Duplicate(a, len) => {
                let a = (a % n).min(t.len());
                let b = (a + len % 40).min(t.len());
                let copy: Vec<char> = t[a..b].to_vec();
                t.splice(b..b, copy);
            }
        }
    }
    t.into_iter().collect()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Delete(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Duplicate(a, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_rule_files_never_panic(seed in any::<usize>(), mutations in proptest::collection::vec(mutation(), 1..6)) {
        let seeds = seeds();
        let text = apply(&seeds[seed % seeds.len()], &mutations);
        let (db, ruleset) = common::Fixture::parse("mutated.vigil", &text).load();
        let diags = ruleset_diagnostics(&db, ruleset);
        let _ = vigil_compiler::diagnostics::render_human(diags, false);
        let _ = program(&db, ruleset);
        let _ = vigil_compiler::fmt::format_file(&text);
    }
}
