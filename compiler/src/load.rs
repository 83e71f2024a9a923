//! Loading a rule set from the disk: its files into a compiler database, and from there a
//! checked program.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::db::{Database, RuleSet, SourceFile};
use crate::diagnostics::{Level, Located, render_human};

/// The `.vigil` files named by `paths`: files as given, directories searched recursively
/// (see [`vigil_files`]), each directory's files sorted by path (SPEC §1).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta =
            std::fs::metadata(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
        if meta.is_dir() {
            let Found { files, unreadable } = vigil_files(p, Depth::Below);
            if let Some((dir, e)) = unreadable {
                return Err(format!("cannot read `{}`: {e}", dir.display()));
            }
            if files.is_empty() {
                return Err(format!("no .vigil files under `{}`", p.display()));
            }
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    out.dedup();
    Ok(out)
}

/// How far [`vigil_files`] looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// The folder's own files only (a file opened in an editor outside any workspace).
    Here,
    /// The folder and every folder below it.
    Below,
}

/// The `.vigil` files of a folder, and the first folder below it that could not be read.
#[derive(Debug, Default)]
pub struct Found {
    /// Sorted by path.
    pub files: Vec<PathBuf>,
    /// The CLI refuses a rule set with an unreadable folder; the language server works on
    /// the rest.
    pub unreadable: Option<(PathBuf, std::io::Error)>,
}

/// The `.vigil` files in `dir`. Hidden entries (names starting with `.`: a `.git` folder, an
/// editor's `.#lock` file) and `node_modules` folders are skipped, so that `vigil check DIR`
/// and the language server see the same rule set (docs/DECISIONS.md).
pub fn vigil_files(dir: &Path, depth: Depth) -> Found {
    let mut found = Found::default();
    walk(dir, depth, &mut found);
    found.files.sort();
    found
}

fn walk(dir: &Path, depth: Depth, found: &mut Found) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            found.unreadable.get_or_insert((dir.to_path_buf(), e));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                found.unreadable.get_or_insert((dir.to_path_buf(), e));
                continue;
            }
        };
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            if depth == Depth::Below && name != "node_modules" {
                walk(&path, depth, found);
            }
        } else if path.extension().is_some_and(|e| e == "vigil") {
            found.files.push(path);
        }
    }
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
    Invalid(Vec<Located>),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => f.write_str(e),
            LoadError::Invalid(d) => f.write_str(&render_human(d, false)),
        }
    }
}

/// Loads and compiles the rule set at `paths` (files and directories).
pub fn compile_paths(paths: &[PathBuf]) -> Result<Arc<vigil_ir::Program>, LoadError> {
    let loaded = load(paths).map_err(LoadError::Io)?;
    crate::db::check_items_in_parallel(&loaded.db, loaded.ruleset);
    let diags = crate::db::ruleset_diagnostics(&loaded.db, loaded.ruleset);
    let errors: Vec<_> = diags
        .iter()
        .filter(|d| d.level() == Level::Error)
        .cloned()
        .collect();
    if !errors.is_empty() {
        return Err(LoadError::Invalid(errors));
    }
    let program = crate::db::program(&loaded.db, loaded.ruleset).clone();
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

/// Compiles in-memory sources (name, text) into a program; `Err` holds the rendered
/// diagnostics. Files that lists and zones name are read from the disk relative to the
/// working directory.
pub fn compile_sources(sources: &[(&str, &str)]) -> Result<vigil_ir::Program, String> {
    let db = Database::with_disk();
    let files = sources
        .iter()
        .map(|(name, text)| SourceFile::new(&db, (*name).to_string(), Arc::from(*text)))
        .collect();
    let ruleset = RuleSet::new(&db, files, None);
    match crate::db::program(&db, ruleset) {
        Some(p) => Ok((**p).clone()),
        None => Err(render_human(
            crate::db::ruleset_diagnostics(&db, ruleset),
            false,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_entries_and_node_modules_are_not_part_of_a_rule_set() {
        let root = std::env::temp_dir().join(format!("vigil-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in [
            ("b.vigil", ""),
            ("a.vigil", ""),
            ("notes.txt", ""),
            (".#a.vigil", ""),
            ("sub/d.vigil", ""),
            (".git/x.vigil", ""),
            ("node_modules/pkg/y.vigil", ""),
        ] {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        let names = |depth| {
            let found = vigil_files(&root, depth);
            assert!(found.unreadable.is_none());
            found
                .files
                .iter()
                .map(|p| {
                    p.strip_prefix(&root)
                        .expect("below root")
                        .to_string_lossy()
                        .into_owned()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(names(Depth::Below), ["a.vigil", "b.vigil", "sub/d.vigil"]);
        assert_eq!(names(Depth::Here), ["a.vigil", "b.vigil"]);
        // The CLI's entry point walks the same way, and reads a file named on its own as given.
        let hidden = root.join(".#a.vigil");
        let given = collect_files(&[root.clone(), hidden.clone()]).expect("found");
        assert_eq!(given.len(), 4);
        assert_eq!(given.last(), Some(&hidden));
        std::fs::remove_dir_all(&root).expect("clean up");
    }
}
