//! `linewise check`: validates line protocol like a compiler. Exit 0 when every line is valid,
//! 1 when some line is invalid, 2 on usage or I/O errors.
use std::convert::Infallible;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use linewise_core::{parse_lines, Checker, Line, Lines, Precision, Rejection};

mod json;

use super::input::Input;

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
    let input = Input::open(&args.file);
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

impl Summary {
    fn add(self, other: Summary) -> Summary {
        Summary {
            records: self.records + other.records,
            invalid: self.invalid + other.invalid,
        }
    }
}

/// Parses and validates `input`, writing the report in `format` to `out`.
pub fn check(
    input: &[u8],
    name: &str,
    precision: Precision,
    format: Format,
    out: &mut impl Write,
) -> io::Result<Summary> {
    let halves = (format == Format::Text && input.len() >= TWO_THREADS_FROM)
        .then(|| memchr::memchr(b'\n', &input[input.len() / 2..]))
        .flatten()
        .map(|n| input.len() / 2 + n + 1)
        .filter(|&cut| cut < input.len());
    match halves {
        Some(cut) => check_halves(input, cut, name, precision, out),
        None => Ok(check_part(
            &mut checker(precision),
            parse_lines(input),
            name,
            format,
            out,
        )?
        .summary),
    }
}

/// Inputs from this size on are checked by two threads, one half each.
const TWO_THREADS_FROM: usize = 4 << 20;

/// Lines without a timestamp are printed with `null`, so "now" is never shown.
fn checker(precision: Precision) -> Checker<'static> {
    Checker::new(precision, 0, None)
}

/// `check` of a text report on two threads: the second half (from the line start `cut`) is
/// checked on its own while the first is checked as usual. Its report stands when nothing it found
/// depends on the first half: the record before `cut` ended there, none of its lines is invalid
/// (only parse errors, whose messages name no other line), and every column it saw has the kind
/// the first half gave it. Otherwise the first half's checker goes on through the second half.
fn check_halves(
    input: &[u8],
    cut: usize,
    name: &str,
    precision: Precision,
    out: &mut impl Write,
) -> io::Result<Summary> {
    std::thread::scope(|scope| {
        let second = scope.spawn(|| {
            let first_line = memchr::memchr_iter(b'\n', &input[..cut]).count() + 1;
            let lines = Lines::new(&input[cut..])
                .starting_at_line(u32::try_from(first_line).unwrap_or(u32::MAX));
            let mut checker = checker(precision);
            let mut report = Vec::new();
            let result = check_part(&mut checker, lines, name, Format::Text, &mut report);
            (checker, report, result)
        });
        let mut checker = checker(precision);
        let first = check_part(
            &mut checker,
            Lines::new(&input[..cut]).partial(),
            name,
            Format::Text,
            out,
        )?;
        let (later, report, second) = match second.join() {
            Ok(joined) => joined,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let second = second?;
        if first.unfinished.is_none() && second.invalid_lines == 0 && checker.agrees_with(&later) {
            out.write_all(&report)?;
            return Ok(first.summary.add(second.summary));
        }
        let from = first.unfinished.unwrap_or(cut);
        let lines = Lines::new(&input[from..]).starting_at_line(first.next_line);
        let rest = check_part(&mut checker, lines, name, Format::Text, out)?;
        Ok(first.summary.add(rest.summary))
    })
}

/// What one pass over some input found.
struct Pass {
    summary: Summary,
    /// Lines that parsed but are invalid (their messages may name earlier lines).
    invalid_lines: usize,
    /// Where a `partial` input's last record, unfinished, starts.
    unfinished: Option<usize>,
    /// The physical line number where the pass stopped.
    next_line: u32,
}

/// Checks the records of `lines` with `checker`, writing the report in `format` to `out`.
fn check_part<'a>(
    checker: &mut Checker<'_>,
    lines: Lines<'a>,
    name: &str,
    format: Format,
    out: &mut impl Write,
) -> io::Result<Pass> {
    let mut records = checker.check(lines);
    let mut line = Line::new();
    let mut summary = Summary {
        records: 0,
        invalid: 0,
    };
    let mut invalid_lines = 0;
    while let Some(verdict) = records.next_admitted(&mut line, |_, _| Ok::<(), Infallible>(())) {
        summary.records += 1;
        let d = match verdict {
            Ok(ok) => {
                if format == Format::Jsonl {
                    json::write_point(out, &line, line.timestamp.map(|_| ok.time_ns))?;
                }
                continue;
            }
            Err(Rejection::Syntax(d)) => d,
            Err(Rejection::Invalid(d)) => {
                invalid_lines += 1;
                d
            }
            Err(Rejection::Refused(never)) => match never {},
        };
        summary.invalid += 1;
        match format {
            Format::Text => writeln!(out, "{name}:{}:{}: {}", d.line, d.column, d.message)?,
            Format::Jsonl => json::write_error(out, &d)?,
        }
    }
    Ok(Pass {
        summary,
        invalid_lines,
        unfinished: records.lines().unfinished(),
        next_line: records.lines().line_number(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text report and counts of checking `input` on one thread.
    fn serial(input: &[u8]) -> (String, usize, usize) {
        let mut out = Vec::new();
        let s = check_part(
            &mut checker(Precision::Auto),
            parse_lines(input),
            "f",
            Format::Text,
            &mut out,
        )
        .unwrap()
        .summary;
        (String::from_utf8(out).unwrap(), s.records, s.invalid)
    }

    #[test]
    fn two_halves_report_what_one_pass_reports() {
        let inputs: [&[u8]; 5] = [
            // Independent halves, with a parse error in the second.
            b"m,t=a f=1 1\nm f=2 2\n# c\nn g=1i 3\nn g= 4\nm,t=b f=3 5\n",
            // The second half gives a column another kind: its lines conflict with the first's.
            b"m f=1 1\nm f=2 2\nm f=\"s\" 3\nm f=\"t\" 4\n",
            // A conflict inside the second half names a line of the first.
            b"m f=1 1\nm g=1 2\nm f=2 3\nm f=1i 4\n",
            // A string value spans the cut.
            b"m f=1 1\nm s=\"a\nb\nc\" 2\nm f=2 3\nm f=3 4\n",
            // A string left open at the cut, never closed.
            b"m f=1 1\nm s=\"a\nm f=2 3\nm f=3 4\n",
        ];
        for input in inputs {
            let expected = serial(input);
            for cut in (1..input.len()).filter(|&i| input[i - 1] == b'\n') {
                let mut out = Vec::new();
                let s = check_halves(input, cut, "f", Precision::Auto, &mut out).unwrap();
                assert_eq!(
                    (String::from_utf8(out).unwrap(), s.records, s.invalid),
                    expected,
                    "{:?} cut at {cut}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }
}
