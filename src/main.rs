//! `vigil`: the command line. Argument parsing and commands only; the language lives in
//! `vigil-compiler`, execution in `vigil-runtime`.

mod alloc;
mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vigil",
    version,
    about = "Vigil: alert rules and response workflows over event streams",
    long_about = "Vigil checks, formats, tests and runs rule sets written in the Vigil language \
                  (.vigil files): rules over events, workflows with deadlines, and tests beside them."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check a rule set; report every error with its source.
    Check(cmd::check::Args),
    /// Rewrite files in the canonical style (comments kept); --check only lists them.
    Fmt(cmd::fmt::Args),
    /// Run a rule set over events (JSON Lines) and write alert and transition records.
    Run(cmd::run::Args),
    /// Run the `test` blocks of a rule set.
    Test(cmd::test::Args),
    /// What changed between two versions of a rule set, clause by clause, with witness events.
    Diff(cmd::diff::Args),
    /// Why a rule fired on an event, or did not: clause by clause, with window contents and
    /// partial sequence matches; without `--line`, which clauses failed how often.
    Explain(cmd::explain::Args),
    /// Compile a rule set into a bundle (`--bundle` of `vigil run`), or print its IR.
    Build(cmd::build::Args),
    /// Draw the rule graph and each workflow's state diagram, as Mermaid or Graphviz DOT.
    Graph(cmd::graph::Args),
    /// Run a rule set live on NATS JetStream: input from a stream, records to subjects,
    /// ticks, checkpoints; killed and started again it publishes every record once.
    Serve(cmd::serve::Args),
    /// Start the language server on standard input and output (for editors).
    Lsp,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::Fmt(args) => cmd::fmt::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Test(args) => cmd::test::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Build(args) => cmd::build::run(args),
        Command::Graph(args) => cmd::graph::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Lsp => vigil_lsp::run_stdio(),
    };
    alloc::before_exit();
    status
}
