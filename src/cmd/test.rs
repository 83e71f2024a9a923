//! `vigil test`: runs the `test` blocks of a rule set.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use vigil_runtime::coverage::Coverage;
use vigil_runtime::testing::{TestOutcome, run_test, run_test_with_coverage};

#[derive(clap::Args)]
pub struct Args {
    /// Rule set: .vigil files and directories (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Run only the tests whose title contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Also report, per rule, workflow transition and condition clause, whether the tests
    /// saw it both ways (true and false).
    #[arg(long)]
    coverage: bool,
    /// `human` (default) or `json`: one object per test, for tools such as the editor.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(args: Args) -> ExitCode {
    let program = match super::compile(&args.paths) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let color = std::io::stdout().is_terminal();
    let (ok, fail) = if color {
        ("\x1b[32mok\x1b[0m  ", "\x1b[31mFAIL\x1b[0m")
    } else {
        ("ok  ", "FAIL")
    };
    let mut passed = 0;
    let mut failed = 0;
    let mut coverage = Coverage::default();
    for test in &program.tests {
        if args
            .filter
            .as_ref()
            .is_some_and(|f| !test.name.contains(f.as_str()))
        {
            continue;
        }
        let outcome = if args.coverage {
            let (outcome, c) = run_test_with_coverage(&program, test);
            coverage.merge(&c);
            outcome
        } else {
            run_test(&program, test)
        };
        if outcome.passed() {
            passed += 1;
        } else {
            failed += 1;
        }
        match args.format {
            Format::Json => println!("{}", outcome_json(&outcome)),
            Format::Human => {
                println!(
                    "{} {} ({})",
                    if outcome.passed() { ok } else { fail },
                    outcome.name,
                    outcome.location
                );
                print_failures(&outcome);
            }
        }
    }
    if args.format == Format::Human {
        println!("{passed} passed, {failed} failed");
    }
    if args.coverage {
        crate::cmd::coverage::print(&program, &coverage, color);
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_failures(outcome: &TestOutcome) {
    let file = outcome.location.rsplit_once(':').map_or("", |(f, _)| f);
    for f in &outcome.failures {
        println!("    {file}:{}: {}", f.line, f.what);
        println!("      {}", f.detail);
        if f.actual.is_empty() {
            println!("      actual: no such records");
        } else {
            println!("      actual:");
            for r in &f.actual {
                println!("        {r}");
            }
        }
    }
}

fn outcome_json(o: &TestOutcome) -> String {
    let failures: Vec<serde_json::Value> = o
        .failures
        .iter()
        .map(|f| serde_json::json!({"line": f.line, "expectation": f.what, "detail": f.detail, "actual": f.actual}))
        .collect();
    serde_json::json!({
        "test": o.name,
        "location": o.location,
        "passed": o.passed(),
        "failures": failures,
    })
    .to_string()
}
