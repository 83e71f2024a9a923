//! Generates a synthetic city event stream for the rules library in `rules/`.
//!
//! ```sh
//! cargo run --release --example city -- --days 1 --seed 2022 \
//!     --out examples/city-1day.jsonl --planted examples/city-1day.planted.jsonl
//! cargo run --release -- run rules/ --events examples/city-1day.jsonl --lateness 10s
//! ```
//!
//! Options: `--days N` (default 1), `--seed S` (default 2022), `--start YYYY-MM-DD` (default
//! 2022-06-13, a Monday; the rules' calendar covers 2021 and 2022), `--out FILE` (default:
//! standard output), `--planted FILE` (the planted situations, one JSON object per line).
//! Counts go to standard error.

// A measurement or a generator run by hand: it stops at the first thing that goes wrong.
// (The workspace denies unwraps, indexing and panics in the engine, the compiler and the CLI.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod generator;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str =
    "usage: city [--days N] [--seed S] [--start YYYY-MM-DD] [--out FILE] [--planted FILE]";

fn main() -> ExitCode {
    let mut cfg = generator::Config::new(1, 2022);
    let mut out_path = None;
    let mut planted_path = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        let result: Result<(), String> = match arg.as_str() {
            "--days" => value("--days").and_then(|v| {
                v.parse()
                    .map(|d| cfg.days = d)
                    .map_err(|_| format!("--days {v}: not a number of days"))
            }),
            "--seed" => value("--seed").and_then(|v| {
                v.parse()
                    .map(|s| cfg.seed = s)
                    .map_err(|_| format!("--seed {v}: not an unsigned integer"))
            }),
            "--start" => value("--start").and_then(|v| {
                generator::parse_date(&v)
                    .map(|s| cfg.start = s)
                    .ok_or_else(|| format!("--start {v}: expected YYYY-MM-DD"))
            }),
            "--out" => value("--out").map(|v| out_path = Some(v)),
            "--planted" => value("--planted").map(|v| planted_path = Some(v)),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => Err(format!("unknown argument `{other}`\n{USAGE}")),
        };
        if let Err(e) = result {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }

    let mut out: Box<dyn Write> = match &out_path {
        Some(p) => match File::create(p) {
            Ok(f) => Box::new(BufWriter::new(f)),
            Err(e) => {
                eprintln!("error: cannot write `{p}`: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut io_error = None;
    let (planted, summary) = generator::generate(&cfg, &mut |line| {
        if io_error.is_none()
            && let Err(e) = writeln!(out, "{line}")
        {
            io_error = Some(e);
        }
    });
    if let Err(e) = out.flush() {
        io_error.get_or_insert(e);
    }
    if let Some(e) = io_error {
        eprintln!("error: writing events: {e}");
        return ExitCode::FAILURE;
    }
    if let Some(p) = &planted_path {
        let written = File::create(p).and_then(|f| {
            let mut w = BufWriter::new(f);
            for entry in &planted {
                writeln!(w, "{}", entry.to_json())?;
            }
            w.flush()
        });
        if let Err(e) = written {
            eprintln!("error: cannot write `{p}`: {e}");
            return ExitCode::FAILURE;
        }
    }

    let events: u64 = summary.events.values().sum();
    eprintln!(
        "{} days from {} (seed {}): {} lines, {} events of {} types, {} out of order (at most {} ms), {} malformed, {} blank",
        cfg.days,
        &generator::rfc3339(cfg.start)[..10],
        cfg.seed,
        summary.lines,
        events,
        summary.events.len(),
        summary.out_of_order,
        generator::MAX_DISORDER_MS,
        summary.malformed,
        summary.blank,
    );
    for (ty, n) in &summary.events {
        eprintln!("  {ty:<24} {n}");
    }
    eprintln!(
        "{} planted situations{}; run with --lateness {}",
        planted.len(),
        planted_path
            .as_deref()
            .map(|p| format!(" written to {p}"))
            .unwrap_or_default(),
        generator::LATENESS
    );
    ExitCode::SUCCESS
}
