//! The worker: applies input messages in order, a read at a time, publishes what a read made
//! before the next read or a checkpoint, and checkpoints every few messages. See the crate
//! documentation for why no record is lost or repeated.

use std::sync::Arc;

use vigil_ir::Program;
use vigil_runtime::partition::{Batch, Partition, Target};
use vigil_runtime::{Decoded, Engine, EngineConfig, Line, Pushed, Record};

use crate::cadence::Cadence;
use crate::log::{Checkpoint, Checkpoints, Error, Input, Message, Output, Subject};
use crate::metrics::Metrics;
use crate::publisher::Publisher;

/// One engine over one input log.
pub struct Worker<I, O, C> {
    engine: Engine,
    input: I,
    out: Publisher<O>,
    checkpoints: C,
    /// The last input message applied.
    seq: u64,
    /// Records produced so far: the next one is number `records + 1`.
    records: u64,
    /// The revision of our last checkpoint: a save against another one means we were
    /// replaced.
    revision: u64,
    /// When a checkpoint is due.
    cadence: Cadence,
    /// Reads of at least this many bytes are decoded ahead on a second thread.
    decode_ahead: usize,
    metrics: Arc<Metrics>,
    upgraded_from: Option<String>,
    reloaded: Option<String>,
    /// In a run split over key groups, the deployment's identity (`Partition::identity`):
    /// the input is the router's batches, and checkpoints are of this placement.
    identity: Option<String>,
}

impl<I: Input, O: Output, C: Checkpoints> Worker<I, O, C> {
    /// A worker that goes on from the last checkpoint (or from the start of the input), and
    /// claims the checkpoint: a worker that held it before can no longer save, so it stops.
    pub fn start(
        program: Arc<Program>,
        config: EngineConfig,
        input: I,
        output: O,
        mut checkpoints: C,
        every: u64,
    ) -> Result<Self, Error> {
        let loaded = checkpoints.load()?;
        let reloaded = match (&loaded, &config.rulesets) {
            (Some((cp, _)), Some(rulesets)) => rulesets
                .reloaded(&cp.fingerprint, &program)
                .map_err(Error::Transport)?,
            _ => None,
        };
        // Goes on with the rule set a `$reload` brought in, as the input says.
        let kept = reloaded.as_ref().map(|p| p.fingerprint.clone());
        let program = reloaded.unwrap_or(program);
        let fingerprint = program.fingerprint.clone();
        let mut engine = Engine::new(program, config);
        let mut upgraded_from = None;
        let (seq, records, revision) = match loaded {
            Some((cp, revision)) => {
                // A checkpoint of another version of the rule set goes on with this one as
                // `vigil run --state` does: state of unchanged rules and every workflow
                // instance carried over, or a refusal with the reason.
                engine.restore(&cp.snapshot).map_err(|e| {
                    Error::State(if cp.fingerprint == fingerprint {
                        format!("corrupt checkpoint: {e}")
                    } else {
                        format!(
                            "the checkpoint of rule set {} cannot go on with {fingerprint}: {e}",
                            cp.fingerprint
                        )
                    })
                })?;
                if cp.fingerprint != fingerprint {
                    upgraded_from = Some(cp.fingerprint);
                }
                (cp.seq, cp.records, Some(revision))
            }
            None => (0, 0, None),
        };
        let lines = engine.lines();
        let worker = Worker::begin(engine, input, output, checkpoints, every, (seq, records));
        let mut worker = Worker {
            upgraded_from,
            reloaded: kept,
            ..worker
        };
        if let Some(old) = worker.upgraded_from.clone() {
            worker.check_nothing_past_checkpoint(&old, lines)?;
        }
        worker.claim(revision)
    }

    /// The worker of one target of a run split over key groups: its input is the router's
    /// batches for `target` (`Subject::Route`), its checkpoints those of the target alone. A
    /// checkpoint of another placement or group count is refused: its keys were grouped
    /// otherwise.
    pub fn start_group(
        partition: Arc<Partition>,
        target: Target,
        config: EngineConfig,
        input: I,
        output: O,
        mut checkpoints: C,
        every: u64,
    ) -> Result<Self, Error> {
        let identity = partition.identity();
        let mut engine = Engine::new(partition.program().clone(), config);
        engine.set_partition(Some((partition, target)));
        let loaded = checkpoints.load()?;
        let (at, revision) = match loaded {
            Some((cp, revision)) => {
                if cp.fingerprint != identity {
                    return Err(Error::State(format!(
                        "the checkpoint of group {} belongs to deployment {}, not {identity}: \
                         another rule set, placement or group count needs a deployment of its \
                         own (--stream)",
                        target.name(),
                        cp.fingerprint
                    )));
                }
                engine
                    .restore(&cp.snapshot)
                    .map_err(|e| Error::State(format!("corrupt checkpoint: {e}")))?;
                ((cp.seq, cp.records), Some(revision))
            }
            None => ((0, 0), None),
        };
        let worker = Worker::begin(engine, input, output, checkpoints, every, at);
        Worker {
            identity: Some(identity),
            ..worker
        }
        .claim(revision)
    }

    fn begin(
        engine: Engine,
        input: I,
        output: O,
        checkpoints: C,
        every: u64,
        (seq, records): (u64, u64),
    ) -> Self {
        Worker {
            engine,
            input,
            out: Publisher::new(output),
            checkpoints,
            seq,
            records,
            revision: 0,
            cadence: Cadence::new(every),
            decode_ahead: DECODE_AHEAD,
            metrics: Arc::default(),
            upgraded_from: None,
            reloaded: None,
            identity: None,
        }
    }

    /// Publishes what the restore itself reported (orphaned instances of states that are
    /// gone) before the checkpoint that no longer holds those instances, and writes that
    /// checkpoint over `revision`: a worker that held it before can no longer save.
    fn claim(mut self, revision: Option<u64>) -> Result<Self, Error> {
        let restored = self.engine.take_records();
        let first = self.records + 1;
        self.publish(&restored)?;
        self.deliver(first, &restored)?;
        self.out.send()?;
        let cp = self.checkpoint_value();
        self.revision = self.checkpoints.save(&cp, revision)?;
        Ok(self)
    }

    /// Before another rule set goes on from a checkpoint: the output must hold nothing the old
    /// one published past it. Replayed by the new rules, that part of the input would make
    /// other records under the same numbers, which would be skipped as published: lost.
    fn check_nothing_past_checkpoint(&mut self, old: &str, lines: u64) -> Result<(), Error> {
        let mut subjects = vec![Subject::Records];
        subjects.extend(
            (self.engine.program().units.iter()).map(|u| Subject::Unit(u.name.to_string())),
        );
        for subject in subjects {
            if self.out.output.last(&subject)? > self.records {
                return Err(Error::State(format!(
                    "rule set {old} published records past its last checkpoint, which another \
                     rule set cannot go on from: start {old} again and stop it with SIGTERM (it \
                     checkpoints before it exits), then start the new one"
                )));
            }
        }
        if self.out.output.last(&Subject::Rejects)? > lines {
            return Err(Error::State(format!(
                "rule set {old} rejected lines past its last checkpoint: start it again and stop \
                 it with SIGTERM, then start the new one"
            )));
        }
        Ok(())
    }

    /// The rule set of the checkpoint this worker went on from, when it was another.
    pub fn upgraded_from(&self) -> Option<&str> {
        self.upgraded_from.as_deref()
    }

    /// The rule set a `$reload` brought in that the checkpoint this worker went on from
    /// belongs to, when it is not the one the worker was started with: it runs that one.
    pub fn kept_reloaded(&self) -> Option<&str> {
        self.reloaded.as_deref()
    }

    /// Checkpoints also `interval` after the last checkpoint when a message has been applied
    /// since: on a slow feed, a restart replays at most that much.
    pub fn with_checkpoint_interval(mut self, interval: std::time::Duration) -> Self {
        self.cadence.interval = interval;
        self
    }

    /// Decodes reads of at least `bytes` bytes ahead on a second thread (0: every read).
    pub fn with_decode_ahead(mut self, bytes: usize) -> Self {
        self.decode_ahead = bytes;
        self
    }

    /// Counts into `metrics` from now on.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Applies up to `max` new input messages and publishes what they made; returns how many
    /// there were.
    pub fn poll(&mut self, max: usize) -> Result<usize, Error> {
        let messages = self.input.read(self.seq, max)?;
        let bytes: usize = messages.iter().map(|m| m.payload.len()).sum();
        if self.identity.is_some() {
            for m in &messages {
                self.apply_batches(m)?;
            }
        } else if bytes >= self.decode_ahead {
            self.apply_decoded_ahead(&messages)?;
        } else {
            for m in &messages {
                self.apply(m, Vec::new())?;
            }
        }
        self.out.send()?;
        Ok(messages.len())
    }

    /// Applies `messages` while a second thread decodes their lines ahead (decoding needs
    /// nothing of the engine but its rule set, and is a third to a half of the work). A
    /// `$reload` line ends the decoding ahead: the lines after it are decoded here, with the
    /// new rule set.
    fn apply_decoded_ahead(&mut self, messages: &[Message]) -> Result<(), Error> {
        let mut decoder = self.engine.decoder();
        let mut number = self.engine.lines() + 1;
        std::thread::scope(|scope| {
            let (send, decoded) = std::sync::mpsc::sync_channel::<Vec<Decoded>>(16);
            // Not started, the lines are decoded here: `recv` finds the sender gone.
            let _ = std::thread::Builder::new()
                .name("vigil-decode".into())
                .spawn_scoped(scope, move || {
                    for m in messages {
                        let mut out = Vec::new();
                        for line in lines(&m.payload) {
                            let d = decoder.decode(Line::Bytes(line), number);
                            number += 1;
                            let reload = matches!(d, Decoded::Reload(_));
                            out.push(d);
                            if reload {
                                let _ = send.send(out);
                                return;
                            }
                        }
                        if send.send(out).is_err() {
                            return;
                        }
                    }
                });
            // On an error, `decoded` is dropped before the scope waits for the thread, whose
            // next send then fails and ends it.
            for m in messages {
                self.apply(m, decoded.recv().unwrap_or_default())?;
            }
            Ok(())
        })
    }

    /// Publishes what was applied, then writes a checkpoint.
    pub fn checkpoint(&mut self) -> Result<(), Error> {
        self.out.send()?;
        let started = std::time::Instant::now();
        let cp = self.checkpoint_value();
        self.revision = self.checkpoints.save(&cp, Some(self.revision))?;
        self.cadence.checkpointed(started);
        self.metrics.checkpoint(started.elapsed().as_secs_f64());
        Ok(())
    }

    /// The engine, for its counters.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The last input message applied.
    pub fn position(&self) -> u64 {
        self.seq
    }

    fn checkpoint_value(&self) -> Checkpoint {
        Checkpoint {
            seq: self.seq,
            records: self.records,
            fingerprint: (self.identity.clone())
                .unwrap_or_else(|| self.engine.program().fingerprint.clone()),
            snapshot: self.engine.snapshot(),
        }
    }

    /// One message: its lines in order, the first ones as `ahead` decoded them, then its
    /// records, the units' copies and its rejects put in the outbox; then maybe a
    /// checkpoint.
    fn apply(&mut self, m: &Message, ahead: Vec<Decoded>) -> Result<(), Error> {
        let mut rejects: Vec<(u64, String)> = Vec::new();
        let mut ahead = ahead.into_iter();
        for line in lines(&m.payload) {
            let pushed = match ahead.next() {
                Some(decoded) => self.engine.push_decoded(decoded),
                None => self.engine.push_line(line),
            };
            match pushed {
                Pushed::Rejected(r) => {
                    let n = self.engine.lines();
                    rejects.push((n, r.json(n, line)));
                    self.metrics.line(Some(r.kind));
                }
                // Nothing of this message is published yet: from the checkpoint, the line
                // is tried again.
                Pushed::Unavailable(why) => return Err(Error::Transport(why)),
                Pushed::Accepted | Pushed::Blank | Pushed::Reloaded(_) => self.metrics.line(None),
            }
        }
        self.flush()?;
        self.publish_rejects(&rejects)?;
        self.applied(m.seq)
    }

    /// One message of the router's batches for this worker's target: each batch's events and
    /// then its watermark (`Engine::push_batch`), then their records in the outbox.
    fn apply_batches(&mut self, m: &Message) -> Result<(), Error> {
        let batches = Batch::decode_all(&m.payload)
            .map_err(|e| Error::State(format!("message {} of the router: {e}", m.seq)))?;
        // Input lines are the router's to count.
        for batch in &batches {
            self.engine.push_batch(batch);
        }
        self.flush()?;
        self.applied(m.seq)
    }

    /// Message `seq` is applied: maybe a checkpoint is due.
    fn applied(&mut self, seq: u64) -> Result<(), Error> {
        self.seq = seq;
        if self.cadence.applied() {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Puts the records made so far, and the units' copies, in the outbox.
    fn flush(&mut self) -> Result<(), Error> {
        let records = self.engine.take_records();
        self.metrics.records(records.len());
        let first = self.records + 1;
        self.publish(&records)?;
        self.deliver(first, &records)
    }

    /// Each alert's copy for each unit it goes to, cut to what the unit sees (SPEC §2), one
    /// line per alert and unit marked with the alert's number. Shadow alerts go to nobody.
    fn deliver(&mut self, first: u64, records: &[Record]) -> Result<(), Error> {
        for (k, r) in records.iter().enumerate() {
            let Record::Alert(a) = r else { continue };
            if a.shadow {
                continue;
            }
            let number = first + k as u64;
            for unit in &a.to {
                let subject = Subject::Unit(unit.to_string());
                if number <= self.out.mark(&subject)? {
                    continue;
                }
                let Some(mut line) = self.engine.to_json_for_unit(a, unit) else {
                    continue;
                };
                line.push('\n');
                self.out.outbox.push(&subject, number, &line);
                self.metrics.alert(a, unit);
            }
        }
        Ok(())
    }

    /// A message's rejected lines, each marked with its number.
    fn publish_rejects(&mut self, rejects: &[(u64, String)]) -> Result<(), Error> {
        if rejects.is_empty() {
            return Ok(());
        }
        let done = self.out.mark(&Subject::Rejects)?;
        for (n, json) in rejects.iter().filter(|(n, _)| *n > done) {
            self.out
                .outbox
                .push(&Subject::Rejects, *n, format!("{json}\n"));
        }
        Ok(())
    }

    /// Puts in the outbox the records the output does not hold yet: after a restart the
    /// replay produces the same records, and those already published are skipped by their
    /// number.
    fn publish(&mut self, records: &[Record]) -> Result<(), Error> {
        if records.is_empty() {
            return Ok(());
        }
        let first = self.records + 1;
        self.records += records.len() as u64;
        // Read each time: a worker we replaced may still have published since.
        let published = self.out.output.last(&Subject::Records)?;
        let have = published.max(self.out.outbox.mark(&Subject::Records).unwrap_or(0));
        if have + 1 < first {
            return Err(Error::State(format!(
                "the output log holds {have} records, but the checkpoint says {} were published",
                first - 1
            )));
        }
        let mut line = String::new();
        for (k, r) in records.iter().enumerate() {
            let number = first + k as u64;
            if number <= have {
                continue;
            }
            line.clear();
            self.engine.write_json(r, &mut line);
            line.push('\n');
            self.out.outbox.push(&Subject::Records, number, &line);
        }
        Ok(())
    }
}

/// Bytes of input in one read from which its lines are decoded ahead on a second thread, by
/// default: for less, starting the thread costs about what it saves.
const DECODE_AHEAD: usize = 256 * 1024;

/// A message's lines: a trailing newline ends the last one, it does not start another.
pub(crate) fn lines(payload: &[u8]) -> impl Iterator<Item = &[u8]> {
    let payload = payload.strip_suffix(b"\n").unwrap_or(payload);
    let mut start = 0;
    memchr::memchr_iter(b'\n', payload)
        .chain([payload.len()])
        .map(move |end| {
            let line = payload.get(start..end).unwrap_or_default();
            start = end + 1;
            line
        })
}
