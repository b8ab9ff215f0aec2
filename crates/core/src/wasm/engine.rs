//! Validation of one input that arrives whole or in chunks: parses whole records, checks them with
//! the core's `BatchValidator`, numbers lines across chunks, and collects points and errors.
//!
//! Chunked input is never concatenated: the complete lines of a chunk are parsed in place, and only
//! an unfinished record is copied (into `carry`) until its end arrives. A record is unfinished when
//! its last line has no newline yet, or when a string value in it is still open at the end of what
//! arrived (string values may span lines, so the parser's view of it depends on what follows).
use alloc::vec::Vec;
use core::mem;

use super::encode::Encoded;
use crate::validate::MAX_COLUMNS_PER_TABLE;
use crate::{
    parse_lines, BatchValidator, Diagnostic, ErrorKind, KnownSchema, Line, Precision,
    MAX_STRING_LEN,
};

/// What to gather besides counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collect {
    /// Keep the valid points (`parse`) or only count them (`validate`).
    pub points: bool,
    /// Errors kept in full; later ones are only counted.
    pub max_errors: u64,
}

pub struct Engine<'s> {
    validator: BatchValidator<'s>,
    collect: Collect,
    default_time_ns: i64,
    /// Start of an unfinished record carried over from earlier chunks.
    carry: Vec<u8>,
    /// `carry` holds a string value that is still open: only a quote (or the parser's length
    /// limit) can change that, so lines without one are appended without parsing again.
    open_string: bool,
    /// Newlines in everything parsed so far: the line number offset of the next slice.
    newlines: u64,
    /// Whether the input so far is non-empty and does not end in a newline (an unterminated last line).
    open_line: bool,
    points: u64,
    errors: u64,
    pub out: Encoded,
}

impl<'s> Engine<'s> {
    /// `default_time_ns` is the time of lines without a timestamp (the caller's "now").
    pub fn new(
        precision: Precision,
        schema: Option<&'s dyn KnownSchema>,
        collect: Collect,
        default_time_ns: i64,
    ) -> Self {
        Engine {
            validator: BatchValidator::new(precision, schema)
                .with_max_columns(MAX_COLUMNS_PER_TABLE),
            collect,
            default_time_ns,
            carry: Vec::new(),
            open_string: false,
            newlines: 0,
            open_line: false,
            points: 0,
            errors: 0,
            out: Encoded::default(),
        }
    }

    /// Physical lines seen so far (a last line without a newline counts).
    pub fn lines(&self) -> u64 {
        self.newlines + u64::from(self.open_line)
    }

    pub fn points(&self) -> u64 {
        self.points
    }

    pub fn error_count(&self) -> u64 {
        self.errors
    }

    /// Takes the next chunk; parses every record it completes.
    pub fn push(&mut self, chunk: &[u8]) {
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
            let unfinished = self.process(&carry, false);
            carry.drain(..unfinished.unwrap_or(carry.len()));
            self.open_string = unfinished.is_some();
            self.carry = carry;
        }
        let Some(last) = memchr::memrchr(b'\n', rest) else {
            self.carry.extend_from_slice(rest);
            return;
        };
        let complete = &rest[..=last];
        let unfinished = self.process(complete, false);
        self.open_string = unfinished.is_some();
        self.carry
            .extend_from_slice(&rest[unfinished.unwrap_or(complete.len())..]);
    }

    /// Ends the input with `rest` (may be empty): everything left is parsed as complete. Used alone,
    /// it validates a whole input in place.
    pub fn finish(&mut self, rest: &[u8]) {
        if !rest.is_empty() {
            self.open_line = rest.last() != Some(&b'\n');
        }
        if self.carry.is_empty() {
            self.process(rest, true);
        } else {
            let mut record = mem::take(&mut self.carry);
            record.extend_from_slice(rest);
            self.process(&record, true);
        }
        self.open_string = false;
    }

    /// Parses and checks the records of `input`, which starts at a line start. Unless `last`, it
    /// stops at a record whose string value is still open at the end of `input` and returns where
    /// that record starts.
    fn process(&mut self, input: &[u8], last: bool) -> Option<usize> {
        let offset = u32::try_from(self.newlines).unwrap_or(u32::MAX);
        let mut records = parse_lines(input);
        let mut line = Line::new();
        let mut unfinished = None;
        while let Some(result) = records.next_into(&mut line) {
            match result {
                Ok(()) => {
                    // Absolute numbers before the check, so messages naming an earlier line are right.
                    line.line_number = line.line_number.saturating_add(offset);
                    match self.validator.check(&line, self.default_time_ns) {
                        Ok(timestamp_ns) => {
                            self.points += 1;
                            if self.collect.points {
                                self.out.push_point(&line, timestamp_ns);
                            }
                        }
                        Err(diagnostic) => self.error(&diagnostic),
                    }
                }
                Err(mut diagnostic) => {
                    if !last
                        && diagnostic.kind == ErrorKind::UnterminatedString
                        && string_open_at_end(input, diagnostic.start)
                    {
                        unfinished = Some(diagnostic.record.start);
                        break;
                    }
                    diagnostic.line = diagnostic.line.saturating_add(offset);
                    diagnostic.record_line = diagnostic.record_line.saturating_add(offset);
                    self.error(&diagnostic);
                }
            }
        }
        let consumed = &input[..unfinished.unwrap_or(input.len())];
        self.newlines += memchr::memchr_iter(b'\n', consumed).count() as u64;
        unfinished
    }

    fn error(&mut self, diagnostic: &Diagnostic) {
        if self.errors < self.collect.max_errors {
            self.out.push_error(diagnostic);
        }
        self.errors += 1;
    }
}

/// Whether the string value opened by the quote at `quote` would read past the end of `input`:
/// the parser looks for the closing quote (skipping backslash escapes) within `MAX_STRING_LEN`
/// bytes, so the verdict is final only once the input reaches past that window.
fn string_open_at_end(input: &[u8], quote: usize) -> bool {
    let limit = quote.saturating_add(2 + MAX_STRING_LEN);
    if limit < input.len() {
        return false;
    }
    let mut p = quote + 1;
    while p < input.len() {
        match memchr::memchr2(b'"', b'\\', &input[p..]) {
            Some(o) if input[p + o] == b'"' => return false,
            Some(o) => p += o + 2,
            None => return true,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const MIXED: &[u8] = include_bytes!("../../js/test/data/mixed-multiline.lp");
    const BAD: &[u8] = include_bytes!("../../js/test/data/mixed-bad.lp");

    fn whole(input: &[u8]) -> (Encoded, u64, u64, u64) {
        let collect = Collect {
            points: true,
            max_errors: u64::MAX,
        };
        let mut engine = Engine::new(Precision::Auto, None, collect, 7);
        engine.finish(input);
        let lines = engine.lines();
        (engine.out, lines, engine.points, engine.errors)
    }

    fn chunked(input: &[u8], size: usize) -> (Encoded, u64, u64, u64) {
        let collect = Collect {
            points: true,
            max_errors: u64::MAX,
        };
        let mut engine = Engine::new(Precision::Auto, None, collect, 7);
        for chunk in input.chunks(size) {
            engine.push(chunk);
        }
        engine.finish(&[]);
        let lines = engine.lines();
        (engine.out, lines, engine.points, engine.errors)
    }

    #[test]
    fn chunks_of_any_size_give_the_whole_result() {
        for input in [MIXED, BAD] {
            let expected = whole(input);
            assert!(expected.3 > 0 && expected.2 > 300);
            for size in [1, 2, 3, 5, 16, 100, 999, 4096, input.len()] {
                assert!(chunked(input, size) == expected, "chunk size {size}");
            }
        }
    }

    #[test]
    fn an_open_string_waits_for_its_quote() {
        let input = b"m f=\"a\nb\nc\" 1\nm f=\"x\n";
        let expected = whole(input);
        assert_eq!((expected.1, expected.2, expected.3), (4, 1, 1));
        for size in 1..input.len() {
            assert!(chunked(input, size) == expected, "chunk size {size}");
        }
    }

    proptest::proptest! {
        /// Inputs made of pieces that steer record splitting (string values left open or closed
        /// on a later line, escapes, comments, CRLF, invalid UTF-8), cut at random places: the
        /// chunked result always equals the whole one.
        #[test]
        fn random_inputs_and_cuts_agree(
            pieces in proptest::collection::vec(
                proptest::sample::select(alloc::vec![
                    &b"m,t=a f=1i"[..], b"m s=\"", b"x", b"\"", b"\\", b"\\\"", b" 1", b",",
                    b"\n", b"\r\n", b"# c \"", b"=", b" ", b"g=t", b"\xc3\xa9", b"\xff",
                ]),
                0..60,
            ),
            cuts in proptest::collection::vec(1usize..40, 1..20),
        ) {
            let input = pieces.concat();
            let expected = whole(&input);
            let collect = Collect { points: true, max_errors: u64::MAX };
            let mut engine = Engine::new(Precision::Auto, None, collect, 7);
            let mut rest = &input[..];
            for cut in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (chunk, after) = rest.split_at((*cut).min(rest.len()));
                engine.push(chunk);
                rest = after;
            }
            engine.finish(&[]);
            let lines = engine.lines();
            proptest::prop_assert!((engine.out, lines, engine.points, engine.errors) == expected);
        }
    }

    #[test]
    fn open_string_detection_follows_escapes() {
        assert!(string_open_at_end(b"m f=\"ab\\\"c\n", 4));
        assert!(!string_open_at_end(b"m f=\"ab\\\\\" 1\n", 4));
        assert!(string_open_at_end(b"m f=\"ab\\", 4));
        let long = vec![b'a'; MAX_STRING_LEN + 8];
        assert!(!string_open_at_end(&long, 0));
    }
}
