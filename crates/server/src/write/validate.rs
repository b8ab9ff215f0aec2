//! One pass over a request body: the core parses and type-checks each line (against the batch so
//! far and the stored schema), then the catalog's limits decide whether the line may create its
//! new table or columns. Accepted lines go straight into Arrow columns.
use std::collections::{HashMap, HashSet};

use linewise_core::columns::ColumnsBuilder;
use linewise_core::{parse_lines, BatchValidator, ColumnKind, ErrorKind, Line, TIME_COLUMN};

use super::line_error::{normalized_line, physical_line, LineError};
use super::{WriteError, WriteRequest};
use crate::buffer::WriteBatch;
use crate::catalog::{
    CatalogState, DatabaseSchema, SchemaChanges, MAX_COLUMNS_PER_TABLE, MAX_TABLES,
};

pub(super) struct Validated {
    pub batch: WriteBatch,
    pub accepted: usize,
    pub errors: Vec<LineError>,
    pub changes: SchemaChanges,
}

/// New tables and columns staged by the lines accepted so far.
struct Staged<'a> {
    known: &'a DatabaseSchema,
    tables_in_catalog: usize,
    new_tables: HashSet<String>,
    /// Table → column → type of the columns this request adds.
    new_columns: HashMap<String, HashMap<String, ColumnKind>>,
    /// Data columns (tags + fields) each table will have.
    column_counts: HashMap<String, usize>,
    changes: SchemaChanges,
    /// Table and raw keys of the last line found fully known: the next line usually repeats them.
    last_known: (String, Vec<String>),
}

impl<'a> Staged<'a> {
    fn column_type(&self, table: &str, column: &str) -> Option<ColumnKind> {
        if let Some(t) = self.known.tables.get(table).and_then(|t| t.column(column)) {
            return Some(t);
        }
        self.new_columns.get(table)?.get(column).copied()
    }

    /// The `(column, type)` pairs of a line.
    fn columns_of(line: &Line<'_>) -> Vec<(String, ColumnKind)> {
        let tags = line
            .tags
            .iter()
            .map(|(k, _)| (k.unescaped().into_owned(), ColumnKind::Tag));
        let fields = line.fields.iter().map(|(k, v)| {
            (
                k.unescaped().into_owned(),
                ColumnKind::Field(v.field_type()),
            )
        });
        tags.chain(fields).collect()
    }

    /// The InfluxDB message for the first column of `line` whose type differs from what the
    /// catalog or an earlier line of the batch gave it.
    fn type_conflict(&self, table: &str, line: &Line<'_>) -> Option<String> {
        Self::columns_of(line).into_iter().find_map(|(name, got)| {
            let expected = self.column_type(table, &name)?;
            (expected != got).then(|| {
                format!(
                    "invalid column type for column '{name}', expected {}, got {}",
                    expected.iox_name(),
                    got.iox_name()
                )
            })
        })
    }

    /// Whether every column of `line` is already in the catalog or staged (the common case,
    /// checked without allocating).
    fn all_known(&self, table: &str, line: &Line<'_>) -> bool {
        let stored = self.known.tables.get(table);
        let staged = self.new_columns.get(table);
        let known = |name: &str| {
            stored.is_some_and(|t| t.column(name).is_some())
                || staged.is_some_and(|s| s.contains_key(name))
        };
        line.tags.iter().all(|(k, _)| known(&k.unescaped()))
            && line.fields.iter().all(|(k, _)| known(&k.unescaped()))
    }

    /// Stages the new table/columns of an accepted line, or names the limit it would pass.
    fn stage(&mut self, table: &str, line: &Line<'_>) -> Result<(), String> {
        let (last_table, last_keys) = &self.last_known;
        let keys = line
            .tags
            .iter()
            .map(|(k, _)| k)
            .chain(line.fields.iter().map(|(k, _)| k));
        if last_table == table
            && last_keys.len() == line.tags.len() + line.fields.len()
            && keys.zip(last_keys).all(|(k, last)| k.raw == last)
        {
            return Ok(());
        }
        self.stage_new(table, line)?;
        let keys = line
            .tags
            .iter()
            .map(|(k, _)| k)
            .chain(line.fields.iter().map(|(k, _)| k));
        self.last_known = (table.to_string(), keys.map(|k| k.raw.to_string()).collect());
        Ok(())
    }

    fn stage_new(&mut self, table: &str, line: &Line<'_>) -> Result<(), String> {
        if self.all_known(table, line) {
            return Ok(());
        }
        let new: Vec<(String, ColumnKind)> = Self::columns_of(line)
            .into_iter()
            .filter(|(c, _)| self.column_type(table, c).is_none())
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let table_exists = self.known.tables.contains_key(table) || self.new_tables.contains(table);
        if !table_exists {
            let have = self.tables_in_catalog + self.new_tables.len();
            if have >= MAX_TABLES {
                return Err(format!(
                    "Update to schema would exceed number of tables limit: attempted to create table but already have {have} table(s) (limit: {MAX_TABLES})"
                ));
            }
        }
        let count = *self
            .column_counts
            .entry(table.to_string())
            .or_insert_with(|| self.known.tables.get(table).map_or(0, |t| t.data_columns()));
        if count + new.len() > MAX_COLUMNS_PER_TABLE {
            return Err(format!(
                "Update to schema would exceed number of columns per table limit of {MAX_COLUMNS_PER_TABLE} columns"
            ));
        }
        self.column_counts
            .insert(table.to_string(), count + new.len());
        if !table_exists {
            self.new_tables.insert(table.to_string());
        }
        let needs_time = self.column_type(table, TIME_COLUMN).is_none();
        let staged = self.new_columns.entry(table.to_string()).or_default();
        for (c, t) in new {
            staged.insert(c.clone(), t);
            self.changes.columns.push((table.to_string(), c, t));
        }
        if needs_time {
            staged.insert(TIME_COLUMN.to_string(), ColumnKind::Time);
            self.changes.columns.push((
                table.to_string(),
                TIME_COLUMN.to_string(),
                ColumnKind::Time,
            ));
        }
        Ok(())
    }
}

/// The message a per-line error carries: the core's text, prefixed with the column.
fn diagnostic_message(d: &linewise_core::Diagnostic) -> String {
    format!("column {}: {}", d.column, d.message)
}

pub(super) fn validate(
    snapshot: &CatalogState,
    req: &WriteRequest<'_>,
    now_ns: i64,
) -> Result<Validated, WriteError> {
    let empty = DatabaseSchema::default();
    let known = snapshot.databases.get(req.db).unwrap_or(&empty);
    let mut staged = Staged {
        known,
        tables_in_catalog: snapshot.table_count(),
        new_tables: HashSet::new(),
        new_columns: HashMap::new(),
        column_counts: HashMap::new(),
        changes: SchemaChanges {
            create_database: !snapshot.databases.contains_key(req.db),
            columns: Vec::new(),
        },
        last_known: (String::new(), Vec::new()),
    };
    // A line with more columns than any table may hold is refused before its columns are checked.
    let mut validator =
        BatchValidator::new(req.precision, Some(known)).with_max_columns(MAX_COLUMNS_PER_TABLE);
    let default_time = req.precision.default_time(now_ns);
    let mut columns = ColumnsBuilder::new();
    let mut errors = Vec::new();
    let mut accepted = 0;
    let mut lines = parse_lines(req.body.as_bytes());
    // One `Line` for the whole body: its tag and field vectors are reused.
    let mut line = Line::new();
    while let Some(item) = lines.next_into(&mut line) {
        let error = match item {
            Err(d) => LineError {
                error_message: diagnostic_message(&d),
                line_number: d.record_line,
                original_line: physical_line(req.body, &d),
                limit: false,
            },
            Ok(()) => {
                let table = line.measurement.unescaped();
                let checked = validator.check(&line, default_time).map_err(|d| {
                    let conflict = matches!(
                        d.kind,
                        ErrorKind::TypeConflict | ErrorKind::ColumnKindConflict
                    )
                    .then(|| staged.type_conflict(&table, &line))
                    .flatten();
                    let limit = d.kind == ErrorKind::TooManyColumns;
                    // InfluxDB 3's sentence for the limit (clients match on it), then where.
                    let message = if limit {
                        format!(
                            "Update to schema would exceed number of columns per table limit of {MAX_COLUMNS_PER_TABLE} columns ({})",
                            diagnostic_message(&d)
                        )
                    } else {
                        conflict.unwrap_or_else(|| diagnostic_message(&d))
                    };
                    (message, limit)
                });
                let staged_ok = checked.and_then(|ts| {
                    staged
                        .stage(&table, &line)
                        .map(|()| ts)
                        .map_err(|m| (m, true))
                });
                match staged_ok {
                    Ok(ts) => match columns.push(&line, ts) {
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
                    Err((message, limit)) => LineError {
                        error_message: message,
                        line_number: line.line_number,
                        original_line: normalized_line(&line),
                        limit,
                    },
                }
            }
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
