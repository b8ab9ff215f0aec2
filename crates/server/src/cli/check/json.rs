//! The `jsonl` report of `linewise check`: one object per data line, serialised by serde_json in
//! the field order the contract gives (tags and fields in input order, names unescaped).
use std::borrow::Cow;
use std::io::{self, Write};

use linewise_core::{Diagnostic, FieldValue, Line};
use serde::{Serialize, Serializer};

/// `{"line":N,"point":{"measurement":…,"tags":{…},"fields":{…},"timestamp":ns|null}}`
pub fn write_point(
    out: &mut impl Write,
    line: &Line<'_>,
    timestamp_ns: Option<i64>,
) -> io::Result<()> {
    let record = PointRecord {
        line: line.line_number,
        point: Point {
            measurement: line.measurement.unescaped(),
            tags: Tags(line),
            fields: Fields(line),
            timestamp: timestamp_ns,
        },
    };
    write_record(out, &record)
}

/// `{"line":N,"error":{"column":C,"end_column":E,"kind":"…","message":"…"}}`
pub fn write_error(out: &mut impl Write, d: &Diagnostic) -> io::Result<()> {
    let record = ErrorRecord {
        line: d.line,
        error: Error {
            column: d.column,
            end_column: d.end_column,
            kind: d.kind.as_str(),
            message: &d.message,
        },
    };
    write_record(out, &record)
}

fn write_record(out: &mut impl Write, record: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct PointRecord<'a> {
    line: u32,
    point: Point<'a>,
}

#[derive(Serialize)]
struct Point<'a> {
    measurement: Cow<'a, str>,
    tags: Tags<'a>,
    fields: Fields<'a>,
    timestamp: Option<i64>,
}

/// A line's tags as a JSON object, in input order.
struct Tags<'a>(&'a Line<'a>);

impl Serialize for Tags<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            self.0
                .tags
                .iter()
                .map(|(k, v)| (k.unescaped(), v.unescaped())),
        )
    }
}

/// A line's fields as a JSON object of `{"type":…,"value":…}`, in input order.
struct Fields<'a>(&'a Line<'a>);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.fields.iter().map(|(k, v)| (k.unescaped(), Field(v))))
    }
}

struct Field<'v, 'a>(&'v FieldValue<'a>);

impl Serialize for Field<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Value<'a> {
            Float(f64),
            Integer(i64),
            UInteger(u64),
            String(Cow<'a, str>),
            Boolean(bool),
        }
        #[derive(Serialize)]
        struct Typed<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            value: Value<'a>,
        }
        let value = match self.0 {
            FieldValue::Float(f) => Value::Float(*f),
            FieldValue::Integer(n) => Value::Integer(*n),
            FieldValue::UInteger(n) => Value::UInteger(*n),
            FieldValue::String(t) => Value::String(t.unescaped()),
            FieldValue::Boolean(b) => Value::Boolean(*b),
        };
        Typed {
            kind: self.0.field_type().as_str(),
            value,
        }
        .serialize(s)
    }
}

#[derive(Serialize)]
struct ErrorRecord<'a> {
    line: u32,
    error: Error<'a>,
}

#[derive(Serialize)]
struct Error<'a> {
    column: u32,
    end_column: u32,
    kind: &'static str,
    message: &'a str,
}
