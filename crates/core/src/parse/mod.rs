//! The line-protocol parser: one pass over the bytes, borrowed tokens, one diagnostic per bad
//! record, recovery at the next line.
//!
//! This module walks the input record by record (blank and comment lines, physical line numbers,
//! where to resume after a bad record); `record` holds the grammar of one record, `plain` its fast
//! path, `value` the decoding of numbers and booleans, `text` how bytes are shown in messages.
//!
//! Grammar (InfluxDB 3): `measurement[,tag_key=tag_value...] field_key=field_value[,...] [timestamp]`,
//! elements separated by spaces, records by `\n` (or `\r\n`) outside quoted string values.
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use core::ops::Range;

use crate::scan::{is_eol, Scanner};
use crate::{Diagnostic, ErrorKind, Line};

mod plain;
mod record;
mod text;
mod value;

use record::Record;
use text::show;

/// Longest measurement, tag key, tag value, field key or string field value accepted, in bytes:
/// InfluxDB 3's limit since its `large-strings` feature became the default (1 MiB).
pub const MAX_STRING_LEN: usize = 1 << 20;

/// Iterates over the records of `input`, skipping blank and comment lines. Every invalid line yields
/// its diagnostic and parsing continues with the next line.
pub fn parse_lines(input: &[u8]) -> Lines<'_> {
    Lines::new(input)
}

/// Iterator over records. `next_into` reuses a `Line`'s vectors; `next` allocates a fresh `Line`.
pub struct Lines<'a> {
    input: &'a [u8],
    /// Start of the next physical line to read.
    pos: usize,
    /// 1-based number of the physical line at `pos`.
    line_no: u32,
    max_string_len: usize,
    scanner: Scanner,
    /// More lines may follow the input (`partial`).
    partial: bool,
    /// Start of the record `partial` parsing stopped at.
    unfinished: Option<usize>,
}

/// A parse failure before it is positioned: byte span in the input, and where to look for the
/// next line from (the span's start unless a string value moved it).
pub(super) struct Failure {
    pub(super) kind: ErrorKind,
    pub(super) span: Range<usize>,
    pub(super) message: String,
    pub(super) resume: Option<usize>,
}

impl Failure {
    /// Boxed: failures are rare, and a small `Err` keeps every `Result` on the hot path small.
    pub(super) fn new(kind: ErrorKind, span: Range<usize>, message: String) -> Box<Self> {
        Box::new(Failure {
            kind,
            span,
            message,
            resume: None,
        })
    }
}

/// The first string value of a record that held a newline: if the record then fails after that
/// newline, the string was most likely not closed, and the error is reported there instead.
pub(super) struct MultiLine {
    pub(super) quote: usize,
    pub(super) newline: usize,
    pub(super) key: Range<usize>,
}

/// What a record's parse learns besides the `Line`.
#[derive(Default)]
pub(super) struct RecordState {
    /// Newlines inside string values (so the physical line count stays right).
    pub(super) newlines: u32,
    pub(super) multi_line: Option<MultiLine>,
}

impl RecordState {
    /// Starts a record's parse over: no state, and `line` holding no tags, fields or timestamp.
    pub(super) fn reset(&mut self, line: &mut Line<'_>) {
        *self = RecordState::default();
        line.tags.clear();
        line.fields.clear();
        line.timestamp = None;
    }
}

impl<'a> Lines<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Lines {
            input,
            pos: 0,
            line_no: 1,
            max_string_len: MAX_STRING_LEN,
            scanner: Scanner::new(),
            partial: false,
            unfinished: None,
        }
    }

    /// Numbers physical lines from `line_number` (1 by default): for input that continues
    /// earlier input, so diagnostics name lines of the whole.
    pub fn starting_at_line(mut self, line_number: u32) -> Self {
        self.line_no = line_number;
        self
    }

    /// Declares that more lines may follow the input, which must end at a line end (or be
    /// empty). Parsing then stops, before yielding it, at the first record whose verdict the
    /// following lines could change: one with a string value still open at the end of the input
    /// (string values may span lines). [`Lines::unfinished`] says where that record starts.
    pub fn partial(mut self) -> Self {
        self.partial = true;
        self
    }

    /// Where the record starts that `partial` parsing stopped at, once `next_into` said `None`;
    /// `None` when every record of the input was yielded.
    pub fn unfinished(&self) -> Option<usize> {
        self.unfinished
    }

    /// The 1-based physical line number at [`Lines::position`]: where the next record is looked
    /// for, or where the record `partial` parsing stopped at starts.
    pub fn line_number(&self) -> u32 {
        self.line_no
    }

    /// The byte offset parsing has reached: the start of the line after the last record yielded
    /// (its line ending included), where the next record is looked for.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Sets the longest accepted name or string value (default `MAX_STRING_LEN`).
    pub fn with_max_string_len(mut self, max: usize) -> Self {
        self.max_string_len = max;
        self
    }

    /// The whole input being parsed.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// Parses the next record into `line`, reusing its vectors. `None` at the end of the input;
    /// `Some(Err(_))` for an invalid record, after which parsing goes on with the next line.
    pub fn next_into(&mut self, line: &mut Line<'a>) -> Option<Result<(), Diagnostic>> {
        self.next_with(line, |record, first, line, state| {
            record.parse_any(first, line, state)
        })
    }

    /// `next_into` with the record parser `parse` (the tests compare the fast path with the
    /// general one through it).
    #[inline(always)]
    fn next_with(
        &mut self,
        line: &mut Line<'a>,
        parse: impl Fn(
            &Record<'_, 'a>,
            usize,
            &mut Line<'a>,
            &mut RecordState,
        ) -> Result<usize, Box<Failure>>,
    ) -> Option<Result<(), Diagnostic>> {
        let start = self.skip_to_record()?;
        self.scanner.start_record(start);
        let mut state = RecordState::default();
        state.reset(line);
        let first = skip_blanks(self.input, start);
        let record = Record::new(self.input, self.max_string_len, &self.scanner);
        let result = parse(&record, first, line, &mut state).and_then(|end| {
            record
                .text(start, end)
                .map(|raw| (raw, end))
                .ok_or_else(|| record.utf8_failure(start, end))
        });
        match result {
            Ok((raw, end)) => {
                line.raw = raw;
                line.offset = start;
                line.line_number = self.line_no;
                self.line_no += 1 + state.newlines;
                self.pos = match self.input.get(end) {
                    Some(b'\r') => (end + 2).min(self.input.len()),
                    Some(_) => end + 1,
                    None => end,
                };
                Some(Ok(()))
            }
            Err(failure) if self.partial && self.open_at_end(&failure) => {
                self.unfinished = Some(start);
                self.pos = self.input.len();
                None
            }
            Err(failure) => Some(Err(self.fail(start, *failure, state.multi_line))),
        }
    }

    /// Whether `failure` is a string value that lines after the input could still close: its
    /// closing quote is looked for (past backslash escapes) within `max_string_len` bytes, so the
    /// verdict is final once the input reaches past that window.
    fn open_at_end(&self, failure: &Failure) -> bool {
        if failure.kind != ErrorKind::UnterminatedString {
            return false;
        }
        let b = self.input;
        let quote = failure.span.start;
        if quote.saturating_add(2 + self.max_string_len) < b.len() {
            return false;
        }
        let mut p = quote + 1;
        while p < b.len() {
            match memchr::memchr2(b'"', b'\\', &b[p..]) {
                Some(o) if b[p + o] == b'"' => return false,
                Some(o) => p += o + 2,
                None => return true,
            }
        }
        true
    }

    /// Skips blank and comment lines; the start of the next record's physical line, if any.
    fn skip_to_record(&mut self) -> Option<usize> {
        let b = self.input;
        loop {
            let i = skip_blanks(b, self.pos);
            match b.get(i) {
                None => {
                    self.pos = b.len();
                    return None;
                }
                Some(b'\n' | b'\r' | b'#') if b[i] != b'\r' || is_eol(b, i) => {
                    self.pos = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n + 1);
                    self.line_no += 1;
                }
                Some(_) => return Some(self.pos),
            }
        }
    }

    /// Turns a failure into a diagnostic and moves past the bad record.
    fn fail(
        &mut self,
        start: usize,
        mut failure: Failure,
        multi_line: Option<MultiLine>,
    ) -> Diagnostic {
        let b = self.input;
        if let Some(ml) = multi_line {
            if failure.span.start > ml.newline {
                let key = show(&b[ml.key.clone()]);
                failure = Failure {
                    kind: ErrorKind::UnterminatedString,
                    span: ml.quote..ml.quote + 1,
                    message: format!(
                        "expected '\"' to close the string value of field \"{key}\" before the \
                         end of the line (read as a string spanning lines, the record is invalid: {})",
                        failure.message
                    ),
                    resume: Some(ml.newline),
                };
            }
        }
        let resume = failure.resume.unwrap_or(failure.span.start).min(b.len());
        let next = memchr::memchr(b'\n', &b[resume..]).map_or(b.len(), |n| resume + n + 1);
        let mut record_end = next;
        if record_end > start && b[record_end - 1] == b'\n' {
            record_end -= 1;
        }
        if record_end > start && b[record_end - 1] == b'\r' {
            record_end -= 1;
        }
        // Invalid UTF-8 anywhere in the rejected lines is reported first: it is the most basic
        // problem, and other errors on such a line are often its consequence.
        if let Err(error) = core::str::from_utf8(&b[start..next]) {
            let bad = start + error.valid_up_to();
            let bad_len = error.error_len().unwrap_or(next - bad);
            failure = *Failure::new(
                ErrorKind::InvalidUtf8,
                bad..bad + bad_len,
                format!(
                    "invalid UTF-8: byte 0x{:02x} does not start a valid UTF-8 character; line \
                     protocol must be UTF-8",
                    b[bad]
                ),
            );
        }
        let diagnostic = Diagnostic::locate(
            &b[start..],
            start,
            self.line_no,
            record_end - start,
            failure.span.start - start..failure.span.end.max(failure.span.start) - start,
            failure.kind,
            failure.message,
        );
        self.line_no += memchr::memchr_iter(b'\n', &b[start..next]).count() as u32;
        self.pos = next;
        diagnostic
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Result<Line<'a>, Diagnostic>;
    fn next(&mut self) -> Option<Self::Item> {
        let mut line = Line::new();
        Some(self.next_into(&mut line)?.map(|()| line))
    }
}

/// Skips spaces and tabs (leading whitespace of a line, which InfluxDB ignores).
pub(crate) fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}
