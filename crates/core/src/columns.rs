//! Lines to columns: one Arrow `RecordBatch` per measurement.
//!
//! Shared by the server's in-memory buffer (what a write becomes after validation) and the web
//! page's preview, so both show the same table for the same input. The schema of a table is its
//! tags as `Dictionary(Int32, Utf8)` (tag values repeat a lot, so a dictionary keeps the buffer
//! small), then its fields with their types, then `time` as `Timestamp(ns, "UTC")`. Tags and
//! fields keep the order in which they first appear. A column missing from a line is null there.
use std::borrow::Cow;
use std::collections::HashMap;
use std::string::String;
use std::sync::Arc;
use std::vec::Vec;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, StringDictionaryBuilder,
    TimestampNanosecondBuilder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use crate::{FieldType, FieldValue, Line};

/// Name of the timestamp column, the last column of every table.
pub const TIME_COLUMN: &str = "time";

/// Why a line could not be added. The validator rules these out; they are reported instead of
/// panicking when a caller skips validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnsError {
    /// A column already holds another type (or is a tag where a field is written, or back).
    TypeMismatch {
        table: String,
        column: String,
        expected: &'static str,
        got: &'static str,
    },
    /// The same tag or field key twice in one line.
    DuplicateColumn { table: String, column: String },
    /// Arrow refused to assemble the batch (should not happen with consistent columns).
    Arrow(String),
}

impl core::fmt::Display for ColumnsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ColumnsError::TypeMismatch {
                table,
                column,
                expected,
                got,
            } => write!(
                f,
                "column '{column}' of table '{table}' is {expected}, this line writes {got}"
            ),
            ColumnsError::DuplicateColumn { table, column } => {
                write!(
                    f,
                    "column '{column}' appears twice in one line of table '{table}'"
                )
            }
            ColumnsError::Arrow(e) => write!(f, "arrow error: {e}"),
        }
    }
}

impl std::error::Error for ColumnsError {}

impl From<ArrowError> for ColumnsError {
    fn from(e: ArrowError) -> Self {
        ColumnsError::Arrow(e.to_string())
    }
}

/// The Arrow type of a field column.
pub fn field_data_type(t: FieldType) -> DataType {
    match t {
        FieldType::Float => DataType::Float64,
        FieldType::Integer => DataType::Int64,
        FieldType::UInteger => DataType::UInt64,
        FieldType::String => DataType::Utf8,
        FieldType::Boolean => DataType::Boolean,
    }
}

/// The Arrow type of every tag column.
pub fn tag_data_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The Arrow type of the `time` column.
pub fn time_data_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// The field type a value has.
pub fn field_type_of(v: &FieldValue<'_>) -> FieldType {
    match v {
        FieldValue::Float(_) => FieldType::Float,
        FieldValue::Integer(_) => FieldType::Integer,
        FieldValue::UInteger(_) => FieldType::UInteger,
        FieldValue::String(_) => FieldType::String,
        FieldValue::Boolean(_) => FieldType::Boolean,
    }
}

enum ColumnData {
    Tag(StringDictionaryBuilder<Int32Type>),
    Float(Float64Builder),
    Integer(Int64Builder),
    UInteger(UInt64Builder),
    String(StringBuilder),
    Boolean(BooleanBuilder),
}

impl ColumnData {
    fn for_field(t: FieldType) -> Self {
        match t {
            FieldType::Float => ColumnData::Float(Float64Builder::new()),
            FieldType::Integer => ColumnData::Integer(Int64Builder::new()),
            FieldType::UInteger => ColumnData::UInteger(UInt64Builder::new()),
            FieldType::String => ColumnData::String(StringBuilder::new()),
            FieldType::Boolean => ColumnData::Boolean(BooleanBuilder::new()),
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            ColumnData::Tag(_) => "tag",
            ColumnData::Float(_) => FieldType::Float.as_str(),
            ColumnData::Integer(_) => FieldType::Integer.as_str(),
            ColumnData::UInteger(_) => FieldType::UInteger.as_str(),
            ColumnData::String(_) => FieldType::String.as_str(),
            ColumnData::Boolean(_) => FieldType::Boolean.as_str(),
        }
    }

    fn append_nulls(&mut self, n: usize) {
        match self {
            ColumnData::Tag(b) => b.append_nulls(n),
            ColumnData::Float(b) => b.append_nulls(n),
            ColumnData::Integer(b) => b.append_nulls(n),
            ColumnData::UInteger(b) => b.append_nulls(n),
            ColumnData::String(b) => {
                for _ in 0..n {
                    b.append_null();
                }
            }
            ColumnData::Boolean(b) => b.append_nulls(n),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnData::Tag(b) => Arc::new(b.finish()),
            ColumnData::Float(b) => Arc::new(b.finish()),
            ColumnData::Integer(b) => Arc::new(b.finish()),
            ColumnData::UInteger(b) => Arc::new(b.finish()),
            ColumnData::String(b) => Arc::new(b.finish()),
            ColumnData::Boolean(b) => Arc::new(b.finish()),
        }
    }
}

struct Column {
    name: String,
    data: ColumnData,
    /// Rows appended so far (values and nulls); the gap to the table's row count is null.
    len: usize,
}

impl Column {
    fn pad_to(&mut self, rows: usize) {
        if self.len < rows {
            self.data.append_nulls(rows - self.len);
            self.len = rows;
        }
    }
}

/// The columns of one measurement under construction.
pub struct TableBuilder {
    name: String,
    tags: Vec<Column>,
    fields: Vec<Column>,
    /// Column name → (is_tag, index into `tags` or `fields`).
    index: HashMap<String, (bool, usize)>,
    time: TimestampNanosecondBuilder,
    rows: usize,
}

impl TableBuilder {
    fn new(name: String) -> Self {
        TableBuilder {
            name,
            tags: Vec::new(),
            fields: Vec::new(),
            index: HashMap::new(),
            time: TimestampNanosecondBuilder::new().with_timezone("UTC"),
            rows: 0,
        }
    }

    /// Rows added so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn mismatch(&self, column: &str, expected: &'static str, got: &'static str) -> ColumnsError {
        ColumnsError::TypeMismatch {
            table: self.name.clone(),
            column: column.into(),
            expected,
            got,
        }
    }

    /// Checks a line's columns before anything is appended, so a bad line leaves no trace.
    fn check(&self, line: &Line<'_>) -> Result<(), ColumnsError> {
        let mut seen: Vec<Cow<'_, str>> = Vec::with_capacity(line.tags.len() + line.fields.len());
        let names = line
            .tags
            .iter()
            .map(|(k, _)| (k, None))
            .chain(line.fields.iter().map(|(k, v)| (k, Some(field_type_of(v)))));
        for (key, field) in names {
            let name = key.unescaped();
            if seen.contains(&name) {
                return Err(ColumnsError::DuplicateColumn {
                    table: self.name.clone(),
                    column: name.into_owned(),
                });
            }
            let got = field.map_or("tag", FieldType::as_str);
            if let Some(&(is_tag, i)) = self.index.get(name.as_ref()) {
                let existing = if is_tag {
                    &self.tags[i]
                } else {
                    &self.fields[i]
                };
                let expected = existing.data.kind_name();
                if expected != got {
                    return Err(self.mismatch(&name, expected, got));
                }
            }
            seen.push(name);
        }
        Ok(())
    }

    fn column(&mut self, name: &str, field: Option<FieldType>) -> &mut Column {
        let (is_tag, i) = match self.index.get(name) {
            Some(&slot) => slot,
            None => {
                let list = if field.is_none() {
                    &mut self.tags
                } else {
                    &mut self.fields
                };
                let data = match field {
                    None => ColumnData::Tag(StringDictionaryBuilder::new()),
                    Some(t) => ColumnData::for_field(t),
                };
                list.push(Column {
                    name: name.into(),
                    data,
                    len: 0,
                });
                let slot = (field.is_none(), list.len() - 1);
                self.index.insert(name.into(), slot);
                slot
            }
        };
        let rows = self.rows;
        let col = if is_tag {
            &mut self.tags[i]
        } else {
            &mut self.fields[i]
        };
        col.pad_to(rows);
        col
    }

    fn push(&mut self, line: &Line<'_>, time_ns: i64) -> Result<(), ColumnsError> {
        self.check(line)?;
        for (k, v) in &line.tags {
            let col = self.column(&k.unescaped(), None);
            if let ColumnData::Tag(b) = &mut col.data {
                b.append_value(v.unescaped());
            }
            col.len += 1;
        }
        for (k, v) in &line.fields {
            let col = self.column(&k.unescaped(), Some(field_type_of(v)));
            match (&mut col.data, v) {
                (ColumnData::Float(b), FieldValue::Float(x)) => b.append_value(*x),
                (ColumnData::Integer(b), FieldValue::Integer(x)) => b.append_value(*x),
                (ColumnData::UInteger(b), FieldValue::UInteger(x)) => b.append_value(*x),
                (ColumnData::String(b), FieldValue::String(s)) => b.append_value(s.unescaped()),
                (ColumnData::Boolean(b), FieldValue::Boolean(x)) => b.append_value(*x),
                // `check` compared every column's type with the line's value first.
                (data, _) => {
                    let expected = data.kind_name();
                    return Err(self.mismatch(&k.unescaped(), expected, field_type_of(v).as_str()));
                }
            }
            col.len += 1;
        }
        self.time.append_value(time_ns);
        self.rows += 1;
        Ok(())
    }

    /// The schema of the batch `finish` would produce now.
    pub fn schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = Vec::with_capacity(self.tags.len() + self.fields.len() + 1);
        fields.extend(
            self.tags
                .iter()
                .map(|c| Field::new(&c.name, tag_data_type(), true)),
        );
        fields.extend(self.fields.iter().map(|c| {
            let t = match &c.data {
                ColumnData::Float(_) => DataType::Float64,
                ColumnData::Integer(_) => DataType::Int64,
                ColumnData::UInteger(_) => DataType::UInt64,
                ColumnData::String(_) => DataType::Utf8,
                ColumnData::Boolean(_) => DataType::Boolean,
                ColumnData::Tag(_) => tag_data_type(),
            };
            Field::new(&c.name, t, true)
        }));
        fields.push(Field::new(TIME_COLUMN, time_data_type(), false));
        Arc::new(Schema::new(fields))
    }

    /// The rows added so far as one batch; the builder starts empty again with the same columns.
    pub fn finish(&mut self) -> Result<RecordBatch, ColumnsError> {
        let schema = self.schema();
        let rows = self.rows;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for col in self.tags.iter_mut().chain(self.fields.iter_mut()) {
            col.pad_to(rows);
            arrays.push(col.data.finish());
            col.len = 0;
        }
        arrays.push(Arc::new(self.time.finish()));
        self.rows = 0;
        Ok(RecordBatch::try_new(schema, arrays)?)
    }
}

/// Builds one batch per measurement from validated lines, in the order measurements first appear.
#[derive(Default)]
pub struct ColumnsBuilder {
    tables: Vec<TableBuilder>,
    by_name: HashMap<String, usize>,
}

impl ColumnsBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one line with its timestamp already converted to ns. A line whose columns clash with
    /// earlier lines is refused whole and leaves the builder unchanged.
    pub fn push(&mut self, line: &Line<'_>, time_ns: i64) -> Result<(), ColumnsError> {
        let name = line.measurement.unescaped();
        let i = match self.by_name.get(name.as_ref()) {
            Some(&i) => i,
            None => {
                self.tables
                    .push(TableBuilder::new(name.clone().into_owned()));
                self.by_name
                    .insert(name.into_owned(), self.tables.len() - 1);
                self.tables.len() - 1
            }
        };
        self.tables[i].push(line, time_ns)
    }

    /// Total rows added.
    pub fn rows(&self) -> usize {
        self.tables.iter().map(TableBuilder::rows).sum()
    }

    /// One `(measurement, batch)` per measurement that received rows.
    pub fn finish(self) -> Result<Vec<(String, RecordBatch)>, ColumnsError> {
        let mut out = Vec::with_capacity(self.tables.len());
        for mut t in self.tables {
            let batch = t.finish()?;
            out.push((t.name, batch));
        }
        Ok(out)
    }
}
