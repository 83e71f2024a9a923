//! `vigil diff OLD NEW`: what changed between two versions of a rule set, item by item and
//! clause by clause, with a verified witness event for each changed condition; with
//! `--events`, the alerts and transitions only one version produces on the same input.

mod render;
mod replay;
mod source;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use vigil_compiler::db::program;
use vigil_compiler::diff::{self, Report, Search, SearchConfig, Version, Witness, witness};
use vigil_ir::Program;
use vigil_runtime::{Engine, EngineConfig, Record};

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
}

/// The witnesses of one condition after verification.
pub struct Checked {
    /// Witnesses the runtime confirmed: at most one for each direction.
    pub witnesses: Vec<Witness>,
    /// Candidates from the search that the runtime did not confirm (a search bug if not 0).
    pub unverified: usize,
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
    let report = diff::diff(
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

/// Runs a one-rule program on `lines`: whether its rule alerted.
fn alerts(probe: Program, lines: &[String]) -> bool {
    let mut engine = Engine::new(Arc::new(probe), EngineConfig::default());
    for l in lines {
        let _ = engine.push_line(l.as_bytes());
    }
    engine.finish();
    engine
        .take_records()
        .iter()
        .any(|r| matches!(r, Record::Alert(_)))
}

/// Keeps the witnesses of condition `i` that the runtime confirms: each version's condition,
/// as a one-rule program, alerts on the witness exactly when the search said it holds.
fn verify(report: &Report, i: usize, old: Option<&Program>, new: Option<&Program>) -> Checked {
    let mut checked = Checked {
        witnesses: Vec::new(),
        unverified: 0,
    };
    let (Some(c), Some(old), Some(new)) = (report.conditions.get(i), old, new) else {
        return checked;
    };
    let Search::Done { witnesses, .. } = &c.search else {
        return checked;
    };
    let (Some(fa), Some(fb)) = (
        witness::locate(old, &c.old_site),
        witness::locate(new, &c.new_site),
    ) else {
        return checked;
    };
    let (pa, pb) = (
        witness::probe_program(fa.located()),
        witness::probe_program(fb.located()),
    );
    for w in witnesses {
        if checked.witnesses.iter().any(|v| v.new == w.new) {
            continue;
        }
        let ok = alerts(pa.clone(), &w.lines) == w.old && alerts(pb.clone(), &w.lines) == w.new;
        if ok {
            checked.witnesses.push(w.clone());
        } else {
            checked.unverified += 1;
        }
    }
    checked
}
