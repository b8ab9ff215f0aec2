//! Batch schema checks: a column's type must not change within a batch, nor against stored schema.
use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::{Diagnostic, ErrorKind, FieldType, Line, Precision};

/// The column name InfluxDB reserves for the timestamp.
pub const TIME_COLUMN: &str = "time";

/// What a stored column is, as the server's catalog knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    Tag,
    Field(FieldType),
    Time,
}

impl ColumnKind {
    /// InfluxDB 3's name for the column type (`iox::column_type::tag`, `…::field::float`, …).
    pub fn iox_name(self) -> &'static str {
        match self {
            ColumnKind::Tag => "iox::column_type::tag",
            ColumnKind::Field(t) => t.iox_name(),
            ColumnKind::Time => "iox::column_type::timestamp",
        }
    }

    /// Plain words for messages: `tag`, `float field`, `time column`.
    fn describe(self) -> String {
        match self {
            ColumnKind::Tag => String::from("tag"),
            ColumnKind::Field(t) => format!("{} field", t.as_str()),
            ColumnKind::Time => String::from("time column"),
        }
    }
}

/// The hook through which the server's catalog (or the web page's copy of the server's schema) adds
/// the types it already stores.
pub trait KnownSchema {
    fn column(&self, measurement: &str, column: &str) -> Option<ColumnKind>;
}

/// A column as first seen in this batch.
#[derive(Debug, Clone, Copy)]
struct Seen {
    kind: ColumnKind,
    line: u32,
}

/// Checks lines one after another against earlier lines of the batch and against a `KnownSchema`:
/// type conflicts (naming both types and the earlier line), tag/field name clashes, duplicate keys,
/// the reserved column `time`, and the timestamp conversion under `precision`.
/// A rejected line leaves no trace: later lines are checked against accepted lines only.
pub struct BatchValidator<'s> {
    schema: Option<&'s dyn KnownSchema>,
    precision: Precision,
    tables: BTreeMap<String, BTreeMap<String, Seen>>,
}

/// Where a column's existing kind comes from, for the message.
enum Origin {
    Batch(u32),
    Stored,
    SameLine,
}

impl<'s> BatchValidator<'s> {
    pub fn new(precision: Precision, schema: Option<&'s dyn KnownSchema>) -> Self {
        BatchValidator {
            schema,
            precision,
            tables: BTreeMap::new(),
        }
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Validates one parsed line; on success returns its timestamp in ns (`default_time_ns` when the
    /// line has none) and remembers its column types for later lines.
    pub fn check(&mut self, line: &Line<'_>, default_time_ns: i64) -> Result<i64, Diagnostic> {
        let table = line.measurement.unescaped();
        let tags: Vec<Cow<'_, str>> = line.tags.iter().map(|(k, _)| k.unescaped()).collect();
        let fields: Vec<Cow<'_, str>> = line.fields.iter().map(|(k, _)| k.unescaped()).collect();

        for (i, name) in tags.iter().enumerate() {
            let raw = line.tags[i].0.raw;
            self.check_reserved(line, raw, name)?;
            if let Some(j) = tags[..i].iter().position(|t| t == name) {
                let first = column_of(line, line.tags[j].0.raw);
                return Err(error(
                    line,
                    raw,
                    ErrorKind::DuplicateTag,
                    format!("tag key '{name}' appears twice in this line (first at column {first}); keep one"),
                ));
            }
            if let Some((kind, origin)) = self.known(&table, name) {
                if kind != ColumnKind::Tag {
                    return Err(conflict(line, raw, name, kind, ColumnKind::Tag, origin));
                }
            }
        }
        for (i, name) in fields.iter().enumerate() {
            let raw = line.fields[i].0.raw;
            let got = ColumnKind::Field(line.fields[i].1.field_type());
            self.check_reserved(line, raw, name)?;
            if let Some(j) = fields[..i].iter().position(|f| f == name) {
                let first = column_of(line, line.fields[j].0.raw);
                return Err(error(
                    line,
                    raw,
                    ErrorKind::DuplicateField,
                    format!(
                        "invalid line protocol - multiple instances of '{name}' field found \
                         (first at column {first}); keep one"
                    ),
                ));
            }
            if tags.iter().any(|t| t == name) {
                return Err(conflict(
                    line,
                    raw,
                    name,
                    ColumnKind::Tag,
                    got,
                    Origin::SameLine,
                ));
            }
            if let Some((kind, origin)) = self.known(&table, name) {
                if kind != got {
                    return Err(conflict(line, raw, name, kind, got, origin));
                }
            }
        }
        let time = match line.timestamp {
            Some(ts) => self.precision.to_nanos(ts).map_err(|e| {
                let span = line.timestamp_span();
                let raw = &line.raw[span];
                error(line, raw, ErrorKind::TimestampOutOfRange, e.to_string())
            })?,
            None => default_time_ns,
        };
        self.remember(line, table, &tags, &fields);
        Ok(time)
    }

    fn check_reserved(&self, line: &Line<'_>, raw: &str, name: &str) -> Result<(), Diagnostic> {
        if name == TIME_COLUMN {
            return Err(error(
                line,
                raw,
                ErrorKind::ReservedColumn,
                String::from(
                    "'time' is a reserved column: it holds the line's timestamp, so no tag or \
                     field may be called 'time'",
                ),
            ));
        }
        Ok(())
    }

    /// The kind a column already has: from an earlier line of the batch, else from the schema.
    fn known(&self, table: &str, column: &str) -> Option<(ColumnKind, Origin)> {
        if let Some(seen) = self.tables.get(table).and_then(|t| t.get(column)) {
            return Some((seen.kind, Origin::Batch(seen.line)));
        }
        self.schema?
            .column(table, column)
            .map(|k| (k, Origin::Stored))
    }

    fn remember(
        &mut self,
        line: &Line<'_>,
        table: Cow<'_, str>,
        tags: &[Cow<'_, str>],
        fields: &[Cow<'_, str>],
    ) {
        let columns = match self.tables.get_mut(table.as_ref()) {
            Some(columns) => columns,
            None => self.tables.entry(table.into_owned()).or_default(),
        };
        let kinds = tags.iter().map(|t| (t, ColumnKind::Tag)).chain(
            fields
                .iter()
                .zip(&line.fields)
                .map(|(f, (_, v))| (f, ColumnKind::Field(v.field_type()))),
        );
        for (name, kind) in kinds {
            if !columns.contains_key(name.as_ref()) {
                columns.insert(
                    name.to_string(),
                    Seen {
                        kind,
                        line: line.line_number,
                    },
                );
            }
        }
    }
}

/// 1-based character column of `part` (a slice of `line.raw`) on its physical line.
fn column_of(line: &Line<'_>, part: &str) -> u32 {
    let at = line.span_of(part).start;
    let before = &line.raw[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    1 + before[line_start..].chars().count() as u32
}

fn error(line: &Line<'_>, part: &str, kind: ErrorKind, message: String) -> Diagnostic {
    let span = line.span_of(part);
    let span = if span.is_empty() {
        span.start..span.start + 1
    } else {
        span
    };
    Diagnostic::locate(
        line.raw.as_bytes(),
        line.offset,
        line.line_number,
        line.raw.len(),
        span,
        kind,
        message,
    )
}

/// InfluxDB's schema-conflict text, plus where the existing type was seen.
fn conflict(
    line: &Line<'_>,
    raw: &str,
    name: &str,
    expected: ColumnKind,
    got: ColumnKind,
    origin: Origin,
) -> Diagnostic {
    let context = match origin {
        Origin::Batch(n) => format!("first seen as {} on line {n}", expected.describe()),
        Origin::Stored => format!("stored as {}", expected.describe()),
        Origin::SameLine => format!("also a {} in this line", expected.describe()),
    };
    let kind = match (expected, got) {
        (ColumnKind::Field(_), ColumnKind::Field(_)) => ErrorKind::TypeConflict,
        (ColumnKind::Time, _) => ErrorKind::ReservedColumn,
        _ => ErrorKind::ColumnKindConflict,
    };
    error(
        line,
        raw,
        kind,
        format!(
            "invalid column type for column '{name}', expected {}, got {} ({context})",
            expected.iox_name(),
            got.iox_name()
        ),
    )
}
