//! The transport in memory: logs shared by handles (a worker started again, or a second
//! worker, sees the same logs), for tests and for a server of one process.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::log::{Checkpoint, Checkpoints, Error, Input, Message, Output, Published};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// An input log: message `i` has position `i + 1`.
#[derive(Debug, Clone, Default)]
pub struct MemoryInput {
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl MemoryInput {
    /// Appends a message (a producer's publish); returns its position.
    pub fn append(&self, payload: impl Into<Vec<u8>>) -> u64 {
        let mut m = lock(&self.messages);
        m.push(payload.into());
        m.len() as u64
    }
}

impl Input for MemoryInput {
    fn read(&mut self, after: u64, max: usize) -> Result<Vec<Message>, Error> {
        let m = lock(&self.messages);
        let start = usize::try_from(after).unwrap_or(usize::MAX);
        Ok(m.iter()
            .enumerate()
            .skip(start)
            .take(max)
            .map(|(i, p)| Message {
                seq: i as u64 + 1,
                payload: p.clone(),
            })
            .collect())
    }
}

/// An output log of JSON lines, refusing an append that does not follow its last record.
#[derive(Debug, Clone, Default)]
pub struct MemoryOutput {
    lines: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl MemoryOutput {
    /// Every record published, in order.
    pub fn records(&self) -> Vec<String> {
        lock(&self.lines)
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }
}

impl Output for MemoryOutput {
    fn published(&mut self) -> Result<u64, Error> {
        Ok(lock(&self.lines).len() as u64)
    }

    fn publish(&mut self, batch: Published) -> Result<(), Error> {
        let mut lines = lock(&self.lines);
        let have = lines.len() as u64;
        if batch.first != have + 1 {
            return Err(Error::Fenced(format!(
                "records {}..={} do not follow record {have}",
                batch.first, batch.last
            )));
        }
        lines.extend(
            batch
                .lines
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
        Ok(())
    }
}

/// A checkpoint store with a revision per write.
#[derive(Debug, Clone, Default)]
pub struct MemoryCheckpoints {
    slot: Arc<Mutex<Option<(Checkpoint, u64)>>>,
}

impl Checkpoints for MemoryCheckpoints {
    fn load(&mut self) -> Result<Option<(Checkpoint, u64)>, Error> {
        Ok(lock(&self.slot).clone())
    }

    fn save(&mut self, cp: &Checkpoint, revision: Option<u64>) -> Result<u64, Error> {
        let mut slot = lock(&self.slot);
        let current = slot.as_ref().map(|(_, r)| *r);
        if current != revision {
            return Err(Error::Fenced(format!(
                "the checkpoint is at revision {current:?}, not {revision:?}"
            )));
        }
        let next = current.map_or(1, |r| r + 1);
        *slot = Some((cp.clone(), next));
        Ok(next)
    }
}
