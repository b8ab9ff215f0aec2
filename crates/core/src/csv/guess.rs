//! A first mapping for a CSV file, from its header and first rows: what a person would choose for
//! most files, shown to them (the page's mapping table, the command's equivalent flags) to adjust.
use alloc::collections::BTreeSet;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use csv_core::{ReadRecordResult, ReaderBuilder};

use super::time::{date_nanos, is_integer, TimeFormat};
use super::{parse_bool, ColumnMap, ConvertError, Mapping, Role};
use crate::column::FieldType;
use crate::precision::Precision;

/// Rows read to guess: enough to see a column's kind, few enough to guess a 64 MB file at once.
pub const GUESS_ROWS: usize = 200;

/// Header names taken as the timestamp (compared without case).
const TIME_NAMES: [&str; 6] = ["time", "_time", "timestamp", "date", "datetime", "ts"];
/// Header names taken as the measurement.
const MEASUREMENT_NAMES: [&str; 3] = ["measurement", "_measurement", "table"];
/// A text column is a tag when its values repeat: at most this many distinct ones in the sample…
const MAX_TAG_VALUES: usize = 64;
/// …and none longer than this.
const MAX_TAG_LEN: usize = 64;

/// Guesses each column's role, the timestamp format and (unless given) the delimiter from the
/// first [`GUESS_ROWS`] rows of `input`. Rows without a measurement column get `measurement`.
pub fn guess(
    input: &[u8],
    measurement: &str,
    delimiter: Option<u8>,
) -> Result<Mapping, ConvertError> {
    let delimiter = delimiter.unwrap_or_else(|| delimiter_of(input));
    let rows = first_rows(input, delimiter)?;
    let Some((header, rows)) = rows.split_first() else {
        return Err(ConvertError::NoHeader);
    };
    let mut has_time = false;
    let mut has_measurement = false;
    let columns = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = name.trim_start_matches('\u{feff}').trim().to_string();
            let values: Vec<&str> = rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .collect();
            let lower = name.to_ascii_lowercase();
            let mut role = role_of(&lower, &values, !has_time);
            if role == Role::Measurement && has_measurement {
                role = Role::Tag;
            }
            has_time |= matches!(role, Role::Time(_));
            has_measurement |= role == Role::Measurement;
            ColumnMap { name, role }
        })
        .collect();
    Ok(Mapping {
        columns,
        measurement: measurement.to_string(),
        precision: Precision::Nanosecond,
        delimiter,
    })
}

fn role_of(lower: &str, values: &[&str], time_free: bool) -> Role {
    if values.is_empty() {
        return Role::Ignore;
    }
    if time_free {
        if let Some(format) = time_format(values, TIME_NAMES.contains(&lower)) {
            return Role::Time(format);
        }
    }
    if MEASUREMENT_NAMES.contains(&lower) {
        return Role::Measurement;
    }
    if values.iter().all(|v| parse_bool(v).is_some()) {
        return Role::Field(FieldType::Boolean);
    }
    if values
        .iter()
        .all(|v| is_integer(v) && v.parse::<i64>().is_ok())
    {
        return Role::Field(FieldType::Integer);
    }
    if values
        .iter()
        .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite) && !v.contains(char::is_alphabetic))
    {
        return Role::Field(FieldType::Float);
    }
    let distinct: BTreeSet<&str> = values.iter().copied().collect();
    let repeats = distinct.len() <= MAX_TAG_VALUES && distinct.len() * 2 <= values.len().max(2);
    if repeats && distinct.iter().all(|v| v.len() <= MAX_TAG_LEN) {
        Role::Tag
    } else {
        Role::Field(FieldType::String)
    }
}

/// The time format every value reads as: dates anywhere, integers only in a column named as the
/// time (a column of plain integers is more often a field). Epoch integers get the unit the
/// first one's magnitude says.
fn time_format(values: &[&str], named_time: bool) -> Option<TimeFormat> {
    if values.iter().all(|v| is_integer(v)) {
        if !named_time {
            return None;
        }
        let first: i64 = values[0].parse().ok()?;
        return Some(TimeFormat::Epoch(Precision::guess(first)));
    }
    values
        .iter()
        .all(|v| !is_integer(v) && date_nanos(v).is_ok())
        .then_some(TimeFormat::Rfc3339)
}

/// `,` unless the header line holds more `;` or tabs than commas.
fn delimiter_of(input: &[u8]) -> u8 {
    let header = input.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let count = |d: u8| header.iter().filter(|&&b| b == d).count();
    [b';', b'\t']
        .into_iter()
        .filter(|&d| count(d) > count(b','))
        .max_by_key(|&d| count(d))
        .unwrap_or(b',')
}

/// The header and up to [`GUESS_ROWS`] rows, as text.
fn first_rows(input: &[u8], delimiter: u8) -> Result<Vec<Vec<String>>, ConvertError> {
    let mut reader = ReaderBuilder::new().delimiter(delimiter).build();
    let mut rows = Vec::new();
    let mut rest = input;
    let mut cells = alloc::vec![0u8; 4096];
    let mut ends = alloc::vec![0usize; 64];
    let (mut filled, mut ended) = (0, 0);
    let mut line = 1u32;
    while rows.len() <= GUESS_ROWS {
        let (result, read, written, n) =
            reader.read_record(rest, &mut cells[filled..], &mut ends[ended..]);
        line += memchr::memchr_iter(b'\n', &rest[..read]).count() as u32;
        rest = &rest[read..];
        filled += written;
        ended += n;
        match result {
            ReadRecordResult::OutputFull => cells.resize(cells.len() * 2, 0),
            ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            ReadRecordResult::Record => {
                let text = core::str::from_utf8(&cells[..filled])
                    .map_err(|_| ConvertError::NotUtf8 { line })?;
                let mut start = 0;
                let row: Vec<String> = ends[..ended]
                    .iter()
                    .map(|&end| {
                        let cell = text[start..end].to_string();
                        start = end;
                        cell
                    })
                    .collect();
                if !(row.len() == 1 && row[0].is_empty()) {
                    rows.push(row);
                }
                filled = 0;
                ended = 0;
            }
            // Input used up mid-row: the next call, with nothing left, ends it.
            ReadRecordResult::InputEmpty => {}
            ReadRecordResult::End => break,
        }
    }
    Ok(rows)
}
