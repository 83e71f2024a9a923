//! Loading a rule set from the disk: its files into a compiler database, and from there a
//! checked program.

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
    /// The database.
    pub db: Database,
    /// The rule set in it.
    pub ruleset: RuleSet,
}

/// Why a rule set could not be compiled.
#[derive(Debug)]
pub enum LoadError {
    /// A file could not be read.
    Io(String),
    /// The rule set has errors (warnings are not included).
    Invalid(Vec<vigil_compiler::diagnostics::Located>),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => f.write_str(e),
            LoadError::Invalid(d) => {
                f.write_str(&vigil_compiler::diagnostics::render_human(d, false))
            }
        }
    }
}

/// Loads and compiles the rule set at `paths` (files and directories).
pub fn compile_paths(paths: &[PathBuf]) -> Result<Arc<vigil_compiler::ir::Program>, LoadError> {
    use vigil_compiler::diagnostics::Level;
    let loaded = load(paths).map_err(LoadError::Io)?;
    vigil_compiler::db::check_items_in_parallel(&loaded.db, loaded.ruleset);
    let diags = vigil_compiler::db::ruleset_diagnostics(&loaded.db, loaded.ruleset);
    let errors: Vec<_> = diags
        .iter()
        .filter(|d| d.level() == Level::Error)
        .cloned()
        .collect();
    if !errors.is_empty() {
        return Err(LoadError::Invalid(errors));
    }
    let program = vigil_compiler::db::program(&loaded.db, loaded.ruleset).clone();
    // The database holds every item's syntax tree and checked form; freeing them takes a few
    // milliseconds on a large rule set that the caller need not wait for.
    drop_in_background(loaded);
    program.ok_or_else(|| {
        LoadError::Io("internal error: the rule set checked but did not compile".into())
    })
}

/// Drops `value` on a thread of its own. If no thread can be started, `spawn` drops the
/// closure, and `value` with it, right here.
fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("vigil-drop".into())
        .spawn(move || drop(value));
}

/// Reads the files at `paths` into a new database (list, zone and calendar files are read from
/// the disk when the checker asks for them). `Err` is an I/O problem, not a language error.
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
