//! What the worker needs of a transport: an ordered input log, an output log that refuses an
//! append from a writer that is behind, and a checkpoint store with compare-and-set.

use std::fmt;

/// One input message: its position in the log and its payload, one or more JSON lines
/// (producers may batch; each line is numbered by its running count, as `vigil run` would).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub seq: u64,
    pub payload: Vec<u8>,
}

/// Records `first..=last` (one-based, counted over the whole run) as JSON lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub first: u64,
    pub last: u64,
    pub lines: Vec<u8>,
}

/// What a checkpoint holds: everything a worker needs to go on as if it had not stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last input message the snapshot includes.
    pub seq: u64,
    /// How many records the run had produced up to it.
    pub records: u64,
    /// The rule set the snapshot belongs to.
    pub fingerprint: String,
    /// `Engine::snapshot`.
    pub snapshot: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Another worker took over (its checkpoint or output is ahead of ours): stop at once.
    Fenced(String),
    /// The transport failed; the worker may be started again.
    Transport(String),
    /// The state cannot be used by this worker (another rule set, a corrupt snapshot).
    State(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Fenced(why) => write!(f, "another worker took over: {why}"),
            Error::Transport(why) => write!(f, "transport: {why}"),
            Error::State(why) => write!(f, "state: {why}"),
        }
    }
}

impl std::error::Error for Error {}

/// An ordered log of input messages.
pub trait Input {
    /// Up to `max` messages after position `after`, in order (none: nothing new yet).
    fn read(&mut self, after: u64, max: usize) -> Result<Vec<Message>, Error>;
}

/// The log records are published to.
pub trait Output {
    /// How many records it holds (the index of the last one).
    fn published(&mut self) -> Result<u64, Error>;
    /// Appends `batch`, whose first record must follow the last one published
    /// (`batch.first == published + 1`): a writer that is behind is refused with `Fenced`.
    fn publish(&mut self, batch: Published) -> Result<(), Error>;
}

/// Where checkpoints live, written by compare-and-set.
pub trait Checkpoints {
    /// The last checkpoint and its revision.
    fn load(&mut self) -> Result<Option<(Checkpoint, u64)>, Error>;
    /// Writes `cp` if the stored revision is still `revision` (`None`: no checkpoint yet);
    /// returns the new revision, or `Fenced` when another worker wrote since.
    fn save(&mut self, cp: &Checkpoint, revision: Option<u64>) -> Result<u64, Error>;
}
