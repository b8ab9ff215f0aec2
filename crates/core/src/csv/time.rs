//! Timestamps in CSV cells: RFC 3339 dates (as InfluxDB's annotated CSV writes them, and the
//! `2022-01-01 08:00:00` form spreadsheets write, read as UTC) or integers since the epoch.
use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use chrono::{DateTime, NaiveDateTime};

use crate::precision::Precision;

/// How a time column's cells are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// An integer is epoch time with the unit its magnitude says (InfluxDB 3's `auto` rule); any
    /// other cell is read as a date.
    Auto,
    /// RFC 3339 / ISO 8601 dates; without an offset they are UTC.
    Rfc3339,
    /// Integers since the epoch in this unit (`Auto`: by magnitude).
    Epoch(Precision),
}

impl TimeFormat {
    /// The cell as nanoseconds since the epoch.
    pub fn nanos(self, cell: &str) -> Result<i64, String> {
        match self {
            TimeFormat::Auto if is_integer(cell) => TimeFormat::Epoch(Precision::Auto).nanos(cell),
            TimeFormat::Auto | TimeFormat::Rfc3339 => date_nanos(cell),
            TimeFormat::Epoch(unit) => {
                let v: i64 = cell.parse().map_err(|_| {
                    alloc::format!("expected an integer time since the epoch, found {cell:?}")
                })?;
                unit.to_nanos(v).map_err(|_| {
                    alloc::format!("the time {v} in {} is out of range", unit.in_words())
                })
            }
        }
    }
}

pub(crate) fn is_integer(cell: &str) -> bool {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn date_nanos(cell: &str) -> Result<i64, String> {
    let utc = if let Ok(t) = DateTime::parse_from_rfc3339(cell) {
        t.to_utc()
    } else {
        let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(cell, f).ok())
            .ok_or_else(|| {
                alloc::format!(
                    "expected a date such as 2022-01-01T08:00:00Z or a time since the epoch, found {cell:?}"
                )
            })?;
        naive.and_utc()
    };
    utc.timestamp_nanos_opt()
        .ok_or_else(|| alloc::format!("the date {cell:?} is outside the years 1677 to 2262"))
}

impl fmt::Display for TimeFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeFormat::Auto => "auto",
            TimeFormat::Rfc3339 => "rfc3339",
            TimeFormat::Epoch(Precision::Auto) => "epoch",
            TimeFormat::Epoch(p) => p.as_str(),
        })
    }
}

impl FromStr for TimeFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<TimeFormat, String> {
        match s {
            "auto" => Ok(TimeFormat::Auto),
            "rfc3339" => Ok(TimeFormat::Rfc3339),
            "epoch" => Ok(TimeFormat::Epoch(Precision::Auto)),
            _ => match Precision::parse(s) {
                Some(p) if !matches!(p, Precision::Auto) => Ok(TimeFormat::Epoch(p)),
                _ => Err(alloc::format!(
                    "unknown time format {s:?}: expected auto, rfc3339, epoch, ns, us, ms or s"
                )),
            },
        }
    }
}
