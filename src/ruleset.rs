//! Loading a rule set from the paths on the command line into a compiler database.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_compiler::db::{Database, RuleSet, SourceFile};

/// The `.vigil` files named by `paths`: files as given, directories searched recursively,
/// each directory's files sorted by path (SPEC §1).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta =
            std::fs::metadata(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
            found.sort();
            if found.is_empty() {
                return Err(format!("no .vigil files under `{}`", p.display()));
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "vigil") {
            out.push(path);
        }
    }
    Ok(())
}

/// A database holding the rule set at `paths`.
pub struct Loaded {
    pub db: Database,
    pub ruleset: RuleSet,
}

pub fn load(paths: &[PathBuf]) -> Result<Loaded, String> {
    let files = collect_files(paths)?;
    let db = Database::with_disk();
    let mut sources = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| format!("cannot read `{}`: {e}", f.display()))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("`{}` is not UTF-8", f.display()))?;
        sources.push(SourceFile::new(
            &db,
            f.to_string_lossy().into_owned(),
            Arc::from(text),
        ));
    }
    let now = jiff::Timestamp::now().as_millisecond();
    let ruleset = RuleSet::new(&db, sources, Some(now));
    Ok(Loaded { db, ruleset })
}
