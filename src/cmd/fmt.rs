//! `vigil fmt`: canonical formatting, in place or as a check.

use std::path::PathBuf;
use std::process::ExitCode;

use vigil_compiler::fmt::{FormatError, format_file};

#[derive(clap::Args)]
pub struct Args {
    /// Files and directories to format.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// List the files that are not formatted and exit 1, changing nothing.
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> ExitCode {
    let files = match vigil_compiler::load::collect_files(&args.paths) {
        Ok(f) => f,
        Err(e) => return super::fail(e),
    };
    let mut changed = 0usize;
    let mut failed = 0usize;
    for path in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", path.display());
                failed += 1;
                continue;
            }
        };
        let formatted = match format_file(&text) {
            Ok(f) => f,
            Err(e @ (FormatError::Syntax | FormatError::Unsound(_))) => {
                eprintln!("error: `{}`: {e}", path.display());
                failed += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if args.check {
            println!("{}", path.display());
        } else if let Err(e) = std::fs::write(path, formatted) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            failed += 1;
        }
    }
    let total = files.len();
    if args.check {
        eprintln!("{changed} of {total} files would be reformatted");
    } else {
        eprintln!("formatted {changed} of {total} files");
    }
    if failed > 0 || (args.check && changed > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
