//! A checkpoint with bytes changed and its checksum made right
//! (`vigil_runtime::fuzzing::snapshot`): restored or refused with a reason, never a panic.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_runtime::fuzzing::snapshot(common::program(), data, &common::lines());
});
