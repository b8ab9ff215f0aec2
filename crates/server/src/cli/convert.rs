//! `linewise convert --from csv`: CSV to line protocol by the core's conversion, the one the page
//! runs, so a file that converts in the page converts the same in a script. The mapping is guessed
//! from the header and the first rows and printed (to stderr) as the flags that reproduce it;
//! `--column NAME=ROLE` changes a column's role. Rows that do not fit are reported as
//! `FILE:LINE:COLUMN: message` and skipped. Exit 0 when every row converted, 1 when some row was
//! skipped, 2 on usage or I/O errors.
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use linewise_core::csv::{guess, ConvertError, Converter, Mapping, Role};
use linewise_core::Precision;

use super::input::Input;

/// Input formats `--from` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    Csv,
}

#[derive(clap::Args)]
pub struct Args {
    /// The format of the input.
    #[arg(long, value_enum)]
    from: InputFormat,
    /// Measurement of rows without a measurement column (default: the file name without its
    /// extension; `csv` for standard input).
    #[arg(long)]
    measurement: Option<String>,
    /// A column's role, overriding the guess: NAME=measurement|tag|float|integer|uinteger|
    /// string|boolean|time:auto|time:rfc3339|time:ns|time:us|time:ms|time:s|ignore. Repeatable.
    #[arg(long = "column", value_name = "NAME=ROLE")]
    columns: Vec<String>,
    /// Unit of the written timestamps (write them with the same `--precision`).
    #[arg(long, value_enum, default_value = "ns")]
    precision: Precision,
    /// Cell delimiter (default: guessed from the header: `,`, `;` or tab).
    #[arg(long)]
    delimiter: Option<char>,
    /// Where the line protocol goes (default: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// The CSV file; `-` (the default) reads standard input.
    #[arg(default_value = "-")]
    file: PathBuf,
}

/// Why a conversion stopped (exit code 2).
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("--column {0:?}: expected NAME=ROLE")]
    NoRole(String),
    #[error("--column {column}: {role:?} is not a role (measurement, tag, float, integer, uinteger, string, boolean, time:FORMAT, ignore)")]
    UnknownRole { column: String, role: String },
    #[error("--column {column}: the CSV has no such column (it has {})", .have.join(", "))]
    UnknownColumn { column: String, have: Vec<String> },
    #[error("--delimiter {0:?}: a delimiter is one ASCII character")]
    Delimiter(char),
    #[error("--precision auto cannot write timestamps: choose ns, us, ms or s")]
    AutoPrecision,
    #[error("cannot read {name}: {source}")]
    Read { name: String, source: io::Error },
    #[error("cannot write the line protocol: {0}")]
    Write(#[from] io::Error),
    #[error("{name}: {source}")]
    Convert { name: String, source: ConvertError },
}

/// Bytes converted per step: the output is written as it is made, so memory stays bounded.
const SLICE: usize = 1 << 20;
/// The prefix the mapping is guessed from (more than enough for the guess's rows).
const GUESS_PREFIX: usize = 4 << 20;

pub fn run(args: Args) -> ExitCode {
    match convert(&args) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("linewise convert: {e}");
            ExitCode::from(2)
        }
    }
}

/// Converts the input of `args`; the number of rows skipped.
fn convert(args: &Args) -> Result<usize, Failure> {
    let InputFormat::Csv = args.from;
    let stdin = args.file.as_os_str() == "-";
    let name = if stdin {
        "<stdin>".to_string()
    } else {
        args.file.display().to_string()
    };
    let read = |e| Failure::Read {
        name: name.clone(),
        source: e,
    };
    let input = Input::open(&args.file).map_err(read)?;
    let measurement = args.measurement.clone().unwrap_or_else(|| {
        args.file
            .file_stem()
            .filter(|_| !stdin)
            .map_or_else(|| "csv".to_string(), |s| s.to_string_lossy().into_owned())
    });
    let mapping = mapping(&input, &name, &measurement, args)?;
    eprintln!("linewise convert: mapping {}", mapping.flags());
    let mut out: BufWriter<Box<dyn Write>> = BufWriter::new(match &args.output {
        Some(path) => Box::new(File::create(path)?),
        None => Box::new(io::stdout().lock()),
    });
    let mut converter = Converter::new(mapping).map_err(|source| Failure::Convert {
        name: name.clone(),
        source,
    })?;
    let mut text = String::new();
    let mut skipped = 0;
    let chunks = input.chunks(SLICE).map(Some).chain([None]);
    for chunk in chunks {
        let errors = match chunk {
            Some(chunk) => converter.push(chunk, &mut text),
            None => converter.finish(&mut text),
        }
        .map_err(|source| Failure::Convert {
            name: name.clone(),
            source,
        })?;
        out.write_all(text.as_bytes())?;
        text.clear();
        for e in errors {
            skipped += 1;
            match e {
                ConvertError::Cell {
                    line,
                    column,
                    name: header,
                    message,
                } => eprintln!("{name}:{line}:{column}: {header}: {message}"),
                e => eprintln!("{name}: {e}"),
            }
        }
    }
    out.flush()?;
    let progress = converter.progress();
    eprintln!(
        "{name}: {} points written, {} rows skipped",
        progress.points, progress.skipped
    );
    Ok(skipped)
}

/// The guessed mapping of input `name` with the flags applied.
fn mapping(input: &[u8], name: &str, measurement: &str, args: &Args) -> Result<Mapping, Failure> {
    let prefix = &input[..input.len().min(GUESS_PREFIX)];
    let delimiter = args
        .delimiter
        .map(|d| {
            u8::try_from(d)
                .ok()
                .filter(u8::is_ascii)
                .ok_or(Failure::Delimiter(d))
        })
        .transpose()?;
    let mut mapping = guess(prefix, measurement, delimiter).map_err(|source| Failure::Convert {
        name: name.to_string(),
        source,
    })?;
    if args.precision == Precision::Auto {
        return Err(Failure::AutoPrecision);
    }
    mapping.precision = args.precision;
    for flag in &args.columns {
        let (column, role) = flag
            .rsplit_once('=')
            .ok_or_else(|| Failure::NoRole(flag.clone()))?;
        let role = Role::parse(role).ok_or_else(|| Failure::UnknownRole {
            column: column.into(),
            role: role.into(),
        })?;
        let Some(at) = mapping.columns.iter().position(|c| c.name == column) else {
            return Err(Failure::UnknownColumn {
                column: column.into(),
                have: mapping.columns.iter().map(|c| c.name.clone()).collect(),
            });
        };
        // One measurement and one time column: naming another replaces the guessed one.
        let single = |r: &Role| matches!(r, Role::Time(_) | Role::Measurement);
        if single(&role) {
            let same = |r: &Role| std::mem::discriminant(r) == std::mem::discriminant(&role);
            for other in &mut mapping.columns {
                if same(&other.role) {
                    other.role = Role::Ignore;
                }
            }
        }
        mapping.columns[at].role = role;
    }
    Ok(mapping)
}
