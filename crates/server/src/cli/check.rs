//! `linewise check`: validates line protocol like a compiler. Exit 0 when every line is valid,
//! 1 when some line is invalid, 2 on usage or I/O errors.
use std::fmt::Write as _;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use linewise_core::{parse_lines, Checker, Diagnostic, FieldValue, Line, Precision};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum CheckPrecision {
    Auto,
    Ns,
    Us,
    Ms,
    S,
}

impl From<CheckPrecision> for Precision {
    fn from(p: CheckPrecision) -> Precision {
        match p {
            CheckPrecision::Auto => Precision::Auto,
            CheckPrecision::Ns => Precision::Nanosecond,
            CheckPrecision::Us => Precision::Microsecond,
            CheckPrecision::Ms => Precision::Millisecond,
            CheckPrecision::S => Precision::Second,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `FILE:LINE:COL: message` per invalid line.
    Text,
    /// One JSON object per data line: the parsed point or the error.
    Jsonl,
}

#[derive(clap::Args)]
pub struct Args {
    /// Unit of the timestamps (`auto` guesses per line from the magnitude, as InfluxDB 3).
    #[arg(long, value_enum, default_value = "auto")]
    precision: CheckPrecision,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// The file to check; `-` (the default) reads standard input.
    #[arg(default_value = "-")]
    file: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let stdin = args.file.as_os_str() == "-";
    let name = if stdin {
        String::from("<stdin>")
    } else {
        args.file.display().to_string()
    };
    let input = if stdin {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(&args.file)
    };
    let input = match input {
        Ok(input) => input,
        Err(e) => {
            eprintln!("linewise check: cannot read {name}: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match check(&input, &name, args.precision.into(), args.format, &mut out)
        .and_then(|s| out.flush().map(|()| s))
    {
        Ok(summary) if summary.invalid == 0 => ExitCode::SUCCESS,
        Ok(summary) => {
            if args.format == Format::Text {
                eprintln!(
                    "{name}: {} of {} records invalid",
                    summary.invalid, summary.records
                );
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("linewise check: cannot write the report: {e}");
            ExitCode::from(2)
        }
    }
}

/// Counts of one run.
pub struct Summary {
    pub records: usize,
    pub invalid: usize,
}

/// Parses and validates `input`, writing the report in `format` to `out`.
pub fn check(
    input: &[u8],
    name: &str,
    precision: Precision,
    format: Format,
    out: &mut impl Write,
) -> io::Result<Summary> {
    // Lines without a timestamp are printed with `null`, so "now" is never shown.
    let mut checker = Checker::new(precision, 0, None);
    let mut records = checker.check(parse_lines(input));
    let mut line = Line::new();
    let mut summary = Summary {
        records: 0,
        invalid: 0,
    };
    let mut buf = String::new();
    while let Some(verdict) = records.next(&mut line) {
        summary.records += 1;
        buf.clear();
        match (verdict, format) {
            (Ok(_), Format::Text) => continue,
            (Ok(ok), Format::Jsonl) => {
                point_json(&mut buf, &line, line.timestamp.map(|_| ok.time_ns))
            }
            (Err(d), Format::Text) => {
                summary.invalid += 1;
                let _ = writeln!(buf, "{name}:{}:{}: {}", d.line, d.column, d.message);
            }
            (Err(d), Format::Jsonl) => {
                summary.invalid += 1;
                error_json(&mut buf, &d);
            }
        }
        out.write_all(buf.as_bytes())?;
    }
    Ok(summary)
}

fn json_str(buf: &mut String, s: &str) {
    // Serialising a &str cannot fail.
    buf.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// `{"line":N,"point":{"measurement":…,"tags":{…},"fields":{…},"timestamp":ns|null}}`
fn point_json(buf: &mut String, line: &Line<'_>, timestamp_ns: Option<i64>) {
    let _ = write!(
        buf,
        "{{\"line\":{},\"point\":{{\"measurement\":",
        line.line_number
    );
    json_str(buf, &line.measurement.unescaped());
    buf.push_str(",\"tags\":{");
    for (i, (k, v)) in line.tags.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        json_str(buf, &k.unescaped());
        buf.push(':');
        json_str(buf, &v.unescaped());
    }
    buf.push_str("},\"fields\":{");
    for (i, (k, v)) in line.fields.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        json_str(buf, &k.unescaped());
        let _ = write!(
            buf,
            ":{{\"type\":\"{}\",\"value\":",
            v.field_type().as_str()
        );
        match v {
            FieldValue::Float(f) => buf.push_str(&serde_json::Value::from(*f).to_string()),
            FieldValue::Integer(n) => {
                let _ = write!(buf, "{n}");
            }
            FieldValue::UInteger(n) => {
                let _ = write!(buf, "{n}");
            }
            FieldValue::String(s) => json_str(buf, &s.unescaped()),
            FieldValue::Boolean(b) => {
                let _ = write!(buf, "{b}");
            }
        }
        buf.push('}');
    }
    match timestamp_ns {
        Some(ns) => {
            let _ = writeln!(buf, "}},\"timestamp\":{ns}}}}}");
        }
        None => buf.push_str("},\"timestamp\":null}}\n"),
    }
}

/// `{"line":N,"error":{"column":C,"end_column":E,"kind":"…","message":"…"}}`
fn error_json(buf: &mut String, d: &Diagnostic) {
    let _ = write!(
        buf,
        "{{\"line\":{},\"error\":{{\"column\":{},\"end_column\":{},\"kind\":\"{}\",\"message\":",
        d.line,
        d.column,
        d.end_column,
        d.kind.as_str()
    );
    json_str(buf, &d.message);
    buf.push_str("}}\n");
}
