//! Validation of one input that arrives whole or in chunks: parses whole records, checks them with
//! the core's `BatchValidator`, numbers lines across chunks, and collects points and errors.
//!
//! Chunked input is never concatenated: complete records are parsed in place in the chunk, and only
//! the unfinished record at a chunk's end is copied (into `carry`) until its end arrives.
use alloc::vec::Vec;
use core::mem;

use super::encode::Encoded;
use super::split::RecordSplitter;
use crate::{parse_lines, BatchValidator, Diagnostic, KnownSchema, Precision};

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
    splitter: RecordSplitter,
    collect: Collect,
    default_time_ns: i64,
    /// Start of an unfinished record carried over from earlier chunks.
    carry: Vec<u8>,
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
            validator: BatchValidator::new(precision, schema),
            splitter: RecordSplitter::default(),
            collect,
            default_time_ns,
            carry: Vec::new(),
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
        let ends = self.splitter.feed(chunk);
        let (Some(first), Some(last)) = (ends.first, ends.last) else {
            self.carry.extend_from_slice(chunk);
            return;
        };
        let mut start = 0;
        if !self.carry.is_empty() {
            let mut record = mem::take(&mut self.carry);
            record.extend_from_slice(&chunk[..first]);
            self.process(&record);
            record.clear();
            self.carry = record;
            start = first;
        }
        self.process(&chunk[start..last]);
        self.carry.extend_from_slice(&chunk[last..]);
    }

    /// Ends the input with `rest` (may be empty): everything left is parsed as complete. Used alone,
    /// it validates a whole input without any copy or record splitting.
    pub fn finish(&mut self, rest: &[u8]) {
        if !rest.is_empty() {
            self.open_line = rest.last() != Some(&b'\n');
        }
        if self.carry.is_empty() {
            self.process(rest);
        } else {
            let mut record = mem::take(&mut self.carry);
            record.extend_from_slice(rest);
            self.process(&record);
        }
        self.splitter = RecordSplitter::default();
    }

    /// Parses and checks whole records; `input` starts at a line start.
    fn process(&mut self, input: &[u8]) {
        if input.is_empty() {
            return;
        }
        let offset = u32::try_from(self.newlines).unwrap_or(u32::MAX);
        for item in parse_lines(input) {
            match item {
                Ok(mut line) => {
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
                    diagnostic.line = diagnostic.line.saturating_add(offset);
                    diagnostic.record_line = diagnostic.record_line.saturating_add(offset);
                    self.error(&diagnostic);
                }
            }
        }
        self.newlines += memchr::memchr_iter(b'\n', input).count() as u64;
    }

    fn error(&mut self, diagnostic: &Diagnostic) {
        if self.errors < self.collect.max_errors {
            self.out.push_error(diagnostic);
        }
        self.errors += 1;
    }
}
