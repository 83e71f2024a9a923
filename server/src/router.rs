//! The router of a run split over key groups (issue 23; SCALEOUT.md §3.3): reads the input log
//! in order, and for each input message publishes one batch per target that has events from it
//! or whose watermark it moved (`Subject::Route`, marked with the input message's position),
//! and its rejected lines (`Subject::Rejects`, marked with their line numbers). Its checkpoint
//! is the router's state (`RouterState`) at an input position, written by compare-and-set.
//! Routing is deterministic, so a router started again from a checkpoint makes the same
//! batches, and those already published are skipped by their mark, as records are by a worker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_runtime::partition::{Partition, Router, RouterState};

use crate::cadence::Cadence;
use crate::log::{Checkpoint, Checkpoints, Error, Input, Message, Output, Subject};
use crate::metrics::Metrics;
use crate::publisher::Publisher;
use crate::worker::lines;

/// The router over one input log.
pub struct RouterWorker<I, O, C> {
    router: Router,
    identity: String,
    input: I,
    out: Publisher<O>,
    checkpoints: C,
    /// The last input message routed.
    seq: u64,
    revision: u64,
    /// When a checkpoint is due.
    cadence: Cadence,
    metrics: Arc<Metrics>,
}

impl<I: Input, O: Output, C: Checkpoints> RouterWorker<I, O, C> {
    /// A router with `lateness` and `--max-skew` that goes on from its last checkpoint (or
    /// from the start of the input) and claims it. A checkpoint of another deployment identity (rule set, placement, group
    /// count) is refused.
    pub fn start(
        partition: Arc<Partition>,
        (lateness, max_skew): (i64, Option<i64>),
        input: I,
        output: O,
        mut checkpoints: C,
        every: u64,
    ) -> Result<Self, Error> {
        let identity = partition.identity();
        let (router, seq, revision) = match checkpoints.load()? {
            Some((cp, revision)) => {
                if cp.fingerprint != identity {
                    return Err(Error::State(format!(
                        "the router's checkpoint belongs to deployment {}, not {identity}: \
                         another rule set, placement or group count needs a deployment of its \
                         own (--stream)",
                        cp.fingerprint
                    )));
                }
                let state: RouterState = serde_json::from_slice(&cp.snapshot)
                    .map_err(|e| Error::State(format!("corrupt router checkpoint: {e}")))?;
                (
                    Router::resume(partition, lateness, &state).with_max_skew(max_skew),
                    cp.seq,
                    Some(revision),
                )
            }
            None => (
                Router::new(partition, lateness).with_max_skew(max_skew),
                0,
                None,
            ),
        };
        let mut worker = RouterWorker {
            router,
            identity,
            input,
            out: Publisher::new(output),
            checkpoints,
            seq,
            revision: 0,
            cadence: Cadence::new(every),
            metrics: Arc::default(),
        };
        let cp = worker.checkpoint_value();
        worker.revision = worker.checkpoints.save(&cp, revision)?;
        Ok(worker)
    }

    /// Checkpoints also `interval` after the last checkpoint when a message has been routed
    /// since.
    pub fn with_checkpoint_interval(mut self, interval: Duration) -> Self {
        self.cadence.interval = interval;
        self
    }

    /// Counts into `metrics` from now on.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The last input message routed.
    pub fn position(&self) -> u64 {
        self.seq
    }

    /// The router, for its counters and watermark.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Routes up to `max` new input messages and publishes their batches and rejects; returns
    /// how many there were.
    pub fn poll(&mut self, max: usize) -> Result<usize, Error> {
        let messages = self.input.read(self.seq, max)?;
        for m in &messages {
            self.apply(m)?;
        }
        self.out.send()?;
        Ok(messages.len())
    }

    /// Publishes what was routed, then writes a checkpoint.
    pub fn checkpoint(&mut self) -> Result<(), Error> {
        self.out.send()?;
        let started = Instant::now();
        let cp = self.checkpoint_value();
        self.revision = self.checkpoints.save(&cp, Some(self.revision))?;
        self.cadence.checkpointed(started);
        self.metrics.checkpoint(started.elapsed().as_secs_f64());
        Ok(())
    }

    fn checkpoint_value(&self) -> Checkpoint {
        Checkpoint {
            seq: self.seq,
            records: 0,
            fingerprint: self.identity.clone(),
            // A plain struct of numbers and strings: it always serializes.
            snapshot: serde_json::to_vec(&self.router.state()).unwrap_or_default(),
        }
    }

    /// One input message: a batch for each target it gave events or moved the watermark of
    /// (an idle target gets a marker only when time moved), and its rejects.
    fn apply(&mut self, m: &Message) -> Result<(), Error> {
        let (before, read) = (self.router.watermark(), self.router.lines());
        let (batches, rejects) = self.router.batches(lines(&m.payload));
        for (target, batch) in batches {
            if batch.events.is_empty() && batch.watermark == before {
                continue;
            }
            self.out
                .push_new(&Subject::Route(target), m.seq, batch.encode())?;
        }
        // Each input line counted once, here: the targets' workers count records.
        let accepted = (self.router.lines() - read).saturating_sub(rejects.len() as u64);
        for _ in 0..accepted {
            self.metrics.line(None);
        }
        for (n, reject, line) in rejects {
            self.metrics.line(Some(reject.kind));
            let json = format!("{}\n", reject.json(n, line));
            self.out.push_new(&Subject::Rejects, n, &json)?;
        }
        self.seq = m.seq;
        if self.cadence.applied() {
            self.checkpoint()?;
        }
        Ok(())
    }
}
