//! Per-line errors as the write endpoints report them (`error_message`, `line_number`,
//! `original_line`), and the two ways the offending line is shown.
use std::fmt::Write as _;

use linewise_core::{Diagnostic, FieldValue, Line};
use serde::Serialize;

/// How much of the offending line a response repeats: enough to recognise it (InfluxDB cuts to 20).
pub const ORIGINAL_LINE_CHARS: usize = 100;

/// One rejected line. Field order is the wire order InfluxDB 3 uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub error_message: String,
    /// 1-based physical line in the request body (blank and comment lines count).
    pub line_number: u32,
    pub original_line: String,
    /// A catalog limit was hit: InfluxDB answers these with 422 instead of 400.
    #[serde(skip)]
    pub limit: bool,
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(ORIGINAL_LINE_CHARS) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// The physical line `diag` is on, as written (without its line ending), for parse errors.
pub fn physical_line(body: &str, diag: &Diagnostic) -> String {
    let at = diag.start.min(body.len());
    let mut start = body[..at].rfind('\n').map_or(0, |i| i + 1);
    // A record spanning lines (newline inside a string) is shown from its first line.
    for _ in diag.record_line..diag.line {
        if start == 0 {
            break;
        }
        start = body[..start - 1].rfind('\n').map_or(0, |i| i + 1);
    }
    let rest = &body[start..];
    let end = rest.find('\n').unwrap_or(rest.len());
    truncate(rest[..end].trim_end_matches('\r'))
}

/// A valid line re-serialised the way InfluxDB 3 shows lines rejected by schema checks (the seed
/// documents show `temp="hi"` as `temp=hi`): measurement and tags as written, field values in
/// their canonical form with strings unquoted.
pub fn normalized_line(line: &Line<'_>) -> String {
    let mut out = String::with_capacity(line.raw.len());
    out.push_str(line.measurement.raw);
    for (k, v) in &line.tags {
        let _ = write!(out, ",{}={}", k.raw, v.raw);
    }
    for (i, (k, v)) in line.fields.iter().enumerate() {
        out.push(if i == 0 { ' ' } else { ',' });
        out.push_str(k.raw);
        out.push('=');
        let _ = match v {
            FieldValue::Float(x) => write!(out, "{x}"),
            FieldValue::Integer(x) => write!(out, "{x}i"),
            FieldValue::UInteger(x) => write!(out, "{x}u"),
            FieldValue::String(s) => write!(out, "{}", s.raw),
            FieldValue::Boolean(x) => write!(out, "{x}"),
        };
    }
    if let Some(ts) = line.timestamp {
        let _ = write!(out, " {ts}");
    }
    truncate(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use linewise_core::ErrorKind;

    fn diag(start: usize, line: u32, record_line: u32) -> Diagnostic {
        Diagnostic {
            line,
            record_line,
            column: 1,
            end_column: 2,
            start,
            end: start + 1,
            kind: ErrorKind::MissingFieldSet,
            message: String::new(),
        }
    }

    #[test]
    fn shows_the_physical_line() {
        let body = "a f=1\r\n\r\nbad line here\r\nc f=2";
        assert_eq!(physical_line(body, &diag(12, 3, 3)), "bad line here");
        assert_eq!(physical_line(body, &diag(0, 1, 1)), "a f=1");
        let multi = "x s=\"one\ntwo\" oops\n";
        assert_eq!(physical_line(multi, &diag(14, 2, 1)), "x s=\"one");
    }

    #[test]
    fn truncates_to_100_chars() {
        let long = "é".repeat(150);
        assert_eq!(truncate(&long).chars().count(), 100);
    }
}
