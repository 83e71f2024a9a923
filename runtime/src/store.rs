//! Durable runs: checkpoints in an embedded store (redb), the engine's snapshot together with
//! the input position and the length of every output file, committed in one transaction.
//!
//! A run that restarts from a checkpoint truncates its outputs to the committed lengths and
//! reads its input from the committed position, so the output ends identical to an
//! uninterrupted run: nothing lost, nothing written twice. [`Durable`] is that protocol for any
//! front end (`vigil run --state`, a service); [`OutputFile`] an output it can cut back.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use redb::{Database, ReadableDatabase, TableDefinition};
use sha2::{Digest, Sha256};

use crate::Engine;

/// A durable run's store and the checkpoint it resumes from.
pub struct Durable {
    store: Store,
    /// Where the store is, for messages.
    dir: std::path::PathBuf,
    resumed: Option<Checkpoint>,
}

impl Durable {
    /// Opens (creating if needed) the store in `dir`, reads its last checkpoint, and cuts
    /// every output it lists back to its committed length: what a run wrote after its last
    /// checkpoint is written again, and an output the resumed run never writes to again must
    /// not keep those bytes.
    pub fn open(dir: &Path) -> Result<Durable, String> {
        let store = Store::open(dir)?;
        let resumed = store.load()?;
        for (path, len) in resumed.iter().flat_map(|cp| &cp.outputs) {
            let cut = OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(*len));
            match cut {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot cut `{path}` back to its checkpoint: {e}")),
            }
        }
        Ok(Durable {
            store,
            dir: dir.to_path_buf(),
            resumed,
        })
    }

    /// Restores `engine` (new, for the run's rule set) from the last checkpoint, if any.
    pub fn restore(&self, engine: &mut Engine) -> Result<(), String> {
        match &self.resumed {
            Some(cp) => engine
                .restore(&cp.snapshot)
                .map(drop)
                .map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    /// The rule set of the checkpoint the run resumes from, if any.
    pub fn ruleset(&self) -> Option<String> {
        Engine::snapshot_ruleset(&self.resumed.as_ref()?.snapshot)
    }

    /// Where to go on reading the input: the byte offset of the first line not yet read.
    pub fn input_offset(&self) -> u64 {
        self.resumed.as_ref().map_or(0, |c| c.input_offset)
    }

    /// Whether the checkpoint was taken after the end of the input was processed. Only a
    /// store written before 0.2 has such a checkpoint: checkpoints are now taken before the
    /// end-of-input drain, so that a run can go on over lines appended since.
    pub fn finished(&self) -> bool {
        self.resumed.as_ref().is_some_and(|c| c.finished)
    }

    /// Checks that the input at `path` is the one the checkpoint read, or an extension of it
    /// (a log that grew): at least as long, with the same first bytes and the same bytes
    /// before the checkpoint's offset. A store without a print (before 0.2) is not checked.
    pub fn verify_input(&self, path: &Path) -> Result<(), String> {
        let Some(cp) = &self.resumed else {
            return Ok(());
        };
        let Some(expected) = &cp.input else {
            return Ok(());
        };
        let found = InputPrint::of(path, cp.input_offset)?;
        if found != *expected {
            let which = if found.head == expected.head {
                "the bytes before where it stopped differ"
            } else {
                "it starts differently"
            };
            return Err(format!(
                "`{}` is not the input the state was built from ({which}); \
                 remove the --state directory to start over",
                path.display()
            ));
        }
        Ok(())
    }

    /// The committed length of the output at `path` when resuming (0 for an output the
    /// checkpoint does not know), `None` on a fresh start.
    pub fn committed_len(&self, path: &Path) -> Option<u64> {
        let cp = self.resumed.as_ref()?;
        let p = path.to_string_lossy();
        Some(
            cp.outputs
                .iter()
                .find(|(q, _)| *q == p)
                .map_or(0, |(_, len)| *len),
        )
    }

    /// Commits a checkpoint: the engine's state after the input up to `input_offset` (whose
    /// print is `input`, for a file), and the outputs' lengths once `outputs` were forced to
    /// disk (write the engine's records first); outputs the resumed checkpoint lists and
    /// `outputs` does not are kept at their committed lengths. Take the last one before the end-of-input
    /// drain (`Engine::finish`), not after: a run started again over a longer input then goes
    /// on as if it had never stopped.
    pub fn commit(
        &self,
        engine: &Engine,
        input_offset: u64,
        input: Option<InputPrint>,
        outputs: Vec<(String, u64)>,
    ) -> Result<(), String> {
        // An output the resumed checkpoint lists that this run has not written to since is
        // still part of the run, at its committed length (cut back to it in `open`).
        let mut outputs = outputs;
        for (path, len) in self.resumed.iter().flat_map(|cp| &cp.outputs) {
            if !outputs.iter().any(|(p, _)| p == path) {
                outputs.push((path.clone(), *len));
            }
        }
        let saved = self.store.save(&Checkpoint {
            snapshot: engine.snapshot(),
            input_offset,
            input,
            outputs,
            finished: false,
        });
        saved.map_err(|e| {
            let dir = self.dir.display();
            format!("cannot save a checkpoint in `{dir}`: {e}; the last one committed stays")
        })
    }
}

/// An output file of a run that knows its committed length.
pub struct OutputFile {
    path: String,
    writer: BufWriter<File>,
}

impl OutputFile {
    /// Opens `path`: cut back to `keep` bytes when resuming, else emptied.
    pub fn open(path: &Path, keep: Option<u64>) -> std::io::Result<OutputFile> {
        let file = match keep {
            Some(len) => {
                let mut f = OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(path)?;
                f.set_len(len)?;
                f.seek(SeekFrom::End(0))?;
                f
            }
            None => File::create(path)?,
        };
        Ok(OutputFile {
            path: path.to_string_lossy().into_owned(),
            writer: BufWriter::with_capacity(1 << 16, file),
        })
    }

    /// Writes `bytes` (buffered); an error names the file.
    pub fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let written = self.writer.write_all(bytes);
        written.map_err(|e| self.named(e))
    }

    /// Hands the buffered bytes to the file; an error names it.
    pub fn flush(&mut self) -> std::io::Result<()> {
        let flushed = self.writer.flush();
        flushed.map_err(|e| self.named(e))
    }

    /// Flushes, forces the data to disk, and returns the path and length to commit; an error
    /// names the file.
    pub fn sync(&mut self) -> std::io::Result<(String, u64)> {
        let synced = (self.writer.flush())
            .and_then(|()| self.writer.get_mut().sync_data())
            .and_then(|()| self.writer.get_mut().stream_position());
        match synced {
            Ok(len) => Ok((self.path.clone(), len)),
            Err(e) => Err(self.named(e)),
        }
    }

    /// `e`, saying which file it happened to (a full disk, a read-only one).
    fn named(&self, e: std::io::Error) -> std::io::Error {
        std::io::Error::new(e.kind(), format!("`{}`: {e}", self.path))
    }
}

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("checkpoint");

/// What was committed at a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checkpoint {
    /// `Engine::snapshot`.
    pub snapshot: Vec<u8>,
    /// Byte offset in the input of the first line not yet read.
    pub input_offset: u64,
    /// What identifies the input up to `input_offset` (`None` for standard input, and in
    /// stores written before 0.2).
    pub input: Option<InputPrint>,
    /// Each output file (by the path the run was given) and its committed length.
    pub outputs: Vec<(String, u64)>,
    /// Whether the input had ended and the end of input was processed (only in stores written
    /// before 0.2; see `Durable::finished`).
    pub finished: bool,
}

/// What identifies the input a checkpoint read without reading all of it again, as log
/// shippers recognise a file: SHA-256 of its first bytes and of the bytes just before the
/// checkpoint's offset, up to `PRINT_BYTES` each. An input that differs only in between is
/// not noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPrint {
    /// SHA-256 of the input's first bytes.
    pub head: [u8; 32],
    /// SHA-256 of the bytes before the checkpoint's offset.
    pub tail: [u8; 32],
}

/// How many bytes each half of an `InputPrint` covers.
const PRINT_BYTES: u64 = 64 * 1024;

impl InputPrint {
    /// The print of the file at `path` up to byte `offset`.
    pub fn of(path: &Path, offset: u64) -> Result<InputPrint, String> {
        let cannot = |e: std::io::Error| format!("cannot read `{}`: {e}", path.display());
        let mut f = File::open(path).map_err(cannot)?;
        let len = f.metadata().map_err(cannot)?.len();
        if len < offset {
            return Err(format!(
                "`{}` is shorter ({len} bytes) than the input the state was built from \
                 ({offset} bytes read); remove the --state directory to start over",
                path.display()
            ));
        }
        let mut digest = |start: u64, n: u64| -> Result<[u8; 32], String> {
            let mut buf = vec![0; usize::try_from(n).unwrap_or(0)];
            f.seek(SeekFrom::Start(start)).map_err(cannot)?;
            f.read_exact(&mut buf).map_err(cannot)?;
            Ok(Sha256::digest(&buf).into())
        };
        let head = digest(0, offset.min(PRINT_BYTES))?;
        let from = offset.saturating_sub(PRINT_BYTES);
        let tail = digest(from, offset - from)?;
        Ok(InputPrint { head, tail })
    }

    fn to_bytes(&self) -> Vec<u8> {
        [self.head, self.tail].concat()
    }

    fn from_bytes(b: &[u8]) -> Result<InputPrint, String> {
        let half = |range: std::ops::Range<usize>| -> Result<[u8; 32], String> {
            (b.get(range).and_then(|s| s.try_into().ok()))
                .ok_or("bad input print in checkpoint".into())
        };
        Ok(InputPrint {
            head: half(0..32)?,
            tail: half(32..64)?,
        })
    }
}

/// redb's page cache for the checkpoint store.
const CACHE_BYTES: usize = 1 << 20;

/// A checkpoint store in a directory.
pub struct Store {
    db: Database,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Creates an empty database at `path` so that it either exists whole or not at all: built
/// under another name, then renamed. A run killed while redb wrote a new file's header used
/// to leave a `state.redb` that no restart could open (`tests/crash.rs` found it).
fn create_atomically(dir: &Path, path: &Path) -> Result<(), String> {
    let fresh = dir.join("state.redb.new");
    let cannot = |e: &dyn std::fmt::Display| format!("cannot create `{}`: {e}", path.display());
    // What a run killed in the middle of this left behind.
    if fresh.exists() {
        std::fs::remove_file(&fresh).map_err(|e| cannot(&e))?;
    }
    drop(Database::create(&fresh).map_err(|e| cannot(&e))?);
    std::fs::rename(&fresh, path).map_err(|e| cannot(&e))?;
    // The rename is durable once the directory is.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| cannot(&e))
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        let path = dir.join("state.redb");
        if !path.exists() {
            create_atomically(dir, &path)?;
        }
        // The store holds one checkpoint, read once at start: redb's page cache (1 GiB by
        // default) would only keep each checkpoint's pages after it is written, tens of MB of a
        // run's memory for nothing.
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
        Ok(Store { db })
    }

    /// The last committed checkpoint, if any.
    pub fn load(&self) -> Result<Option<Checkpoint>, String> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = match txn.open_table(TABLE) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        let Some(snapshot) = table.get("snapshot").map_err(err)? else {
            return Ok(None);
        };
        let snapshot = snapshot.value().to_vec();
        let positions = table
            .get("positions")
            .map_err(err)?
            .map(|v| v.value().to_vec())
            .unwrap_or_default();
        let (input_offset, outputs, finished) = decode_positions(&positions)?;
        let input = match table.get("input").map_err(err)? {
            Some(v) => Some(InputPrint::from_bytes(v.value())?),
            None => None,
        };
        Ok(Some(Checkpoint {
            snapshot,
            input_offset,
            input,
            outputs,
            finished,
        }))
    }

    /// Commits `cp` durably (it replaces the previous checkpoint atomically).
    pub fn save(&self, cp: &Checkpoint) -> Result<(), String> {
        let txn = self.db.begin_write().map_err(err)?;
        {
            let mut table = txn.open_table(TABLE).map_err(err)?;
            table
                .insert("snapshot", cp.snapshot.as_slice())
                .map_err(err)?;
            let positions = encode_positions(cp);
            table
                .insert("positions", positions.as_slice())
                .map_err(err)?;
            match &cp.input {
                Some(print) => {
                    table
                        .insert("input", print.to_bytes().as_slice())
                        .map_err(err)?;
                }
                None => {
                    table.remove("input").map_err(err)?;
                }
            }
        }
        txn.commit().map_err(err)
    }
}

fn encode_positions(cp: &Checkpoint) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&cp.input_offset.to_le_bytes());
    out.push(u8::from(cp.finished));
    out.extend_from_slice(&(cp.outputs.len() as u64).to_le_bytes());
    for (path, len) in &cp.outputs {
        out.extend_from_slice(&(path.len() as u64).to_le_bytes());
        out.extend_from_slice(path.as_bytes());
        out.extend_from_slice(&len.to_le_bytes());
    }
    out
}

/// What a checkpoint records besides the snapshot: input offset, output lengths, finished.
type Positions = (u64, Vec<(String, u64)>, bool);

fn decode_positions(b: &[u8]) -> Result<Positions, String> {
    let mut pos = 0;
    let u64_at = |pos: &mut usize| -> Result<u64, String> {
        let bytes: [u8; 8] = b
            .get(*pos..*pos + 8)
            .and_then(|s| s.try_into().ok())
            .ok_or("truncated checkpoint positions")?;
        *pos += 8;
        Ok(u64::from_le_bytes(bytes))
    };
    let input = u64_at(&mut pos)?;
    let finished = *b.get(pos).ok_or("truncated checkpoint positions")? != 0;
    pos += 1;
    let n = u64_at(&mut pos)?;
    let mut outputs = Vec::new();
    for _ in 0..n.min(1 << 16) {
        let len = u64_at(&mut pos)? as usize;
        let path = b
            .get(pos..pos + len)
            .and_then(|s| std::str::from_utf8(s).ok())
            .ok_or("bad path in checkpoint positions")?
            .to_string();
        pos += len;
        let size = u64_at(&mut pos)?;
        outputs.push((path, size));
    }
    Ok((input, outputs, finished))
}
