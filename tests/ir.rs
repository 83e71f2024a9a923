//! The IR, as the runtime and bundles see it. Cranelift-style file tests: each `tests/ir/*.vigil`
//! compiles to the canonical IR text in its snapshot (`vigil build --emit ir`), and every rule
//! set in the repository comes back unchanged from a bundle.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use vigil_compiler::load::compile_paths;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn ir_text_of_each_file() {
    insta::glob!("ir/*.vigil", |path| {
        let program = compile_paths(&[path.to_path_buf()]).expect("the file checks");
        insta::assert_snapshot!(vigil_ir::text::program(&program));
    });
}

#[test]
fn every_rule_set_comes_back_unchanged_from_a_bundle() {
    let mut sets: Vec<PathBuf> = ["rules", "tests/semantics"]
        .iter()
        .map(|p| root().join(p))
        .collect();
    for entry in std::fs::read_dir(root().join("tests/ir")).expect("tests/ir") {
        sets.push(entry.expect("an entry").path());
    }
    let mut checked = 0;
    for set in sets {
        let program = compile_paths(std::slice::from_ref(&set)).expect("the rule set checks");
        let bundle = vigil_ir::bundle::encode(&program);
        let back = vigil_ir::bundle::decode(&bundle).expect("decodes");
        assert!(back == *program, "{} changed in a bundle", set.display());
        assert_eq!(
            vigil_ir::text::program(&back),
            vigil_ir::text::program(&program)
        );
        checked += 1;
    }
    assert_eq!(checked, 6);
}
