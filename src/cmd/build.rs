//! `vigil build`: a rule set compiled into a bundle, or its IR as text.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Rule set: .vigil files and directories (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Where to write the output; standard output when absent (only for `--emit ir`).
    #[arg(short, long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// What to write.
    #[arg(long, value_enum, default_value = "bundle")]
    emit: Emit,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Emit {
    /// The compiled rule set in one versioned file, with its lists, zones and calendar, for
    /// `vigil run --bundle` and `Engine::from_bundle`.
    Bundle,
    /// The program as canonical text: what the runtime sees, and what snapshot identities
    /// are digests of.
    Ir,
    /// Where each rule and workflow would run in a run split over key groups: the key each
    /// event type it consumes is routed by, or why it needs the one global group.
    Placement,
}

pub fn run(args: Args) -> ExitCode {
    let program = match super::compile(&args.paths) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let bytes = match args.emit {
        Emit::Bundle => vigil_ir::bundle::encode(&program),
        Emit::Ir => vigil_ir::text::program(&program).into_bytes(),
        Emit::Placement => {
            vigil_ir::placement::text(&program, &vigil_ir::placement::place(&program)).into_bytes()
        }
    };
    match (&args.out, args.emit) {
        (Some(path), _) => {
            if let Err(e) = std::fs::write(path, &bytes) {
                return super::fail(format!("cannot write `{}`: {e}", path.display()));
            }
            if args.emit == Emit::Bundle {
                eprintln!(
                    "wrote {} ({} rules, {} workflows, {} bytes), rule set {}",
                    path.display(),
                    program.rules.len(),
                    program.workflows.len(),
                    bytes.len(),
                    program.fingerprint
                );
            }
            ExitCode::SUCCESS
        }
        (None, Emit::Ir | Emit::Placement) => {
            use std::io::Write;
            match std::io::stdout().lock().write_all(&bytes) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => super::fail(format!("cannot write to standard output: {e}")),
            }
        }
        (None, Emit::Bundle) => super::fail("a bundle needs an output file: `-o FILE`"),
    }
}
