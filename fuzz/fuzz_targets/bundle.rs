//! Arbitrary bytes as a bundle (`vigil_runtime::fuzzing::bundle`): refused with a reason, or
//! a program that runs. Seed the corpus with `vigil build tests/semantics -o …`.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_runtime::fuzzing::bundle(data, &common::lines());
});
