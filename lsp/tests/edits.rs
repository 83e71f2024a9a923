//! Random editing sessions on the rules library (`common::edits`): the inputs the `lsp` fuzz
//! target kept (`fuzz/regressions/lsp/`) and sessions drawn here from a fixed seed. After each,
//! the diagnostics the server published last equal a fresh check of the same texts.

// Test code: a failed unwrap, index or assertion stops the test right there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Sessions drawn from this many seeds (each up to 48 operations).
const SESSIONS: u64 = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_diagnostics_equal_a_fresh_check_after_random_sessions() {
    let library = root().join("rules");
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let kept = root().join("fuzz/regressions/lsp");
    if let Ok(dir) = std::fs::read_dir(&kept) {
        let mut paths: Vec<PathBuf> = dir.filter_map(|e| Some(e.ok()?.path())).collect();
        paths.sort();
        inputs.extend(paths.iter().map(|p| std::fs::read(p).unwrap()));
    }
    for seed in 1..=SESSIONS {
        // xorshift64: the same sessions on every run.
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let bytes = (0..240)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        inputs.push(bytes);
    }
    for input in &inputs {
        common::edits::session(&library, input).await;
    }
}
