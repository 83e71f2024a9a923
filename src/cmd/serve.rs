//! `vigil serve`: a rule set run live on NATS JetStream (SPEC §9; issue 22, phase 0). Input
//! lines come from the stream `NAME_IN` (subject `name.in`, one or more JSON lines per
//! message); every record goes to `name.records`, each unit's copy to `name.unit.<unit>`, and
//! rejects to `name.rejects`, before the input position is committed. Killed at any point and
//! started again — here or on another machine — it goes on from its last checkpoint and
//! publishes every record once; the server it replaced stops at its next checkpoint. A `$tick`
//! with the wall-clock time is published into the input every `--tick`, so deadlines fire on a
//! quiet feed, and a replay of the stream gives the same records.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{error, info, warn};
use vigil_ir::Program;
use vigil_runtime::EngineConfig;
use vigil_server::access::{self, Access};
use vigil_server::http;
use vigil_server::jetstream::{Feed, Lease, Nats};
use vigil_server::logging;
use vigil_server::metrics::Metrics;
use vigil_server::stop::Stop;
use vigil_server::{Error, Worker};

mod split;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    rules: RuleSet,
    /// The NATS server, with JetStream enabled.
    #[arg(long, value_name = "URL", default_value = "nats://127.0.0.1:4222")]
    nats: String,
    /// The deployment's name: streams NAME_IN and NAME_OUT, subjects name.in, name.records,
    /// name.unit.<unit>, name.rejects, checkpoints in NAME_CKPT and NAME_SNAP.
    #[arg(long, value_name = "NAME", default_value = "vigil")]
    stream: String,
    /// Publish a `$tick` with the wall-clock time into the input this often (`0s`: never).
    #[arg(long, value_name = "D", default_value = "1s")]
    tick: String,
    /// How long to wait for out-of-order events, as for `vigil run`.
    #[arg(long, value_name = "D", default_value = "0s")]
    lateness: String,
    /// Reject an event stamped more than this after the latest `$tick` before it in the
    /// stream (`future`): the check reads the recorded tick, so `vigil run --max-skew` over
    /// the stored stream decides the same.
    #[arg(long, value_name = "D", default_value = "1m")]
    max_skew: String,
    /// Write a checkpoint after this many input messages, or after `--checkpoint-interval`
    /// with any, whichever comes first: a restarted server replays the input since.
    #[arg(long, value_name = "N", default_value = "1000")]
    checkpoint_every: u64,
    /// Write a checkpoint at least this often while input arrives (`0s`: after
    /// `--checkpoint-every` messages only).
    #[arg(long, value_name = "D", default_value = "1s")]
    checkpoint_interval: String,
    /// The lease's time to live: one server of the deployment is active and renews it; a
    /// standby takes over this long after the active one stopped.
    #[arg(long, value_name = "D", default_value = "10s")]
    lease: String,
    /// How the log on standard error is written: `text`, or `json` (one object per line).
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Split the run over this many key groups, with any number of servers sharing the
    /// router and the groups (each server started with the same N and rule set). Records go
    /// to name.records.<group>, units' copies to name.unit.<unit>.<group>. Every server of a
    /// deployment must be started with the same N: another N is another placement of the
    /// keys, and needs a deployment of its own (--stream).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    groups: Option<u32>,
    /// Serve HTTP here: `POST /events` (JSON lines into the input stream) and `POST /reload`
    /// (a bundle, as `vigil serve reload`), both needing `Authorization: Bearer
    /// $VIGIL_HTTP_TOKEN`; `GET /metrics` (Prometheus), `GET /health`.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
}

/// The rule set a command runs: sources or a bundle.
#[derive(clap::Args)]
struct RuleSet {
    /// Rule set: .vigil files and directories (searched recursively).
    #[arg(required_unless_present = "bundle")]
    paths: Vec<PathBuf>,
    /// A bundle (`vigil build`) instead of sources.
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    bundle: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Write the NATS server's users and permissions for a rule set's deployment: the
    /// server's, the feeds' (publish input only) and one per unit (its own copies only).
    /// Include the file from nats-server's configuration. Run again after the rule set
    /// changed: users already in --out keep their passwords.
    NatsConfig(NatsConfigArgs),
    /// Publish JSON lines from files into a deployment's input, in order, several lines per
    /// message: a feed from a file, a replay, a test. Needs only a feed's user.
    Publish(PublishArgs),
    /// Switch a running deployment to another rule set without a restart: its bundle is
    /// stored beside the checkpoints and a `$reload` line naming it is published into the
    /// input, so that the active server, a standby that takes over and a replay (`vigil run
    /// --rulesets DIR`) all switch at the same line. State of unchanged rules and every
    /// workflow instance is carried over (SPEC §5). A rule set with errors is refused here,
    /// and one that cannot take the state over is refused by the server (a `reload` reject):
    /// either way the old rules go on. Needs the server's user.
    Reload(ReloadArgs),
}

#[derive(clap::Args)]
struct ReloadArgs {
    #[command(flatten)]
    rules: RuleSet,
    /// The NATS server; a user and password in the URL log in (`$VIGIL_NATS_PASSWORD`, when
    /// set, is the password).
    #[arg(long, value_name = "URL", default_value = "nats://127.0.0.1:4222")]
    nats: String,
    /// The deployment's name, as `--stream` of `vigil serve`.
    #[arg(long, value_name = "NAME", default_value = "vigil")]
    stream: String,
}

#[derive(clap::Args)]
struct PublishArgs {
    /// JSON Lines files (`-`: standard input), published one after the other.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The NATS server; a user and password in the URL log in (`$VIGIL_NATS_PASSWORD`, when
    /// set, is the password).
    #[arg(long, value_name = "URL", default_value = "nats://127.0.0.1:4222")]
    nats: String,
    /// The deployment's name, as `--stream` of `vigil serve`.
    #[arg(long, value_name = "NAME", default_value = "vigil")]
    stream: String,
    /// Lines per message.
    #[arg(long, value_name = "N", default_value = "100")]
    batch: usize,
}

#[derive(clap::Args)]
struct NatsConfigArgs {
    #[command(flatten)]
    rules: RuleSet,
    /// The deployment's name, as `--stream` of `vigil serve`.
    #[arg(long, value_name = "NAME", default_value = "vigil")]
    stream: String,
    /// Write the configuration here (and keep the passwords it holds) instead of to stdout.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    match args.command {
        Some(Command::NatsConfig(args)) => return nats_config(args),
        Some(Command::Publish(args)) => return publish(args),
        Some(Command::Reload(args)) => return reload(args),
        None => {}
    }
    let duration = |flag: &str, text: &str| {
        vigil_ir::time::parse_duration_literal(text)
            .map_err(|e| super::fail(format!("--{flag} {text}: {e}")))
    };
    let (lateness, tick, lease_ttl) = match (
        duration("lateness", &args.lateness),
        duration("tick", &args.tick),
        duration("lease", &args.lease),
    ) {
        (Ok(l), Ok(t), Ok(ttl)) if ttl > 0 => (l, t, Duration::from_millis(ttl.unsigned_abs())),
        (Ok(_), Ok(_), Ok(_)) => return super::fail("--lease must be longer than zero"),
        (Err(code), _, _) | (_, Err(code), _) | (_, _, Err(code)) => return code,
    };
    let (max_skew, checkpoint_interval) = match (
        duration("max-skew", &args.max_skew),
        duration("checkpoint-interval", &args.checkpoint_interval),
    ) {
        (Ok(s), Ok(c)) => (s, Duration::from_millis(c.unsigned_abs())),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    logging::init(match args.log_format.as_str() {
        "json" => logging::Format::Json,
        _ => logging::Format::Text,
    });
    let program = match load(&args.rules) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let fingerprint = program.fingerprint.clone();
    let shown = without_password(&args.nats);
    let nats = match Nats::connect(&args.nats, &args.stream) {
        Ok(n) => n,
        Err(e) => return super::fail(format!("{shown}: {e}")),
    };
    let metrics = Arc::new(Metrics::default());
    if let Some(addr) = &args.listen {
        let token = std::env::var("VIGIL_HTTP_TOKEN").ok();
        match http::start(addr, &args.nats, &args.stream, token, metrics.clone()) {
            Ok(local) => {
                info!(%local, "HTTP on http://{local}: POST /events, POST /reload, GET /metrics, GET /health")
            }
            Err(e) => return super::fail(e),
        }
    }
    let holder = format!("{}:{}", hostname(), std::process::id());
    if let Some(groups) = args.groups {
        let stop = match Stop::on_signals() {
            Ok(s) => s,
            Err(e) => return super::fail(format!("cannot watch for signals: {e}")),
        };
        let split = split::Split {
            partition: Arc::new(vigil_runtime::partition::Partition::new(program, groups)),
            config: EngineConfig {
                lateness,
                max_skew: Some(max_skew),
                ..EngineConfig::default()
            },
            url: args.nats.clone(),
            stream: args.stream.clone(),
            checkpoint_every: args.checkpoint_every,
            checkpoint_interval,
            lease_ttl,
            tick: (tick > 0).then(|| Duration::from_millis(tick.unsigned_abs())),
            metrics,
            holder,
        };
        return split::serve(split, &nats, &stop);
    }
    if let Err(e) = nats.join(None) {
        return super::fail(e);
    }
    info!(%holder, deployment = %args.stream, "waiting for the lease of `{}`", args.stream);
    let lease = match nats.acquire(&holder, lease_ttl) {
        Ok(l) => l,
        Err(e) => return super::fail(e),
    };
    metrics.active.set(1);
    // From now on SIGTERM and SIGINT stop after a checkpoint; a standby just ends.
    let stop = match Stop::on_signals() {
        Ok(s) => s,
        Err(e) => return super::fail(format!("cannot watch for signals: {e}")),
    };
    let renew_at = Instant::now() + lease_ttl / 3;
    let config = EngineConfig {
        lateness,
        max_skew: Some(max_skew),
        rulesets: Some(nats.rulesets()),
        ..EngineConfig::default()
    };
    let name = args.stream.to_lowercase();
    let tick = (tick > 0).then(|| Duration::from_millis(tick.unsigned_abs()));
    let mut live = Live {
        program,
        config,
        nats,
        metrics,
        checkpoint_every: args.checkpoint_every,
        checkpoint_interval,
        lease,
        lease_ttl,
        renew_at,
        tick,
        next_tick: tick.map(|t| Instant::now() + t),
        stop,
    };
    loop {
        let e = match live.serve(|position, upgraded_from, reloaded| {
            if let Some(kept) = reloaded {
                warn!(
                    ruleset = %kept,
                    given = %fingerprint,
                    "going on with rule set {kept}, which a reload brought in, rather than the \
                     {fingerprint} given: deploy another with `vigil serve reload`"
                );
            }
            if let Some(old) = upgraded_from {
                warn!(
                    from = old,
                    ruleset = %fingerprint,
                    "the rule set changed: going on from the checkpoint of {old} with \
                     {fingerprint} (SPEC §5, as `vigil run --state`)"
                );
            }
            info!(
                ruleset = %fingerprint,
                position,
                "serving rule set {fingerprint} on {shown}: input {name}.in from message {}, \
                 records to {name}.records, units' copies to {name}.unit.<unit>, rejects to \
                 {name}.rejects",
                position + 1
            );
        }) {
            Ok(position) => {
                info!(
                    position,
                    "stopped after a checkpoint at input message {position}"
                );
                if let Err(e) = live.lease.release() {
                    warn!(error = %e, "the lease stays until it expires: {e}");
                }
                return ExitCode::SUCCESS;
            }
            Err(e) => e,
        };
        match e {
            Error::Fenced(why) => {
                error!(reason = %why, "stopping: another server took over: {why}");
                return ExitCode::from(3);
            }
            Error::State(why) => return super::fail(why),
            // NATS went away or failed a request: what the worker did since its last
            // checkpoint may be half published, so it starts again from there (publishing
            // nothing twice) once NATS answers.
            Error::Transport(why) if live.stop.requested() => {
                return super::fail(format!("stopping without a checkpoint: {why}"));
            }
            Error::Transport(why) => {
                warn!(error = %why, "{why}; going on from the last checkpoint in 1 s");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// The active server's work: everything the serving loop keeps from one start of the worker
/// to the next.
struct Live {
    program: Arc<Program>,
    config: EngineConfig,
    nats: Nats,
    metrics: Arc<Metrics>,
    checkpoint_every: u64,
    checkpoint_interval: Duration,
    lease: Lease,
    lease_ttl: Duration,
    renew_at: Instant,
    tick: Option<Duration>,
    next_tick: Option<Instant>,
    stop: Stop,
}

impl Live {
    /// Starts the worker from the last checkpoint (`started` is told where it goes on from,
    /// and the checkpoint's rule set if it was another) and runs it until something fails or
    /// a stop is asked for: then it checkpoints and returns the input position.
    fn serve(
        &mut self,
        started: impl FnOnce(u64, Option<&str>, Option<&str>),
    ) -> Result<u64, Error> {
        let nats = &self.nats;
        let mut worker = Worker::start(
            self.program.clone(),
            self.config.clone(),
            nats.clone(),
            nats.clone(),
            nats.clone(),
            self.checkpoint_every,
        )?
        .with_checkpoint_interval(self.checkpoint_interval)
        .with_metrics(self.metrics.clone());
        started(
            worker.position(),
            worker.upgraded_from(),
            worker.kept_reloaded(),
        );
        let mut running = worker.engine().program().fingerprint.clone();
        nats.unit_consumers(
            worker
                .engine()
                .program()
                .units
                .iter()
                .map(|u| u.name.as_str()),
        )?;
        let mut gauges_at = Instant::now();
        loop {
            if self.stop.requested() {
                worker.checkpoint()?;
                return Ok(worker.position());
            }
            // An empty read waited a little for input already.
            worker.poll(256)?;
            let program = worker.engine().program();
            if program.fingerprint != running {
                info!(
                    from = %running,
                    ruleset = %program.fingerprint,
                    position = worker.position(),
                    "reloaded: rule set {} from input message {}",
                    program.fingerprint,
                    worker.position()
                );
                running = program.fingerprint.clone();
                // A unit the new rule set brought in gets its consumer.
                nats.unit_consumers(program.units.iter().map(|u| u.name.as_str()))?;
            }
            if Instant::now() >= self.renew_at {
                self.lease.renew()?;
                self.renew_at = Instant::now() + self.lease_ttl / 3;
            }
            if Instant::now() >= gauges_at {
                set_gauges(&self.metrics, &worker, nats);
                gauges_at = Instant::now() + Duration::from_secs(1);
            }
            if let (Some(at), Some(every)) = (self.next_tick, self.tick)
                && Instant::now() >= at
            {
                let now = jiff::Timestamp::now();
                let line = format!("{{\"type\":\"$tick\",\"time\":\"{now}\"}}");
                nats.publish_input(line.into_bytes())?;
                // After a pause (NATS away), one tick now rather than one per period missed.
                self.next_tick = Some((at + every).max(Instant::now()));
            }
        }
    }
}

/// The metrics the loop keeps current: the worker counts the rest as it goes.
fn set_gauges(metrics: &Metrics, worker: &Worker<Nats, Nats, Nats>, nats: &Nats) {
    let engine = worker.engine();
    let watermark = engine.watermark();
    if watermark != i64::MIN {
        let now = jiff::Timestamp::now().as_millisecond();
        metrics
            .watermark_lag
            .set(now.saturating_sub(watermark) as f64 / 1000.0);
    }
    metrics
        .instances
        .set(i64::try_from(engine.live_instances()).unwrap_or(i64::MAX));
    // The stream's last position is a request to the server: once a second is enough.
    if let Ok(last) = nats.input_last() {
        let lag = last.saturating_sub(worker.position());
        metrics
            .consumer_lag
            .set(i64::try_from(lag).unwrap_or(i64::MAX));
    }
}

/// The rule set of `--bundle`, or compiled from the paths.
fn load(rules: &RuleSet) -> Result<Arc<Program>, ExitCode> {
    let Some(path) = &rules.bundle else {
        return super::compile(&rules.paths);
    };
    let bytes = std::fs::read(path)
        .map_err(|e| super::fail(format!("cannot read `{}`: {e}", path.display())))?;
    vigil_ir::bundle::decode(&bytes)
        .map(Arc::new)
        .map_err(|e| super::fail(format!("`{}`: {e}", path.display())))
}

/// `vigil serve reload`: the bundle stored first, then the line that names it, so that no
/// server ever reads a `$reload` whose rule set is not there yet.
fn reload(args: ReloadArgs) -> ExitCode {
    let program = match load(&args.rules) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let shown = without_password(&args.nats);
    let nats = match Nats::connect(&args.nats, &args.stream) {
        Ok(n) => n,
        Err(e) => return super::fail(format!("{shown}: {e}")),
    };
    if let Err(e) = nats.store_ruleset(&program) {
        return super::fail(format!("{shown}: {e}"));
    }
    let fingerprint = &program.fingerprint;
    match nats.publish_input(vigil_runtime::reload_line(fingerprint).into_bytes()) {
        Ok(seq) => {
            eprintln!(
                "rule set {fingerprint} stored; the reload is input message {seq} of {}.in",
                args.stream.to_lowercase()
            );
            ExitCode::SUCCESS
        }
        Err(e) => super::fail(format!("{shown}: {e}")),
    }
}

/// `vigil serve nats-config`: the users and permissions of a deployment, with the passwords
/// of the users the file at `--out` already has, fresh random ones for the others.
fn nats_config(args: NatsConfigArgs) -> ExitCode {
    let program = match load(&args.rules) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let before = match &args.out {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => access::passwords(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return super::fail(format!("cannot read `{}`: {e}", path.display())),
        },
        None => Vec::new(),
    };
    let mut failed = None;
    let access = Access::new(&program, &args.stream, |user| {
        if let Some(c) = before.iter().find(|c| c.user == user) {
            return c.password.clone();
        }
        match random_password() {
            Ok(p) => p,
            Err(e) => {
                failed = Some(e);
                String::new()
            }
        }
    });
    if let Some(e) = failed {
        return super::fail(format!("no random password: {e}"));
    }
    let text = access.nats_config(&program.fingerprint);
    match &args.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                return super::fail(format!("cannot write `{}`: {e}", path.display()));
            }
            eprintln!(
                "wrote {} users to `{}`: {}, {}, and one per unit ({}.unit.<unit>); clients \
                 that receive replies connect with the inbox prefix _INBOX.<user>",
                access.units.len() + 2,
                path.display(),
                access.server.user,
                access.feed.user,
                args.stream.to_lowercase(),
            );
        }
        None => print!("{text}"),
    }
    ExitCode::SUCCESS
}

/// `vigil serve publish`: the files' lines, `--batch` to a message, each file's last line
/// ending its last message (a message never spans two files).
fn publish(args: PublishArgs) -> ExitCode {
    use std::io::{BufRead, IsTerminal};
    let feed = match Feed::connect(&args.nats, &args.stream) {
        Ok(f) => f,
        Err(e) => return super::fail(format!("{}: {e}", without_password(&args.nats))),
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} messages stored {per_sec}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let (mut lines, mut messages) = (0u64, 0u64);
    for path in &args.files {
        let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            match std::fs::File::open(path) {
                Ok(f) => Box::new(std::io::BufReader::new(f)),
                Err(e) => return super::fail(format!("cannot read `{}`: {e}", path.display())),
            }
        };
        let mut failed = None;
        let mut batches = Batches {
            lines: reader.split(b'\n'),
            size: args.batch.max(1),
            failed: &mut failed,
            counted: &mut lines,
        };
        let stored = feed.publish(&mut batches, || {
            messages += 1;
            if let Some(bar) = &bar {
                bar.inc(1);
            }
        });
        if let Some(e) = failed {
            return super::fail(format!("cannot read `{}`: {e}", path.display()));
        }
        if let Err(e) = stored {
            return super::fail(format!(
                "{}: {e} (the lines before are stored: {lines} lines read)",
                without_password(&args.nats)
            ));
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    eprintln!(
        "{lines} lines in {messages} messages stored in {}.in",
        args.stream.to_lowercase()
    );
    ExitCode::SUCCESS
}

/// A reader's lines joined `size` to a message; a read error ends them and is kept.
struct Batches<'a, R> {
    lines: std::io::Split<R>,
    size: usize,
    failed: &'a mut Option<std::io::Error>,
    counted: &'a mut u64,
}

impl<R: std::io::BufRead> Iterator for Batches<'_, R> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let mut message = Vec::new();
        for n in 0..self.size {
            match self.lines.next() {
                // Every line ends with a newline, an empty last one too: the server reads a
                // message's final newline as the end of its last line.
                Some(Ok(line)) => {
                    message.extend_from_slice(&line);
                    message.push(b'\n');
                    *self.counted += 1;
                }
                Some(Err(e)) => {
                    *self.failed = Some(e);
                    return None;
                }
                None if n == 0 => return None,
                None => break,
            }
        }
        Some(message)
    }
}

/// 128 random bits from the operating system, in hex.
fn random_password() -> Result<String, String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| e.to_string())?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `url` with its password, if any, left out: for messages.
fn without_password(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| {
        let (userinfo, host) = rest.split_once('@')?;
        let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
        Some(format!("{scheme}://{user}@{host}"))
    }) {
        Some(shown) => shown,
        None => url.to_string(),
    }
}

/// This machine's name, to say in the lease who holds it.
fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "vigil".to_string())
}
