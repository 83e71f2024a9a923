//! One module per subcommand.

pub mod build;
pub mod check;
pub mod coverage;
pub mod diff;
pub mod explain;
pub mod explain_workflow;
pub mod fmt;
pub mod graph;
mod report;

/// The script helpers shared by the HTML pages (`--report`, `diff --format html`).
const PAGE_JS: &str = include_str!("page.js");
pub mod run;
pub mod serve;
pub mod source;
pub mod test;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use vigil_compiler::diagnostics::render_human;

/// Checks and compiles the rule set at `paths`; on errors prints them and returns exit 1.
pub fn compile(paths: &[PathBuf]) -> Result<Arc<vigil_ir::Program>, ExitCode> {
    use std::io::IsTerminal;
    match vigil_compiler::load::compile_paths(paths) {
        Ok(p) => Ok(p),
        Err(vigil_compiler::load::LoadError::Io(e)) => Err(fail(e)),
        Err(vigil_compiler::load::LoadError::Invalid(errors)) => {
            eprint!("{}", render_human(&errors, std::io::stderr().is_terminal()));
            let n = errors.len();
            eprintln!(
                "error: the rule set has {n} error{}; nothing was run",
                if n == 1 { "" } else { "s" }
            );
            Err(ExitCode::from(1))
        }
    }
}

/// Prints an error about the command line or the file system and returns exit status 2.
pub fn fail(message: impl std::fmt::Display) -> std::process::ExitCode {
    eprintln!("error: {message}");
    std::process::ExitCode::from(2)
}
