//! `vigil diff OLD NEW`: what changed between two versions of a rule set, item by item and
//! clause by clause, with a verified witness event for each changed condition; with
//! `--events`, the alerts and transitions only one version produces on the same input.

mod render;
mod source;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use vigil_compiler::db::program;
use vigil_diff::{Checked, SearchConfig, Version, replay, verify};

#[derive(clap::Args)]
pub struct Args {
    /// The old version: a file or directory, or `git:REV:path` (such as `git:main:rules/`).
    old: String,
    /// The new version, written the same way.
    new: String,
    /// Also run both versions over these events (JSON Lines) and compare their output.
    #[arg(long)]
    events: Option<PathBuf>,
    /// With `--events`: how long to wait for out-of-order events, as for `vigil run`.
    #[arg(long, default_value = "0s")]
    lateness: String,
    /// How to write the report.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// For a terminal (colored when standard output is one).
    Text,
    /// For a pull-request comment.
    Markdown,
    /// For tools; the layout is stable.
    Json,
    /// One self-contained page for a browser (no network): the JSON report, drawn by the
    /// page's script, with each rule's alerts per hour under both versions as a chart.
    Html,
}

pub fn run(args: Args) -> ExitCode {
    let old = match source::load(&args.old) {
        Ok(v) => v,
        Err(e) => return super::fail(e),
    };
    let new = match source::load(&args.new) {
        Ok(v) => v,
        Err(e) => return super::fail(e),
    };
    let report = vigil_diff::diff(
        Version {
            db: &old.db,
            ruleset: old.ruleset,
        },
        Version {
            db: &new.db,
            ruleset: new.ruleset,
        },
        &SearchConfig::default(),
    );
    for (label, info) in [(&old.label, &report.old), (&new.label, &report.new)] {
        if info.errors > 0 {
            eprintln!(
                "warning: `{label}` has {} error{} (run `vigil check`): no witnesses or replay for it",
                info.errors,
                if info.errors == 1 { "" } else { "s" }
            );
        }
    }
    let programs = (
        program(&old.db, old.ruleset).clone(),
        program(&new.db, new.ruleset).clone(),
    );
    let checked: Vec<Checked> = report
        .conditions
        .iter()
        .enumerate()
        .map(|(i, _)| verify(&report, i, programs.0.as_deref(), programs.1.as_deref()))
        .collect();
    let lateness = match vigil_ir::time::parse_duration_literal(&args.lateness) {
        Ok(ms) => ms,
        Err(e) => return super::fail(format!("--lateness {}: {e}", args.lateness)),
    };
    let replay = match (&args.events, &programs) {
        (None, _) => None,
        (Some(path), (Some(a), Some(b))) => match replay::replay(a, b, path, lateness) {
            Ok(r) => Some(r),
            Err(e) => return super::fail(e),
        },
        (Some(_), _) => {
            return super::fail("--events needs both versions to compile; run `vigil check`");
        }
    };
    let doc = render::Doc {
        old: &old.label,
        new: &new.label,
        report: &report,
        checked: &checked,
        replay: replay.as_ref(),
        events: args.events.as_deref(),
    };
    let text = match args.format {
        Format::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            render::text(&doc, color)
        }
        Format::Markdown => render::markdown(&doc),
        Format::Json => render::json(&doc),
        Format::Html => render::html_page(&doc),
    };
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }
    if report.changed() || replay.as_ref().is_some_and(replay::Replay::differs) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
