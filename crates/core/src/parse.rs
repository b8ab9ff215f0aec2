//! The line-protocol parser: one pass over the bytes, borrowed tokens, one diagnostic per bad
//! record, recovery at the next line.
//!
//! Grammar (InfluxDB 3): `measurement[,tag_key=tag_value...] field_key=field_value[,...] [timestamp]`,
//! elements separated by spaces, records by `\n` (or `\r\n`) outside quoted string values.
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use core::ops::Range;

use crate::number::{parse_f64, parse_i64, parse_u64, NumError};
use crate::scan::{is_eol, skip_spaces, Scanner, KEY, MEAS, TAGV, VALUE};
use crate::types::TokenKind;
use crate::{Diagnostic, ErrorKind, FieldValue, Line, Token};

mod plain;

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
}

/// A parse failure before it is positioned: byte span in the input, and where to look for the
/// next line from (the span's start unless a string value moved it).
struct Failure {
    kind: ErrorKind,
    span: Range<usize>,
    message: String,
    resume: Option<usize>,
}

impl Failure {
    /// Boxed: failures are rare, and a small `Err` keeps every `Result` on the hot path small.
    fn new(kind: ErrorKind, span: Range<usize>, message: String) -> Box<Self> {
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
struct MultiLine {
    quote: usize,
    newline: usize,
    key: Range<usize>,
}

/// What a record's parse learns besides the `Line`.
#[derive(Default)]
struct RecordState {
    /// Newlines inside string values (so the physical line count stays right).
    newlines: u32,
    multi_line: Option<MultiLine>,
}

impl RecordState {
    /// Starts a record's parse over: no state, and `line` holding no tags, fields or timestamp.
    fn reset(&mut self, line: &mut Line<'_>) {
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
        }
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
        let record = Record {
            input: self.input,
            max_string_len: self.max_string_len,
            scanner: &self.scanner,
        };
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
            Err(failure) => Some(Err(self.fail(start, *failure, state.multi_line))),
        }
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

/// What the parse of one record reads: a shared borrow that does not change while it runs, so
/// the compiler keeps its fields in registers. (`Lines` holds the scanner, whose interior
/// mutability would make it reload them after every store.)
struct Record<'s, 'a> {
    input: &'a [u8],
    max_string_len: usize,
    scanner: &'s Scanner,
}

impl<'a> Record<'_, 'a> {
    /// Parses the record whose first byte is at `first`: the plain path, which hands over to the
    /// general one at the first thing that is not plain.
    #[inline(always)]
    fn parse_any(
        &self,
        first: usize,
        line: &mut Line<'a>,
        state: &mut RecordState,
    ) -> Result<usize, Box<Failure>> {
        match self.parse_plain(first, line, state) {
            Ok(end) if end - first <= self.max_string_len => Ok(end),
            // The plain path checks no name against the limit: a record longer than the limit,
            // or one that fails, is parsed again from its start by the general path alone, so
            // that a name too long is reported where the general path finds it.
            _ => {
                state.reset(line);
                self.parse_record(first, line, state)
            }
        }
    }

    /// The input's text `s..e`, or `None` when it is not valid UTF-8.
    ///
    /// Only bounds of tokens and of the current record are passed here. Each start is a line
    /// start or follows an ASCII separator (`,`, `=`, space, `"`); each end holds an ASCII byte (a
    /// scanner stop or `"`) or is the end of the input. So each starts a character, and the slice
    /// is valid UTF-8 exactly when its bytes are, with no boundary checks: those cost a fifth of
    /// the parse of a cpu line. Nearly always the scanner has already checked the bytes.
    #[inline(always)]
    fn text(&self, s: usize, e: usize) -> Option<&'a str> {
        let bytes = self.input.get(s..e)?;
        if !self.scanner.known_valid(e) {
            return self.text_checked(s, e);
        }
        debug_assert!(core::str::from_utf8(bytes).is_ok());
        // SAFETY: `s..e` lies in the current record, which is valid UTF-8 from its start to at
        // least `e` (`known_valid`), and both ends start characters (above).
        Some(unsafe { core::str::from_utf8_unchecked(bytes) })
    }

    /// `text` for bytes past the scanner's checked run.
    #[cold]
    #[inline(never)]
    fn text_checked(&self, s: usize, e: usize) -> Option<&'a str> {
        core::str::from_utf8(&self.input[s..e]).ok()
    }

    /// The failure for `s..e`, which `text` found not to be valid UTF-8: at its first bad byte.
    #[cold]
    fn utf8_failure(&self, s: usize, e: usize) -> Box<Failure> {
        let at = s + core::str::from_utf8(&self.input[s..e])
            .err()
            .map_or(0, |error| error.valid_up_to());
        Failure::new(ErrorKind::InvalidUtf8, at..at + 1, String::new())
    }

    #[inline(always)]
    fn token(
        &self,
        s: usize,
        e: usize,
        escaped: bool,
        kind: TokenKind,
    ) -> Result<Token<'a>, Box<Failure>> {
        match self.text(s, e) {
            Some(raw) => Ok(Token { raw, escaped, kind }),
            None => Err(self.utf8_failure(s, e)),
        }
    }

    /// Scans a name (measurement, tag key or value, field key) from `i` up to a byte of class
    /// `mask`; backslash escapes the next byte. Returns the end and whether a backslash was seen.
    #[inline(always)]
    fn scan_name(&self, i: usize, mask: u8) -> Result<(usize, bool), Box<Failure>> {
        let b = self.input;
        // Nearly always the first candidate is the separator that ends the name: `,`, space or
        // newline for every name, `=` for keys. Anything else (escapes, `=` in a tag value or a
        // measurement, control bytes, a name longer than the limit) takes the general path.
        let j = self.scanner.next_candidate(b, i);
        let ends = match b.get(j) {
            Some(b',' | b' ' | b'\n') | None => true,
            Some(b'=') => mask == KEY,
            Some(_) => false,
        };
        if ends && j - i <= self.max_string_len {
            Ok((j, false))
        } else {
            let j = self.scanner.scan(b, i, mask);
            self.scan_name_slow(i, j, mask)
        }
    }

    /// The end of a number, boolean or timestamp from `i`: as `scan_name`, the first candidate
    /// nearly always ends it.
    #[inline(always)]
    fn scan_value(&self, i: usize) -> usize {
        let b = self.input;
        let j = self.scanner.next_candidate(b, i);
        match b.get(j) {
            Some(b',' | b' ' | b'\n') | None => j,
            Some(_) => self.scanner.scan(b, i, VALUE),
        }
    }

    /// The rest of `scan_name` from `j`, for names with escapes, lone `\r`s, tabs or too long.
    #[cold]
    #[inline(never)]
    fn scan_name_slow(
        &self,
        i: usize,
        mut j: usize,
        mask: u8,
    ) -> Result<(usize, bool), Box<Failure>> {
        let b = self.input;
        let mut escaped = false;
        loop {
            match b.get(j) {
                Some(b'\\') => {
                    if is_eol(b, j + 1) {
                        return Err(Failure::new(
                            ErrorKind::TrailingBackslash,
                            j..j + 1,
                            String::from(
                                "expected a character after '\\' but the line ends: a backslash \
                                 escapes the next character (write \\\\ for a backslash)",
                            ),
                        ));
                    }
                    escaped = true;
                    j = self.scanner.scan(b, j + 2, mask);
                }
                Some(b'\r') if !is_eol(b, j) => j = self.scanner.scan(b, j + 1, mask),
                Some(b'\t') => {
                    return Err(Failure::new(
                        ErrorKind::UnexpectedTab,
                        j..j + 1,
                        String::from(
                            "expected a space or a name character, found a tab: line protocol \
                             separates elements with spaces only",
                        ),
                    ))
                }
                _ => break,
            }
        }
        if j - i > self.max_string_len {
            return Err(Failure::new(
                ErrorKind::NameTooLong,
                i..j,
                format!(
                    "name \"{}\" is {} bytes long; the limit is {} bytes",
                    show(&b[i..j]),
                    j - i,
                    self.max_string_len
                ),
            ));
        }
        Ok((j, escaped))
    }

    /// Parses one record whose first non-blank byte is at `i`; returns where its line ends.
    fn parse_record(
        &self,
        i: usize,
        line: &mut Line<'a>,
        state: &mut RecordState,
    ) -> Result<usize, Box<Failure>> {
        let b = self.input;
        let (m_end, m_escaped) = self.scan_name(i, MEAS)?;
        if m_end == i {
            return Err(Failure::new(
                ErrorKind::MissingMeasurement,
                i..i + 1,
                format!(
                    "expected a measurement name at the start of the line, found {}",
                    found(b, i)
                ),
            ));
        }
        line.measurement = self.token(i, m_end, m_escaped, TokenKind::Measurement)?;
        self.parse_after_measurement(m_end, line, state)
    }

    /// The rest of a record from `k`, just after the measurement or a tag value (`,` or a space
    /// when the record is valid): tags, field set, timestamp; returns where its line ends.
    fn parse_after_measurement(
        &self,
        mut k: usize,
        line: &mut Line<'a>,
        state: &mut RecordState,
    ) -> Result<usize, Box<Failure>> {
        let b = self.input;
        if b.get(k) == Some(&b',') {
            k = self.parse_tags(k, line)?;
        }
        if is_eol(b, k) {
            let after = if line.tags.is_empty() {
                "the measurement"
            } else {
                "the tag set"
            };
            return Err(Failure::new(
                ErrorKind::MissingFieldSet,
                k..k + 1,
                format!(
                    "expected a space and a field set (key=value) after {after}, found end of line"
                ),
            ));
        }
        let fields_start = skip_spaces(b, k);
        if is_eol(b, fields_start) {
            return Err(Failure::new(
                ErrorKind::MissingFieldSet,
                fields_start..fields_start + 1,
                String::from("expected a field set (key=value) after the space, found end of line"),
            ));
        }
        self.parse_fields_from(fields_start, fields_start, line, state)
    }

    /// The rest of a record from the field key at `f` of the field set that starts at `first`:
    /// fields, timestamp; returns where its line ends.
    fn parse_fields_from(
        &self,
        first: usize,
        f: usize,
        line: &mut Line<'a>,
        state: &mut RecordState,
    ) -> Result<usize, Box<Failure>> {
        let after_fields = self.parse_fields(first, f, line, state)?;
        if is_eol(self.input, after_fields) {
            return Ok(after_fields);
        }
        self.parse_timestamp(after_fields, line)
    }

    /// Parses `,key=value...` from the comma at `k`; returns the end of the last tag value.
    fn parse_tags(&self, mut k: usize, line: &mut Line<'a>) -> Result<usize, Box<Failure>> {
        let b = self.input;
        loop {
            let ks = k + 1;
            let (ke, k_escaped) = self.scan_name(ks, KEY)?;
            if ke == ks {
                return Err(Failure::new(
                    ErrorKind::MissingTagKey,
                    ks..ks + 1,
                    format!("expected a tag key after ',', found {}", found(b, ks)),
                ));
            }
            if b.get(ke) != Some(&b'=') {
                return Err(Failure::new(
                    ErrorKind::MissingTagEquals,
                    ke..ke + 1,
                    format!(
                        "expected '=' after tag key \"{}\", found {}",
                        show(&b[ks..ke]),
                        found(b, ke)
                    ),
                ));
            }
            let vs = ke + 1;
            let (ve, v_escaped) = self.scan_name(vs, TAGV)?;
            if ve == vs {
                return Err(Failure::new(
                    ErrorKind::MissingTagValue,
                    vs..vs + 1,
                    format!(
                        "expected a tag value after \"{}=\", found {}",
                        show(&b[ks..ke]),
                        found(b, vs)
                    ),
                ));
            }
            let key = self.token(ks, ke, k_escaped, TokenKind::Name)?;
            let value = self.token(vs, ve, v_escaped, TokenKind::Name)?;
            line.tags.push((key, value));
            k = ve;
            if b.get(k) != Some(&b',') {
                return Ok(k);
            }
        }
    }

    /// Parses the field set that starts at `first` from its field key at `f`; returns the position
    /// after it (a space or the line end).
    fn parse_fields(
        &self,
        first: usize,
        mut f: usize,
        line: &mut Line<'a>,
        state: &mut RecordState,
    ) -> Result<usize, Box<Failure>> {
        let b = self.input;
        loop {
            let ks = f;
            let (ke, k_escaped) = self.scan_name(ks, KEY)?;
            if ke == ks {
                return Err(self.empty_field_key(ks, ks == first));
            }
            if b.get(ke) != Some(&b'=') {
                let word = &b[ks..ke];
                let looks_like_time = ks == first && parse_i64(word).is_ok();
                return Err(if looks_like_time {
                    Failure::new(
                        ErrorKind::MissingFieldSet,
                        ks..ke,
                        format!("expected a field set (key=value) before the timestamp, found only \"{}\"", show(word)),
                    )
                } else {
                    Failure::new(
                        ErrorKind::MissingFieldEquals,
                        ke..ke + 1,
                        format!(
                            "expected '=' after field key \"{}\", found {}",
                            show(word),
                            found(b, ke)
                        ),
                    )
                });
            }
            let key = self.token(ks, ke, k_escaped, TokenKind::Name)?;
            let vs = ke + 1;
            let (value, ve) = self.parse_value(key, vs, state)?;
            line.fields.push((key, value));
            match b.get(ve) {
                Some(b',') => f = ve + 1,
                Some(b' ') => return Ok(ve),
                _ if is_eol(b, ve) => return Ok(ve),
                _ => {
                    let hint = if matches!(value, FieldValue::String(_)) {
                        " (write \\\" for a double quote inside a string)"
                    } else {
                        ""
                    };
                    return Err(Failure::new(
                        ErrorKind::ExpectedSeparator,
                        ve..ve + 1,
                        format!(
                            "expected ',' or a space after the value of field \"{}\", found {}{hint}",
                            key.raw,
                            found(b, ve)
                        ),
                    ));
                }
            }
        }
    }

    fn empty_field_key(&self, ks: usize, first: bool) -> Box<Failure> {
        let b = self.input;
        if !first && (is_eol(b, ks) || b[ks] == b' ') {
            return Failure::new(
                ErrorKind::TrailingComma,
                ks - 1..ks,
                format!(
                    "expected a field key after ',', found {}: the field set must not end with ','",
                    found(b, ks)
                ),
            );
        }
        let after = if first {
            "at the start of the field set"
        } else {
            "after ','"
        };
        Failure::new(
            ErrorKind::MissingFieldKey,
            ks..ks + 1,
            format!("expected a field key {after}, found {}", found(b, ks)),
        )
    }

    /// Parses the value at `vs` of field `key`; returns it and the position after it.
    fn parse_value(
        &self,
        key: Token<'a>,
        vs: usize,
        state: &mut RecordState,
    ) -> Result<(FieldValue<'a>, usize), Box<Failure>> {
        let b = self.input;
        match b.get(vs) {
            Some(b'"') => self.parse_string(key, vs, state),
            Some(b't' | b'T' | b'f' | b'F') => {
                let e = self.scan_value(vs);
                let word = &b[vs..e];
                let v = match boolean(word) {
                    Some(v) => v,
                    None => {
                        return Err(Failure::new(
                            ErrorKind::InvalidBoolean,
                            vs..e,
                            format!(
                                "expected a boolean (t, T, true, True, TRUE, f, F, false, False or FALSE) \
                                 as the value of field \"{}\", found \"{}\"",
                                key.raw,
                                show(word)
                            ),
                        ))
                    }
                };
                Ok((FieldValue::Boolean(v), e))
            }
            Some(b'-' | b'0'..=b'9') => {
                let e = self.scan_value(vs);
                Ok((number(key, &b[vs..e], vs)?, e))
            }
            _ if is_eol(b, vs) || b[vs] == b',' || b[vs] == b' ' => Err(Failure::new(
                ErrorKind::MissingFieldValue,
                vs..vs + 1,
                format!(
                    "expected a value after \"{}=\", found {}",
                    key.raw,
                    found(b, vs)
                ),
            )),
            _ => {
                let e = self.scan_value(vs);
                Err(Failure::new(
                    ErrorKind::InvalidFieldValue,
                    vs..e,
                    format!(
                        "expected a value for field \"{}\" (a number, a string in double quotes or \
                         a boolean), found \"{}\"",
                        key.raw,
                        show(&b[vs..e])
                    ),
                ))
            }
        }
    }

    /// Parses a string value whose opening quote is at `q`. It may span lines; the search for
    /// the closing quote stops after `max_string_len` bytes, so a missing quote costs little.
    fn parse_string(
        &self,
        key: Token<'a>,
        q: usize,
        state: &mut RecordState,
    ) -> Result<(FieldValue<'a>, usize), Box<Failure>> {
        let b = self.input;
        let limit = (q + 2 + self.max_string_len).min(b.len());
        let mut p = q + 1;
        let mut escaped = false;
        let close = loop {
            match memchr::memchr2(b'"', b'\\', &b[p.min(limit)..limit]) {
                Some(o) if b[p + o] == b'"' => break p + o,
                Some(o) => {
                    escaped = true;
                    p += o + 2;
                }
                None => {
                    let window = &b[q..limit];
                    if limit == b.len() || memchr::memchr(b'\n', window).is_some() {
                        let mut failure = Failure::new(
                            ErrorKind::UnterminatedString,
                            q..q + 1,
                            format!("expected '\"' to close the string value of field \"{}\" that starts here", key.raw),
                        );
                        failure.resume = Some(q);
                        return Err(failure);
                    }
                    return Err(self.string_too_long(key, q, limit - q - 1));
                }
            }
        };
        let len = close - q - 1;
        if len > self.max_string_len {
            let mut failure = self.string_too_long(key, q, len);
            failure.resume = Some(close);
            return Err(failure);
        }
        self.scanner.validate_to(b, close + 1);
        let content = &b[q + 1..close];
        if let Some(n) = memchr::memchr(b'\n', content) {
            state.newlines += memchr::memchr_iter(b'\n', content).count() as u32;
            if state.multi_line.is_none() {
                let key_start = key.raw.as_ptr() as usize - b.as_ptr() as usize;
                state.multi_line = Some(MultiLine {
                    quote: q,
                    newline: q + 1 + n,
                    key: key_start..key_start + key.raw.len(),
                });
            }
        }
        Ok((
            FieldValue::String(self.token(q + 1, close, escaped, TokenKind::String)?),
            close + 1,
        ))
    }

    fn string_too_long(&self, key: Token<'a>, q: usize, len: usize) -> Box<Failure> {
        Failure::new(
            ErrorKind::StringTooLong,
            q..q + 1,
            format!(
                "string value of field \"{}\" is longer than the limit of {} bytes ({} bytes or more)",
                key.raw, self.max_string_len, len
            ),
        )
    }

    /// Parses the timestamp after the field set (`k` is at the space before it).
    fn parse_timestamp(&self, k: usize, line: &mut Line<'a>) -> Result<usize, Box<Failure>> {
        let b = self.input;
        let ts = skip_spaces(b, k);
        if is_eol(b, ts) {
            return Ok(ts);
        }
        let te = self.scan_value(ts);
        let word = &b[ts..te];
        match parse_i64(word) {
            Ok(v) => line.timestamp = Some(v),
            Err(NumError::Invalid) => {
                return Err(Failure::new(
                    ErrorKind::InvalidTimestamp,
                    ts..te.max(ts + 1),
                    format!(
                        "expected a timestamp (an integer with an optional '-') or the end of the line \
                         after the field set, found \"{}\"",
                        show(word)
                    ),
                ))
            }
            Err(NumError::Overflow) => {
                return Err(Failure::new(
                    ErrorKind::TimestampOverflow,
                    ts..te,
                    format!("timestamp {} does not fit a signed 64-bit integer", show(word)),
                ))
            }
        }
        let end = skip_spaces(b, te);
        if !is_eol(b, end) {
            let line_end = memchr::memchr(b'\n', &b[end..]).map_or(b.len(), |n| end + n);
            return Err(Failure::new(
                ErrorKind::TrailingContent,
                end..line_end,
                format!(
                    "expected the end of the line after the timestamp, found \"{}\"",
                    show(&b[end..line_end])
                ),
            ));
        }
        Ok(end)
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Result<Line<'a>, Diagnostic>;
    fn next(&mut self) -> Option<Self::Item> {
        let mut line = Line::new();
        Some(self.next_into(&mut line)?.map(|()| line))
    }
}

/// The three number forms, by suffix.
#[derive(Clone, Copy)]
enum NumberForm {
    Integer,
    Unsigned,
    Float,
}

/// Decodes a number literal: `i` suffix integer, `u` suffix unsigned, else float.
#[inline(always)]
fn number<'a>(key: Token<'a>, t: &[u8], at: usize) -> Result<FieldValue<'a>, Box<Failure>> {
    if let Some(v) = small_integer(t) {
        return Ok(FieldValue::Integer(v));
    }
    let (value, form) = match t.split_last() {
        Some((b'i', digits)) => (
            parse_i64(digits).map(FieldValue::Integer),
            NumberForm::Integer,
        ),
        Some((b'u', digits)) => (
            parse_u64(digits).map(FieldValue::UInteger),
            NumberForm::Unsigned,
        ),
        _ => (parse_f64(t).map(FieldValue::Float), NumberForm::Float),
    };
    value.map_err(|e| number_failure(key, t, at, form, e))
}

/// A boolean in any of its spellings.
#[inline(always)]
fn boolean(word: &[u8]) -> Option<bool> {
    match word {
        b"t" | b"T" | b"true" | b"True" | b"TRUE" => Some(true),
        b"f" | b"F" | b"false" | b"False" | b"FALSE" => Some(false),
        _ => None,
    }
}

/// `D{1,4}i`, the commonest literal of metrics (percentages, counts, codes), decoded in place:
/// the general path's calls cost more than the digits.
#[inline(always)]
fn small_integer(t: &[u8]) -> Option<i64> {
    match t {
        [d @ .., b'i'] if !d.is_empty() && d.len() <= 4 => d.iter().try_fold(0i64, |v, &c| {
            let x = c.wrapping_sub(b'0');
            (x <= 9).then_some(v * 10 + i64::from(x))
        }),
        _ => None,
    }
}

/// Says why `t` is not a number of its form.
#[cold]
#[inline(never)]
fn number_failure(
    key: Token<'_>,
    t: &[u8],
    at: usize,
    form: NumberForm,
    error: NumError,
) -> Box<Failure> {
    let key = key.raw;
    let digits = &t[..t.len().saturating_sub(1)];
    let (kind, message) = match (form, error) {
        (NumberForm::Integer, NumError::Invalid) => (
            ErrorKind::InvalidInteger,
            format!(
                "expected an integer (digits with an optional '-') before 'i' in the value of \
                 field \"{key}\", found \"{}\"",
                show(t)
            ),
        ),
        (NumberForm::Integer, NumError::Overflow) => (
            ErrorKind::IntegerOverflow,
            format!(
                "integer {} of field \"{key}\" is outside the signed 64-bit range \
                 -9223372036854775808..=9223372036854775807",
                show(digits)
            ),
        ),
        (NumberForm::Unsigned, NumError::Invalid) => (
            ErrorKind::InvalidUnsigned,
            format!(
                "expected an unsigned integer (digits only, no sign) before 'u' in the value of \
                 field \"{key}\", found \"{}\"",
                show(t)
            ),
        ),
        (NumberForm::Unsigned, NumError::Overflow) => (
            ErrorKind::UnsignedOverflow,
            format!(
                "unsigned integer {} of field \"{key}\" is outside the range 0..=18446744073709551615",
                show(digits)
            ),
        ),
        (NumberForm::Float, NumError::Invalid) => (
            ErrorKind::InvalidFloat,
            format!(
                "expected a number as the value of field \"{key}\" (like 1, -1.5 or 1.5e3; \
                 suffix i for an integer, u for an unsigned integer), found \"{}\"",
                show(t)
            ),
        ),
        (NumberForm::Float, NumError::Overflow) => (
            ErrorKind::InvalidFloat,
            format!("float {} of field \"{key}\" is too large for a 64-bit float", show(t)),
        ),
    };
    Failure::new(kind, at..at + t.len(), message)
}

/// Skips spaces and tabs (leading whitespace of a line, which InfluxDB ignores).
fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// Describes the byte at `i` for a message: `end of line`, `' '`, `','`, `'é'`.
fn found(b: &[u8], i: usize) -> String {
    if is_eol(b, i) {
        return String::from("end of line");
    }
    let rest = &b[i..b.len().min(i + 4)];
    let c = match core::str::from_utf8(rest) {
        Ok(s) => s.chars().next(),
        Err(e) if e.valid_up_to() > 0 => core::str::from_utf8(&rest[..e.valid_up_to()])
            .ok()
            .and_then(|s| s.chars().next()),
        Err(_) => None,
    };
    match c {
        Some(c) => format!("'{c}'"),
        None => format!("byte 0x{:02x}", b[i]),
    }
}

/// Text for a message: lossy UTF-8, at most 40 characters.
fn show(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}
