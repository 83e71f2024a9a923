//! The crate graph keeps its layers (ARCHITECTURE.md): the runtime links the IR but never the
//! compiler, so a service that embeds it stays small; the compiler never links the runtime
//! (`vigil-diff` joins the two); the language server links the compiler but never the runtime
//! or Cranelift. Dev-dependencies (tests that compile rule sets from
//! source) do not count.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

/// The crates `package` links, by name, from `cargo tree` over the locked graph.
fn linked(package: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--offline", "-p", package])
        .args(["-e", "normal,build", "--prefix", "none"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn assert_links_none(package: &str, forbidden: &[&str]) {
    let names = linked(package);
    assert!(names.iter().any(|n| n == package), "{names:?}");
    let found: Vec<&String> = names
        .iter()
        .filter(|n| forbidden.contains(&n.as_str()))
        .collect();
    assert!(found.is_empty(), "{package} links {found:?}");
}

#[test]
fn the_runtime_does_not_link_the_compiler() {
    assert_links_none(
        "vigil-runtime",
        &[
            "vigil-compiler",
            "pest",
            "pest_derive",
            "salsa",
            "miette",
            "petgraph",
        ],
    );
    assert!(linked("vigil-runtime").iter().any(|n| n == "vigil-ir"));
}

#[test]
fn the_ir_links_neither_compiler_nor_runtime() {
    assert_links_none(
        "vigil-ir",
        &[
            "vigil-compiler",
            "vigil-runtime",
            "pest",
            "salsa",
            "miette",
            "cranelift-codegen",
        ],
    );
}

#[test]
fn the_compiler_does_not_link_the_runtime() {
    assert_links_none(
        "vigil-compiler",
        &["vigil-runtime", "vigil-diff", "cranelift-codegen"],
    );
}

#[test]
fn the_language_server_does_not_link_the_runtime() {
    assert_links_none(
        "vigil-lsp",
        &["vigil-runtime", "cranelift-codegen", "cranelift-jit"],
    );
}

#[test]
fn the_server_links_the_runtime_but_not_the_compiler() {
    assert_links_none(
        "vigil-server",
        &["vigil-compiler", "pest", "salsa", "miette", "vigil-diff"],
    );
    assert!(linked("vigil-server").iter().any(|n| n == "vigil-runtime"));
}
