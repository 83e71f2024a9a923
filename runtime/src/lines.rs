//! Input lines from a reader, without copying them: a large buffer split with `memchr`, and
//! checked to be UTF-8 a buffer at a time.

use std::io::{self, Read};

/// Reads lines into one buffer and lends them out. A line that arrives in pieces (a live
/// feed) is handed out once its newline has come, or at the end of input.
pub struct LineReader<R> {
    input: R,
    /// The longest line handed out; a longer one is skipped without being kept whole
    /// (`Line::TooLong`), so memory stays bounded whatever the input.
    max_line: usize,
    buf: Vec<u8>,
    /// The unread part of `buf` is `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    /// The lines whose line break is before `checked` were checked together (from where the
    /// first of them starts), and `valid` says whether they were all UTF-8.
    checked: usize,
    valid: bool,
}

/// One input line, without its `\n` (and `\r`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// Known to be UTF-8: the reader checks the lines of its buffer in one pass (SIMD; one
    /// call per line costs several times more on short lines).
    Text(&'a str),
    /// Not known to be UTF-8 (a buffer that held a line that is not, or the last line of the
    /// input): whoever reads it checks it.
    Bytes(&'a [u8]),
    /// A line longer than the reader's limit, of this many bytes (its line break left out),
    /// skipped without being kept.
    TooLong(usize),
}

impl<'a> Line<'a> {
    /// The line's bytes, whichever it is.
    pub fn bytes(self) -> &'a [u8] {
        match self {
            Line::Text(t) => t.as_bytes(),
            Line::Bytes(b) => b,
            Line::TooLong(_) => &[],
        }
    }
}

/// Bytes read at a time; a longer line grows the buffer. 64 KiB stays in the second-level
/// cache and is a quarter of what 256 KiB cost in resident memory; the extra reads are one
/// per ~700 events of the benchmark's (W3: same wall time, peak RSS −0.2 MiB).
const CHUNK: usize = 1 << 16;

/// The longest line a reader keeps unless told otherwise (`--max-line-bytes`): 1 MiB, the
/// largest message NATS and Kafka take by default.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

impl<R: Read> LineReader<R> {
    /// A reader of the lines of `input`.
    pub fn new(input: R) -> LineReader<R> {
        LineReader {
            input,
            max_line: DEFAULT_MAX_LINE,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            checked: 0,
            valid: false,
        }
    }

    /// Lines longer than `max` bytes are skipped (`Line::TooLong`).
    pub fn with_max_line(mut self, max: usize) -> LineReader<R> {
        self.max_line = max;
        self
    }

    /// The next line, and the bytes it took in the input.
    // PANIC SAFETY: `start <= end <= buf.len()` always (`fill` keeps it), and line breaks are
    // found within `start..end`.
    #[allow(clippy::indexing_slicing)]
    pub fn next_line(&mut self) -> io::Result<Option<(Line<'_>, usize)>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let line_start = self.start;
                let newline = line_start + i;
                if i > self.max_line {
                    self.start = newline + 1;
                    return Ok(Some((Line::TooLong(i), i + 1)));
                }
                if newline >= self.checked {
                    self.check_lines();
                }
                self.start = newline + 1;
                let line = &self.buf[line_start..newline];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let line = match self.valid {
                    // SAFETY: `check_lines` found the bytes from at most this line's start up to
                    // `checked` to be UTF-8, and the line ends before `checked`, at a line break
                    // (ASCII, so never inside a character).
                    true => Line::Text(unsafe { std::str::from_utf8_unchecked(line) }),
                    false => Line::Bytes(line),
                };
                return Ok(Some((line, i + 1)));
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let (s, e) = (self.start, self.end);
                self.start = e;
                if e - s > self.max_line {
                    return Ok(Some((Line::TooLong(e - s), e - s)));
                }
                let line = &self.buf[s..e];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                return Ok(Some((Line::Bytes(line), e - s)));
            }
            if self.end - self.start > self.max_line {
                return self.skip_line().map(Some);
            }
            self.fill()?;
        }
    }

    /// Skips the rest of a line already longer than the limit, reading no more than a chunk
    /// at a time: the line (as `TooLong`) and the bytes it took.
    // PANIC SAFETY: as `next_line`; a read returns at most the buffer's length.
    #[allow(clippy::indexing_slicing)]
    fn skip_line(&mut self) -> io::Result<(Line<'static>, usize)> {
        let mut len = self.end - self.start;
        (self.start, self.end, self.checked, self.valid) = (0, 0, 0, false);
        loop {
            let n = match self.input.read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                self.eof = true;
                return Ok((Line::TooLong(len), len));
            }
            if let Some(i) = memchr::memchr(b'\n', &self.buf[..n]) {
                (self.start, self.end) = (i + 1, n);
                len += i;
                return Ok((Line::TooLong(len), len + 1));
            }
            len += n;
        }
    }

    /// Whether `next_line` would return without reading: a whole line is in the buffer, or
    /// the input has ended. A batching consumer hands on what it has before it could wait.
    pub fn has_buffered_line(&self) -> bool {
        // `checked` is just past the buffer's last line break once `next_line` has returned
        // a line from it (`check_lines`), and 0 after a read.
        self.eof || self.start < self.checked
    }

    /// Checks the unread lines that have their line break in one pass, up to the last break.
    // PANIC SAFETY: `start <= end <= buf.len()` always (`fill` keeps it), and line breaks are
    // found within `start..end`.
    #[allow(clippy::indexing_slicing)]
    fn check_lines(&mut self) {
        let unread = &self.buf[self.start..self.end];
        let last = memchr::memrchr(b'\n', unread).map_or(0, |i| i + 1);
        self.valid = simdutf8::basic::from_utf8(&unread[..last]).is_ok();
        self.checked = self.start + last;
    }

    /// Moves the unread bytes to the front and reads more after them.
    // PANIC SAFETY: `start <= end <= buf.len()` always (`fill` keeps it), and line breaks are
    // found within `start..end`.
    #[allow(clippy::indexing_slicing)]
    fn fill(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        // What was checked has been read: nothing of what is left is.
        (self.checked, self.valid) = (0, false);
        if self.end == self.buf.len() {
            let len = self.buf.len();
            self.buf.resize(len * 2, 0);
        }
        loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `n` bytes per read, like a pipe.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(self.0.len()).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn lines(input: &[u8], piece: usize) -> Vec<(String, usize)> {
        read(input, piece)
            .into_iter()
            .map(|(l, _, n)| (String::from_utf8_lossy(&l).into_owned(), n))
            .collect()
    }

    /// Each line's bytes, whether it came as text, and the bytes it took.
    fn read(input: &[u8], piece: usize) -> Vec<(Vec<u8>, bool, usize)> {
        let mut r = LineReader::new(Trickle(input, piece));
        let mut out = Vec::new();
        while let Some((l, n)) = r.next_line().expect("reads") {
            out.push((l.bytes().to_vec(), matches!(l, Line::Text(_)), n));
        }
        out
    }

    #[test]
    fn lines_come_as_text_unless_checked_with_one_that_is_not_utf8() {
        let good = "é\n张三\r\n\nlast".as_bytes();
        for piece in [1, 2, 3, 5, 100] {
            let got = read(good, piece);
            let text: Vec<bool> = got.iter().map(|l| l.1).collect();
            // The last line has no line break: it is never checked with the others.
            assert_eq!(text, [true, true, true, false], "pieces of {piece}");
            assert_eq!(got[1].0, "张三".as_bytes());
        }
        let bad = b"ok\n\xff\xfe\nfine\n";
        for piece in [1, 3, 100] {
            let got = read(bad, piece);
            let bytes: Vec<&[u8]> = got.iter().map(|l| &l.0[..]).collect();
            assert_eq!(
                bytes,
                [&b"ok"[..], b"\xff\xfe", b"fine"],
                "pieces of {piece}"
            );
            assert!(!got[1].1, "pieces of {piece}");
        }
        // Read at once, the three lines are checked together and all come as bytes; read a
        // line at a time, only the bad one does.
        let kinds = |piece| read(bad, piece).iter().map(|l| l.1).collect::<Vec<_>>();
        assert_eq!(kinds(100), [false, false, false]);
        assert_eq!(kinds(3), [true, false, true]);
        // A character cut between reads is whole in its line.
        let cut = read("ab张\n".as_bytes(), 3);
        assert_eq!(cut, [("ab张".as_bytes().to_vec(), true, 6)]);
    }

    #[test]
    fn lines_come_whole_however_the_input_is_cut() {
        let input = b"a\r\nbb\n\nccc";
        let expected = vec![
            ("a".to_string(), 3),
            ("bb".to_string(), 3),
            (String::new(), 1),
            ("ccc".to_string(), 3),
        ];
        for piece in [1, 2, 3, 100] {
            assert_eq!(lines(input, piece), expected, "pieces of {piece}");
        }
    }

    #[test]
    fn a_line_longer_than_the_buffer_grows_it() {
        let long = "x".repeat(CHUNK * 2 + 7);
        let input = format!("{long}\nshort\n");
        let got = lines(input.as_bytes(), CHUNK / 3);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0.len(), long.len());
        assert_eq!(got[0].1, long.len() + 1);
        assert_eq!(got[1], ("short".to_string(), 6));
    }

    /// Lines over the limit are skipped whole, however they arrive, with the bytes they took;
    /// the buffer never holds much more than the limit.
    #[test]
    fn a_line_over_the_limit_is_skipped_and_the_next_ones_are_whole() {
        let long = "x".repeat(10_000);
        let input = format!("ok\n{long}\nnext\n{long}\r\nafter\n{long}");
        for piece in [1, 7, 100, 4096, 1 << 20] {
            let mut r = LineReader::new(Trickle(input.as_bytes(), piece)).with_max_line(1000);
            let mut got = Vec::new();
            let mut consumed = 0;
            while let Some((l, n)) = r.next_line().expect("reads") {
                consumed += n;
                got.push(match l {
                    Line::TooLong(len) => format!("too long {len}"),
                    other => String::from_utf8_lossy(other.bytes()).into_owned(),
                });
                assert!(
                    r.buf.len() <= 4 * CHUNK,
                    "the buffer grew to {}",
                    r.buf.len()
                );
            }
            assert_eq!(consumed, input.len(), "pieces of {piece}");
            assert_eq!(
                got,
                [
                    "ok",
                    "too long 10000",
                    "next",
                    "too long 10001",
                    "after",
                    "too long 10000"
                ],
                "pieces of {piece}"
            );
        }
    }
}
