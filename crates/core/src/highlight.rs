//! Token spans for syntax colouring, read from the parser itself: an editor colours exactly what
//! the server will read, and no face keeps a second, approximate grammar.
//!
//! A valid record is coloured whole. An invalid one is coloured up to its first problem (what the
//! parser read before it stopped), so the rest of the line stays plain where the error mark is.
//! Comment lines are coloured as comments; blank lines have no spans.
//!
//! ```
//! use linewise_core::highlight::{highlight, Highlight};
//! let input = b"# rooms\nhome,room=Kitchen temp=21.5,co=3i 1641024000\n";
//! let mut spans = Vec::new();
//! highlight(input, &mut spans);
//! let kinds: Vec<(&str, Highlight)> = spans
//!     .iter()
//!     .map(|s| (core::str::from_utf8(&input[s.range.clone()]).unwrap(), s.kind))
//!     .collect();
//! assert_eq!(kinds[..3], [
//!     ("# rooms", Highlight::Comment),
//!     ("home", Highlight::Measurement),
//!     ("room", Highlight::TagKey),
//! ]);
//! assert_eq!(kinds.last(), Some(&("1641024000", Highlight::Timestamp)));
//! ```
use alloc::vec::Vec;
use core::ops::Range;

use crate::parse::skip_blanks;
use crate::types::value_end;
use crate::{FieldValue, Line, Lines, Token};

/// What a span of a record is. `as_str` names are stable (the page's CSS classes use them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Highlight {
    Measurement,
    TagKey,
    TagValue,
    FieldKey,
    Float,
    Integer,
    /// An unsigned integer (`1u`).
    UInteger,
    /// A string value, quotes included.
    String,
    Boolean,
    Timestamp,
    /// A `#` comment line.
    Comment,
    /// A backslash escape (`\,`, `\ `, `\=`, `\"`, `\\`) inside a name or string.
    Escape,
}

impl Highlight {
    /// snake_case name, e.g. `tag_key`, `uinteger`.
    pub fn as_str(self) -> &'static str {
        match self {
            Highlight::Measurement => "measurement",
            Highlight::TagKey => "tag_key",
            Highlight::TagValue => "tag_value",
            Highlight::FieldKey => "field_key",
            Highlight::Float => "float",
            Highlight::Integer => "integer",
            Highlight::UInteger => "uinteger",
            Highlight::String => "string",
            Highlight::Boolean => "boolean",
            Highlight::Timestamp => "timestamp",
            Highlight::Comment => "comment",
            Highlight::Escape => "escape",
        }
    }

    fn of_value(value: &FieldValue<'_>) -> Highlight {
        match value {
            FieldValue::Float(_) => Highlight::Float,
            FieldValue::Integer(_) => Highlight::Integer,
            FieldValue::UInteger(_) => Highlight::UInteger,
            FieldValue::String(_) => Highlight::String,
            FieldValue::Boolean(_) => Highlight::Boolean,
        }
    }
}

/// One coloured piece: a byte range of the input and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub range: Range<usize>,
    pub kind: Highlight,
}

/// Appends the spans of `input` to `out` (the caller's buffer, reused across calls), in order and
/// without overlaps; separators (`,`, `=`, spaces) and what follows a record's first problem are
/// left out. Ranges are byte offsets into `input`, each starting and ending at a character boundary.
pub fn highlight(input: &[u8], out: &mut Vec<Span>) {
    let mut lines = Lines::new(input);
    let mut line = Line::new();
    loop {
        let from = lines.position();
        // A record that fails before its measurement leaves the last one's in place.
        line.measurement = Token::default();
        let Some(result) = lines.next_into(&mut line) else {
            comments(input, from, input.len(), out);
            return;
        };
        let record = match &result {
            Ok(()) => line.offset..lines.position(),
            Err(d) => d.record.start..lines.position(),
        };
        comments(input, from, record.start, out);
        let mut spans = Spans {
            input,
            record,
            out: &mut *out,
        };
        spans.record(&line);
        if result.is_ok() && line.timestamp.is_some() {
            let ts = line.timestamp_span();
            spans.push(
                line.offset + ts.start..line.offset + ts.end,
                Highlight::Timestamp,
            );
        }
    }
}

/// The comment lines among the blank and comment lines in `from..to`.
fn comments(input: &[u8], mut from: usize, to: usize, out: &mut Vec<Span>) {
    while from < to {
        let end = memchr::memchr(b'\n', &input[from..to]).map_or(to, |n| from + n);
        let i = skip_blanks(input, from);
        if input.get(i) == Some(&b'#') {
            let stop = if end > i && input[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            out.push(Span {
                range: i..stop,
                kind: Highlight::Comment,
            });
        }
        from = end + 1;
    }
}

/// Pushes the spans of one record, kept inside its bytes.
struct Spans<'o, 'a> {
    input: &'a [u8],
    /// The record's bytes in the input: spans outside (a stale token, a string value the parser
    /// read past the line it then resumed at) are dropped.
    record: Range<usize>,
    out: &'o mut Vec<Span>,
}

impl Spans<'_, '_> {
    fn record(&mut self, line: &Line<'_>) {
        self.token(&line.measurement, Highlight::Measurement);
        for (key, value) in &line.tags {
            self.token(key, Highlight::TagKey);
            self.token(value, Highlight::TagValue);
        }
        for (key, value) in &line.fields {
            let Some(key_at) = self.token(key, Highlight::FieldKey) else {
                continue;
            };
            let kind = Highlight::of_value(value);
            match value {
                FieldValue::String(s) => {
                    let Some(at) = self.offset_of(s.raw) else {
                        continue;
                    };
                    self.push(at - 1..at, kind);
                    self.token(s, kind);
                    self.push(at + s.raw.len()..at + s.raw.len() + 1, kind);
                }
                _ => {
                    let start = key_at + key.raw.len() + 1;
                    self.push(start..value_end(self.input, start), kind);
                }
            }
        }
    }

    /// Where `part` (a slice of the input) starts in the input, if it lies in the record.
    fn offset_of(&self, part: &str) -> Option<usize> {
        let base = self.input.as_ptr() as usize;
        let at = (part.as_ptr() as usize).checked_sub(base)?;
        let inside = at >= self.record.start && at + part.len() <= self.record.end;
        (inside && !part.is_empty()).then_some(at)
    }

    /// A name or string token, with its escapes as spans of their own; its offset.
    fn token(&mut self, token: &Token<'_>, kind: Highlight) -> Option<usize> {
        let at = self.offset_of(token.raw)?;
        let raw = token.raw.as_bytes();
        let mut from = 0;
        if token.escaped {
            let mut i = 0;
            while let Some(n) = memchr::memchr(b'\\', &raw[i..]) {
                let b = i + n;
                match raw.get(b + 1) {
                    Some(&c) if token.kind.escapes(c) => {
                        self.push(at + from..at + b, kind);
                        self.push(at + b..at + b + 2, Highlight::Escape);
                        from = b + 2;
                        i = b + 2;
                    }
                    _ => i = b + 1,
                }
            }
        }
        self.push(at + from..at + raw.len(), kind);
        Some(at)
    }

    /// Adds a span, clipped to the record; an empty one is dropped, one that continues the last
    /// span of the same kind extends it.
    fn push(&mut self, range: Range<usize>, kind: Highlight) {
        let range = range.start.max(self.record.start)..range.end.min(self.record.end);
        if range.is_empty() {
            return;
        }
        if let Some(last) = self.out.last_mut() {
            if last.kind == kind && last.range.end == range.start {
                last.range.end = range.end;
                return;
            }
        }
        self.out.push(Span { range, kind });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;

    /// `(text, kind name)` of every span of `input`.
    fn spans(input: &str) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        highlight(input.as_bytes(), &mut out);
        out.iter()
            .map(|s| (String::from(&input[s.range.clone()]), s.kind.as_str()))
            .collect()
    }

    fn pairs(list: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
        list.iter().map(|(t, k)| (String::from(*t), *k)).collect()
    }

    #[test]
    fn every_part_of_a_valid_record() {
        assert_eq!(
            spans("home,room=Kitchen temp=21.5,co=3i,n=7u,on=t,s=\"hi\" 1641024000\n"),
            pairs(&[
                ("home", "measurement"),
                ("room", "tag_key"),
                ("Kitchen", "tag_value"),
                ("temp", "field_key"),
                ("21.5", "float"),
                ("co", "field_key"),
                ("3i", "integer"),
                ("n", "field_key"),
                ("7u", "uinteger"),
                ("on", "field_key"),
                ("t", "boolean"),
                ("s", "field_key"),
                ("\"hi\"", "string"),
                ("1641024000", "timestamp"),
            ])
        );
    }

    #[test]
    fn escapes_are_spans_of_their_own() {
        assert_eq!(
            spans("my\\ home,room=Living\\ Room s=\"say \\\"hi\\\"\"\n"),
            pairs(&[
                ("my", "measurement"),
                ("\\ ", "escape"),
                ("home", "measurement"),
                ("room", "tag_key"),
                ("Living", "tag_value"),
                ("\\ ", "escape"),
                ("Room", "tag_value"),
                ("s", "field_key"),
                ("\"say ", "string"),
                ("\\\"", "escape"),
                ("hi", "string"),
                ("\\\"", "escape"),
                ("\"", "string"),
            ])
        );
        // A backslash before a character it does not escape is part of the name.
        assert_eq!(
            spans("m\\x f=1"),
            pairs(&[("m\\x", "measurement"), ("f", "field_key"), ("1", "float")])
        );
    }

    #[test]
    fn comments_blank_lines_and_crlf() {
        assert_eq!(
            spans("  # one\r\n\n#two\nm f=1 5\r\n# three"),
            pairs(&[
                ("# one", "comment"),
                ("#two", "comment"),
                ("m", "measurement"),
                ("f", "field_key"),
                ("1", "float"),
                ("5", "timestamp"),
                ("# three", "comment"),
            ])
        );
    }

    #[test]
    fn an_invalid_record_is_coloured_up_to_its_problem_and_the_next_one_whole() {
        assert_eq!(
            spans("home,room=K temp=21.5,co=3x 1\nm f=1\n"),
            pairs(&[
                ("home", "measurement"),
                ("room", "tag_key"),
                ("K", "tag_value"),
                ("temp", "field_key"),
                ("21.5", "float"),
                ("m", "measurement"),
                ("f", "field_key"),
                ("1", "float"),
            ])
        );
        // No measurement: nothing of the last record's is shown again.
        assert_eq!(
            spans("m f=1\n,t=1 f=2\n"),
            pairs(&[("m", "measurement"), ("f", "field_key"), ("1", "float")])
        );
    }

    #[test]
    fn a_string_spanning_lines_is_one_span() {
        assert_eq!(
            spans("m s=\"a\nb\" 2\n"),
            pairs(&[
                ("m", "measurement"),
                ("s", "field_key"),
                ("\"a\nb\"", "string"),
                ("2", "timestamp"),
            ])
        );
    }

    #[test]
    fn an_unclosed_string_does_not_colour_the_lines_after_it() {
        let got = spans("m s=\"a\nm f=1\n");
        // A field is coloured once its value is read: here only the measurement was.
        assert_eq!(got[..1], pairs(&[("m", "measurement")])[..]);
        assert!(
            got.ends_with(&pairs(&[
                ("m", "measurement"),
                ("f", "field_key"),
                ("1", "float")
            ])),
            "{got:?}"
        );
        assert!(got.iter().all(|(t, _)| !t.contains('\n')), "{got:?}");
    }

    #[test]
    fn spans_are_ordered_and_disjoint_for_any_input() {
        let inputs = [
            "m,a=1,b=\\ f=1,g=\"x\\\\\" -5\n\nm f=t,g=1u\n# c\n",
            "m f=\"unterminated\n,x\n\t\n",
            "ünï,cödé=vàl f=\"é\" 1\n",
        ];
        for input in inputs {
            let mut out = vec![];
            highlight(input.as_bytes(), &mut out);
            for w in out.windows(2) {
                assert!(w[0].range.end <= w[1].range.start, "{input:?}: {out:?}");
            }
            for s in &out {
                assert!(
                    input.is_char_boundary(s.range.start) && input.is_char_boundary(s.range.end)
                );
            }
        }
    }
}
