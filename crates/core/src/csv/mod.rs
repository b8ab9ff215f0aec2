//! CSV to line protocol: each CSV row becomes one point, by a [`Mapping`] that gives every CSV
//! column a [`Role`] (the measurement, a tag, a typed field, the timestamp, or nothing).
//!
//! The page and `linewise convert --from csv` both run this, so a file that converts in one
//! converts the same in the other; points are written by the core's writer, so escaping is exact.
//! [`guess`] proposes a mapping from the header and the first rows; a person or the command's
//! flags then adjust it. Conversion is incremental ([`Converter::push`]), so a 64 MB file can be
//! converted in slices with progress, and a row that does not fit its mapping is reported with its
//! CSV line and column, then skipped: the other rows still convert.
mod flags;
mod guess;
mod time;

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

use crate::column::FieldType;
use crate::precision::Precision;
use crate::write::{write_line, OwnedFieldValue, Point};

pub use flags::shell_word;
pub use guess::{guess, GUESS_ROWS};
pub use time::TimeFormat;

/// What one CSV column becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// The row's measurement (overrides [`Mapping::measurement`]).
    Measurement,
    Tag,
    Field(FieldType),
    /// The row's timestamp, written in [`Mapping::precision`].
    Time(TimeFormat),
    Ignore,
}

impl Role {
    /// The spelling used by the page and the command's `--column NAME=ROLE` flag:
    /// `measurement`, `tag`, `float` … `boolean`, `time:rfc3339`, `time:s` …, `ignore`.
    pub fn spelling(&self) -> String {
        match self {
            Role::Measurement => "measurement".into(),
            Role::Tag => "tag".into(),
            Role::Field(t) => t.as_str().into(),
            Role::Time(f) => alloc::format!("time:{f}"),
            Role::Ignore => "ignore".into(),
        }
    }

    /// Reads a [`Role::spelling`]; `field` alone means a float field, `time` alone the RFC 3339 /
    /// epoch guess per value.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "measurement" => Role::Measurement,
            "tag" => Role::Tag,
            "ignore" => Role::Ignore,
            "field" => Role::Field(FieldType::Float),
            "time" => Role::Time(TimeFormat::Auto),
            _ => match s.strip_prefix("time:") {
                Some(format) => Role::Time(format.parse().ok()?),
                None => Role::Field(s.parse().ok()?),
            },
        })
    }
}

/// One CSV column, by its header name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub name: String,
    pub role: Role,
}

/// How the columns of a CSV file become points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// In header order, one per CSV column.
    pub columns: Vec<ColumnMap>,
    /// The measurement of rows without a [`Role::Measurement`] column (or with an empty one).
    pub measurement: String,
    /// The unit of the written timestamps (`Auto` writes nanoseconds).
    pub precision: Precision,
    pub delimiter: u8,
}

/// Why a row, or the whole file, could not be converted. Lines and columns are 1-based: the CSV
/// line where the row starts and the CSV column (field number) of the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// The header does not name the mapping's columns (in order).
    Header {
        expected: Vec<String>,
        found: Vec<String>,
    },
    /// The file has no header row.
    NoHeader,
    /// A mapping that names two measurement or time columns.
    TwoColumns { role: &'static str },
    /// The file is not UTF-8 at `line`.
    NotUtf8 { line: u32 },
    /// A row with another number of cells than the header.
    Width {
        line: u32,
        cells: usize,
        header: usize,
    },
    /// A cell that is not a value of its column's role.
    Cell {
        line: u32,
        column: u32,
        name: String,
        message: String,
    },
    /// A row the writer refused (no field value, an unwritable name).
    Row { line: u32, message: String },
}

impl ConvertError {
    /// The CSV line the error is on (`None`: the whole file).
    pub fn line(&self) -> Option<u32> {
        match self {
            ConvertError::NotUtf8 { line }
            | ConvertError::Width { line, .. }
            | ConvertError::Cell { line, .. }
            | ConvertError::Row { line, .. } => Some(*line),
            _ => None,
        }
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::Header { expected, found } => write!(
                f,
                "the CSV header is {:?} but the mapping is for {:?}",
                found, expected
            ),
            ConvertError::NoHeader => f.write_str("the CSV has no header row"),
            ConvertError::TwoColumns { role } => {
                write!(f, "the mapping has more than one {role} column; keep one")
            }
            ConvertError::NotUtf8 { line } => {
                write!(f, "line {line}: the CSV is not UTF-8 text")
            }
            ConvertError::Width {
                line,
                cells,
                header,
            } => write!(
                f,
                "line {line}: the row has {cells} cells but the header has {header}"
            ),
            ConvertError::Cell {
                line,
                column,
                name,
                message,
            } => write!(f, "line {line}, column {column} ({name}): {message}"),
            ConvertError::Row { line, message } => write!(f, "line {line}: {message}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ConvertError {}

/// Counts of a conversion so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// CSV bytes consumed.
    pub bytes: usize,
    /// Points written.
    pub points: usize,
    /// Rows skipped with an error.
    pub skipped: usize,
}

/// Converts a CSV file fed in slices of any size. Each [`push`](Converter::push) appends the
/// points of the rows completed by that slice to `out`, one line each, and returns the rows that
/// failed; [`finish`](Converter::finish) ends the last row.
pub struct Converter {
    mapping: Mapping,
    reader: Reader,
    /// The current record's cell bytes and cell ends (csv-core's output buffers).
    cells: Vec<u8>,
    ends: Vec<usize>,
    /// Bytes of the current record read so far (a record may span slices).
    filled: usize,
    ended: usize,
    header_seen: bool,
    /// The CSV line the next byte is on, and the line the current record started on.
    line: u32,
    record_line: u32,
    progress: Progress,
    measurement_at: Option<usize>,
}

impl Converter {
    pub fn new(mapping: Mapping) -> Result<Converter, ConvertError> {
        let at = |role: fn(&Role) -> bool, name: &'static str| {
            let mut hits = mapping
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| role(&c.role));
            let first = hits.next().map(|(i, _)| i);
            match hits.next() {
                Some(_) => Err(ConvertError::TwoColumns { role: name }),
                None => Ok(first),
            }
        };
        let measurement_at = at(|r| *r == Role::Measurement, "measurement")?;
        at(|r| matches!(r, Role::Time(_)), "time")?;
        let reader = ReaderBuilder::new().delimiter(mapping.delimiter).build();
        let width = mapping.columns.len().max(1);
        Ok(Converter {
            mapping,
            reader,
            cells: vec![0; 1024],
            ends: vec![0; width + 1],
            filled: 0,
            ended: 0,
            header_seen: false,
            line: 1,
            record_line: 1,
            progress: Progress::default(),
            measurement_at,
        })
    }

    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// Converts the rows `input` completes. A header that does not match the mapping stops the
    /// conversion: it is the one error returned as `Err`.
    pub fn push(
        &mut self,
        input: &[u8],
        out: &mut String,
    ) -> Result<Vec<ConvertError>, ConvertError> {
        self.feed(input, false, out)
    }

    /// Ends the input: converts a last row without a final newline.
    pub fn finish(&mut self, out: &mut String) -> Result<Vec<ConvertError>, ConvertError> {
        let errors = self.feed(&[], true, out)?;
        if !self.header_seen {
            return Err(ConvertError::NoHeader);
        }
        Ok(errors)
    }

    /// csv-core reads an empty input as the end of the file, so it is given one only at `end`.
    fn feed(
        &mut self,
        mut input: &[u8],
        end: bool,
        out: &mut String,
    ) -> Result<Vec<ConvertError>, ConvertError> {
        let mut errors = Vec::new();
        loop {
            if input.is_empty() && !end {
                return Ok(errors);
            }
            let (result, read, written, ends) = self.reader.read_record(
                input,
                &mut self.cells[self.filled..],
                &mut self.ends[self.ended..],
            );
            self.line += memchr::memchr_iter(b'\n', &input[..read]).count() as u32;
            self.progress.bytes += read;
            input = &input[read..];
            self.filled += written;
            self.ended += ends;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let grown = self.cells.len() * 2;
                    self.cells.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => {
                    self.record(out, &mut errors)?;
                    // The record's end consumed its newline: the next one starts on this line.
                    self.record_line = self.line;
                    self.filled = 0;
                    self.ended = 0;
                }
                ReadRecordResult::End => return Ok(errors),
            }
        }
    }

    fn record(
        &mut self,
        out: &mut String,
        errors: &mut Vec<ConvertError>,
    ) -> Result<(), ConvertError> {
        let line = self.record_line;
        let Ok(text) = core::str::from_utf8(&self.cells[..self.filled]) else {
            if !self.header_seen {
                return Err(ConvertError::NotUtf8 { line });
            }
            errors.push(ConvertError::NotUtf8 { line });
            self.progress.skipped += 1;
            return Ok(());
        };
        let mut start = 0;
        let cells: Vec<&str> = self.ends[..self.ended]
            .iter()
            .map(|&end| {
                let cell = &text[start..end];
                start = end;
                cell
            })
            .collect();
        if !self.header_seen {
            self.header_seen = true;
            let found: Vec<String> = cells
                .iter()
                .map(|c| c.trim_start_matches('\u{feff}').trim().to_string())
                .collect();
            let expected: Vec<String> = self
                .mapping
                .columns
                .iter()
                .map(|c| c.name.clone())
                .collect();
            if found != expected {
                return Err(ConvertError::Header { expected, found });
            }
            return Ok(());
        }
        // A blank line is csv-core's one-empty-cell record: nothing to convert.
        if cells.len() == 1 && cells[0].is_empty() {
            return Ok(());
        }
        match self.point(&cells, line) {
            Ok(point) => {
                let before = out.len();
                match write_line(out, &point) {
                    Ok(()) => {
                        out.push('\n');
                        self.progress.points += 1;
                    }
                    Err(e) => {
                        out.truncate(before);
                        errors.push(ConvertError::Row {
                            line,
                            message: e.to_string(),
                        });
                        self.progress.skipped += 1;
                    }
                }
            }
            Err(e) => {
                errors.push(e);
                self.progress.skipped += 1;
            }
        }
        Ok(())
    }

    fn point(&self, cells: &[&str], line: u32) -> Result<Point, ConvertError> {
        let columns = &self.mapping.columns;
        if cells.len() != columns.len() {
            return Err(ConvertError::Width {
                line,
                cells: cells.len(),
                header: columns.len(),
            });
        }
        let measurement = self
            .measurement_at
            .map(|i| cells[i].trim())
            .filter(|m| !m.is_empty())
            .unwrap_or(&self.mapping.measurement);
        let mut point = Point::new(measurement);
        for (i, (cell, column)) in cells.iter().zip(columns).enumerate() {
            let cell_error = |message: String| ConvertError::Cell {
                line,
                column: i as u32 + 1,
                name: column.name.clone(),
                message,
            };
            match &column.role {
                Role::Tag if !cell.is_empty() => {
                    point.tags.push((column.name.clone(), (*cell).to_string()));
                }
                Role::Field(t) if !cell.is_empty() => {
                    let value = field_value(cell, *t).map_err(cell_error)?;
                    point.fields.push((column.name.clone(), value));
                }
                Role::Time(format) if !cell.trim().is_empty() => {
                    let ns = format.nanos(cell.trim()).map_err(cell_error)?;
                    let ts = in_unit(ns, self.mapping.precision).map_err(cell_error)?;
                    point.timestamp = Some(ts);
                }
                _ => {}
            }
        }
        Ok(point)
    }
}

/// `ns` in `unit`, refusing to drop a finer part.
fn in_unit(ns: i64, unit: Precision) -> Result<i64, String> {
    let per = unit.nanos_per_unit();
    if ns % per != 0 {
        return Err(alloc::format!(
            "the time has a part finer than {}; choose a finer precision",
            unit.in_words()
        ));
    }
    Ok(ns / per)
}

/// A cell as a field value of type `t`. Numbers may carry surrounding spaces; strings are kept
/// as written.
fn field_value(cell: &str, t: FieldType) -> Result<OwnedFieldValue, String> {
    let v = cell.trim();
    let bad = |what: &str| alloc::format!("expected {what}, found {cell:?}");
    Ok(match t {
        FieldType::Float => {
            let f: f64 = v.parse().map_err(|_| bad("a number"))?;
            if !f.is_finite() {
                return Err(bad("a finite number"));
            }
            OwnedFieldValue::Float(f)
        }
        FieldType::Integer => OwnedFieldValue::Integer(
            v.parse()
                .map_err(|_| bad("an integer (map the column as float to keep fractions)"))?,
        ),
        FieldType::UInteger => {
            OwnedFieldValue::UInteger(v.parse().map_err(|_| bad("an unsigned integer"))?)
        }
        FieldType::Boolean => {
            OwnedFieldValue::Boolean(parse_bool(v).ok_or_else(|| bad("true or false"))?)
        }
        FieldType::String => OwnedFieldValue::String(cell.to_string()),
    })
}

/// The boolean spellings line protocol accepts, and `yes`/`no`, `1`/`0` are not among them:
/// a column of 0 and 1 is an integer.
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "t" | "T" | "true" | "True" | "TRUE" => Some(true),
        "f" | "F" | "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Converts a whole CSV text: the points, and the rows that failed.
pub fn convert(
    input: &[u8],
    mapping: &Mapping,
) -> Result<(String, Vec<ConvertError>), ConvertError> {
    let mut converter = Converter::new(mapping.clone())?;
    let mut out = String::with_capacity(input.len() + input.len() / 2);
    let mut errors = converter.push(input, &mut out)?;
    errors.extend(converter.finish(&mut out)?);
    Ok((out, errors))
}

#[cfg(test)]
mod tests;
