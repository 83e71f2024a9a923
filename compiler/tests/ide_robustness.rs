//! The editor queries answer at every position of real and broken files without panicking
//! (the language server catches panics, but a query that panics is a query that fails).

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use vigil_compiler::db::{Database, RuleSet, SourceFile};
use vigil_compiler::ide;

fn sources() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/semantics");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "vigil").then(|| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
        })
        .collect();
    out.sort();
    out.push((
        "broken.vigil".into(),
        "rule { when : where -> \"unterminated \\é\n}}}} workflow w { state s { on X -> } \
         test \"t\" { events { E { a: } } expect alert }\nevent E { a: Kind?, b: set<\n\
         enum Kind { x, y, }\nconst C = [1, \"a\"]\nfn f(a: int) -> int = a + b\n¿¿ \u{0}"
            .into(),
    ));
    out
}

#[test]
fn every_query_answers_at_every_position() {
    let db = Database::new(Arc::new(|_: &str| Err("no files here".to_string())));
    let srcs = sources();
    let files: Vec<SourceFile> = srcs
        .iter()
        .map(|(p, t)| SourceFile::new(&db, p.clone(), Arc::from(t.as_str())))
        .collect();
    let rs = RuleSet::new(&db, files.clone(), None);
    for (file, (_, text)) in files.iter().zip(&srcs) {
        let _ = ide::symbols::file_symbols(&db, rs, *file);
        let _ = ide::symbols::folding_ranges(&db, rs, *file);
        let _ = ide::highlight::semantic_tokens(&db, rs, *file);
        let _ = ide::highlight::inlay_hints(&db, rs, *file);
        let _ = ide::diagnostics::file_diagnostics(&db, rs, *file);
        let _ = ide::tests_in_file(&db, rs, *file);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let offset = u32::try_from(offset).unwrap();
            let _ = ide::completion::completions(&db, rs, *file, offset);
            let _ = ide::hover::hover(&db, rs, *file, offset);
            if let Some((_, def)) = ide::def_at(&db, rs, *file, offset) {
                let _ = ide::definition(&db, rs, &def);
                let _ = ide::references(&db, rs, &def, true);
            }
            let _ = ide::rename(&db, rs, *file, offset, "renamed");
        }
    }
    let _ = ide::symbols::workspace_symbols(&db, rs, "a", 100);
}
