//! Record splitting of input that arrives in chunks: which bytes hold whole records, and which
//! must wait for more input.
//!
//! A record ends at a line end outside string values, and string values may span lines, so
//! whether a record is whole depends on its parse. The [`Splitter`] hands complete lines to a
//! parse ([`Piece::lines`]: a [`Lines`] made [`partial`](Lines::partial)), which stops at a
//! record whose string value is still open at the end of what arrived; only that record and any
//! line without its newline yet are copied until the rest arrives. Lines are numbered across
//! chunks, so diagnostics keep the physical line and column in the whole input.
use alloc::vec::Vec;
use core::mem;

use crate::{Lines, MAX_STRING_LEN};

/// A run of whole lines for the parse, and where it sits in the whole input.
#[derive(Debug, Clone, Copy)]
pub struct Piece<'a> {
    /// Starts at a line start; ends at a line end unless `last`.
    pub bytes: &'a [u8],
    /// 1-based physical line number of the first line of `bytes` in the whole input.
    pub first_line: u32,
    /// The end of the input: every record in `bytes` is final (parse it without `partial`).
    pub last: bool,
}

impl<'a> Piece<'a> {
    /// The parser for this piece: lines numbered in the whole input, and
    /// [`partial`](Lines::partial) unless the piece is the last.
    pub fn lines(&self) -> Lines<'a> {
        let lines = Lines::new(self.bytes).starting_at_line(self.first_line);
        if self.last {
            lines
        } else {
            lines.partial()
        }
    }
}

/// Resumable record splitting. `push` each chunk, then `finish`; each calls `parse` with the
/// pieces it completes. `parse` returns the offset in the piece where a record it could not
/// finish starts ([`Lines::unfinished`](crate::Lines::unfinished)), or `None` when it used
/// every byte.
#[derive(Debug, Default)]
pub struct Splitter {
    /// Start of an unfinished record carried over from earlier chunks.
    carry: Vec<u8>,
    /// `carry` holds a string value that is still open: only a quote (or the parser's length
    /// limit) can change that, so lines without one are appended without parsing again.
    open_string: bool,
    /// Newlines in everything parsed so far.
    newlines: u64,
    /// The input so far is non-empty and does not end in a newline.
    open_line: bool,
}

impl Splitter {
    pub fn new() -> Self {
        Splitter::default()
    }

    /// Physical lines seen so far (a last line without a newline counts).
    pub fn lines(&self) -> u64 {
        self.newlines + u64::from(self.open_line)
    }

    /// The 1-based number of the next line to parse.
    fn next_line(&self) -> u32 {
        u32::try_from(self.newlines + 1).unwrap_or(u32::MAX)
    }

    /// Takes the next chunk; parses every record it completes.
    pub fn push(&mut self, chunk: &[u8], mut parse: impl FnMut(Piece<'_>) -> Option<usize>) {
        if chunk.is_empty() {
            return;
        }
        self.open_line = chunk.last() != Some(&b'\n');
        let mut rest = chunk;
        // Complete the carried record line by line, copying only what it needs.
        while !self.carry.is_empty() {
            let Some(nl) = memchr::memchr(b'\n', rest) else {
                self.carry.extend_from_slice(rest);
                return;
            };
            let (line, after) = rest.split_at(nl + 1);
            rest = after;
            self.carry.extend_from_slice(line);
            if self.open_string
                && memchr::memchr(b'"', line).is_none()
                && self.carry.len() < MAX_STRING_LEN
            {
                continue;
            }
            let mut carry = mem::take(&mut self.carry);
            let unfinished = self.run(&carry, false, &mut parse);
            carry.drain(..unfinished.unwrap_or(carry.len()));
            self.open_string = unfinished.is_some();
            self.carry = carry;
        }
        let Some(last) = memchr::memrchr(b'\n', rest) else {
            self.carry.extend_from_slice(rest);
            return;
        };
        let complete = &rest[..=last];
        let unfinished = self.run(complete, false, &mut parse);
        self.open_string = unfinished.is_some();
        self.carry
            .extend_from_slice(&rest[unfinished.unwrap_or(complete.len())..]);
    }

    /// Ends the input with `rest` (may be empty): everything left is parsed as final. Called
    /// alone, it parses a whole input in place.
    pub fn finish(&mut self, rest: &[u8], mut parse: impl FnMut(Piece<'_>) -> Option<usize>) {
        if !rest.is_empty() {
            self.open_line = rest.last() != Some(&b'\n');
        }
        if self.carry.is_empty() {
            self.run(rest, true, &mut parse);
        } else {
            let mut record = mem::take(&mut self.carry);
            record.extend_from_slice(rest);
            self.run(&record, true, &mut parse);
        }
        self.open_string = false;
    }

    /// Hands `bytes` to `parse` and counts the lines it consumed.
    fn run(
        &mut self,
        bytes: &[u8],
        last: bool,
        parse: &mut impl FnMut(Piece<'_>) -> Option<usize>,
    ) -> Option<usize> {
        let unfinished = parse(Piece {
            bytes,
            first_line: self.next_line(),
            last,
        })
        .filter(|_| !last);
        let consumed = &bytes[..unfinished.unwrap_or(bytes.len())];
        self.newlines += memchr::memchr_iter(b'\n', consumed).count() as u64;
        unfinished
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Diagnostic;
    use alloc::string::{String, ToString};
    use alloc::vec;

    /// Each record's first line and verdict (the raw text or the message with its position).
    type Verdicts = Vec<(u32, Result<String, String>)>;

    fn parse_piece(piece: Piece<'_>, out: &mut Verdicts) -> Option<usize> {
        let mut lines = piece.lines();
        for record in lines.by_ref() {
            out.push(match record {
                Ok(line) => (line.line_number, Ok(line.raw.to_string())),
                Err(d) => (d.record_line, Err(position(&d))),
            });
        }
        lines.unfinished()
    }

    fn position(d: &Diagnostic) -> String {
        alloc::format!("{}:{}-{} {}", d.line, d.column, d.end_column, d.message)
    }

    fn whole(input: &[u8]) -> (Verdicts, u64) {
        let mut out = Vec::new();
        let mut splitter = Splitter::new();
        splitter.finish(input, |p| parse_piece(p, &mut out));
        (out, splitter.lines())
    }

    fn cut(input: &[u8], sizes: &[usize]) -> (Verdicts, u64) {
        let mut out = Vec::new();
        let mut splitter = Splitter::new();
        let mut rest = input;
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, after) = rest.split_at((*size).min(rest.len()));
            splitter.push(chunk, |p| parse_piece(p, &mut out));
            rest = after;
        }
        splitter.finish(&[], |p| parse_piece(p, &mut out));
        (out, splitter.lines())
    }

    #[test]
    fn an_open_string_waits_for_its_quote() {
        let input = b"m f=\"a\nb\nc\" 1\nm f=\"x\n";
        let expected = whole(input);
        assert_eq!(expected.1, 4);
        assert_eq!(expected.0.len(), 2);
        assert_eq!(expected.0[0], (1, Ok(String::from("m f=\"a\nb\nc\" 1"))));
        assert_eq!(expected.0[1].0, 4);
        for size in 1..input.len() {
            assert_eq!(cut(input, &[size]), expected, "chunk size {size}");
        }
    }

    #[test]
    fn a_later_string_left_open_keeps_the_record_waiting() {
        // The first string spans lines and closes; the second is still open when the chunk
        // ends, so the record's verdict waits although its first string is done.
        let input = b"m a=\"x\ny\",b=\"p\nq\" 1\nm f=1 2\n";
        let expected = whole(input);
        assert!(expected.0.iter().all(|(_, r)| r.is_ok()), "{expected:?}");
        for size in 1..input.len() {
            assert_eq!(cut(input, &[size]), expected, "chunk size {size}");
        }
    }

    #[test]
    fn lines_are_numbered_across_chunks() {
        let input = b"# c\nm f=1 1\n\nm f= 2\n";
        let (verdicts, lines) = cut(input, &[3]);
        assert_eq!(lines, 4);
        assert_eq!(verdicts[0], (2, Ok(String::from("m f=1 1"))));
        let (line, result) = &verdicts[1];
        assert_eq!(*line, 4);
        assert!(
            result.as_ref().unwrap_err().starts_with("4:5-6 "),
            "{result:?}"
        );
    }

    proptest::proptest! {
        /// Pieces that steer record splitting (string values left open or closed on a later
        /// line, escapes, comments, CRLF, invalid UTF-8), cut at random places: the verdicts are
        /// those of the whole input.
        #[test]
        fn random_inputs_and_cuts_agree(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"m,t=a f=1i"[..], b"m s=\"", b"x", b"\"", b"\\", b"\\\"", b" 1", b",",
                    b"\n", b"\r\n", b"# c \"", b"=", b" ", b"g=t", b"\xc3\xa9", b"\xff",
                ]),
                0..60,
            ),
            cuts in proptest::collection::vec(1usize..40, 1..20),
        ) {
            let input = pieces.concat();
            proptest::prop_assert_eq!(cut(&input, &cuts), whole(&input));
        }
    }
}
