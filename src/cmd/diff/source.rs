//! Where a version of a rule set comes from: a path on the disk, or `git:REV:path`, read with
//! `git ls-tree` and `git show` straight into a compiler database (list, zone and calendar
//! files come from the same revision).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use vigil_compiler::db::{Database, RuleSet, SourceFile};

/// A version loaded into its own database.
pub struct Loaded {
    pub db: Database,
    pub ruleset: RuleSet,
    /// How the user named it.
    pub label: String,
}

/// Loads `spec`: a file or directory, or `git:REV:path`.
pub fn load(spec: &str) -> Result<Loaded, String> {
    match spec.strip_prefix("git:") {
        Some(rest) => {
            let (rev, path) = rest.split_once(':').ok_or_else(|| {
                format!(
                    "`{spec}`: write a git version as `git:REV:path`, such as `git:main:rules/`"
                )
            })?;
            from_git(rev, path, spec)
        }
        None => {
            let loaded = vigil_compiler::load::load(&[PathBuf::from(spec)])?;
            Ok(Loaded {
                db: loaded.db,
                ruleset: loaded.ruleset,
                label: spec.to_string(),
            })
        }
    }
}

fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The contents of `path` (relative to the working directory) at revision `rev`.
fn show(rev: &str, path: &str) -> Result<String, String> {
    if std::path::Path::new(path).is_absolute() {
        return Err(format!(
            "`{path}` is absolute; a git version reads relative paths only"
        ));
    }
    let bytes = git(&["show", &format!("{rev}:./{path}")])?;
    String::from_utf8(bytes).map_err(|_| format!("`{path}` at {rev} is not UTF-8"))
}

fn from_git(rev: &str, path: &str, spec: &str) -> Result<Loaded, String> {
    git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .map_err(|_| format!("`{spec}`: `{rev}` is not a git revision here"))?;
    let path = if path.is_empty() { "." } else { path };
    let listing = git(&["ls-tree", "-r", "--name-only", "-z", rev, "--", path])
        .map_err(|e| format!("`{spec}`: {e}"))?;
    let mut files: Vec<String> = listing
        .split(|b| *b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .filter(|f| f.ends_with(".vigil"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("`{spec}`: no .vigil files under `{path}` at {rev}"));
    }
    let rev_owned = rev.to_string();
    let db = Database::new(Arc::new(move |p: &str| show(&rev_owned, p)));
    let mut sources = Vec::new();
    for f in &files {
        let text = show(rev, f).map_err(|e| format!("`{spec}`: {e}"))?;
        sources.push(SourceFile::new(&db, f.clone(), Arc::from(text)));
    }
    let ruleset = RuleSet::new(&db, sources, None);
    Ok(Loaded {
        db,
        ruleset,
        label: spec.to_string(),
    })
}
