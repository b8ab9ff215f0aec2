//! Batch schema checks: a column's type must not change within a batch, nor against stored schema.
use crate::{Diagnostic, FieldType, Line, Precision};

/// What a stored column is, as the server's catalog knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    Tag,
    Field(FieldType),
    Time,
}

/// The hook through which the server's catalog (or the web page's copy of the server's schema) adds
/// the types it already stores.
pub trait KnownSchema {
    fn column(&self, measurement: &str, column: &str) -> Option<ColumnKind>;
}

/// Checks lines one after another against earlier lines of the batch and against a `KnownSchema`:
/// type conflicts (naming both types and the earlier line), tag/field name clashes, duplicate keys,
/// the reserved column `time`, and the timestamp conversion under `precision`.
pub struct BatchValidator<'s> {
    schema: Option<&'s dyn KnownSchema>,
    precision: Precision,
}

impl<'s> BatchValidator<'s> {
    pub fn new(precision: Precision, schema: Option<&'s dyn KnownSchema>) -> Self {
        BatchValidator { schema, precision }
    }

    /// Validates one parsed line; on success returns its timestamp in ns (`default_time_ns` when the
    /// line has none) and remembers its column types for later lines.
    pub fn check(&mut self, line: &Line<'_>, default_time_ns: i64) -> Result<i64, Diagnostic> {
        todo!(
            "{:?} {line:?} {default_time_ns} {}",
            self.precision,
            self.schema.is_some()
        )
    }
}
