//! Packs points and diagnostics into a few flat arrays and one string, which cross into JS in a
//! handful of copies; the JS wrapper rebuilds the objects. Crossing per object (or per property)
//! would cost a call into JS each, which dominates on large inputs.
//!
//! Layout (read by `decode` in js/src/api.js, keep both in step):
//! - `text` holds every string back to back; `lens` the UTF-16 length of each, so JS slices `text`
//!   with `substring` and no decoding.
//! - A point is `heads: [line, tag_count, field_count, has_timestamp]`, then strings
//!   `measurement, (tag key, tag value)*, field key*`, and per field one `kinds` byte:
//!   0 float (`floats`), 1 integer (`ints`), 2 uinteger (`uints`), 3 string (next string in `text`,
//!   unescaped), 4 false, 5 true. Timestamps (ns) go to `timestamps` when present.
//! - An error is `error_heads: [line, record_line, column, end_column]` and strings `kind, message`
//!   in `error_text`/`error_lens`.

use linewise_core::{Diagnostic, FieldValue, Line};

/// Field kind codes shared with the JS decoder and `format_point`.
pub const KIND_FLOAT: u8 = 0;
pub const KIND_INTEGER: u8 = 1;
pub const KIND_UINTEGER: u8 = 2;
pub const KIND_STRING: u8 = 3;
pub const KIND_FALSE: u8 = 4;
pub const KIND_TRUE: u8 = 5;

/// Strings back to back plus their UTF-16 lengths.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct StringTable {
    pub text: String,
    pub lens: Vec<u32>,
}

impl StringTable {
    pub fn push(&mut self, s: &str) {
        let units = if s.is_ascii() {
            s.len()
        } else {
            s.encode_utf16().count()
        };
        self.text.push_str(s);
        self.lens.push(units as u32);
    }
}

/// Points and errors gathered since the JS side last took them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Encoded {
    pub heads: Vec<u32>,
    pub strings: StringTable,
    pub kinds: Vec<u8>,
    pub floats: Vec<f64>,
    pub ints: Vec<i64>,
    pub uints: Vec<u64>,
    pub timestamps: Vec<i64>,
    pub error_heads: Vec<u32>,
    pub error_strings: StringTable,
}

impl Encoded {
    /// Appends a valid record; `timestamp_ns` is its time after precision (ignored when the line
    /// had none).
    pub fn push_point(&mut self, line: &Line<'_>, timestamp_ns: i64) {
        self.heads.extend_from_slice(&[
            line.line_number,
            line.tags.len() as u32,
            line.fields.len() as u32,
            u32::from(line.timestamp.is_some()),
        ]);
        self.strings.push(&line.measurement.unescaped());
        for (key, value) in &line.tags {
            self.strings.push(&key.unescaped());
            self.strings.push(&value.unescaped());
        }
        for (key, value) in &line.fields {
            self.strings.push(&key.unescaped());
            let kind = match *value {
                FieldValue::Float(v) => {
                    self.floats.push(v);
                    KIND_FLOAT
                }
                FieldValue::Integer(v) => {
                    self.ints.push(v);
                    KIND_INTEGER
                }
                FieldValue::UInteger(v) => {
                    self.uints.push(v);
                    KIND_UINTEGER
                }
                FieldValue::String(text) => {
                    self.strings.push(&text.unescaped());
                    KIND_STRING
                }
                FieldValue::Boolean(false) => KIND_FALSE,
                FieldValue::Boolean(true) => KIND_TRUE,
            };
            self.kinds.push(kind);
        }
        if line.timestamp.is_some() {
            self.timestamps.push(timestamp_ns);
        }
    }

    pub fn push_error(&mut self, diagnostic: &Diagnostic) {
        self.error_heads.extend_from_slice(&[
            diagnostic.line,
            diagnostic.record_line,
            diagnostic.column,
            diagnostic.end_column,
        ]);
        self.error_strings.push(diagnostic.kind.as_str());
        self.error_strings.push(&diagnostic.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_lengths_count_utf16_units() {
        let mut table = StringTable::default();
        table.push("room");
        table.push("Zürich 🚀");
        assert_eq!(table.text, "roomZürich 🚀");
        assert_eq!(table.lens, [4, 9]);
    }
}
