//! Where an engine finds the rule sets that `$reload` lines name by fingerprint: the live
//! server's object store, a directory of bundles for `vigil run --rulesets`, or nothing (then
//! a `$reload` line is rejected and the rule set goes on).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use vigil_ir::Program;

/// The `type` of a reload line.
pub const RELOAD: &str = "$reload";

/// The input line that switches to the rule set `fingerprint` (SPEC §9 as proposed): what
/// `vigil serve reload` and `POST /reload` publish.
pub fn reload_line(fingerprint: &str) -> String {
    format!("{{\"type\":\"{RELOAD}\",\"ruleset\":\"{fingerprint}\"}}\n")
}

type Find = dyn Fn(&str) -> Result<Arc<Program>, NotFound> + Send + Sync;

/// Why a rule set was not had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFound {
    /// It is not there, or not a rule set: every try would say so, and the `$reload` line
    /// is rejected.
    Missing(String),
    /// The store did not answer: another try may find it, so the line cannot be decided now
    /// (`Pushed::Unavailable`).
    Unavailable(String),
}

/// Finds a rule set by its fingerprint, or says why it cannot.
#[derive(Clone)]
pub struct Rulesets(Arc<Find>);

impl Rulesets {
    /// Rule sets found by `find`, which may load them from anywhere.
    pub fn new(
        find: impl Fn(&str) -> Result<Arc<Program>, NotFound> + Send + Sync + 'static,
    ) -> Self {
        Rulesets(Arc::new(find))
    }

    /// The bundles (`vigil build`) in `dir`, each read once now: the rule sets a replay of a
    /// live server's input needs.
    pub fn from_dir(dir: &Path) -> Result<Rulesets, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut found: Vec<Arc<Program>> = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if !path.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let program = vigil_ir::bundle::decode(&bytes)
                .map_err(|e| format!("{}: not a bundle: {e}", path.display()))?;
            found.push(Arc::new(program));
        }
        let dir = dir.display().to_string();
        Ok(Rulesets::new(move |fingerprint| {
            found
                .iter()
                .find(|p| p.fingerprint == fingerprint)
                .cloned()
                .ok_or_else(|| {
                    NotFound::Missing(format!("no bundle in {dir} has rule set {fingerprint}"))
                })
        }))
    }

    /// The rule set of `fingerprint`.
    pub fn find(&self, fingerprint: &str) -> Result<Arc<Program>, NotFound> {
        let program = (self.0)(fingerprint)?;
        if program.fingerprint != fingerprint {
            return Err(NotFound::Missing(format!(
                "the rule set found for {fingerprint} is {}",
                program.fingerprint
            )));
        }
        Ok(program)
    }

    /// The rule set a checkpoint taken with rule set `saved` goes on with, when a `$reload`
    /// brought it in (it is here) and it is not `given`, the one the run was started with:
    /// the input decides which rules run, not the command line. `None`: go on with `given`
    /// (an upgrade, when `saved` is another). `Err`: the store did not answer.
    pub fn reloaded(&self, saved: &str, given: &Program) -> Result<Option<Arc<Program>>, String> {
        if saved == given.fingerprint {
            return Ok(None);
        }
        match self.find(saved) {
            Ok(program) => Ok(Some(program)),
            Err(NotFound::Missing(_)) => Ok(None),
            Err(NotFound::Unavailable(why)) => Err(why),
        }
    }
}

impl fmt::Debug for Rulesets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Rulesets")
    }
}
