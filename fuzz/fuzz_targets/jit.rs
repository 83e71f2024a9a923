//! The JIT against the interpreter (and the coverage engine's full evaluation) on rule sets and
//! events drawn from the differential test's generator (`runtime/tests/support/differential.rs`),
//! with the fuzzer's bytes as the generator's random seed: records and error counts must be
//! identical. A failure prints the case as a fixture for `runtime/tests/differential/`.
#![no_main]

#[path = "../../runtime/tests/support/differential.rs"]
#[allow(dead_code)]
mod differential;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut seed = [0u8; 32];
    for (i, b) in data.iter().enumerate() {
        seed[i % 32] ^= b.rotate_left((i / 32) as u32);
    }
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let Ok(tree) = differential::case().new_tree(&mut runner) else {
        return;
    };
    if let Err(e) = differential::same(&tree.current()) {
        panic!("{e}");
    }
});
