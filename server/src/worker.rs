//! The worker: applies input messages in order, publishes each message's records before it
//! moves on, and checkpoints every few messages. See the crate documentation for why no
//! record is lost or repeated.

use std::sync::Arc;

use vigil_ir::Program;
use vigil_runtime::{Engine, EngineConfig, Record};

use crate::log::{Checkpoint, Checkpoints, Error, Input, Message, Output, Published};

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
        let fingerprint = program.fingerprint.clone();
        let mut engine = Engine::new(program, config);
        let (seq, records, revision) = match checkpoints.load()? {
            Some((cp, revision)) => {
                if cp.fingerprint != fingerprint {
                    return Err(Error::State(format!(
                        "the checkpoint belongs to rule set {}, this worker runs {fingerprint}",
                        cp.fingerprint
                    )));
                }
                engine
                    .restore(&cp.snapshot)
                    .map_err(|e| Error::State(format!("corrupt checkpoint: {e}")))?;
                (cp.seq, cp.records, Some(revision))
            }
            None => (0, 0, None),
        };
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
        };
        let cp = worker.checkpoint_value();
        worker.revision = worker.checkpoints.save(&cp, revision)?;
        Ok(worker)
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
        let cp = self.checkpoint_value();
        self.revision = self.checkpoints.save(&cp, Some(self.revision))?;
        self.since = 0;
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
    /// start another), then its records published, then maybe a checkpoint.
    fn apply(&mut self, m: &Message) -> Result<(), Error> {
        let payload = m.payload.strip_suffix(b"\n").unwrap_or(&m.payload);
        for line in payload.split(|b| *b == b'\n') {
            self.engine.push_line(line);
        }
        let records = self.engine.take_records();
        self.publish(&records)?;
        self.seq = m.seq;
        self.since += 1;
        if self.since >= self.every {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Publishes the records the output log does not hold yet: after a restart the replay
    /// produces the same records, and those already published are skipped by their number.
    fn publish(&mut self, records: &[Record]) -> Result<(), Error> {
        if records.is_empty() {
            return Ok(());
        }
        let first = self.records + 1;
        self.records += records.len() as u64;
        let have = self.output.published()?;
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
        self.output.publish(Published {
            first: have + 1,
            last: self.records,
            lines: lines.into_bytes(),
        })
    }
}
