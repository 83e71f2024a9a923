//! The fuzz targets' checks (`vigil_runtime::fuzzing`) over the inputs kept in
//! `fuzz/regressions/<target>/` (what a fuzzer found, or minimized seeds), and over seeds
//! built here, so that `cargo test` replays them without a fuzzer.

// Test code: a failed unwrap or assertion stops the test right there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_runtime::fuzzing::{self, SEMANTICS_LINES};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn program() -> Arc<vigil_ir::Program> {
    vigil_compiler::load::compile_paths(&[root().join("tests/semantics")])
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn lines() -> Vec<&'static [u8]> {
    SEMANTICS_LINES.iter().map(|l| l.as_bytes()).collect()
}

/// The files kept for `target`, sorted.
fn kept(target: &str) -> Vec<Vec<u8>> {
    let dir = root().join("fuzz/regressions").join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("reads"))
        .collect()
}

#[test]
fn decode_keeps_its_properties_on_the_kept_inputs_and_seeds() {
    let program = program();
    let mut inputs = kept("decode");
    inputs.push(SEMANTICS_LINES.join("\n").into_bytes());
    // Every line twice, the second time a minute later and out of order, and cut short.
    let mut mangled = Vec::new();
    for l in SEMANTICS_LINES {
        mangled.extend_from_slice(l.replace("19:0", "19:1").as_bytes());
        mangled.push(b'\n');
        mangled.extend_from_slice(&l.as_bytes()[..l.len() / 2]);
        mangled.push(b'\n');
    }
    inputs.push(mangled);
    for input in &inputs {
        fuzzing::decode(&program, input);
    }
}

#[test]
fn bundles_are_refused_or_run_on_the_kept_inputs_and_seeds() {
    let program = program();
    let bundle = vigil_ir::bundle::encode(&program);
    let mut inputs = kept("bundle");
    inputs.push(bundle.clone());
    // Cut at every 97th byte, and with each 101st byte changed.
    for at in (0..bundle.len()).step_by(97) {
        inputs.push(bundle[..at].to_vec());
    }
    for at in (0..bundle.len()).step_by(101) {
        let mut changed = bundle.clone();
        changed[at] ^= 0x5a;
        inputs.push(changed);
    }
    for input in &inputs {
        fuzzing::bundle(input, &lines());
    }
}

#[test]
fn changed_checkpoints_are_restored_or_refused_on_the_kept_inputs_and_seeds() {
    let program = program();
    let mut inputs = kept("snapshot");
    // One byte at a time through the first 8 KiB of the checkpoint, set to 0xff and to 0.
    for at in (0..8192u16).step_by(7) {
        let [hi, lo] = at.to_be_bytes();
        inputs.push(vec![hi, lo, 0xff]);
        inputs.push(vec![hi, lo, 0]);
    }
    for input in &inputs {
        fuzzing::snapshot(&program, input, &lines());
    }
}
