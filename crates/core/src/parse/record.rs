//! The grammar of one record: measurement, tag set, field set, timestamp, and the failure that
//! explains the first thing wrong in it.
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;

use super::text::{found, show};
use super::value::{boolean, number};
use super::{Failure, MultiLine, RecordState};
use crate::number::{parse_i64, NumError};
use crate::scan::{is_eol, skip_spaces, Scanner, KEY, MEAS, TAGV, VALUE};
use crate::types::TokenKind;
use crate::{ErrorKind, FieldValue, Line, Token};

/// What the parse of one record reads: a shared borrow that does not change while it runs, so
/// the compiler keeps its fields in registers. (`Lines` holds the scanner, whose interior
/// mutability would make it reload them after every store.)
pub(super) struct Record<'s, 'a> {
    pub(super) input: &'a [u8],
    pub(super) max_string_len: usize,
    pub(super) scanner: &'s Scanner,
}

impl<'s, 'a> Record<'s, 'a> {
    pub(super) fn new(input: &'a [u8], max_string_len: usize, scanner: &'s Scanner) -> Self {
        Record {
            input,
            max_string_len,
            scanner,
        }
    }
}

impl<'a> Record<'_, 'a> {
    /// Parses the record whose first byte is at `first`: the plain path, which hands over to the
    /// general one at the first thing that is not plain.
    #[inline(always)]
    pub(super) fn parse_any(
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
    pub(super) fn text(&self, s: usize, e: usize) -> Option<&'a str> {
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
    pub(super) fn utf8_failure(&self, s: usize, e: usize) -> Box<Failure> {
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
        if mask == MEAS {
            if let Some(n) = memchr::memchr(0, &b[i..j]) {
                return Err(self.nul_in_measurement(i, i + n));
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

    /// A NUL byte at `at` in the measurement that starts at `i`. InfluxDB 3 ends a measurement at
    /// NUL ("Invalid measurement was provided" when it comes first), so no such line is stored;
    /// tag keys and values, field keys and string values may hold NUL there, and do here.
    #[cold]
    fn nul_in_measurement(&self, i: usize, at: usize) -> Box<Failure> {
        let message = if at == i {
            String::from(
                "expected a measurement name at the start of the line, found a NUL byte (0x00): \
                 measurement names may not contain NUL",
            )
        } else {
            format!(
                "measurement name \"{}\" is followed by a NUL byte (0x00): measurement names may \
                 not contain NUL",
                show(&self.input[i..at])
            )
        };
        Failure::new(ErrorKind::MissingMeasurement, at..at + 1, message)
    }

    /// Parses one record whose first non-blank byte is at `i`; returns where its line ends.
    pub(super) fn parse_record(
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
    pub(super) fn parse_after_measurement(
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
    pub(super) fn parse_fields_from(
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
    pub(super) fn parse_timestamp(
        &self,
        k: usize,
        line: &mut Line<'a>,
    ) -> Result<usize, Box<Failure>> {
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
