//! Input lines from a reader, without copying them: a large buffer split with `memchr`.

use std::io::{self, Read};

/// Reads lines into one buffer and lends them out. A line that arrives in pieces (a live
/// feed) is handed out once its newline has come, or at the end of input.
pub struct LineReader<R> {
    input: R,
    buf: Vec<u8>,
    /// The unread part of `buf` is `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
}

/// Bytes read at a time; a longer line grows the buffer.
const CHUNK: usize = 1 << 18;

impl<R: Read> LineReader<R> {
    /// A reader of the lines of `input`.
    pub fn new(input: R) -> LineReader<R> {
        LineReader {
            input,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// The next line without its `\n` (and `\r`), and the bytes it took in the input.
    pub fn next_line(&mut self) -> io::Result<Option<(&[u8], usize)>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let line_start = self.start;
                self.start += i + 1;
                let line = &self.buf[line_start..line_start + i];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                return Ok(Some((line, i + 1)));
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let (s, e) = (self.start, self.end);
                self.start = e;
                let line = &self.buf[s..e];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                return Ok(Some((line, e - s)));
            }
            self.fill()?;
        }
    }

    /// Moves the unread bytes to the front and reads more after them.
    fn fill(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
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
        let mut r = LineReader::new(Trickle(input, piece));
        let mut out = Vec::new();
        while let Some((l, n)) = r.next_line().expect("reads") {
            out.push((String::from_utf8_lossy(l).into_owned(), n));
        }
        out
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
}
