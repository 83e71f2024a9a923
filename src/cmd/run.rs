//! `vigil run`: a rule set over a stream of JSON Lines events, optionally durable.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use vigil_runtime::pipeline::Decoding;
use vigil_runtime::store::{Durable, InputPrint, OutputFile};
use vigil_runtime::{Engine, EngineConfig, EngineKind, Pushed, Record};

#[derive(clap::Args)]
pub struct Args {
    /// Rule set: .vigil files and directories (searched recursively).
    #[arg(required_unless_present = "bundle", conflicts_with = "bundle")]
    paths: Vec<PathBuf>,
    /// Run a compiled rule set (`vigil build`) instead of sources.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
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
    /// At the end, write one self-contained HTML page (no network needed) here: alerts per
    /// rule over time, alerts per rule and unit, rejected lines by reason, open workflow
    /// instances by state.
    #[arg(long, value_name = "FILE.html", conflicts_with = "state")]
    report: Option<PathBuf>,
    /// How long to wait for out-of-order events, such as `5s` (default: none).
    #[arg(long, default_value = "0s")]
    lateness: String,
    /// Reject an event stamped more than this after the latest `$tick` before it (`future`),
    /// as `vigil serve --max-skew` did when it took the stream in (default: no check).
    #[arg(long, value_name = "D")]
    max_skew: Option<String>,
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
    /// Make the run durable: checkpoints go to DIR; killed and started again with the same
    /// command, the run resumes and its outputs end as if it had never stopped. Started again
    /// after lines were appended to the events file, it goes on over them. Needs
    /// `--events FILE` and `--out FILE`.
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// With `--state`: commit a checkpoint every N input lines.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    checkpoint_every: u64,
    /// Reject a line longer than N bytes as `too_long`, without keeping it (memory stays
    /// bounded whatever the input).
    #[arg(long, default_value_t = vigil_runtime::DEFAULT_MAX_LINE, value_name = "N")]
    max_line_bytes: usize,
    /// Read and decode the input on the thread that runs the rules. By default, when the
    /// machine has more than one core, another thread reads and decodes the next lines
    /// meanwhile; the records are the same either way.
    #[arg(long)]
    single_thread: bool,
    /// Where `$reload` lines (`vigil serve reload`) find the rule set they name: a directory
    /// of bundles (`vigil build -o DIR/NAME.bundle`), to replay a live server's input with
    /// its reloads. Without it those lines are rejected (`reload`) and the rules go on.
    #[arg(long, value_name = "DIR")]
    rulesets: Option<PathBuf>,
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

/// Where records go.
struct Sinks<'d> {
    out: Box<dyn Write>,
    /// The same file as `out` when it is a file (for durable runs).
    out_file: Option<OutputFile>,
    rejects: Option<OutputFile>,
    delivery: Option<Delivery<'d>>,
    /// What `--report` draws, gathered as records are written.
    tally: Option<super::report::Tally>,
    live: bool,
    /// One record's JSON, reused from record to record.
    line: String,
    /// The records of one event, the buffer reused from event to event.
    records: Vec<Record>,
}

impl Sinks<'_> {
    fn write_records(&mut self, engine: &mut Engine) -> std::io::Result<()> {
        let mut records = std::mem::take(&mut self.records);
        engine.swap_records(&mut records);
        let written = self.write_each(engine, &records);
        self.records = records;
        written
    }

    fn write_each(&mut self, engine: &Engine, records: &[Record]) -> std::io::Result<()> {
        for r in records {
            self.line.clear();
            engine.write_json(r, &mut self.line);
            self.line.push('\n');
            match self.out_file.as_mut() {
                Some(o) => o.write_all(self.line.as_bytes())?,
                None => self.out.write_all(self.line.as_bytes())?,
            }
        }
        if let Some(t) = self.tally.as_mut() {
            records.iter().for_each(|r| t.add(r));
        }
        if let Some(d) = self.delivery.as_mut() {
            for r in records {
                if let Record::Alert(a) = r
                    && !a.shadow
                {
                    d.write(engine, a)?;
                }
            }
        }
        if self.live {
            self.out.flush()?;
        }
        Ok(())
    }

    /// Writes rejected line `n` to `--rejects`, or shows it on standard error while fewer than
    /// `SHOWN_REJECTS` lines (`so_far`, this one included) have been rejected.
    fn reject(
        &mut self,
        n: u64,
        r: &vigil_runtime::Reject,
        text: &[u8],
        so_far: u64,
    ) -> std::io::Result<()> {
        let Some(w) = self.rejects.as_mut() else {
            if so_far <= SHOWN_REJECTS {
                eprintln!("rejected line {n}: {r}");
            }
            return Ok(());
        };
        let mut o = r.json(n, text);
        o.push('\n');
        w.write_all(o.as_bytes())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        if let Some(o) = self.out_file.as_mut() {
            o.flush()?;
        }
        if let Some(r) = self.rejects.as_mut() {
            r.flush()?;
        }
        if let Some(d) = self.delivery.as_mut() {
            d.files.values_mut().try_for_each(OutputFile::flush)?;
        }
        Ok(())
    }

    /// Every output file forced to disk, with its length.
    fn sync_all(&mut self) -> std::io::Result<Vec<(String, u64)>> {
        let delivered = self.delivery.iter_mut().flat_map(|d| d.files.values_mut());
        self.out_file
            .iter_mut()
            .chain(self.rejects.iter_mut())
            .chain(delivered)
            .map(OutputFile::sync)
            .collect()
    }
}

pub fn run(args: Args) -> ExitCode {
    let lateness = match vigil_ir::time::parse_duration_literal(&args.lateness) {
        Ok(ms) => ms,
        Err(e) => return super::fail(format!("--lateness {}: {e}", args.lateness)),
    };
    let until = match args.until.as_deref() {
        None => None,
        Some("end") => Some(i64::MAX),
        Some(t) => match vigil_ir::time::parse_time(t) {
            Ok(ms) => Some(ms),
            Err(e) => return super::fail(format!("--until {t}: {e}")),
        },
    };
    if args.state.is_some() && (args.events == "-" || args.out.is_none()) {
        return super::fail(
            "--state needs --events FILE and --out FILE: a resumed run rereads its input and rewrites its output from the last checkpoint",
        );
    }
    let compiling = Instant::now();
    let mut engine = match engine(&args, lateness) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let start_up = compiling.elapsed();

    // A durable run resumes from its last checkpoint.
    let durable = match args.state.as_deref().map(Durable::open).transpose() {
        Ok(d) => d,
        Err(e) => return super::fail(e),
    };
    // A checkpoint taken after a `$reload` goes on with the rule set the reload brought in,
    // when `--rulesets` has it: the input decides which rules run, as for `vigil serve`.
    if let Some(saved) = durable.as_ref().and_then(Durable::ruleset)
        && let Some(rulesets) = &engine.config().rulesets
    {
        match rulesets.reloaded(&saved, engine.program()) {
            Ok(Some(program)) => engine = Engine::new(program, engine.config().clone()),
            Ok(None) => {}
            Err(e) => return super::fail(e),
        }
    }
    if let Some(d) = &durable
        && let Err(e) = d.restore(&mut engine)
    {
        return super::fail(format!("{e}; remove the --state directory to start over"));
    }
    // The input must be the one the state was built from, or that input grown.
    if let Some(d) = &durable
        && let Err(e) = d.verify_input(Path::new(&args.events))
    {
        return super::fail(e);
    }
    // A resumed run writes again what it wrote after the checkpoint; orphan records from a
    // changed rule set come first.
    let offset = durable.as_ref().map_or(0, Durable::input_offset);
    let (input, total_bytes, start_offset) = match open_input(&args.events, offset) {
        Ok(i) => i,
        Err(e) => return super::fail(e),
    };
    let mut sinks = match Sinks::open(&args, durable.as_ref(), total_bytes.is_none()) {
        Ok(s) => s,
        Err(e) => return super::fail(e),
    };
    if let Err(e) = sinks.write_records(&mut engine) {
        return super::fail(format!("cannot write records: {e}"));
    }
    // A store written before 0.2 checkpointed after the end-of-input drain: nothing can follow.
    let already_finished = durable.as_ref().is_some_and(Durable::finished);
    if already_finished && total_bytes.is_some_and(|len| len > start_offset) {
        return super::fail(
            "the --state directory was saved by an earlier Vigil after its input ended, and \
             cannot take the lines added since; remove it to start over",
        );
    }
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
            bar.set_position(start_offset);
            bar
        });

    let checkpoint = |engine: &mut Engine, sinks: &mut Sinks, offset: u64| -> Result<(), String> {
        let Some(durable) = durable.as_ref() else {
            return Ok(());
        };
        sinks
            .write_records(engine)
            .map_err(|e| format!("cannot write records: {e}"))?;
        let outputs = sinks
            .sync_all()
            .map_err(|e| format!("cannot write records: {e}"))?;
        let print = InputPrint::of(Path::new(&args.events), offset)?;
        durable.commit(engine, offset, Some(print), outputs)
    };

    let started = Instant::now();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut input = Decoding::with_max_line(
        input,
        engine.decoder(),
        engine.lines() + 1,
        // After a reload the lines are decoded with the new rule set's decoder, so they
        // cannot be decoded ahead.
        cores > 1 && !args.single_thread && args.rulesets.is_none() && !already_finished,
        args.max_line_bytes,
    );
    let mut offset = start_offset;
    let mut io_error = None;
    let mut since_checkpoint = 0u64;
    loop {
        if already_finished {
            break;
        }
        let line = match input.next_line() {
            Ok(None) => break,
            Ok(Some(line)) => {
                offset += line.len as u64;
                line
            }
            Err(e) => {
                io_error = Some(e);
                break;
            }
        };
        let pushed = engine.push_decoded(line.decoded);
        if let Pushed::Unavailable(why) = pushed {
            return super::fail(format!("line {}: {why}", engine.lines()));
        }
        if let Pushed::Reloaded(_) = pushed
            && !input.replace_decoder(engine.decoder())
        {
            return super::fail("a reload while the input was decoded ahead");
        }
        if let Pushed::Rejected(r) = pushed {
            let text = line.rejected_text.as_deref().unwrap_or_default();
            let n = engine.lines();
            if let Err(e) = sinks.reject(n, &r, text, engine.stats().rejected_total()) {
                return super::fail(format!("cannot write rejects: {e}"));
            }
            if args.strict {
                let _ = sinks.write_records(&mut engine);
                let _ = sinks.flush();
                eprintln!("error: line {n} rejected and --strict given");
                return ExitCode::from(2);
            }
        }
        if let Err(e) = sinks.write_records(&mut engine) {
            return super::fail(format!("cannot write records: {e}"));
        }
        since_checkpoint += 1;
        if since_checkpoint >= args.checkpoint_every {
            since_checkpoint = 0;
            if let Err(e) = checkpoint(&mut engine, &mut sinks, offset) {
                return super::fail(e);
            }
        }
        if let Some(bar) = &progress
            && engine.lines().is_multiple_of(4096)
        {
            bar.set_position(offset);
        }
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if !already_finished {
        // The last checkpoint comes before the end-of-input drain: started again over a
        // longer input, the run goes on from here, and its outputs are cut back to here.
        if let Err(e) = checkpoint(&mut engine, &mut sinks, offset) {
            return super::fail(e);
        }
        engine.finish();
        if let Some(t) = until {
            engine.advance_to(t);
        }
    }
    let result = sinks
        .write_records(&mut engine)
        .and_then(|()| sinks.flush())
        .map_err(|e| format!("cannot write records: {e}"));
    if let Err(e) = result {
        return super::fail(e);
    }
    let start_up = StartUp {
        took: start_up,
        what: if args.bundle.is_some() {
            "to load and JIT the bundle"
        } else {
            "to check, compile and JIT the rule set"
        },
    };
    summary(
        &engine,
        start_up,
        started.elapsed().as_secs_f64(),
        args.rejects.is_some(),
    );
    if let (Some(path), Some(tally)) = (&args.report, &sinks.tally)
        && let Err(e) = super::report::write(path, tally, &engine, &args.events)
    {
        return super::fail(e);
    }
    // The process ends here: freeing every window group and partial match one by one would
    // only delay the exit (5% of a W2 run); the operating system takes the memory back at once.
    std::mem::forget(engine);
    if let Some(e) = io_error {
        return super::fail(format!("reading events stopped: {e}"));
    }
    ExitCode::SUCCESS
}

/// The engine for the rule set or bundle the arguments name; the compiler's diagnostics or
/// the error are printed on the way out.
fn engine(args: &Args, lateness: i64) -> Result<Engine, ExitCode> {
    let max_skew = match &args.max_skew {
        None => None,
        Some(text) => Some(
            vigil_ir::time::parse_duration_literal(text)
                .map_err(|e| super::fail(format!("--max-skew {text}: {e}")))?,
        ),
    };
    let rulesets = match &args.rulesets {
        None => None,
        Some(dir) => Some(
            vigil_runtime::Rulesets::from_dir(dir)
                .map_err(|e| super::fail(format!("--rulesets: {e}")))?,
        ),
    };
    let config = EngineConfig {
        rulesets,
        max_skew,
        lateness,
        max_keys_per_rule: args.max_keys,
        engine: match args.engine {
            EngineChoice::Jit => EngineKind::Jit,
            EngineChoice::Interp => EngineKind::Interp,
        },
    };
    let Some(path) = &args.bundle else {
        return super::compile(&args.paths).map(|program| Engine::new(program, config));
    };
    let bytes = std::fs::read(path)
        .map_err(|e| super::fail(format!("cannot read `{}`: {e}", path.display())))?;
    Engine::from_bundle(&bytes, config)
        .map_err(|e| super::fail(format!("`{}`: {e}", path.display())))
}

/// The input (standard input for `-`) from byte `offset` on, its length when it is a file, and
/// the offset it starts at.
type Input = (Box<dyn Read + Send>, Option<u64>, u64);

fn open_input(events: &str, offset: u64) -> Result<Input, String> {
    if events == "-" {
        return Ok((Box::new(std::io::stdin()), None, 0));
    }
    let cannot = |e: std::io::Error| format!("cannot read `{events}`: {e}");
    let mut f = File::open(events).map_err(cannot)?;
    let len = f.metadata().ok().map(|m| m.len());
    f.seek(SeekFrom::Start(offset)).map_err(cannot)?;
    Ok((Box::new(f), len, offset))
}

impl<'d> Sinks<'d> {
    /// The outputs the arguments name, cut back to their committed lengths when resuming.
    fn open(args: &Args, durable: Option<&'d Durable>, live: bool) -> Result<Sinks<'d>, String> {
        let kept = |path: &Path| durable.and_then(|d| d.committed_len(path));
        let open = |p: &Path| {
            OutputFile::open(p, kept(p)).map_err(|e| format!("cannot write `{}`: {e}", p.display()))
        };
        let mut sinks = Sinks {
            out: Box::new(std::io::sink()),
            out_file: None,
            rejects: args.rejects.as_deref().map(open).transpose()?,
            delivery: args
                .deliver
                .as_deref()
                .map(|dir| Delivery::new(dir, durable))
                .transpose()?,
            tally: args
                .report
                .as_ref()
                .map(|_| super::report::Tally::default()),
            live,
            line: String::new(),
            records: Vec::new(),
        };
        match &args.out {
            Some(p) => sinks.out_file = Some(open(p)?),
            None => sinks.out = Box::new(BufWriter::new(std::io::stdout().lock())),
        }
        Ok(sinks)
    }
}

/// The per-unit feeds of `--deliver`.
struct Delivery<'d> {
    dir: PathBuf,
    files: BTreeMap<std::sync::Arc<str>, OutputFile>,
    /// The run's checkpoints, which know the feeds' committed lengths when resuming.
    durable: Option<&'d Durable>,
}

impl<'d> Delivery<'d> {
    fn new(dir: &Path, durable: Option<&'d Durable>) -> Result<Delivery<'d>, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        Ok(Delivery {
            dir: dir.to_path_buf(),
            files: BTreeMap::new(),
            durable,
        })
    }

    fn write(
        &mut self,
        engine: &Engine,
        alert: &vigil_runtime::AlertRecord,
    ) -> std::io::Result<()> {
        for unit in &alert.to {
            // Written with the rule set that raised it (a reload may have changed the units).
            let Some(mut line) = engine.to_json_for_unit(alert, unit) else {
                continue;
            };
            line.push('\n');
            let file = match self.files.entry(unit.clone()) {
                std::collections::btree_map::Entry::Occupied(f) => f.into_mut(),
                std::collections::btree_map::Entry::Vacant(slot) => {
                    let path = self.dir.join(format!("{unit}.jsonl"));
                    let keep = self.durable.and_then(|d| d.committed_len(&path));
                    slot.insert(OutputFile::open(&path, keep)?)
                }
            };
            file.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// The time from reading the rule set (or bundle) to an engine ready for the first event.
struct StartUp {
    took: Duration,
    what: &'static str,
}

/// `seconds` is the time from the end of start-up to the end of the input.
fn summary(engine: &Engine, start_up: StartUp, seconds: f64, rejects_written: bool) {
    let s = engine.stats();
    let lines = engine.lines();
    let rate = if seconds > 0.0 {
        lines as f64 / seconds
    } else {
        0.0
    };
    eprintln!("── summary ──");
    eprintln!("  lines read          {lines}");
    if s.ticks > 0 {
        eprintln!("  ticks               {}", s.ticks);
    }
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
    // SPEC §5: a second start event for a live key is ignored and counted.
    if s.duplicate_starts > 0 {
        eprintln!(
            "  starts ignored      {} (an instance was already open for the key)",
            s.duplicate_starts
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
        Ok((0, 0, _)) => eprintln!(
            "  engine              jit: no condition needs code; {} field tests",
            engine.field_tests()
        ),
        Ok((compiled, total, time)) => eprintln!(
            "  engine              jit: {compiled} of {total} conditions compiled in {:.1} ms; {} field tests need no code",
            time.as_secs_f64() * 1000.0,
            engine.field_tests()
        ),
        Err(why) => eprintln!("  engine              interpreter ({why})"),
    }
    eprintln!(
        "  start-up            {:.1} ms {}",
        start_up.took.as_secs_f64() * 1000.0,
        start_up.what
    );
    eprintln!("  time                {seconds:.2} s, {rate:.0} events/s");
    if let Some((n, first)) = vigil_ir::impossible::reported() {
        eprintln!(
            "  internal errors     {n}, the first: {first} (the run went on; please report it)"
        );
    }
}
