//! The fast path for plain records, the shape nearly every line of real data has: no escapes,
//! numbers and booleans that are valid, one space between the sections.
//!
//! The general parser handles every case and explains every error, so each of its steps asks
//! which of many things came next. Here each step asks only whether the expected separator came
//! next. In a plain record every candidate stop byte ends a token, so the tokens' ends are the
//! candidates in order, taken from a `Cursor`: the end of a token that starts right after the
//! previous end is the cursor's next candidate. At the first thing that is not plain (an escape,
//! a string value, an error) the general parser takes over from the start of that tag or field,
//! keeping what was parsed before it. Names are not checked against the length limit one by one:
//! the caller checks the record's length, which bounds them all.
use alloc::boxed::Box;

use super::record::Record;
use super::value::{boolean, number};
use super::{Failure, RecordState};
use crate::number::parse_i64;
use crate::scan::Cursor;
use crate::types::TokenKind;
use crate::{FieldValue, Line, Token};

impl<'a> Record<'_, 'a> {
    /// Parses the record whose first byte is at `i` into `line`; returns where its line ends.
    #[inline(always)]
    pub(super) fn parse_plain(
        &self,
        i: usize,
        line: &mut Line<'a>,
        state: &mut RecordState,
    ) -> Result<usize, Box<Failure>> {
        let b = self.input;
        let mut cursor = self.scanner.cursor(i);
        let m_end = cursor.next(self.scanner, b);
        let (Some(&sep), true) = (b.get(m_end), m_end > i) else {
            return self.parse_record(i, line, state);
        };
        if sep != b',' && sep != b' ' {
            return self.parse_record(i, line, state);
        }
        let Some(measurement) = self.plain_token(i, m_end, TokenKind::Measurement) else {
            return self.parse_record(i, line, state);
        };
        line.measurement = measurement;
        let mut k = m_end;
        let mut sep = sep;
        while sep == b',' {
            match self.plain_tag(&mut cursor, k + 1) {
                Some((key, value, ve, next)) => {
                    line.tags.push((key, value));
                    k = ve;
                    sep = next;
                }
                None => return self.parse_after_measurement(k, line, state),
            }
        }
        let first = k + 1;
        let mut f = first;
        loop {
            let Some((key, value, ve, next)) = self.plain_field(&mut cursor, f) else {
                return if f == first {
                    self.parse_after_measurement(k, line, state)
                } else {
                    self.parse_fields_from(first, f, line, state)
                };
            };
            line.fields.push((key, value));
            match next {
                b',' => f = ve + 1,
                b' ' => return self.parse_plain_timestamp(&mut cursor, ve, line),
                _ => return Ok(ve),
            }
        }
    }

    /// The tag `key=value` at `ks` (the cursor's next candidate is the first at or after `ks`),
    /// its end and the `,` or space after it.
    #[inline(always)]
    fn plain_tag(
        &self,
        cursor: &mut Cursor,
        ks: usize,
    ) -> Option<(Token<'a>, Token<'a>, usize, u8)> {
        let b = self.input;
        let ke = self.plain_key(cursor, ks)?;
        let vs = ke + 1;
        let ve = cursor.next(self.scanner, b);
        let sep = *b.get(ve)?;
        if ve == vs || (sep != b',' && sep != b' ') {
            return None;
        }
        let key = self.plain_token(ks, ke, TokenKind::Name)?;
        let value = self.plain_token(vs, ve, TokenKind::Name)?;
        Some((key, value, ve, sep))
    }

    /// The end of the non-empty key at `s`: the cursor's next candidate, when it is `=`.
    #[inline(always)]
    fn plain_key(&self, cursor: &mut Cursor, s: usize) -> Option<usize> {
        let ke = cursor.next(self.scanner, self.input);
        (ke > s && self.input.get(ke) == Some(&b'=')).then_some(ke)
    }

    /// The field `key=value` at `f` (as for `plain_tag`) with a number or boolean value, its end
    /// and the byte after it: `,`, a space, or `\n` (also for the end of the input).
    #[inline(always)]
    fn plain_field(
        &self,
        cursor: &mut Cursor,
        f: usize,
    ) -> Option<(Token<'a>, FieldValue<'a>, usize, u8)> {
        let b = self.input;
        let ke = self.plain_key(cursor, f)?;
        let key = self.plain_token(f, ke, TokenKind::Name)?;
        let vs = ke + 1;
        let ve = cursor.next(self.scanner, b);
        let next = match b.get(ve) {
            Some(&c @ (b',' | b' ' | b'\n')) => c,
            None => b'\n',
            Some(_) => return None,
        };
        let word = b.get(vs..ve)?;
        let value = match word.first()? {
            b'-' | b'0'..=b'9' => number(key, word, vs).ok()?,
            b't' | b'T' | b'f' | b'F' => FieldValue::Boolean(boolean(word)?),
            _ => return None,
        };
        Some((key, value, ve, next))
    }

    /// The timestamp after the space at `k`, which must end the line.
    #[inline(always)]
    fn parse_plain_timestamp(
        &self,
        cursor: &mut Cursor,
        k: usize,
        line: &mut Line<'a>,
    ) -> Result<usize, Box<Failure>> {
        let b = self.input;
        let ts = k + 1;
        let te = cursor.next(self.scanner, b);
        if te > ts && matches!(b.get(te), Some(b'\n') | None) {
            if let Ok(v) = parse_i64(&b[ts..te]) {
                line.timestamp = Some(v);
                return Ok(te);
            }
        }
        self.parse_timestamp(k, line)
    }

    #[inline(always)]
    fn plain_token(&self, s: usize, e: usize, kind: TokenKind) -> Option<Token<'a>> {
        Some(Token {
            raw: self.text(s, e)?,
            escaped: false,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Lines;
    use crate::Diagnostic;
    use alloc::string::String;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    /// Every record of `input`, through the plain path or through the general path alone.
    fn records(input: &[u8], max: usize, general: bool) -> Vec<Result<Line<'_>, Diagnostic>> {
        let mut lines = Lines::new(input).with_max_string_len(max);
        let mut out = Vec::new();
        loop {
            let mut line = Line::new();
            let result = if general {
                lines.next_with(&mut line, |record, first, line, state| {
                    record.parse_record(first, line, state)
                })
            } else {
                lines.next_into(&mut line)
            };
            match result {
                None => return out,
                Some(result) => out.push(result.map(|()| line)),
            }
        }
    }

    fn name() -> impl Strategy<Value = &'static str> {
        prop::sample::select(
            &[
                "cpu",
                "host_7",
                "a\\ b",
                "a\\,b",
                "x=y",
                "é",
                "",
                "t",
                "1",
                "usage_guest_nice",
                "a_name_long_enough_to_cross_a_window_of_sixty_four_bytes_more_or_less",
            ][..],
        )
    }

    fn value() -> impl Strategy<Value = &'static str> {
        prop::sample::select(
            &[
                "1i",
                "-5i",
                "12345i",
                "99999999999999999999i",
                "1.5",
                "-0.25",
                "1e3",
                "t",
                "false",
                "tru",
                "\"s\"",
                "\"a b,c=d\"",
                "\"a\nb\"",
                "1u",
                "-1u",
                "",
                "1x",
                "12",
            ][..],
        )
    }

    /// A record from the pieces above, then up to three byte edits that matter to the syntax.
    fn record() -> impl Strategy<Value = Vec<u8>> {
        let edit = (
            any::<prop::sample::Index>(),
            0..3u8,
            prop::sample::select(&b" ,=\\\"\t\r\n#i.-1\xff"[..]),
        );
        (
            name(),
            prop::collection::vec((name(), name()), 0..4),
            prop::collection::vec((name(), value()), 1..5),
            prop::sample::select(
                &[
                    "",
                    " 1700000000000000000",
                    " -1",
                    " 99999999999999999999",
                    " 1a",
                    "  2",
                ][..],
            ),
            prop::collection::vec(edit, 0..4),
        )
            .prop_map(|(m, tags, fields, ts, edits)| {
                let mut s = String::from(m);
                for (k, v) in tags {
                    s += &alloc::format!(",{k}={v}");
                }
                for (n, (k, v)) in fields.into_iter().enumerate() {
                    s += &alloc::format!("{}{k}={v}", if n == 0 { ' ' } else { ',' });
                }
                s += ts;
                let mut bytes = s.into_bytes();
                for (at, op, c) in edits {
                    let at = at.index(bytes.len() + 1);
                    match op {
                        0 => bytes.insert(at, c),
                        1 if at < bytes.len() => bytes[at] = c,
                        _ if at < bytes.len() => {
                            bytes.remove(at);
                        }
                        _ => {}
                    }
                }
                bytes
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// The plain path with its hand-over gives exactly what the general path alone gives:
        /// the same lines, and the same diagnostics for the same lines, limits included.
        #[test]
        fn the_plain_path_changes_no_answer(
            lines in prop::collection::vec(record(), 1..8),
            crlf in any::<bool>(),
            max in prop::sample::select(&[super::super::MAX_STRING_LEN, 3, 12, 40][..]),
        ) {
            let input = lines.join(if crlf { &b"\r\n"[..] } else { &b"\n"[..] });
            prop_assert_eq!(records(&input, max, false), records(&input, max, true));
        }
    }
}
