//! Deep nesting is a syntax error, never a stack overflow, and anything within the bound
//! checks, formats, lowers, compiles and runs on a small stack (the language server and the parallel
//! checker run on 2 MiB threads; this runs in a debug build, the deepest frames there are).

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use vigil_compiler::load::compile_sources as compile;
use vigil_compiler::syntax::{MAX_DEPTH, MAX_NESTING};
use vigil_runtime::{Engine, EngineConfig, EngineKind};

/// Conditions whose expressions nest about `n` deep (`MAX_DEPTH` bounds them), each true
/// of an event with `a == 3`.
fn chains(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("sum", format!("e.a{} > 0", " + 1".repeat(n))),
        ("or", format!("{}e.a == 3", "e.a == 0 or ".repeat(n))),
    ]
}

/// Conditions whose text nests about `n` deep (`MAX_NESTING` bounds them), each true of an
/// event with `a == 3`.
fn nested(n: usize) -> Vec<(&'static str, String)> {
    vec![
        (
            "parens",
            format!("{}e.a{} == 3", "(".repeat(n), ")".repeat(n)),
        ),
        ("not", format!("{}e.a == 3", "not not ".repeat(n / 2))),
        ("negation", format!("{}e.a == 3", "- -".repeat(n / 2))),
        (
            "calls",
            format!("{}e.a{} == 3", "abs(".repeat(n), ")".repeat(n)),
        ),
        (
            "message",
            format!(
                "e.a == 3\n  alert u message \"{{{}e.a{}}}\"",
                "(".repeat(n),
                ")".repeat(n)
            ),
        ),
    ]
}

fn rules(condition: &str) -> String {
    let alert = if condition.contains("alert u") {
        ""
    } else {
        "\n  alert u"
    };
    format!("unit u\nevent E {{ a: int }}\nrule r {{\n  when e: E where {condition}{alert}\n}}\n")
}

/// Runs `f` on a thread with a 2 MiB stack (what a spawned thread gets by default).
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("no panic")
}

#[test]
fn rules_nested_to_the_bound_check_and_run_alike_in_both_engines() {
    // Room is left for what the rule nests around the condition.
    let cases = chains(MAX_DEPTH as usize - 8)
        .into_iter()
        .chain(nested(MAX_NESTING as usize - 4));
    for (name, condition) in cases {
        let source = rules(&condition);
        let records = on_small_stack(move || {
            let formatted = vigil_compiler::fmt::format_file(&source).expect("formats");
            assert!(compile(&[("formatted.vigil", &formatted)]).is_ok());
            let program = Arc::new(compile(&[("deep.vigil", &source)]).expect("checks"));
            [EngineKind::Jit, EngineKind::Interp].map(|engine| {
                let config = EngineConfig {
                    engine,
                    ..EngineConfig::default()
                };
                let mut e = Engine::new(Arc::clone(&program), config);
                e.push_line(br#"{"type":"E","time":"2021-11-01T00:00:00Z","a":3}"#);
                e.finish();
                let records = e.take_records();
                records.iter().map(|r| e.to_json(r)).collect::<Vec<_>>()
            })
        });
        let [jit, interp] = records;
        assert_eq!(jit.len(), 1, "{name}: {jit:?}");
        assert_eq!(jit, interp, "{name}");
    }
}

#[test]
fn deeper_nesting_is_a_syntax_error() {
    let (depth, nesting) = (MAX_DEPTH as usize, MAX_NESTING as usize);
    let cases = [
        chains(depth + 1),
        nested(nesting + 1),
        chains(30_000),
        nested(30_000),
    ];
    for (name, condition) in cases.into_iter().flatten() {
        let source = rules(&condition);
        let err = on_small_stack(move || compile(&[("deep.vigil", &source)]).unwrap_err());
        assert!(err.contains("nests more than"), "{name}: {err}");
    }
}
