//! One module per subcommand.

pub mod check;
pub mod coverage;
pub mod fmt;
pub mod run;
pub mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use vigil_compiler::diagnostics::{Level, render_human};

/// Checks and compiles the rule set at `paths`; on errors prints them and returns exit 1.
pub fn compile(paths: &[PathBuf]) -> Result<vigil_compiler::ir::Program, ExitCode> {
    use std::io::IsTerminal;
    let loaded = crate::ruleset::load(paths).map_err(fail)?;
    let (db, ruleset) = (&loaded.db, loaded.ruleset);
    let diags = vigil_compiler::db::ruleset_diagnostics(db, ruleset);
    let errors: Vec<_> = diags
        .iter()
        .filter(|d| d.level() == Level::Error)
        .cloned()
        .collect();
    if !errors.is_empty() {
        eprint!("{}", render_human(&errors, std::io::stderr().is_terminal()));
        eprintln!(
            "error: the rule set has {} error{}; nothing was run",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        );
        return Err(ExitCode::from(1));
    }
    match vigil_compiler::db::program(db, ruleset) {
        Some(p) => Ok((**p).clone()),
        None => Err(fail(
            "internal error: the rule set checked but did not compile",
        )),
    }
}

/// Prints an error about the command line or the file system and returns exit status 2.
pub fn fail(message: impl std::fmt::Display) -> std::process::ExitCode {
    eprintln!("error: {message}");
    std::process::ExitCode::from(2)
}
