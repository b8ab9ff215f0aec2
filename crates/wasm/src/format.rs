//! Writing one point as line protocol with the core's writer, then proving the result: the line is
//! parsed back and must give exactly the same point. What line protocol cannot carry (an empty name,
//! a newline in a tag, a NaN, no fields) is refused with the reason instead of written wrong.

use super::encode::{KIND_FALSE, KIND_FLOAT, KIND_INTEGER, KIND_STRING, KIND_TRUE, KIND_UINTEGER};
use linewise_core::OwnedFieldValue;
use linewise_core::{parse_lines, write_line, FieldValue, Point};

/// A point as the JS wrapper flattens it: field `kinds` (codes of `encode`) say which of the value
/// arrays holds each field's value, in order.
pub struct FlatPoint<'a> {
    pub measurement: String,
    /// `[key, value, key, value, …]`
    pub tags: Vec<String>,
    pub field_keys: Vec<String>,
    pub kinds: &'a [u8],
    pub floats: &'a [f64],
    pub ints: &'a [i64],
    pub uints: &'a [u64],
    pub strings: Vec<String>,
    pub timestamp: Option<i64>,
}

impl FlatPoint<'_> {
    pub fn into_point(self) -> Result<Point, String> {
        if !self.tags.len().is_multiple_of(2) {
            return Err("tags: expected key/value pairs".to_string());
        }
        if self.kinds.len() != self.field_keys.len() {
            return Err("fields: one type per field key expected".to_string());
        }
        let mut tags = Vec::with_capacity(self.tags.len() / 2);
        let mut pairs = self.tags.into_iter();
        while let (Some(key), Some(value)) = (pairs.next(), pairs.next()) {
            tags.push((key, value));
        }
        let (mut floats, mut ints, mut uints) =
            (self.floats.iter(), self.ints.iter(), self.uints.iter());
        let mut strings = self.strings.into_iter();
        let mut fields = Vec::with_capacity(self.field_keys.len());
        for (key, &kind) in self.field_keys.into_iter().zip(self.kinds) {
            let value = match kind {
                KIND_FLOAT => floats.next().map(|&v| OwnedFieldValue::Float(v)),
                KIND_INTEGER => ints.next().map(|&v| OwnedFieldValue::Integer(v)),
                KIND_UINTEGER => uints.next().map(|&v| OwnedFieldValue::UInteger(v)),
                KIND_STRING => strings.next().map(OwnedFieldValue::String),
                KIND_FALSE => Some(OwnedFieldValue::Boolean(false)),
                KIND_TRUE => Some(OwnedFieldValue::Boolean(true)),
                _ => None,
            };
            let value = value.ok_or_else(|| format!("fields.{key}: value missing for its type"))?;
            fields.push((key, value));
        }
        Ok(Point {
            measurement: self.measurement,
            tags,
            fields,
            timestamp: self.timestamp,
        })
    }
}

/// The point as one line of line protocol (no newline), or why it cannot be written.
pub fn format_point(point: &Point) -> Result<String, String> {
    let mut out = String::new();
    write_line(&mut out, point).map_err(|e| e.to_string())?;
    check_round_trip(&out, point)?;
    Ok(out)
}

/// Parses `text` and compares it with `point`, naming the first difference.
fn check_round_trip(text: &str, point: &Point) -> Result<(), String> {
    let mut records = parse_lines(text.as_bytes());
    let line = match (records.next(), records.next()) {
        (Some(Ok(line)), None) => line,
        (Some(Err(diagnostic)), _) => {
            return Err(format!(
                "cannot be written as line protocol: {}",
                diagnostic.message
            ))
        }
        (None, _) => return Err("cannot be written as line protocol: empty".to_string()),
        (Some(Ok(_)), Some(_)) => {
            return Err(
                "cannot be written as line protocol: a name or tag value holds a newline"
                    .to_string(),
            )
        }
    };
    let differs = |what: &str| {
        Err(format!(
            "cannot be written as line protocol: {what} changes"
        ))
    };
    if line.measurement.unescaped() != point.measurement.as_str() {
        return differs("the measurement");
    }
    if line.tags.len() != point.tags.len()
        || line
            .tags
            .iter()
            .zip(&point.tags)
            .any(|((k, v), (pk, pv))| k.unescaped() != pk.as_str() || v.unescaped() != pv.as_str())
    {
        return differs("a tag");
    }
    if line.fields.len() != point.fields.len()
        || line
            .fields
            .iter()
            .zip(&point.fields)
            .any(|((k, v), (pk, pv))| k.unescaped() != pk.as_str() || !same_value(v, pv))
    {
        return differs("a field");
    }
    if line.timestamp != point.timestamp {
        return differs("the timestamp");
    }
    Ok(())
}

fn same_value(parsed: &FieldValue<'_>, written: &OwnedFieldValue) -> bool {
    match (parsed, written) {
        (FieldValue::Float(a), OwnedFieldValue::Float(b)) => a.to_bits() == b.to_bits(),
        (FieldValue::Integer(a), OwnedFieldValue::Integer(b)) => a == b,
        (FieldValue::UInteger(a), OwnedFieldValue::UInteger(b)) => a == b,
        (FieldValue::String(a), OwnedFieldValue::String(b)) => a.unescaped() == b.as_str(),
        (FieldValue::Boolean(a), OwnedFieldValue::Boolean(b)) => a == b,
        _ => false,
    }
}
