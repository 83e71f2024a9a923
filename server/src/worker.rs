//! The worker: applies input messages in order, publishes each message's records before it
//! moves on, and checkpoints every few messages. See the crate documentation for why no
//! record is lost or repeated.

use std::collections::HashMap;
use std::sync::Arc;

use vigil_ir::Program;
use vigil_runtime::{Engine, EngineConfig, Pushed, RELOAD, Record};

use crate::log::{Checkpoint, Checkpoints, Error, Input, Message, Output, Published, Subject};
use crate::metrics::Metrics;

/// One engine over one input log.
pub struct Worker<I, O, C> {
    engine: Engine,
    input: I,
    output: O,
    checkpoints: C,
    /// The last input message applied.
    seq: u64,
    /// Records produced so far: the next one is number `records + 1`.
    records: u64,
    /// The revision of our last checkpoint: a save against another one means we were
    /// replaced.
    revision: u64,
    /// Checkpoint after this many messages.
    every: u64,
    since: u64,
    /// Each subject's last mark, read once per start and then kept.
    marks: HashMap<Subject, u64>,
    metrics: Arc<Metrics>,
    upgraded_from: Option<String>,
    reloaded: Option<String>,
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
        let mut worker = Worker {
            engine,
            input,
            output,
            checkpoints,
            seq,
            records,
            revision: 0,
            every: every.max(1),
            since: 0,
            marks: HashMap::new(),
            metrics: Arc::default(),
            upgraded_from,
            reloaded: kept,
        };
        if let Some(old) = worker.upgraded_from.clone() {
            worker.check_nothing_past_checkpoint(&old, lines)?;
        }
        // What the restore itself reported (orphaned instances of states that are gone) is
        // published before the checkpoint that no longer holds those instances.
        let restored = worker.engine.take_records();
        let first = worker.records + 1;
        worker.publish(&restored)?;
        worker.deliver(first, &restored)?;
        let cp = worker.checkpoint_value();
        worker.revision = worker.checkpoints.save(&cp, revision)?;
        Ok(worker)
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
            if self.output.last(&subject)? > self.records {
                return Err(Error::State(format!(
                    "rule set {old} published records past its last checkpoint, which another \
                     rule set cannot go on from: start {old} again and stop it with SIGTERM (it \
                     checkpoints before it exits), then start the new one"
                )));
            }
        }
        if self.output.last(&Subject::Rejects)? > lines {
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

    /// Counts into `metrics` from now on.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Applies up to `max` new input messages; returns how many there were.
    pub fn poll(&mut self, max: usize) -> Result<usize, Error> {
        let messages = self.input.read(self.seq, max)?;
        for m in &messages {
            self.apply(m)?;
        }
        Ok(messages.len())
    }

    /// Writes a checkpoint now.
    pub fn checkpoint(&mut self) -> Result<(), Error> {
        let started = std::time::Instant::now();
        let cp = self.checkpoint_value();
        self.revision = self.checkpoints.save(&cp, Some(self.revision))?;
        self.since = 0;
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
            fingerprint: self.engine.program().fingerprint.clone(),
            snapshot: self.engine.snapshot(),
        }
    }

    /// One message: its lines in order (a trailing newline ends the last one, it does not
    /// start another), then its records, the units' copies and its rejects published, then
    /// maybe a checkpoint.
    fn apply(&mut self, m: &Message) -> Result<(), Error> {
        let payload = m.payload.strip_suffix(b"\n").unwrap_or(&m.payload);
        let mut rejects: Vec<(u64, String)> = Vec::new();
        for line in payload.split(|b| *b == b'\n') {
            // The records before a reload are published before it: they are written with the
            // rule set that made them, as `vigil run` writes them line by line. (A `type`
            // spelled with escapes is not seen here; its records go out with the message's.)
            // (`contains` on bytes is a memchr: most lines have no `$` and cost nothing more.)
            if line.contains(&b'$') && line.windows(RELOAD.len()).any(|w| w == RELOAD.as_bytes()) {
                self.flush()?;
            }
            match self.engine.push_line(line) {
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
        self.seq = m.seq;
        self.since += 1;
        if self.since >= self.every {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Publishes the records made so far, and the units' copies.
    fn flush(&mut self) -> Result<(), Error> {
        let records = self.engine.take_records();
        self.metrics.records(records.len());
        let first = self.records + 1;
        self.publish(&records)?;
        self.deliver(first, &records)
    }

    /// The last mark of `subject`, read from the transport the first time.
    fn mark(&mut self, subject: &Subject) -> Result<u64, Error> {
        if let Some(m) = self.marks.get(subject) {
            return Ok(*m);
        }
        let m = self.output.last(subject)?;
        self.marks.insert(subject.clone(), m);
        Ok(m)
    }

    /// Publishes one message. Refused because the subject is already at or past `mark`, it
    /// was published by a worker we replaced, which ran the same input through the same rule
    /// set: the same lines, so it is done.
    fn send(&mut self, subject: Subject, mark: u64, lines: String) -> Result<(), Error> {
        let message = Published {
            mark,
            lines: lines.into_bytes(),
        };
        match self.output.publish(&subject, message) {
            Ok(()) => {}
            Err(Error::Fenced(why)) => {
                let now = self.output.last(&subject)?;
                if now < mark {
                    return Err(Error::Fenced(why));
                }
                self.marks.insert(subject, now);
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        self.marks.insert(subject, mark);
        Ok(())
    }

    /// Each alert's copy for each unit it goes to, cut to what the unit sees (SPEC §2), one
    /// message per alert and unit marked with the alert's number. Shadow alerts go to nobody.
    fn deliver(&mut self, first: u64, records: &[Record]) -> Result<(), Error> {
        for (k, r) in records.iter().enumerate() {
            let Record::Alert(a) = r else { continue };
            if a.shadow {
                continue;
            }
            let number = first + k as u64;
            for unit in &a.to {
                let subject = Subject::Unit(unit.to_string());
                if number <= self.mark(&subject)? {
                    continue;
                }
                let Some(index) = self
                    .engine
                    .program()
                    .units
                    .iter()
                    .position(|u| u.name == **unit)
                else {
                    continue;
                };
                let mut line = self
                    .engine
                    .to_json_for_unit(a, u32::try_from(index).unwrap_or(u32::MAX));
                line.push('\n');
                self.send(subject, number, line)?;
                self.metrics.alert(a, unit);
            }
        }
        Ok(())
    }

    /// A message's rejected lines, marked with the last one's number.
    fn publish_rejects(&mut self, rejects: &[(u64, String)]) -> Result<(), Error> {
        let Some((last, _)) = rejects.last() else {
            return Ok(());
        };
        let done = self.mark(&Subject::Rejects)?;
        let mut lines = String::new();
        for (_, json) in rejects.iter().filter(|(n, _)| *n > done) {
            lines.push_str(json);
            lines.push('\n');
        }
        if lines.is_empty() {
            return Ok(());
        }
        self.send(Subject::Rejects, *last, lines)
    }

    /// Publishes the records the output does not hold yet: after a restart the replay
    /// produces the same records, and those already published are skipped by their number.
    fn publish(&mut self, records: &[Record]) -> Result<(), Error> {
        if records.is_empty() {
            return Ok(());
        }
        let first = self.records + 1;
        self.records += records.len() as u64;
        // Read each time: a worker we replaced may still have published since.
        let have = self.output.last(&Subject::Records)?;
        if have + 1 < first {
            return Err(Error::State(format!(
                "the output log holds {have} records, but the checkpoint says {} were published",
                first - 1
            )));
        }
        if have >= self.records {
            return Ok(());
        }
        let skip = usize::try_from(have + 1 - first).unwrap_or(usize::MAX);
        let mut lines = String::new();
        for r in records.iter().skip(skip) {
            self.engine.write_json(r, &mut lines);
            lines.push('\n');
        }
        self.send(Subject::Records, self.records, lines)
    }
}
