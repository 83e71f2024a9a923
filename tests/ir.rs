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

/// Every number of `v` (JSON), with a path to set it by.
fn numbers(v: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Number(_) => out.push(format!("/{}", path.join("/"))),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                numbers(item, path, out);
                path.pop();
            }
        }
        serde_json::Value::Object(members) => {
            for (k, item) in members {
                path.push(k.replace('~', "~0").replace('/', "~1"));
                numbers(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Issue 26: a bundle with a number changed (a reference out of range, a damaged id) is refused
/// with a reason or runs; it never reaches a panic in the decoder or the engine.
#[test]
fn a_bundle_with_a_number_changed_is_refused_or_runs_but_never_panics() {
    use vigil_runtime::{Engine, EngineConfig};
    let program = compile_paths(&[root().join("tests/semantics")]).expect("checks");
    let bundle = vigil_ir::bundle::encode(&program);
    let newline = bundle.iter().position(|b| *b == b'\n').expect("a header");
    let (header, body) = bundle.split_at(newline + 1);
    let json: serde_json::Value = serde_json::from_slice(body).expect("json");
    let mut paths = Vec::new();
    numbers(&json, &mut Vec::new(), &mut paths);
    assert!(paths.len() > 100, "{}", paths.len());
    let events: Vec<String> = [
        ("CaseOpened", r#""case_id":"c1","kind":"minor""#),
        ("CaseOpened", r#""case_id":"c2","kind":"violent""#),
        ("Contacted", r#""case_id":"c1""#),
        ("Arrived", r#""case_id":"c2","role":"police""#),
        ("Session", r#""case_id":"c1","agreement":true"#),
        ("Closed", r#""ref":"c1""#),
    ]
    .iter()
    .enumerate()
    .map(|(i, (ty, fields))| {
        format!(
            r#"{{"type":"{ty}","time":{},{fields}}}"#,
            1_637_800_000_000i64 + i as i64 * 60_000
        )
    })
    .collect();
    let (mut refused, mut ran) = (0, 0);
    for path in &paths {
        for bad in [1_000_000u64, 7] {
            let mut changed = json.clone();
            let Some(n) = changed.pointer_mut(path) else {
                continue;
            };
            *n = serde_json::Value::from(bad);
            let mut bytes = header.to_vec();
            bytes.extend(serde_json::to_vec(&changed).expect("serializes"));
            match vigil_ir::bundle::decode(&bytes) {
                Err(e) => {
                    assert!(e.to_string().starts_with("corrupt bundle"), "{path}: {e}");
                    refused += 1;
                }
                Ok(p) => {
                    let mut engine = Engine::new(std::sync::Arc::new(p), EngineConfig::default());
                    for l in &events {
                        engine.push_line(l.as_bytes());
                    }
                    engine.advance_to(i64::MAX);
                    let _ = engine.snapshot();
                    ran += 1;
                }
            }
        }
    }
    assert!(refused > 50 && ran > 50, "refused {refused}, ran {ran}");
}
