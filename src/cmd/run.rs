//! `vigil run`: a rule set over a stream of JSON Lines events.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use vigil_runtime::{Engine, EngineConfig, EngineKind, Pushed, Record};

#[derive(clap::Args)]
pub struct Args {
    /// Rule set: .vigil files and directories (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Events, one JSON object per line; `-` reads standard input.
    #[arg(long, default_value = "-")]
    events: String,
    /// Write alert and transition records here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write rejected lines here (line number, reason, text); by default they are counted
    /// and the first few shown.
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Also write each unit's alerts to DIR/<unit>.jsonl, evidence limited by its `sees`.
    #[arg(long, value_name = "DIR")]
    deliver: Option<PathBuf>,
    /// How long to wait for out-of-order events, such as `5s` (default: none).
    #[arg(long, default_value = "0s")]
    lateness: String,
    /// At the end, move the watermark to this time (RFC 3339), or `end` to fire every deadline.
    #[arg(long)]
    until: Option<String>,
    /// Stop at the first rejected line, with exit status 2.
    #[arg(long)]
    strict: bool,
    /// The most keys one rule keeps state for; beyond it, an overflow record is written.
    #[arg(long, default_value_t = 1_000_000)]
    max_keys: usize,
    /// How conditions are evaluated.
    #[arg(long, value_enum, default_value = "jit")]
    engine: EngineChoice,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum EngineChoice {
    /// Native code compiled with Cranelift (the interpreter covers the rest).
    Jit,
    /// The reference interpreter only.
    Interp,
}

/// Rejected lines shown on standard error when `--rejects` is not given.
const SHOWN_REJECTS: u64 = 5;

pub fn run(args: Args) -> ExitCode {
    let lateness = match vigil_compiler::time::parse_duration_literal(&args.lateness) {
        Ok(ms) => ms,
        Err(e) => return super::fail(format!("--lateness {}: {e}", args.lateness)),
    };
    let until = match args.until.as_deref() {
        None => None,
        Some("end") => Some(i64::MAX),
        Some(t) => match vigil_compiler::time::parse_time(t) {
            Ok(ms) => Some(ms),
            Err(e) => return super::fail(format!("--until {t}: {e}")),
        },
    };
    let program = match super::compile(&args.paths) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let config = EngineConfig {
        lateness,
        max_keys_per_rule: args.max_keys,
        engine: match args.engine {
            EngineChoice::Jit => EngineKind::Jit,
            EngineChoice::Interp => EngineKind::Interp,
        },
    };
    let mut engine = Engine::new(Arc::new(program), config);

    let (input, total_bytes): (Box<dyn Read>, Option<u64>) = if args.events == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        match File::open(&args.events) {
            Ok(f) => {
                let len = f.metadata().ok().map(|m| m.len());
                (Box::new(f), len)
            }
            Err(e) => return super::fail(format!("cannot read `{}`: {e}", args.events)),
        }
    };
    let live = total_bytes.is_none();
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => match File::create(p) {
            Ok(f) => Box::new(BufWriter::new(f)),
            Err(e) => return super::fail(format!("cannot write `{}`: {e}", p.display())),
        },
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut rejects: Option<BufWriter<File>> = match &args.rejects {
        Some(p) => match File::create(p) {
            Ok(f) => Some(BufWriter::new(f)),
            Err(e) => return super::fail(format!("cannot write `{}`: {e}", p.display())),
        },
        None => None,
    };
    let mut delivery = match &args.deliver {
        Some(dir) => match Delivery::new(dir) {
            Ok(d) => Some(d),
            Err(e) => return super::fail(e),
        },
        None => None,
    };
    let progress = total_bytes
        .filter(|_| std::io::stderr().is_terminal())
        .map(|len| {
            let bar = indicatif::ProgressBar::new(len);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });

    let started = Instant::now();
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut line = Vec::with_capacity(512);
    let mut bytes_read = 0u64;
    let mut io_error = None;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(n) => bytes_read += n as u64,
            Err(e) => {
                io_error = Some(e);
                break;
            }
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if let Pushed::Rejected(r) = engine.push_line(text) {
            let n = engine.lines();
            if let Some(w) = rejects.as_mut() {
                let mut o = String::new();
                o.push_str(&format!(
                    "{{\"line\":{n},\"reason\":\"{}\",\"detail\":",
                    r.kind.as_str()
                ));
                push_json_str(&mut o, &r.detail);
                o.push_str(",\"text\":");
                push_json_str(&mut o, &String::from_utf8_lossy(text));
                o.push('}');
                let _ = writeln!(w, "{o}");
            } else if engine.stats().rejected_total() <= SHOWN_REJECTS {
                eprintln!("rejected line {n}: {r}");
            }
            if args.strict {
                let _ = write_records(&engine, &mut out, delivery.as_mut());
                let _ = out.flush();
                eprintln!("error: line {n} rejected and --strict given");
                return ExitCode::from(2);
            }
        }
        if let Err(e) = write_records(&engine, &mut out, delivery.as_mut())
            .and_then(|()| if live { out.flush() } else { Ok(()) })
        {
            return super::fail(format!("cannot write records: {e}"));
        }
        let _ = engine_take_written(&mut engine);
        if let Some(bar) = &progress
            && engine.lines() % 4096 == 0
        {
            bar.set_position(bytes_read);
        }
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    engine.finish();
    if let Some(t) = until {
        engine.advance_to(t);
    }
    let result = write_records(&engine, &mut out, delivery.as_mut())
        .and_then(|()| out.flush())
        .and_then(|()| rejects.as_mut().map_or(Ok(()), |w| w.flush()))
        .and_then(|()| delivery.as_mut().map_or(Ok(()), Delivery::flush));
    let _ = engine_take_written(&mut engine);
    if let Err(e) = result {
        return super::fail(format!("cannot write records: {e}"));
    }
    summary(
        &engine,
        started.elapsed().as_secs_f64(),
        args.rejects.is_some(),
    );
    if let Some(e) = io_error {
        return super::fail(format!("reading events stopped: {e}"));
    }
    ExitCode::SUCCESS
}

/// Records are written from `engine.pending_output()` and then dropped.
fn write_records(
    engine: &Engine,
    out: &mut dyn Write,
    delivery: Option<&mut Delivery>,
) -> std::io::Result<()> {
    let records = engine.peek_records();
    for r in records {
        writeln!(out, "{}", engine.to_json(r))?;
    }
    if let Some(d) = delivery {
        for r in records {
            if let Record::Alert(a) = r
                && !a.shadow
            {
                d.write(engine, a)?;
            }
        }
    }
    Ok(())
}

fn engine_take_written(engine: &mut Engine) -> usize {
    engine.take_records().len()
}

/// The per-unit feeds of `--deliver`.
struct Delivery {
    dir: PathBuf,
    files: BTreeMap<u32, BufWriter<File>>,
}

impl Delivery {
    fn new(dir: &std::path::Path) -> Result<Delivery, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        Ok(Delivery {
            dir: dir.to_path_buf(),
            files: BTreeMap::new(),
        })
    }

    fn write(
        &mut self,
        engine: &Engine,
        alert: &vigil_runtime::AlertRecord,
    ) -> std::io::Result<()> {
        for unit in &alert.to {
            let Some(index) = engine.program().units.iter().position(|u| u.name == **unit) else {
                continue;
            };
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            if !self.files.contains_key(&index) {
                let f = File::create(self.dir.join(format!("{unit}.jsonl")))?;
                self.files.insert(index, BufWriter::new(f));
            }
            if let Some(f) = self.files.get_mut(&index) {
                writeln!(f, "{}", engine.to_json_for_unit(alert, index))?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.files.values_mut().try_for_each(|f| f.flush())
    }
}

fn push_json_str(o: &mut String, s: &str) {
    o.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

fn summary(engine: &Engine, seconds: f64, rejects_written: bool) {
    let s = engine.stats();
    let lines = engine.lines();
    let rate = if seconds > 0.0 {
        lines as f64 / seconds
    } else {
        0.0
    };
    eprintln!("── summary ──");
    eprintln!("  lines read          {lines}");
    eprintln!(
        "  events processed    {} ({} emitted by rules)",
        s.processed, s.derived
    );
    let rejected = s.rejected_total();
    if rejected > 0 {
        let by: Vec<String> = s
            .rejected
            .iter()
            .map(|(k, n)| format!("{} {n}", k.as_str()))
            .collect();
        let hint = if rejects_written {
            ""
        } else {
            " — use --rejects FILE to keep them"
        };
        eprintln!("  rejected            {rejected} ({}){hint}", by.join(", "));
    } else {
        eprintln!("  rejected            0");
    }
    eprintln!(
        "  alerts written      {} ({} suppressed, {} shadow)",
        s.alerts, s.suppressed, s.shadow_alerts
    );
    if s.transitions > 0 || engine.live_instances() > 0 {
        eprintln!(
            "  transitions         {} ({} workflow instances open)",
            s.transitions,
            engine.live_instances()
        );
    }
    eprintln!("  deadlines pending   {}", engine.pending_deadlines());
    if s.key_absent > 0 {
        eprintln!("  skipped, no key     {}", s.key_absent);
    }
    if !s.eval_errors.is_empty() {
        let by: Vec<String> = s
            .eval_errors
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        eprintln!("  conditions false by error  {}", by.join(", "));
    }
    if s.overflows > 0 {
        eprintln!("  dropped at key cap  {}", s.overflows);
    }
    match engine.jit_report() {
        Ok((compiled, total, time)) => eprintln!(
            "  engine              jit: {compiled} of {total} conditions compiled in {:.1} ms",
            time.as_secs_f64() * 1000.0
        ),
        Err(why) => eprintln!("  engine              interpreter ({why})"),
    }
    eprintln!("  time                {seconds:.2} s, {rate:.0} events/s");
}
