//! Arbitrary bytes through parse, check, lowering and the formatter: nothing may panic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vigil_compiler::db::{Database, RuleSet, SourceFile, program, ruleset_diagnostics};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let db = Database::new(Arc::new(
        |_: &str| Err("no files in the fuzzer".to_string()),
    ));
    let file = SourceFile::new(&db, "fuzz.vigil".to_string(), Arc::from(text));
    let ruleset = RuleSet::new(&db, vec![file], Some(0));
    let diags = ruleset_diagnostics(&db, ruleset);
    let _ = vigil_compiler::diagnostics::render_human(diags, false);
    let _ = vigil_compiler::diagnostics::render_json(diags);
    let _ = program(&db, ruleset);
    if let Ok(formatted) = vigil_compiler::fmt::format_file(text) {
        assert_eq!(
            vigil_compiler::fmt::format_file(&formatted).as_ref(),
            Ok(&formatted),
            "formatting is idempotent"
        );
    }
});
