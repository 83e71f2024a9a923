//! What the worker needs of a transport: an ordered input log, output subjects that refuse an
//! append from a writer that is behind, and a checkpoint store with compare-and-set.

use std::fmt;

use vigil_runtime::partition::Target;

/// One input message: its position in the log and its payload, one or more JSON lines
/// (producers may batch; each line is numbered by its running count, as `vigil run` would).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub seq: u64,
    pub payload: Vec<u8>,
}

/// The subjects a worker publishes to (SPEC §9).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// Every record, the audit trail (`vigil.records`).
    Records,
    /// Each unit's copy of the alerts addressed to it, as its `sees` allows (`vigil.unit.<u>`).
    Unit(String),
    /// Rejected input lines with their line number and reason (`vigil.rejects`).
    Rejects,
    /// In a run split over key groups, the router's batches for one target (`vigil.kg.<g>`),
    /// each message marked with the last input message it covers.
    Route(Target),
}

/// One message for a subject: JSON lines, and its *mark*, which grows along the subject:
/// the number of the last record it holds (for records and unit copies, numbered over the
/// whole run) or the number of the last input line it rejects. After a restart, what is at or
/// below a subject's last mark was published already and is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub mark: u64,
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

/// Where records, unit copies and rejects are published.
pub trait Output {
    /// The mark of the last message published on `subject` (0: none).
    fn last(&mut self, subject: &Subject) -> Result<u64, Error>;
    /// Appends `message` to `subject`; a mark not above the subject's last one comes from a
    /// writer that is behind and is refused with `Fenced`.
    fn publish(&mut self, subject: &Subject, message: Published) -> Result<(), Error>;
    /// Publishes messages for distinct subjects (at most one each), their results in the same
    /// order. A transport may send them together and await the acknowledgements together:
    /// the subjects are independent, only each subject's own messages are chained.
    fn publish_all(&mut self, messages: Vec<(Subject, Published)>) -> Vec<Result<(), Error>> {
        messages
            .into_iter()
            .map(|(subject, message)| self.publish(&subject, message))
            .collect()
    }
}

/// Where checkpoints live, written by compare-and-set.
pub trait Checkpoints {
    /// The last checkpoint and its revision.
    fn load(&mut self) -> Result<Option<(Checkpoint, u64)>, Error>;
    /// Writes `cp` if the stored revision is still `revision` (`None`: no checkpoint yet);
    /// returns the new revision, or `Fenced` when another worker wrote since.
    fn save(&mut self, cp: &Checkpoint, revision: Option<u64>) -> Result<u64, Error>;
}
