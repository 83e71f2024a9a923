//! The transport in memory: logs shared by handles (a worker started again, or a second
//! worker, sees the same logs), for tests and for a server of one process.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::log::{Checkpoint, Checkpoints, Error, Input, Message, Output, Published, Subject};

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

/// A subject's last mark, its lines, and its messages with their marks.
type Log = (u64, Vec<String>, Vec<Message>);

/// Output subjects of JSON lines, each refusing a message whose mark is not above its last.
#[derive(Debug, Clone, Default)]
pub struct MemoryOutput {
    subjects: Arc<Mutex<BTreeMap<Subject, Log>>>,
}

impl MemoryOutput {
    /// Every line published on `subject`, in order.
    pub fn lines(&self, subject: &Subject) -> Vec<String> {
        lock(&self.subjects)
            .get(subject)
            .map(|(_, l, _)| l.clone())
            .unwrap_or_default()
    }

    /// `subject` read as an input log, each message at the position of its mark (a split
    /// run's target reads the router's batches so).
    pub fn input(&self, subject: Subject) -> MemorySubject {
        MemorySubject {
            output: self.clone(),
            subject,
        }
    }

    /// The subjects that have messages.
    pub fn subjects(&self) -> Vec<Subject> {
        lock(&self.subjects).keys().cloned().collect()
    }
}

impl Output for MemoryOutput {
    fn last(&mut self, subject: &Subject) -> Result<u64, Error> {
        Ok(lock(&self.subjects).get(subject).map_or(0, |(m, _, _)| *m))
    }

    fn publish(&mut self, subject: &Subject, message: Published) -> Result<(), Error> {
        let mut subjects = lock(&self.subjects);
        let (mark, lines, messages) = subjects.entry(subject.clone()).or_default();
        if message.mark <= *mark {
            return Err(Error::Fenced(format!(
                "{subject:?}: message {} is not after {mark}",
                message.mark
            )));
        }
        *mark = message.mark;
        messages.push(Message {
            seq: message.mark,
            payload: message.lines.clone(),
        });
        lines.extend(
            String::from_utf8_lossy(&message.lines)
                .lines()
                .map(str::to_string),
        );
        Ok(())
    }
}

/// One subject of a `MemoryOutput` as an input log.
#[derive(Debug, Clone)]
pub struct MemorySubject {
    output: MemoryOutput,
    subject: Subject,
}

impl Input for MemorySubject {
    fn read(&mut self, after: u64, max: usize) -> Result<Vec<Message>, Error> {
        let subjects = lock(&self.output.subjects);
        let Some((_, _, messages)) = subjects.get(&self.subject) else {
            return Ok(Vec::new());
        };
        Ok(messages
            .iter()
            .filter(|m| m.seq > after)
            .take(max)
            .cloned()
            .collect())
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
