//! Arbitrary bytes as input lines (`vigil_runtime::fuzzing::decode`): the decoder answers
//! every line, the engine takes them, and its state survives a snapshot exactly.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_runtime::fuzzing::decode(common::program(), data);
});
