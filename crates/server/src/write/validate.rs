//! One pass over a request body. The core's check pipeline parses each line and checks it
//! against the batch so far and the stored schema (the catalog is its `KnownSchema`), and gives
//! lines without a timestamp the request's "now". What is left here is the catalog's: its limits
//! on the tables and columns accepted lines add, and the changes to commit. Accepted lines go
//! straight into Arrow columns.
use std::collections::{HashMap, HashSet};

use linewise_core::columns::ColumnsBuilder;
use linewise_core::{
    parse_lines, Checker, ColumnKind, Diagnostic, ErrorKind, Line, NewColumn, Rejection,
    TIME_COLUMN,
};
use thiserror::Error;

use super::line_error::{normalized_line, physical_line, LineError};
use super::{WriteError, WriteRequest};
use crate::buffer::WriteBatch;
use crate::catalog::{CatalogLimits, CatalogState, DatabaseSchema, SchemaChanges};

pub(super) struct Validated {
    pub batch: WriteBatch,
    pub accepted: usize,
    pub errors: Vec<LineError>,
    pub changes: SchemaChanges,
}

/// A catalog limit a line would pass, in InfluxDB 3's words (clients match on them), then the
/// flag that raises it.
#[derive(Debug, Error)]
enum LimitError {
    #[error("Update to schema would exceed number of tables limit: attempted to create table but already have {have} table(s) (limit: {max}, set by --max-tables)")]
    Tables { have: usize, max: usize },
    #[error("Update to schema would exceed number of columns per table limit of {max} columns (set by --max-columns-per-table)")]
    Columns { max: usize },
}

/// The tables and columns the lines accepted so far add to the catalog.
struct Staged<'a> {
    known: &'a DatabaseSchema,
    limits: &'a CatalogLimits,
    tables_in_catalog: usize,
    new_tables: HashSet<String>,
    /// Tables given a `time` column by this request.
    timed: HashSet<String>,
    /// Data columns (tags + fields) each table will have.
    column_counts: HashMap<String, usize>,
    changes: SchemaChanges,
}

impl Staged<'_> {
    /// Stages the columns an accepted line adds to `table`, or names the limit it would pass.
    fn admit(&mut self, table: &str, added: &[NewColumn]) -> Result<(), LimitError> {
        let stored = self.known.tables.get(table);
        let table_exists = stored.is_some() || self.new_tables.contains(table);
        if !table_exists {
            let have = self.tables_in_catalog + self.new_tables.len();
            let max = self.limits.tables();
            if have >= max {
                return Err(LimitError::Tables { have, max });
            }
        }
        let count = *self
            .column_counts
            .entry(table.to_string())
            .or_insert_with(|| stored.map_or(0, |t| t.data_columns()));
        let max = self.limits.columns_per_table();
        if count + added.len() > max {
            return Err(LimitError::Columns { max });
        }
        self.column_counts
            .insert(table.to_string(), count + added.len());
        if !table_exists {
            self.new_tables.insert(table.to_string());
        }
        for column in added {
            self.changes
                .columns
                .push((table.to_string(), column.name.clone(), column.kind));
        }
        let has_time = stored.is_some_and(|t| t.column(TIME_COLUMN).is_some());
        if !has_time && self.timed.insert(table.to_string()) {
            self.changes.columns.push((
                table.to_string(),
                TIME_COLUMN.to_string(),
                ColumnKind::Time,
            ));
        }
        Ok(())
    }
}

/// The error of a line that parsed but is invalid. A line wider than any table may be is
/// InfluxDB's column-limit error (422), with where the core found it.
fn invalid_line(d: &Diagnostic, line: &Line<'_>, limits: &CatalogLimits) -> LineError {
    let limit = d.kind == ErrorKind::TooManyColumns;
    let error_message = if limit {
        let max = limits.columns_per_table();
        format!("{} ({})", LimitError::Columns { max }, d.influx_message())
    } else {
        d.influx_message().into_owned()
    };
    LineError {
        error_message,
        line_number: line.line_number,
        original_line: normalized_line(line),
        limit,
    }
}

pub(super) fn validate(
    snapshot: &CatalogState,
    limits: &CatalogLimits,
    req: &WriteRequest<'_>,
    now_ns: i64,
) -> Result<Validated, WriteError> {
    let empty = DatabaseSchema::default();
    let known = snapshot.databases.get(req.db).unwrap_or(&empty);
    let mut staged = Staged {
        known,
        limits,
        tables_in_catalog: snapshot.table_count(),
        new_tables: HashSet::new(),
        timed: HashSet::new(),
        column_counts: HashMap::new(),
        changes: SchemaChanges {
            create_database: !snapshot.databases.contains_key(req.db),
            columns: Vec::new(),
        },
    };
    // A line with more columns than any table may hold is refused before its columns are checked.
    let mut checker = Checker::new(req.precision, now_ns, Some(known))
        .with_max_columns(limits.columns_per_table());
    let mut records = checker.check(parse_lines(req.body.as_bytes()));
    let mut columns = ColumnsBuilder::new();
    let mut errors = Vec::new();
    let mut accepted = 0;
    // One `Line` for the whole body: its tag and field vectors are reused.
    let mut line = Line::new();
    while let Some(verdict) = records.next_admitted(&mut line, |line, added| {
        staged.admit(&line.measurement.unescaped(), added)
    }) {
        let error = match verdict {
            Ok(ok) => match columns.push(&line, ok.time_ns) {
                Ok(()) => {
                    accepted += 1;
                    continue;
                }
                Err(e) => LineError {
                    error_message: e.to_string(),
                    line_number: line.line_number,
                    original_line: normalized_line(&line),
                    limit: false,
                },
            },
            Err(Rejection::Syntax(d)) => LineError {
                error_message: d.influx_message().into_owned(),
                line_number: d.record_line,
                original_line: physical_line(req.body, &d),
                limit: false,
            },
            Err(Rejection::Invalid(d)) => invalid_line(&d, &line, limits),
            Err(Rejection::Refused(limit)) => LineError {
                error_message: limit.to_string(),
                line_number: line.line_number,
                original_line: normalized_line(&line),
                limit: true,
            },
        };
        if !req.accept_partial {
            return Err(WriteError::Rejected(error));
        }
        // A line with several problems is reported once, with its first.
        if errors.last().map(|e: &LineError| e.line_number) != Some(error.line_number) {
            errors.push(error);
        }
    }
    let tables = columns
        .finish()
        .map_err(|e| WriteError::Columns(e.to_string()))?;
    Ok(Validated {
        batch: WriteBatch {
            db: req.db.to_string(),
            tables,
        },
        accepted,
        errors,
        changes: staged.changes,
    })
}
