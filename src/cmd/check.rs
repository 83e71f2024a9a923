//! `vigil check`: diagnostics for a rule set and a one-line summary.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use vigil_compiler::db::{items, ruleset_diagnostics};
use vigil_compiler::diagnostics::{render_human, render_json, summary_counts};
use vigil_compiler::syntax::ItemTag;

#[derive(clap::Args)]
pub struct Args {
    /// Rule set: .vigil files and directories (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "human")]
    error_format: ErrorFormat,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ErrorFormat {
    /// Source snippets with labels and help.
    Human,
    /// One JSON object per diagnostic per line, on stdout.
    Json,
}

pub fn run(args: Args) -> ExitCode {
    let loaded = match vigil_compiler::load::load(&args.paths) {
        Ok(l) => l,
        Err(e) => return super::fail(e),
    };
    let (db, ruleset) = (&loaded.db, loaded.ruleset);
    let diags = ruleset_diagnostics(db, ruleset);
    match args.error_format {
        ErrorFormat::Human => eprint!("{}", render_human(diags, std::io::stderr().is_terminal())),
        ErrorFormat::Json => print!("{}", render_json(diags)),
    }
    let (errors, warnings) = summary_counts(diags);
    let mut counts = std::collections::BTreeMap::new();
    for id in items(db, ruleset) {
        *counts.entry(id.tag(db)).or_insert(0usize) += 1;
    }
    let n = |t: ItemTag| counts.get(&t).copied().unwrap_or(0);
    let plural = |k: usize, word: &str| format!("{k} {word}{}", if k == 1 { "" } else { "s" });
    let summary = format!(
        "{}: {}, {}, {}, {}",
        plural(ruleset.files(db).len(), "file"),
        plural(n(ItemTag::Event), "event"),
        plural(n(ItemTag::Rule), "rule"),
        plural(n(ItemTag::Workflow), "workflow"),
        plural(n(ItemTag::Test), "test"),
    );
    let failed = errors > 0 || (args.deny_warnings && warnings > 0);
    let verdict = match (errors, warnings) {
        (0, 0) => "ok".to_string(),
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    };
    eprintln!("checked {summary} — {verdict}");
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
