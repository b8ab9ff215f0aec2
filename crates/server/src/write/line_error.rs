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

/// The rejected record as written (without its line ending), for parse errors.
pub fn physical_line(body: &str, diag: &Diagnostic) -> String {
    let text = body
        .get(diag.record.start.min(body.len())..diag.record.end.min(body.len()))
        .unwrap_or("");
    truncate(text.trim_end_matches(['\r', '\n']))
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
    use linewise_core::parse_lines;

    fn first_error(body: &str) -> Diagnostic {
        parse_lines(body.as_bytes())
            .find_map(Result::err)
            .expect("an invalid line")
    }

    #[test]
    fn shows_the_record_as_written() {
        let body = "a f=1\r\n\r\nbad line here\r\nc f=2";
        assert_eq!(physical_line(body, &first_error(body)), "bad line here");
        let long = format!("m,t={} f=\n", "é".repeat(150));
        assert_eq!(
            physical_line(&long, &first_error(&long)).chars().count(),
            100
        );
    }

    #[test]
    fn normalises_lines_like_influxdb() {
        let body = "home,room=Sun\\ room temp=\"hi\",n=1i,u=2u,b=t,f=1e3 17";
        let line = parse_lines(body.as_bytes()).next().unwrap().unwrap();
        assert_eq!(
            normalized_line(&line),
            "home,room=Sun\\ room temp=hi,n=1i,u=2u,b=true,f=1000 17"
        );
    }
}
