//! Finds where records end in a stream of chunks, so the streaming validator can hand the parser
//! only whole records and carry the unfinished tail over to the next chunk.
//!
//! A record ends at a `\n` that is neither escaped by a backslash nor inside a double-quoted field
//! string (InfluxDB's `split_lines`, a port of Go's `scanLine`: quote tracking starts after the first
//! unescaped space once more `=` than `,` were seen). Blank and comment lines are records of their own.
//! The state survives between chunks, so every byte is looked at once; lines without a quote or a
//! backslash (almost all of them) are skipped with `memchr`.

/// Where the splitter is inside the current record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the first non-blank byte of a record.
    Start,
    /// Inside a `#` comment line: it ends at the next newline whatever it contains.
    Comment,
    /// Inside the measurement, tag set, field set or timestamp.
    Body,
}

/// Incremental record splitter. Feed it consecutive chunks; it reports record ends.
#[derive(Debug, Clone)]
pub struct RecordSplitter {
    phase: Phase,
    escaped: bool,
    in_fields: bool,
    quoted: bool,
    equals: u32,
    commas: u32,
}

/// Record ends found in one chunk: offsets just past the terminating `\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ends {
    pub first: Option<usize>,
    pub last: Option<usize>,
}

impl Default for RecordSplitter {
    fn default() -> Self {
        RecordSplitter {
            phase: Phase::Start,
            escaped: false,
            in_fields: false,
            quoted: false,
            equals: 0,
            commas: 0,
        }
    }
}

impl RecordSplitter {
    /// Scans `chunk`, which continues whatever was fed before, and returns the first and last record
    /// end in it.
    pub fn feed(&mut self, chunk: &[u8]) -> Ends {
        let mut ends = Ends::default();
        let mut record_end = |at: usize| {
            ends.first.get_or_insert(at);
            ends.last = Some(at);
        };
        let mut i = 0;
        while i < chunk.len() {
            if self.phase == Phase::Start {
                // Fast path: a line without quotes or backslashes is one whole record.
                let Some(nl) = memchr::memchr(b'\n', &chunk[i..]) else {
                    i = self.scan(chunk, i, &mut record_end);
                    continue;
                };
                if memchr::memchr2(b'"', b'\\', &chunk[i..i + nl]).is_none() {
                    i += nl + 1;
                    record_end(i);
                    continue;
                }
            }
            i = self.scan(chunk, i, &mut record_end);
        }
        ends
    }

    /// Steps byte by byte from `i` until the current record ends (returns the offset after its
    /// newline) or the chunk does (returns its length).
    fn scan(&mut self, chunk: &[u8], mut i: usize, record_end: &mut impl FnMut(usize)) -> usize {
        while i < chunk.len() {
            let ended = self.step(chunk[i]);
            i += 1;
            if ended {
                record_end(i);
                return i;
            }
        }
        i
    }

    /// Advances over one byte; true when it was the newline that ends the record.
    fn step(&mut self, b: u8) -> bool {
        match self.phase {
            Phase::Start => match b {
                b' ' | b'\t' => false,
                b'\n' => true,
                b'#' => {
                    self.phase = Phase::Comment;
                    false
                }
                _ => {
                    self.phase = Phase::Body;
                    self.body(b)
                }
            },
            Phase::Comment => {
                if b == b'\n' {
                    self.phase = Phase::Start;
                }
                b == b'\n'
            }
            Phase::Body => self.body(b),
        }
    }

    fn body(&mut self, b: u8) -> bool {
        if self.escaped {
            self.escaped = false;
            return false;
        }
        match b {
            b'\\' => self.escaped = true,
            b' ' if !self.in_fields => self.in_fields = true,
            b'=' if self.in_fields && !self.quoted => self.equals += 1,
            b',' if self.in_fields && !self.quoted => self.commas += 1,
            b'"' if self.in_fields && self.equals > self.commas => self.quoted = !self.quoted,
            b'\n' if !self.quoted => {
                *self = RecordSplitter::default();
                return true;
            }
            _ => {}
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// Record ends of `input` fed in chunks of `size` bytes, as offsets into the whole input.
    fn ends_in_chunks(input: &[u8], size: usize) -> Vec<usize> {
        let mut splitter = RecordSplitter::default();
        let mut all = Vec::new();
        for (n, chunk) in input.chunks(size).enumerate() {
            let base = n * size;
            let mut probe = splitter.clone();
            let ends = splitter.feed(chunk);
            // Collect every end by re-feeding byte by byte from the saved state.
            for (k, &b) in chunk.iter().enumerate() {
                if probe.step(b) {
                    all.push(base + k + 1);
                }
            }
            assert_eq!(
                ends.first,
                all.iter().find(|&&e| e > base).map(|e| e - base)
            );
            if let Some(last) = ends.last {
                assert_eq!(Some(&(base + last)), all.last());
            }
        }
        all
    }

    #[test]
    fn plain_lines_end_at_each_newline() {
        let input = b"cpu f=1 1\ncpu f=2 2\n\n# c \"x\n";
        assert_eq!(ends_in_chunks(input, 64), [10, 20, 21, 28]);
    }

    #[test]
    fn newline_inside_field_string_does_not_end_the_record() {
        let input = b"m f=\"a\nb\" 1\nm g=1\n";
        assert_eq!(ends_in_chunks(input, 64), [12, 18]);
        for size in 1..input.len() {
            assert_eq!(ends_in_chunks(input, size), [12, 18], "chunk size {size}");
        }
    }

    #[test]
    fn quotes_outside_field_values_are_literal() {
        // `"m"` is a measurement with quotes; the tag value quote opens nothing either.
        let input = b"\"m\",t=\"x f=1\n  m f=\"q\\\"\nq\",g=2\n";
        assert_eq!(ends_in_chunks(input, 3), [13, 31]);
    }

    #[test]
    fn escaped_newline_continues_the_record() {
        let input = b"m\\\n f=1\nm f=2\n";
        assert_eq!(ends_in_chunks(input, 2), [8, 14]);
    }

    #[test]
    fn unterminated_string_swallows_the_rest() {
        let input = b"m f=\"open 1\nm f=2\n";
        assert_eq!(ends_in_chunks(input, 5), Vec::<usize>::new());
    }
}
