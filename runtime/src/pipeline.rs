//! Input lines decoded ahead of the engine, on a thread of their own.
//!
//! Decoding a line (reading it, checking it is UTF-8, scanning its JSON into a row) needs
//! nothing of the engine's state, and it is a third to a half of a run's work. So a run reads
//! and decodes on one thread while the engine runs the rules on another; the rows come over
//! in order, in batches, and the engine stays single-threaded: the records are the same, in
//! the same order, as when one thread does everything.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender};

use crate::ingest::{Decoded, LineDecoder};
use crate::lines::{DEFAULT_MAX_LINE, LineReader};

/// One input line, decoded.
#[derive(Debug)]
pub struct DecodedLine {
    /// What the line decoded to.
    pub decoded: Decoded,
    /// Bytes the line took in the input, its line break included.
    pub len: usize,
    /// The line as it was, kept only when it was rejected or may be rejected late (for a
    /// rejects file).
    pub rejected_text: Option<Box<[u8]>>,
}

/// Lines decoded per batch sent between the threads: enough that handing one over costs
/// little per line, few enough that the rows waiting stay a few hundred kilobytes.
const BATCH: usize = 256;

/// Batches that may wait, decoded, for the engine; the decoding thread blocks beyond that.
const QUEUED: usize = 2;

enum Message {
    Lines(Vec<DecodedLine>),
    Failed(io::Error),
}

/// The decoded lines of an input, in order.
pub struct Decoding {
    source: Source,
}

enum Source {
    /// Decoded by another thread, received a batch at a time.
    Thread {
        lines: Receiver<Message>,
        batch: std::vec::IntoIter<DecodedLine>,
    },
    /// Decoded here, a line at a time.
    Here {
        reader: LineReader<Box<dyn Read + Send>>,
        decoder: LineDecoder,
        line_no: u64,
        latest: Latest,
    },
}

impl Decoding {
    /// Decodes `input`'s lines with `decoder` (`Engine::decoder`), numbering them from
    /// `first_line` (`Engine::lines() + 1`). With `thread`, on a thread of its own; if none
    /// can be started, here.
    pub fn new(
        input: Box<dyn Read + Send>,
        decoder: LineDecoder,
        first_line: u64,
        thread: bool,
    ) -> Decoding {
        Decoding::with_max_line(input, decoder, first_line, thread, DEFAULT_MAX_LINE)
    }

    /// As `new`, lines longer than `max_line` bytes rejected as `too_long` without being
    /// kept.
    pub fn with_max_line(
        input: Box<dyn Read + Send>,
        decoder: LineDecoder,
        first_line: u64,
        thread: bool,
        max_line: usize,
    ) -> Decoding {
        let reader = LineReader::new(input).with_max_line(max_line);
        if !thread {
            return Decoding::here(reader, decoder, first_line);
        }
        let (send, lines) = std::sync::mpsc::sync_channel(QUEUED);
        // The reader and decoder go to the thread through a slot, so that they come back if
        // the thread cannot be started.
        let parts = std::sync::Arc::new(std::sync::Mutex::new(Some((reader, decoder))));
        let theirs = std::sync::Arc::clone(&parts);
        let started = std::thread::Builder::new()
            .name("vigil-decode".into())
            .spawn(move || {
                let taken = theirs.lock().ok().and_then(|mut p| p.take());
                if let Some((reader, decoder)) = taken {
                    decode_all(reader, decoder, first_line, &send);
                }
            });
        if started.is_err()
            && let Some((reader, decoder)) = parts.lock().ok().and_then(|mut p| p.take())
        {
            return Decoding::here(reader, decoder, first_line);
        }
        Decoding {
            source: Source::Thread {
                lines,
                batch: Vec::new().into_iter(),
            },
        }
    }

    fn here(
        reader: LineReader<Box<dyn Read + Send>>,
        decoder: LineDecoder,
        first_line: u64,
    ) -> Decoding {
        Decoding {
            source: Source::Here {
                latest: Latest(decoder.watermark),
                reader,
                decoder,
                line_no: first_line,
            },
        }
    }

    /// Decodes the lines not yet decoded with `decoder`: after a `$reload`, the new rule
    /// set's (`Engine::decoder`). Lines decoded ahead on another thread cannot be, so that
    /// returns false: a run that may meet reloads decodes here.
    pub fn replace_decoder(&mut self, new: LineDecoder) -> bool {
        match &mut self.source {
            Source::Thread { .. } => false,
            Source::Here { decoder, .. } => {
                *decoder = new;
                true
            }
        }
    }

    /// The next line, `None` at the end of the input. After an error reading the input,
    /// there is nothing more.
    pub fn next_line(&mut self) -> io::Result<Option<DecodedLine>> {
        match &mut self.source {
            Source::Thread { lines, batch } => loop {
                if let Some(line) = batch.next() {
                    if let Some(DecodedLine {
                        decoded: Decoded::Row(next),
                        ..
                    }) = batch.as_slice().first()
                    {
                        next.prefetch();
                    }
                    return Ok(Some(line));
                }
                match receive(lines) {
                    Ok(Message::Lines(next)) => *batch = next.into_iter(),
                    Ok(Message::Failed(e)) => return Err(e),
                    // The thread is done: it sends everything before it ends.
                    Err(_) => return Ok(None),
                }
            },
            Source::Here {
                reader,
                decoder,
                line_no,
                latest,
            } => {
                let Some((line, len)) = reader.next_line()? else {
                    return Ok(None);
                };
                let decoded = decoder.decode(line, *line_no);
                *line_no += 1;
                Ok(Some(decoded_line(decoded, line.bytes(), len, latest)))
            }
        }
    }
}

/// How long a thread waits for the other by spinning before it sleeps. Waking a sleeping
/// thread takes the kernel, and on a virtual machine waking its idle core takes the host: tens
/// of microseconds per batch, as long as decoding one. A batch comes every ~50 µs when both
/// threads keep up, so a short spin nearly always sees it. The spin yields the core at each
/// turn: on a machine with a core to spare that returns at once, but when another process
/// holds the other core (a shared host, a one-CPU container), a spin that only paused kept the
/// very thread it waited for off the CPU (W3 with one busy process beside it: 1.2–1.3 s
/// against 0.35 s on one thread).
const SPIN: std::time::Duration = std::time::Duration::from_micros(200);

/// The next message, spinning for up to `SPIN` before sleeping on the channel.
fn receive(lines: &Receiver<Message>) -> Result<Message, std::sync::mpsc::RecvError> {
    let started = std::time::Instant::now();
    loop {
        match lines.try_recv() {
            Ok(m) => return Ok(m),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                return Err(std::sync::mpsc::RecvError);
            }
            Err(std::sync::mpsc::TryRecvError::Empty) if started.elapsed() < SPIN => {
                std::thread::yield_now();
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => return lines.recv(),
        }
    }
}

/// Sends `message`, spinning for up to `SPIN` while the queue is full before sleeping on it.
fn hand_over(send: &SyncSender<Message>, message: Message) -> Result<(), ()> {
    let started = std::time::Instant::now();
    let mut message = message;
    loop {
        match send.try_send(message) {
            Ok(()) => return Ok(()),
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return Err(()),
            Err(std::sync::mpsc::TrySendError::Full(m)) if started.elapsed() < SPIN => {
                message = m;
                std::thread::yield_now();
            }
            Err(std::sync::mpsc::TrySendError::Full(m)) => return send.send(m).map_err(|_| ()),
        }
    }
}

/// The latest time the lines so far could have moved the watermark to: the engine's
/// watermark when decoding started, then every event and tick time. An event before it may be
/// rejected late by the engine, so its text is kept; in order, nothing is.
struct Latest(i64);

fn decoded_line(decoded: Decoded, text: &[u8], len: usize, latest: &mut Latest) -> DecodedLine {
    let keep = match &decoded {
        // A reload may be refused: then its text goes to the rejects.
        Decoded::Rejected(_) | Decoded::Reload(_) => true,
        Decoded::Row(row) => {
            let early = row.time < latest.0;
            latest.0 = latest.0.max(row.time);
            early
        }
        Decoded::Tick(time) => {
            latest.0 = latest.0.max(*time);
            false
        }
        Decoded::Blank => false,
    };
    DecodedLine {
        decoded,
        len,
        rejected_text: keep.then(|| Box::from(text)),
    }
}

/// The decoding thread: every line of `reader`, in batches, until the input ends, reading
/// fails, or the receiver is gone. A batch goes as soon as it is full or the next line would
/// have to be waited for, so that a live feed's events are not held back.
fn decode_all(
    mut reader: LineReader<Box<dyn Read + Send>>,
    mut decoder: LineDecoder,
    first_line: u64,
    send: &SyncSender<Message>,
) {
    let mut line_no = first_line;
    let mut latest = Latest(decoder.watermark);
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        if !batch.is_empty() && (batch.len() == BATCH || !reader.has_buffered_line()) {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if hand_over(send, Message::Lines(full)).is_err() {
                return;
            }
        }
        match reader.next_line() {
            Ok(Some((line, len))) => {
                let decoded = decoder.decode(line, line_no);
                line_no += 1;
                batch.push(decoded_line(decoded, line.bytes(), len, &mut latest));
            }
            Ok(None) => break,
            Err(e) => {
                if !batch.is_empty() {
                    let _ = send.send(Message::Lines(std::mem::take(&mut batch)));
                }
                let _ = send.send(Message::Failed(e));
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = send.send(Message::Lines(batch));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `n` bytes per read and fails after `fail_after` bytes
    /// if asked to.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        piece: usize,
        fail_after: Option<usize>,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.fail_after.is_some_and(|f| self.at >= f) {
                return Err(io::Error::other("the disk went away"));
            }
            let n = self.piece.min(self.data.len() - self.at).min(out.len());
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn program() -> vigil_ir::Program {
        let src = "unit u\nevent Ping { who: str }\nrule r {\n  when p: Ping\n  alert u\n}\n";
        vigil_compiler::load::compile_sources(&[("ping.vigil", src)]).expect("compiles")
    }

    /// (line number or kind, bytes) of every line, and the error at the end if any.
    fn decode(input: &[u8], piece: usize, fail_after: Option<usize>, thread: bool) -> String {
        let program = program();
        let reader = Trickle {
            data: input.to_vec(),
            at: 0,
            piece,
            fail_after,
        };
        let mut d = Decoding::new(Box::new(reader), LineDecoder::new(&program), 7, thread);
        let mut out = String::new();
        loop {
            match d.next_line() {
                Ok(Some(l)) => {
                    let what = match &l.decoded {
                        Decoded::Blank => "blank".to_string(),
                        Decoded::Row(r) => format!("{:?}", r.source),
                        Decoded::Tick(t) => format!("tick {t}"),
                        Decoded::Reload(f) => format!("reload {f}"),
                        Decoded::Rejected(r) => format!(
                            "{} {}",
                            r.kind.as_str(),
                            String::from_utf8_lossy(l.rejected_text.as_deref().unwrap_or(b"-"))
                        ),
                    };
                    out.push_str(&format!("{what} ({})\n", l.len));
                }
                Ok(None) => break,
                Err(e) => {
                    out.push_str(&format!("error: {e}\n"));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn lines_come_in_order_numbered_from_the_first_whether_decoded_here_or_on_a_thread() {
        let mut input = String::new();
        for i in 0..1000 {
            match i % 7 {
                3 => input.push_str("not json\n"),
                5 => input.push_str("   \n"),
                _ => input.push_str(&format!(
                    "{{\"type\":\"Ping\",\"time\":\"2024-01-01T00:00:{:02}Z\",\"who\":\"p{i}\"}}\n",
                    i % 60
                )),
            }
        }
        input.push_str("{\"type\":\"Nope\",\"time\":\"2024-01-01T00:00:00Z\"}");
        let here = decode(input.as_bytes(), 4096, None, false);
        assert!(here.starts_with("Line(7) ("), "{here}");
        assert!(here.contains("\nLine(1005) ("), "{here}");
        assert!(here.contains("\nnot_json not json (9)\n"), "{here}");
        assert!(here.contains("\nblank (4)\n"), "{here}");
        assert!(here.ends_with(
            "unknown_type {\"type\":\"Nope\",\"time\":\"2024-01-01T00:00:00Z\"} (45)\n"
        ));
        assert_eq!(here.lines().count(), 1001);
        for piece in [1, 13, 4096, 1 << 20] {
            assert_eq!(
                decode(input.as_bytes(), piece, None, true),
                here,
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn a_read_error_ends_the_lines_after_those_read_before_it() {
        let input =
            "{\"type\":\"Ping\",\"time\":\"2024-01-01T00:00:00Z\",\"who\":\"a\"}\n".repeat(600);
        for thread in [false, true] {
            let got = decode(input.as_bytes(), 1000, Some(20_000), thread);
            let lines: Vec<&str> = got.lines().collect();
            assert_eq!(
                lines.last(),
                Some(&"error: the disk went away"),
                "thread {thread}"
            );
            // 20,000 bytes read hold 357 whole lines of 56 bytes.
            assert_eq!(lines.len(), 357 + 1, "thread {thread}");
        }
    }

    /// A live feed: the thread hands on each line as soon as it has it, without waiting for
    /// a batch to fill (a line held back would never come: its next is only written once it
    /// has).
    #[test]
    fn a_line_of_a_live_feed_comes_before_the_next_is_written() {
        let (read, mut write) = std::io::pipe().expect("a pipe");
        let program = program();
        let mut d = Decoding::new(Box::new(read), LineDecoder::new(&program), 1, true);
        let (sources, got) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            while let Ok(Some(line)) = d.next_line() {
                if let Decoded::Row(r) = line.decoded {
                    let _ = sources.send(r.source);
                }
            }
        });
        for i in 1..=3u64 {
            use std::io::Write;
            writeln!(
                write,
                "{{\"type\":\"Ping\",\"time\":\"2024-01-01T00:00:0{i}Z\",\"who\":\"a\"}}"
            )
            .expect("writes");
            let source = got.recv_timeout(std::time::Duration::from_secs(20));
            assert_eq!(source, Ok(crate::Source::Line(i)), "line {i}");
        }
    }
}
