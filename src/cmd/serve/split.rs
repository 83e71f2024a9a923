//! `vigil serve --groups N`: a run split over key groups (issue 23; SCALEOUT.md §3). Its parts
//! are the router and one worker per target (the `N` key groups and the global group); every
//! server of the deployment works on some of them, each part under a lease of its own, so a
//! part runs on one server at a time. A server takes its fair share, `ceil(parts / servers)`,
//! where the servers are those whose membership lease is alive: a server that joins makes the
//! others give parts up (after a checkpoint), and the parts of one that died are taken over
//! once its leases expired. A part's records are published before its checkpoint, by
//! compare-and-set, so a part taken over publishes nothing twice; a server that finds a part
//! it was working on taken (it was stopped, say) exits with status 3, as a replaced `vigil
//! serve` does.

use std::process::ExitCode;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing::{error, info, warn};
use vigil_runtime::EngineConfig;
use vigil_runtime::partition::{Partition, Target};
use vigil_server::jetstream::{Lease, Nats, Role};
use vigil_server::metrics::Metrics;
use vigil_server::stop::Stop;
use vigil_server::{Error, RouterWorker, Worker};

/// What every part of a server needs.
pub(super) struct Split {
    pub partition: Arc<Partition>,
    pub config: EngineConfig,
    pub url: String,
    pub stream: String,
    pub checkpoint_every: u64,
    pub checkpoint_interval: Duration,
    pub lease_ttl: Duration,
    pub tick: Option<Duration>,
    pub metrics: Arc<Metrics>,
    /// `host:pid`, written into the leases this server holds.
    pub holder: String,
}

/// A part this server works on: its thread and how to ask it to stop.
struct Running {
    role: Role,
    quit: Stop,
    thread: JoinHandle<Result<(), Error>>,
}

/// Serves parts of the deployment until a signal (`stop`) or a part is lost.
pub(super) fn serve(split: Split, nats: &Nats, stop: &Stop) -> ExitCode {
    let split = Arc::new(split);
    let identity = split.partition.identity();
    if let Err(e) = nats.join(Some(&identity)) {
        return super::super::fail(e);
    }
    let ttl = split.lease_ttl;
    let member = format!("member-{}", key_safe(&split.holder));
    let mut membership: Option<Lease> = None;
    let parts: Vec<Role> = [Role::Router]
        .into_iter()
        .chain(Target::all(split.partition.groups()).map(Role::Group))
        .collect();
    // Servers started together try the parts in different orders.
    let offset = std::process::id() as usize % parts.len();
    let mut running: Vec<Running> = Vec::new();
    info!(
        holder = %split.holder,
        groups = split.partition.groups(),
        %identity,
        "joining deployment `{}` split over {} key groups: {} parts (the router, the groups, the \
         global group)",
        split.stream,
        split.partition.groups(),
        parts.len()
    );
    loop {
        if stop.requested() {
            return stop_all(
                running,
                membership,
                "stopped after a checkpoint of every part",
            );
        }
        // Membership: the count of live servers sets each one's share.
        let alive = match &mut membership {
            Some(lease) => lease.renew(),
            None => match nats.try_acquire(&member, &split.holder, ttl) {
                Ok(Some(lease)) => {
                    membership = Some(lease);
                    Ok(())
                }
                Ok(None) => Err(Error::Fenced("another process holds our membership".into())),
                Err(e) => Err(e),
            },
        };
        match alive {
            Ok(()) => {}
            Err(Error::Transport(why)) => {
                warn!(error = %why, "membership: {why}; trying again");
                std::thread::sleep(ttl / 4);
                continue;
            }
            Err(e) => return lost(running, &e),
        }
        // A part that ended: released on request, or lost.
        while let Some(i) = running.iter().position(|r| r.thread.is_finished()) {
            let done = running.remove(i);
            match done.thread.join() {
                Ok(Ok(())) => info!(part = %done.role.key(), "gave up {}", done.role.key()),
                Ok(Err(Error::State(why))) => {
                    error!(part = %done.role.key(), "{why}");
                    stop_all(running, membership, "stopped");
                    return super::super::fail(why);
                }
                Ok(Err(e)) => return lost(running, &e),
                Err(_) => return lost(running, &Error::State("a part's thread panicked".into())),
            }
        }
        // `vigil_active` counts the parts this server works on.
        split
            .metrics
            .active
            .set(i64::try_from(running.len()).unwrap_or(i64::MAX));
        let servers = nats.leases("member-", ttl).map_or(1, |m| m.len().max(1));
        let share = parts.len().div_ceil(servers);
        if running.len() > share {
            // A server joined: the parts taken last go first, after a checkpoint each.
            for r in running.iter().skip(share) {
                r.quit.ask();
            }
        } else {
            for role in parts.iter().cycle().skip(offset).take(parts.len()) {
                if running.len() >= share {
                    break;
                }
                if running.iter().any(|r| &r.role == role) {
                    continue;
                }
                match nats.try_acquire(&role.key(), &split.holder, ttl) {
                    Ok(Some(lease)) => running.push(start_part(&split, role.clone(), lease)),
                    Ok(None) => {}
                    Err(e) => warn!(error = %e, "the lease of {}: {e}", role.key()),
                }
            }
        }
        std::thread::sleep(ttl / 4);
    }
}

/// Asks every part to stop, waits for their checkpoints, and gives the membership up.
fn stop_all(running: Vec<Running>, membership: Option<Lease>, said: &str) -> ExitCode {
    for r in &running {
        r.quit.ask();
    }
    let mut ok = true;
    for r in running {
        match r.thread.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                warn!(part = %r.role.key(), error = %e, "{}: {e}", r.role.key());
                ok = false;
            }
            Err(_) => ok = false,
        }
    }
    if let Some(m) = membership {
        let _ = m.release();
    }
    info!("{said}");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A part was taken over (this server was stopped past its leases, say): every other part is
/// stopped and the server exits with status 3, as a replaced `vigil serve` does.
fn lost(running: Vec<Running>, e: &Error) -> ExitCode {
    error!(reason = %e, "stopping: another server took over: {e}");
    for r in &running {
        r.quit.ask();
    }
    for r in running {
        let _ = r.thread.join();
    }
    ExitCode::from(3)
}

fn start_part(split: &Arc<Split>, role: Role, lease: Lease) -> Running {
    let quit = Stop::default();
    let (s, r, q) = (split.clone(), role.clone(), quit.clone());
    let thread = std::thread::Builder::new()
        .name(format!("vigil-{}", role.key()))
        .spawn(move || run_part(&s, &r, lease, &q));
    let thread = match thread {
        Ok(t) => t,
        // No thread: the part is lost for this server, and the lease expires for another.
        Err(e) => std::thread::spawn(move || Err(Error::Transport(format!("no thread: {e}")))),
    };
    Running { role, quit, thread }
}

/// One part until `quit` (then a checkpoint, and the lease given up) or a failure other than
/// the transport's (NATS away: it goes on from its last checkpoint once NATS answers).
fn run_part(split: &Split, role: &Role, mut lease: Lease, quit: &Stop) -> Result<(), Error> {
    let mut renew_at = Instant::now() + split.lease_ttl / 3;
    loop {
        let result = work(split, role, &mut lease, &mut renew_at, quit);
        match result {
            Ok(()) => {
                if let Err(e) = lease.release() {
                    warn!(part = %role.key(), error = %e, "the lease stays until it expires: {e}");
                }
                return Ok(());
            }
            // NATS away: the lease is renewed once it answers (`work`), or found taken.
            Err(Error::Transport(why)) if !quit.requested() => {
                warn!(part = %role.key(), error = %why, "{why}; going on from the last checkpoint in 1 s");
                std::thread::sleep(Duration::from_secs(1));
                renew_at = Instant::now();
            }
            Err(e) => return Err(e),
        }
    }
}

/// A part's worker from its last checkpoint until `quit` (`Ok`, after a checkpoint) or an
/// error.
fn work(
    split: &Split,
    role: &Role,
    lease: &mut Lease,
    renew_at: &mut Instant,
    quit: &Stop,
) -> Result<(), Error> {
    let nats = Nats::connect_as(&split.url, &split.stream, role.clone())?;
    renew_if_due(lease, renew_at, split.lease_ttl)?;
    let mut part = match role {
        Role::Router => Part::Router(Box::new(
            RouterWorker::start(
                split.partition.clone(),
                (split.config.lateness, split.config.max_skew),
                nats.clone(),
                nats.clone(),
                nats.clone(),
                split.checkpoint_every,
            )?
            .with_checkpoint_interval(split.checkpoint_interval)
            .with_metrics(split.metrics.clone()),
        )),
        Role::Group(target) => {
            let worker = Worker::start_group(
                split.partition.clone(),
                *target,
                split.config.clone(),
                nats.clone(),
                nats.clone(),
                nats.clone(),
                split.checkpoint_every,
            )?
            .with_checkpoint_interval(split.checkpoint_interval)
            .with_metrics(split.metrics.clone());
            let units = worker.engine().program().units.iter();
            nats.unit_consumers(units.map(|u| u.name.as_str()))?;
            Part::Group(Box::new(worker))
        }
        Role::Whole => return Err(Error::State("not a part of a split run".into())),
    };
    let name = split.stream.to_lowercase();
    info!(
        part = %role.key(),
        holder = %split.holder,
        position = part.position(),
        "serving {} of `{name}` from message {}",
        role.key(),
        part.position() + 1
    );
    let mut next_tick = split.tick.map(|t| Instant::now() + t);
    loop {
        if quit.requested() {
            part.checkpoint()?;
            return Ok(());
        }
        part.poll(256)?;
        renew_if_due(lease, renew_at, split.lease_ttl)?;
        // The router's server ticks the input: every part sees the same ticks on replay.
        if let (Part::Router(_), Some(at), Some(every)) = (&part, next_tick, split.tick)
            && Instant::now() >= at
        {
            let now = jiff::Timestamp::now();
            let line = format!("{{\"type\":\"$tick\",\"time\":\"{now}\"}}");
            nats.publish_input(line.into_bytes())?;
            next_tick = Some((at + every).max(Instant::now()));
        }
    }
}

/// Renews `lease` when `renew_at` has come, a third of its time to live before it expires.
fn renew_if_due(lease: &mut Lease, renew_at: &mut Instant, ttl: Duration) -> Result<(), Error> {
    if Instant::now() >= *renew_at {
        lease.renew()?;
        *renew_at = Instant::now() + ttl / 3;
    }
    Ok(())
}

/// The worker of a part.
enum Part {
    Router(Box<RouterWorker<Nats, Nats, Nats>>),
    Group(Box<Worker<Nats, Nats, Nats>>),
}

impl Part {
    fn poll(&mut self, max: usize) -> Result<usize, Error> {
        match self {
            Part::Router(r) => r.poll(max),
            Part::Group(w) => w.poll(max),
        }
    }

    fn checkpoint(&mut self) -> Result<(), Error> {
        match self {
            Part::Router(r) => r.checkpoint(),
            Part::Group(w) => w.checkpoint(),
        }
    }

    fn position(&self) -> u64 {
        match self {
            Part::Router(r) => r.position(),
            Part::Group(w) => w.position(),
        }
    }
}

/// `text` as a KV key: letters, digits, `-`, `_`, `.`; anything else as `-`.
fn key_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}
