//! When the worker and the router checkpoint: after a number of messages, or a while after
//! the last checkpoint with any message since (on a slow feed, a restart replays at most that
//! much).

use std::time::{Duration, Instant};

pub(crate) struct Cadence {
    /// Checkpoint after this many messages,
    every: u64,
    /// or this long after the last checkpoint, with any (zero: never by time).
    pub(crate) interval: Duration,
    since: u64,
    at: Instant,
}

impl Cadence {
    pub(crate) fn new(every: u64) -> Cadence {
        Cadence {
            every: every.max(1),
            interval: Duration::ZERO,
            since: 0,
            at: Instant::now(),
        }
    }

    /// One more message applied: whether a checkpoint is due.
    pub(crate) fn applied(&mut self) -> bool {
        self.since += 1;
        self.since >= self.every || (!self.interval.is_zero() && self.at.elapsed() >= self.interval)
    }

    /// A checkpoint started at `at` was written.
    pub(crate) fn checkpointed(&mut self, at: Instant) {
        self.since = 0;
        self.at = at;
    }
}
