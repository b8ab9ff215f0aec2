//! Serialising points as line protocol, escaping exactly what each position needs, so that
//! parsing the output gives the point back.
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write as _};

/// An owned point, built by hand (the writer's input) or from a parsed `Line`.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub measurement: String,
    pub tags: Vec<(String, String)>,
    pub fields: Vec<(String, OwnedFieldValue)>,
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OwnedFieldValue {
    Float(f64),
    Integer(i64),
    UInteger(u64),
    String(String),
    Boolean(bool),
}

/// A point line protocol cannot express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The measurement, a tag key or value, or a field key is empty.
    EmptyName,
    /// A name holds a newline or a tab, or the measurement starts with `#` (a comment line):
    /// no escape can express these.
    UnwritableCharacter { name: String },
    /// The point has no field.
    NoFields,
    /// A float field is NaN or infinite.
    NonFiniteFloat { field: String },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::EmptyName => {
                f.write_str("measurement, tag keys, tag values and field keys must not be empty")
            }
            WriteError::UnwritableCharacter { name } => {
                write!(f, "name {name:?} holds a newline or tab, or starts with '#': line protocol cannot express it")
            }
            WriteError::NoFields => f.write_str("a point needs at least one field"),
            WriteError::NonFiniteFloat { field } => {
                write!(
                    f,
                    "field {field:?} is NaN or infinite, which line protocol cannot express"
                )
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for WriteError {}

impl Point {
    /// A point with no tags, no fields and no timestamp; add them with the builder methods.
    pub fn new(measurement: impl Into<String>) -> Self {
        Point {
            measurement: measurement.into(),
            tags: Vec::new(),
            fields: Vec::new(),
            timestamp: None,
        }
    }

    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    pub fn field(mut self, key: impl Into<String>, value: OwnedFieldValue) -> Self {
        self.fields.push((key.into(), value));
        self
    }

    pub fn timestamp(mut self, ts: i64) -> Self {
        self.timestamp = Some(ts);
        self
    }

    /// The point as one line of line protocol (no trailing newline).
    pub fn to_line_protocol(&self) -> Result<String, WriteError> {
        let mut out = String::new();
        write_line(&mut out, self)?;
        Ok(out)
    }
}

/// Appends `point` as one line (no trailing newline) to `out`. On error `out` is unchanged.
pub fn write_line(out: &mut String, point: &Point) -> Result<(), WriteError> {
    check(point)?;
    escape_name(out, &point.measurement, false);
    for (k, v) in &point.tags {
        out.push(',');
        escape_name(out, k, true);
        out.push('=');
        escape_name(out, v, true);
    }
    for (i, (k, v)) in point.fields.iter().enumerate() {
        out.push(if i == 0 { ' ' } else { ',' });
        escape_name(out, k, true);
        out.push('=');
        write_value(out, v);
    }
    if let Some(ts) = point.timestamp {
        // Writing into a String cannot fail.
        let _ = write!(out, " {ts}");
    }
    Ok(())
}

fn check(point: &Point) -> Result<(), WriteError> {
    if point.fields.is_empty() {
        return Err(WriteError::NoFields);
    }
    let names = core::iter::once(&point.measurement)
        .chain(point.tags.iter().flat_map(|(k, v)| [k, v]))
        .chain(point.fields.iter().map(|(k, _)| k));
    for name in names {
        if name.is_empty() {
            return Err(WriteError::EmptyName);
        }
        if name.contains(['\n', '\t']) {
            return Err(WriteError::UnwritableCharacter { name: name.clone() });
        }
    }
    if point.measurement.starts_with('#') {
        return Err(WriteError::UnwritableCharacter {
            name: point.measurement.clone(),
        });
    }
    for (k, v) in &point.fields {
        if let OwnedFieldValue::Float(f) = v {
            if !f.is_finite() {
                return Err(WriteError::NonFiniteFloat { field: k.clone() });
            }
        }
    }
    Ok(())
}

/// Escapes `,`, space and `\` everywhere, `=` in keys and tag values (`with_equals`).
fn escape_name(out: &mut String, name: &str, with_equals: bool) {
    for c in name.chars() {
        if matches!(c, ',' | ' ' | '\\') || (with_equals && c == '=') {
            out.push('\\');
        }
        out.push(c);
    }
}

fn write_value(out: &mut String, v: &OwnedFieldValue) {
    // Writing into a String cannot fail.
    let _ = match v {
        OwnedFieldValue::Float(f) => write_float(out, *f),
        OwnedFieldValue::Integer(i) => write!(out, "{i}i"),
        OwnedFieldValue::UInteger(u) => write!(out, "{u}u"),
        OwnedFieldValue::Boolean(b) => write!(out, "{b}"),
        OwnedFieldValue::String(s) => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
            Ok(())
        }
    };
}

/// Shortest text that parses back to the same f64: plain decimals for ordinary magnitudes,
/// exponent form for very large or small ones (`1e300`, not 301 digits).
fn write_float(out: &mut String, f: f64) -> fmt::Result {
    let abs = f.abs();
    if abs == 0.0 || (1e-5..1e16).contains(&abs) {
        write!(out, "{f}")
    } else {
        write!(out, "{f:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_lines;

    fn lp(p: &Point) -> String {
        p.to_line_protocol().unwrap()
    }

    #[test]
    fn escapes_each_position() {
        let p = Point::new("my meas,x=y")
            .tag("tag key,=", "a b,c=d\\")
            .field(
                "f k=,",
                OwnedFieldValue::String(String::from("say \"hi\" \\ now\nnext")),
            )
            .field("n", OwnedFieldValue::Integer(-5))
            .field("u", OwnedFieldValue::UInteger(7))
            .field("b", OwnedFieldValue::Boolean(true))
            .field("x", OwnedFieldValue::Float(1.5))
            .timestamp(-12);
        assert_eq!(
            lp(&p),
            "my\\ meas\\,x=y,tag\\ key\\,\\==a\\ b\\,c\\=d\\\\ f\\ k\\=\\,=\"say \\\"hi\\\" \\\\ now\nnext\",n=-5i,u=7u,b=true,x=1.5 -12"
        );
        let text = lp(&p);
        let line = parse_lines(text.as_bytes()).next().unwrap().unwrap();
        assert_eq!(line.to_point(), p);
    }

    #[test]
    fn floats_round_trip_in_short_form() {
        for f in [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e300,
            -1e-300,
            5e-324,
            f64::MAX,
            123456.789,
            1e16,
            1e15,
        ] {
            let p = Point::new("m").field("f", OwnedFieldValue::Float(f));
            let text = lp(&p);
            assert!(text.len() < 40, "{text}");
            let back = parse_lines(text.as_bytes())
                .next()
                .unwrap()
                .unwrap()
                .to_point();
            assert_eq!(back, p, "{text}");
        }
        assert_eq!(
            lp(&Point::new("m").field("f", OwnedFieldValue::Float(1e300))),
            "m f=1e300"
        );
    }

    #[test]
    fn refuses_what_line_protocol_cannot_express() {
        let f = |v| Point::new("m").field("f", v);
        assert_eq!(
            f(OwnedFieldValue::Float(f64::NAN)).to_line_protocol(),
            Err(WriteError::NonFiniteFloat { field: "f".into() })
        );
        assert_eq!(
            Point::new("m").to_line_protocol(),
            Err(WriteError::NoFields)
        );
        assert_eq!(
            Point::new("")
                .field("f", OwnedFieldValue::Boolean(true))
                .to_line_protocol(),
            Err(WriteError::EmptyName)
        );
        assert!(matches!(
            Point::new("a\nb")
                .field("f", OwnedFieldValue::Boolean(true))
                .to_line_protocol(),
            Err(WriteError::UnwritableCharacter { .. })
        ));
        let mut out = String::from("keep");
        assert!(write_line(&mut out, &Point::new("m")).is_err());
        assert_eq!(out, "keep");
    }
}
