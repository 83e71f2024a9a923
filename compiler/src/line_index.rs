//! Byte offsets to line and column, for diagnostics and the language server.

/// Line starts of one text, for turning byte offsets into positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.match_indices('\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        LineIndex { starts }
    }

    /// Zero-based line and zero-based byte column of `offset`.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        (u32::try_from(line).unwrap_or(u32::MAX), offset - start)
    }

    /// One-based line and one-based column counted in characters, as editors and
    /// `file:line:col` show them.
    pub fn human(&self, text: &str, offset: u32) -> (u32, u32) {
        let (line, col) = self.line_col(offset);
        let start = (offset - col) as usize;
        let end = (offset as usize).min(text.len());
        let chars = text
            .get(start..end)
            .map_or(col as usize, |s| s.chars().count());
        (line + 1, u32::try_from(chars).unwrap_or(u32::MAX) + 1)
    }

    /// Zero-based line and UTF-16 column, as the language server protocol counts.
    pub fn utf16(&self, text: &str, offset: u32) -> (u32, u32) {
        let (line, col) = self.line_col(offset);
        let start = (offset - col) as usize;
        let end = (offset as usize).min(text.len());
        let units = text
            .get(start..end)
            .map_or(col as usize, |s| s.encode_utf16().count());
        (line, u32::try_from(units).unwrap_or(u32::MAX))
    }

    /// The byte offset of a zero-based line and UTF-16 column; clamps to the line's end.
    pub fn offset_utf16(&self, text: &str, line: u32, col: u32) -> u32 {
        let Some(&start) = self.starts.get(line as usize) else {
            return u32::try_from(text.len()).unwrap_or(u32::MAX);
        };
        let rest = text.get(start as usize..).unwrap_or("");
        let mut units = 0u32;
        for (i, ch) in rest.char_indices() {
            if units >= col || ch == '\n' {
                return start + u32::try_from(i).unwrap_or(u32::MAX);
            }
            units += u32::try_from(ch.len_utf16()).unwrap_or(1);
        }
        u32::try_from(text.len()).unwrap_or(u32::MAX)
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The byte offset where zero-based line `line` starts; `None` past the last line.
    pub fn line_start(&self, line: usize) -> Option<u32> {
        self.starts.get(line).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_utf16_units() {
        let text = "ab\n通话x\n";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(idx.human(text, x), (2, 3));
        assert_eq!(idx.utf16(text, x), (1, 2));
        assert_eq!(idx.offset_utf16(text, 1, 2), x);
    }
}
