//! `linewise check`: validates line protocol like a compiler. Exit 0 when every line is valid,
//! 1 when some line is invalid, 2 on usage or I/O errors.
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use linewise_core::{parse_lines, BatchValidator, Line, Precision};

mod json;

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
    precision: Precision,
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
    match check(&input, &name, args.precision, args.format, &mut out)
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
    let mut validator = BatchValidator::new(precision, None);
    let mut lines = parse_lines(input);
    let mut line = Line::new();
    let mut summary = Summary {
        records: 0,
        invalid: 0,
    };
    while let Some(result) = lines.next_into(&mut line) {
        summary.records += 1;
        let checked = result.and_then(|()| validator.check(&line, 0));
        match (checked, format) {
            (Ok(_), Format::Text) => {}
            (Ok(ns), Format::Jsonl) => {
                json::write_point(out, &line, line.timestamp.map(|_| ns))?;
            }
            (Err(d), Format::Text) => {
                summary.invalid += 1;
                writeln!(out, "{name}:{}:{}: {}", d.line, d.column, d.message)?;
            }
            (Err(d), Format::Jsonl) => {
                summary.invalid += 1;
                json::write_error(out, &d)?;
            }
        }
    }
    Ok(summary)
}
