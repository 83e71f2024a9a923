//! Arbitrary bytes as input lines (`vigil_runtime::fuzzing::decode`): the decoder answers
//! every line as SPEC §7 does (`fuzzing::reference`, a decoder of its own on serde_json, over
//! every kind of field), the engine takes them, and its state survives a snapshot exactly.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_runtime::fuzzing::decode_like_the_spec(common::kinds(), data);
    vigil_runtime::fuzzing::decode_like_the_spec(common::program(), data);
    vigil_runtime::fuzzing::decode(common::program(), data);
});
