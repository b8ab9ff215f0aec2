//! Borrowed views of one parsed line. Nothing here copies the input unless a token holds an escape.
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use crate::write::{OwnedFieldValue, Point};
use crate::FieldType;

/// Which escapes a token's position allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TokenKind {
    /// Measurement: `\,`, `\ ` and `\\` are escapes (`=` needs none; `\=` stays as written).
    Measurement,
    /// Tag key, tag value or field key: `\,`, `\=`, `\ ` and `\\` are escapes.
    #[default]
    Name,
    /// String field value (between the quotes): only `\"` and `\\` are escapes.
    String,
}

impl TokenKind {
    /// Whether `\c` stands for `c` here.
    pub(crate) fn escapes(self, c: u8) -> bool {
        match self {
            TokenKind::Measurement => matches!(c, b',' | b' ' | b'\\'),
            TokenKind::Name => matches!(c, b',' | b'=' | b' ' | b'\\'),
            TokenKind::String => matches!(c, b'"' | b'\\'),
        }
    }
}

/// A name or string as written in the input (measurement, tag key/value, field key, string field
/// value): the raw slice, and whether it contains a backslash, so unescaping costs nothing for the
/// common case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Token<'a> {
    pub raw: &'a str,
    /// The raw text holds at least one backslash.
    pub escaped: bool,
    pub kind: TokenKind,
}

impl<'a> Token<'a> {
    /// A token of `kind` from its raw text.
    pub fn new(raw: &'a str, kind: TokenKind) -> Self {
        Token {
            raw,
            escaped: raw.contains('\\'),
            kind,
        }
    }

    /// The value with escapes removed; borrowed when there were none. A backslash before any
    /// other character is kept as is.
    #[inline]
    pub fn unescaped(&self) -> Cow<'a, str> {
        if self.escaped {
            Cow::Owned(self.unescape())
        } else {
            Cow::Borrowed(self.raw)
        }
    }

    /// Appends the unescaped value to `out`: lets a caller decode many tokens through one
    /// reused buffer instead of allocating per escaped token.
    pub fn unescape_into(&self, out: &mut String) {
        if !self.escaped {
            out.push_str(self.raw);
            return;
        }
        // Escapable characters are ASCII, so every cut is at a character boundary.
        let raw = self.raw;
        let bytes = raw.as_bytes();
        let mut from = 0;
        while let Some(n) = memchr::memchr(b'\\', &bytes[from..]) {
            let at = from + n;
            match bytes.get(at + 1) {
                Some(&c) if self.kind.escapes(c) => {
                    out.push_str(&raw[from..at]);
                    out.push(char::from(c));
                    from = at + 2;
                }
                // Kept as is: copy the backslash with the chunk and go on after it.
                _ => {
                    out.push_str(&raw[from..at + 1]);
                    from = at + 1;
                }
            }
        }
        out.push_str(&raw[from..]);
    }

    fn unescape(&self) -> String {
        let mut out = String::with_capacity(self.raw.len());
        self.unescape_into(&mut out);
        out
    }
}

/// A decoded field value. Strings stay borrowed (raw, still escaped) until asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    Float(f64),
    Integer(i64),
    UInteger(u64),
    /// The text between the quotes, escapes (`\"`, `\\`) not yet removed.
    String(Token<'a>),
    Boolean(bool),
}

impl FieldValue<'_> {
    pub fn field_type(&self) -> FieldType {
        match self {
            FieldValue::Float(_) => FieldType::Float,
            FieldValue::Integer(_) => FieldType::Integer,
            FieldValue::UInteger(_) => FieldType::UInteger,
            FieldValue::String(_) => FieldType::String,
            FieldValue::Boolean(_) => FieldType::Boolean,
        }
    }

    /// The owned, unescaped value.
    pub fn to_owned_value(&self) -> OwnedFieldValue {
        match *self {
            FieldValue::Float(v) => OwnedFieldValue::Float(v),
            FieldValue::Integer(v) => OwnedFieldValue::Integer(v),
            FieldValue::UInteger(v) => OwnedFieldValue::UInteger(v),
            FieldValue::String(t) => OwnedFieldValue::String(t.unescaped().into_owned()),
            FieldValue::Boolean(v) => OwnedFieldValue::Boolean(v),
        }
    }
}

/// One valid line (record) of the input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line<'a> {
    /// 1-based physical line number where the record starts (blank and comment lines count).
    pub line_number: u32,
    /// The record's text exactly as in the input, from the start of its physical line (leading
    /// whitespace included) to its end (line ending excluded). It spans several physical lines
    /// when a string field value holds a newline.
    pub raw: &'a str,
    /// Byte offset of `raw` in the whole input.
    pub offset: usize,
    pub measurement: Token<'a>,
    pub tags: Vec<(Token<'a>, Token<'a>)>,
    pub fields: Vec<(Token<'a>, FieldValue<'a>)>,
    /// The timestamp as written, before any precision is applied.
    pub timestamp: Option<i64>,
}

impl<'a> Line<'a> {
    /// An empty line whose vectors `Lines::next_into` fills and reuses.
    pub fn new() -> Self {
        Line::default()
    }

    /// The owned, unescaped point (timestamp as written, no precision applied).
    pub fn to_point(&self) -> Point {
        Point {
            measurement: self.measurement.unescaped().into_owned(),
            tags: self
                .tags
                .iter()
                .map(|(k, v)| (k.unescaped().into_owned(), v.unescaped().into_owned()))
                .collect(),
            fields: self
                .fields
                .iter()
                .map(|(k, v)| (k.unescaped().into_owned(), v.to_owned_value()))
                .collect(),
            timestamp: self.timestamp,
        }
    }

    /// Byte range, relative to `raw`, of a slice of `raw` (e.g. a token's `raw`). Slices from
    /// elsewhere give an empty range at 0.
    pub fn span_of(&self, part: &str) -> core::ops::Range<usize> {
        let base = self.raw.as_ptr() as usize;
        let at = part.as_ptr() as usize;
        if at < base || at + part.len() > base + self.raw.len() {
            return 0..0;
        }
        at - base..at - base + part.len()
    }

    /// Byte range, relative to `raw`, of the value of field `i` as written: a string with its
    /// quotes, a number with its suffix. Out of range `i` gives an empty range at 0.
    pub fn field_value_span(&self, i: usize) -> core::ops::Range<usize> {
        let Some((key, value)) = self.fields.get(i) else {
            return 0..0;
        };
        if let FieldValue::String(s) = value {
            let inner = self.span_of(s.raw);
            return inner.start.saturating_sub(1)..(inner.end + 1).min(self.raw.len());
        }
        let start = self.span_of(key.raw).end + 1;
        start..value_end(self.raw.as_bytes(), start)
    }

    /// Byte range, relative to `raw`, of the timestamp as written (empty at the end when absent).
    pub fn timestamp_span(&self) -> core::ops::Range<usize> {
        let trimmed = self.raw.trim_end_matches([' ', '\r']);
        if self.timestamp.is_none() {
            return trimmed.len()..trimmed.len();
        }
        let start = trimmed.rfind(' ').map_or(0, |i| i + 1);
        start..trimmed.len()
    }
}

/// Where a number or boolean value that starts at `start` ends: such values hold no separator,
/// so the first `,`, space or line end after the `=` ends them.
pub(crate) fn value_end(bytes: &[u8], start: usize) -> usize {
    bytes
        .get(start..)
        .and_then(|rest| {
            rest.iter()
                .position(|b| matches!(b, b',' | b' ' | b'\n' | b'\r'))
        })
        .map_or(bytes.len().max(start), |n| start + n)
}
