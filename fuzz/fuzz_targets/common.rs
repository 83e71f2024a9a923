//! The program every runtime target runs: the semantics suite (`tests/semantics`), which has
//! windows, sequences with absences, suppression and workflows with timers.

use std::sync::{Arc, OnceLock};

pub fn program() -> &'static Arc<vigil_ir::Program> {
    static PROGRAM: OnceLock<Arc<vigil_ir::Program>> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/semantics");
        vigil_compiler::load::compile_paths(&[dir]).unwrap_or_else(|e| panic!("{e:?}"))
    })
}

/// `fuzz/kinds.vigil`: every kind of event field, required and optional.
#[allow(dead_code)]
pub fn kinds() -> &'static vigil_ir::Program {
    static PROGRAM: OnceLock<Arc<vigil_ir::Program>> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kinds.vigil");
        vigil_compiler::load::compile_paths(&[file]).unwrap_or_else(|e| panic!("{e:?}"))
    })
}

#[allow(dead_code)]
pub fn lines() -> Vec<&'static [u8]> {
    vigil_runtime::fuzzing::SEMANTICS_LINES
        .iter()
        .map(|l| l.as_bytes())
        .collect()
}
