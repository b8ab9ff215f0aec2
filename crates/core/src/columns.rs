//! Lines to columns: one Arrow `RecordBatch` per measurement.
//!
//! Shared by the server's in-memory buffer (what a write becomes after validation) and the web
//! page's preview, so both show the same table for the same input. The schema of a table is its
//! tags as `Dictionary(Int32, Utf8)` (tag values repeat a lot, so a dictionary keeps the buffer
//! small), then its fields with their types, then `time` as `Timestamp(ns, "UTC")`. Tags and
//! fields keep the order in which they first appear. A column missing from a line is null there.
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::string::String;
use std::sync::Arc;
use std::vec::Vec;

use arrow::array::{
    make_array, Array, ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, MutableArrayData,
    StringBuilder, StringDictionaryBuilder, TimestampNanosecondBuilder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use crate::{ColumnKind, FieldType, FieldValue, Line, TIME_COLUMN};

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

impl ColumnKind {
    /// The kind of a column of this Arrow type, as [`ColumnsBuilder`] makes them: tags are
    /// dictionary-encoded strings, `time` a timestamp.
    pub fn of_data_type(t: &DataType) -> Option<ColumnKind> {
        Some(match t {
            DataType::Dictionary(_, _) => ColumnKind::Tag,
            DataType::Timestamp(_, _) => ColumnKind::Time,
            DataType::Float64 => ColumnKind::Field(FieldType::Float),
            DataType::Int64 => ColumnKind::Field(FieldType::Integer),
            DataType::UInt64 => ColumnKind::Field(FieldType::UInteger),
            DataType::Utf8 => ColumnKind::Field(FieldType::String),
            DataType::Boolean => ColumnKind::Field(FieldType::Boolean),
            _ => return None,
        })
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

/// Rows every column builder starts with room for. Arrow's default (1,024) would make a 100-line
/// write hold ten times its data in spare capacity, and the server keeps each write's arrays as
/// they are; builders double from here, so spare room stays under the data's own size.
const INITIAL_ROWS: usize = 16;

impl ColumnData {
    fn for_field(t: FieldType) -> Self {
        let n = INITIAL_ROWS;
        match t {
            FieldType::Float => ColumnData::Float(Float64Builder::with_capacity(n)),
            FieldType::Integer => ColumnData::Integer(Int64Builder::with_capacity(n)),
            FieldType::UInteger => ColumnData::UInteger(UInt64Builder::with_capacity(n)),
            FieldType::String => ColumnData::String(StringBuilder::with_capacity(n, n * 8)),
            FieldType::Boolean => ColumnData::Boolean(BooleanBuilder::with_capacity(n)),
        }
    }

    fn kind(&self) -> ColumnKind {
        match self {
            ColumnData::Tag(_) => ColumnKind::Tag,
            ColumnData::Float(_) => ColumnKind::Field(FieldType::Float),
            ColumnData::Integer(_) => ColumnKind::Field(FieldType::Integer),
            ColumnData::UInteger(_) => ColumnKind::Field(FieldType::UInteger),
            ColumnData::String(_) => ColumnKind::Field(FieldType::String),
            ColumnData::Boolean(_) => ColumnKind::Field(FieldType::Boolean),
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
    /// The raw key and column slot of each tag and field of the last accepted line. A line with
    /// the same keys (and field types) skips the checks and the name lookups: most lines repeat
    /// the previous line's layout.
    layout: Vec<(String, (bool, usize))>,
}

impl TableBuilder {
    fn new(name: String) -> Self {
        TableBuilder {
            name,
            tags: Vec::new(),
            fields: Vec::new(),
            index: HashMap::new(),
            time: TimestampNanosecondBuilder::with_capacity(INITIAL_ROWS).with_timezone("UTC"),
            rows: 0,
            layout: Vec::new(),
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

    /// Checks a line's columns before anything is appended, so a bad line leaves no trace. A set,
    /// not a list, holds the names seen: a line's check stays linear in its column count.
    fn check(&self, line: &Line<'_>) -> Result<(), ColumnsError> {
        let mut seen: HashSet<Cow<'_, str>> =
            HashSet::with_capacity(line.tags.len() + line.fields.len());
        let names = line
            .tags
            .iter()
            .map(|(k, _)| (k, None))
            .chain(line.fields.iter().map(|(k, v)| (k, Some(v.field_type()))));
        for (key, field) in names {
            let name = key.unescaped();
            if seen.contains(&name) {
                return Err(ColumnsError::DuplicateColumn {
                    table: self.name.clone(),
                    column: name.into_owned(),
                });
            }
            let got = field.map_or(ColumnKind::Tag, ColumnKind::Field);
            if let Some(&(is_tag, i)) = self.index.get(name.as_ref()) {
                let existing = if is_tag {
                    &self.tags[i]
                } else {
                    &self.fields[i]
                };
                let expected = existing.data.kind();
                if expected != got {
                    return Err(self.mismatch(&name, expected.as_str(), got.as_str()));
                }
            }
            seen.insert(name);
        }
        Ok(())
    }

    /// Whether `line` has exactly the keys of the last accepted line, with the same field types.
    fn same_layout(&self, line: &Line<'_>) -> bool {
        if self.layout.len() != line.tags.len() + line.fields.len() {
            return false;
        }
        let (tags, fields) = self.layout.split_at(line.tags.len());
        tags.iter()
            .zip(&line.tags)
            .all(|((raw, (is_tag, _)), (k, _))| *is_tag && raw == k.raw)
            && fields
                .iter()
                .zip(&line.fields)
                .all(|((raw, (is_tag, i)), (k, v))| {
                    !*is_tag
                        && raw == k.raw
                        && self.fields[*i].data.kind() == ColumnKind::Field(v.field_type())
                })
    }

    fn slot(&mut self, name: &str, field: Option<FieldType>) -> (bool, usize) {
        if let Some(&slot) = self.index.get(name) {
            return slot;
        }
        let list = if field.is_none() {
            &mut self.tags
        } else {
            &mut self.fields
        };
        let data = match field {
            None => ColumnData::Tag(StringDictionaryBuilder::with_capacity(
                INITIAL_ROWS,
                INITIAL_ROWS,
                INITIAL_ROWS * 8,
            )),
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

    fn push(&mut self, line: &Line<'_>, time_ns: i64) -> Result<(), ColumnsError> {
        if !self.same_layout(line) {
            self.check(line)?;
            let mut layout = Vec::with_capacity(line.tags.len() + line.fields.len());
            for (k, _) in &line.tags {
                layout.push((k.raw.to_string(), self.slot(&k.unescaped(), None)));
            }
            for (k, v) in &line.fields {
                let slot = self.slot(&k.unescaped(), Some(v.field_type()));
                layout.push((k.raw.to_string(), slot));
            }
            self.layout = layout;
        }
        let rows = self.rows;
        let (tag_slots, field_slots) = self.layout.split_at(line.tags.len());
        for ((_, (_, i)), (_, v)) in tag_slots.iter().zip(&line.tags) {
            let col = &mut self.tags[*i];
            col.pad_to(rows);
            if let ColumnData::Tag(b) = &mut col.data {
                b.append_value(v.unescaped());
            }
            col.len += 1;
        }
        for ((_, (_, i)), (_, v)) in field_slots.iter().zip(&line.fields) {
            let col = &mut self.fields[*i];
            col.pad_to(rows);
            match (&mut col.data, v) {
                (ColumnData::Float(b), FieldValue::Float(x)) => b.append_value(*x),
                (ColumnData::Integer(b), FieldValue::Integer(x)) => b.append_value(*x),
                (ColumnData::UInteger(b), FieldValue::UInteger(x)) => b.append_value(*x),
                (ColumnData::String(b), FieldValue::String(s)) => b.append_value(s.unescaped()),
                (ColumnData::Boolean(b), FieldValue::Boolean(x)) => b.append_value(*x),
                // The layout check or `check` compared every column's type with the value, so
                // this arm is never taken; appending a null keeps the row aligned regardless.
                (data, _) => data.append_nulls(1),
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
            arrays.push(tight(col.data.finish()));
            col.len = 0;
        }
        arrays.push(tight(Arc::new(self.time.finish())));
        self.rows = 0;
        Ok(RecordBatch::try_new(schema, arrays)?)
    }
}

/// `array` in buffers of its own size. Builders double their capacity, so a 5,000-row write
/// ends in room for 8,192 rows, and the server holds each write's arrays until they are persisted:
/// without this copy the buffer held 60% more bytes than its rows (the copy is one `memcpy` per
/// column, small beside parsing the lines).
fn tight(array: ArrayRef) -> ArrayRef {
    let data = array.to_data();
    let used = data.get_slice_memory_size().unwrap_or(0);
    if array.get_array_memory_size() <= used + used / 8 + 1024 {
        return array;
    }
    let mut copy = MutableArrayData::new(vec![&data], false, data.len());
    match copy.try_extend(0, 0, data.len()) {
        Ok(()) => make_array(copy.freeze()),
        Err(_) => array,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_lines;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Float64Type, Int64Type, TimestampNanosecondType};

    fn build(input: &str) -> (ColumnsBuilder, Vec<Result<(), ColumnsError>>) {
        let mut b = ColumnsBuilder::new();
        let results = parse_lines(input.as_bytes())
            .map(|l| {
                let l = l.expect("valid line");
                let ts = l.timestamp.unwrap_or(0);
                b.push(&l, ts)
            })
            .collect();
        (b, results)
    }

    #[test]
    fn one_batch_per_measurement_with_nulls() {
        let (b, results) = build(
            "home,room=Living\\ Room temp=21.1,co=0i 1\nhome,room=Kitchen hum=35.9 2\ncpu v=1u 3\nhome temp=20.5,note=\"a \\\"q\\\"\" 4",
        );
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(b.rows(), 4);
        let tables = b.finish().unwrap();
        assert_eq!(tables.len(), 2);
        let (name, home) = &tables[0];
        assert_eq!(name, "home");
        let names: Vec<_> = home
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["room", "temp", "co", "hum", "note", "time"]);
        assert_eq!(home.schema().field(0).data_type(), &tag_data_type());
        assert_eq!(home.schema().field(5).data_type(), &time_data_type());
        let room = home.column(0).as_dictionary::<Int32Type>();
        let values = room.values().as_string::<i32>();
        assert_eq!(values.value(room.keys().value(0) as usize), "Living Room");
        assert!(room.is_null(2));
        let temp = home.column(1).as_primitive::<Float64Type>();
        assert_eq!(
            (temp.value(0), temp.is_null(1), temp.value(2)),
            (21.1, true, 20.5)
        );
        let co = home.column(2).as_primitive::<Int64Type>();
        assert_eq!((co.value(0), co.null_count()), (0, 2));
        assert_eq!(home.column(4).as_string::<i32>().value(2), "a \"q\"");
        let time = home.column(5).as_primitive::<TimestampNanosecondType>();
        assert_eq!(time.values().to_vec(), [1, 2, 4]);
        assert_eq!(tables[1].1.num_rows(), 1);
    }

    #[test]
    fn every_column_type_built_names_its_kind() {
        let (b, _) = build("m,t=a f=1,i=1i,u=1u,s=\"x\",b=true 1");
        let (_, m) = &b.finish().unwrap()[0];
        let kinds: Vec<String> = m
            .schema()
            .fields()
            .iter()
            .map(|f| {
                ColumnKind::of_data_type(f.data_type()).map_or(String::new(), |k| k.to_string())
            })
            .collect();
        assert_eq!(
            kinds,
            ["tag", "float", "integer", "uinteger", "string", "boolean", "time"]
        );
        assert_eq!(ColumnKind::of_data_type(&DataType::Int8), None);
    }

    #[test]
    fn a_small_write_holds_little_spare_capacity() {
        let input: String = (0..100)
            .map(|i| format!("cpu,host=h{} usage=1i,idle={i}.5 {i}\n", i % 3))
            .collect();
        let (b, _) = build(&input);
        let (_, batch) = b.finish().unwrap().remove(0);
        // Data: 100 dictionary keys (4 B), 2 x 100 values (8 B) and 100 times (8 B), about 3 KB.
        // With Arrow's default builder capacity of 1,024 rows it was about 40 KB.
        let held = batch.get_array_memory_size();
        assert!(held < 8 * 1024, "{held} bytes for 100 rows");
    }

    #[test]
    fn a_large_write_holds_its_rows_and_little_more() {
        let input: String = (0..5000)
            .map(|i| {
                format!(
                    "cpu,host=h{},dc=d{} usage=1i,idle={i}.5,up=true {i}\n",
                    i % 100,
                    i % 7
                )
            })
            .collect();
        let (b, _) = build(&input);
        let (_, batch) = b.finish().unwrap().remove(0);
        // Per row: two dictionary keys (4 B each), two 8-byte values, a bit and the time (8 B):
        // 32 bytes, plus the two dictionaries. Doubling builders left room for 8,192 rows.
        let used: usize = batch
            .columns()
            .iter()
            .map(|c| c.to_data().get_slice_memory_size().unwrap())
            .sum();
        let held = batch.get_array_memory_size();
        assert!(used >= 5000 * 32, "{used} bytes of data");
        assert!(
            held <= used + used / 8 + 8 * 1024,
            "{held} bytes held for {used} of data"
        );
        let values = batch
            .column(2)
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap();
        assert_eq!(values.len(), 5000);
        assert_eq!(values.value(4999), 1);
    }

    #[test]
    fn a_clashing_line_leaves_no_trace() {
        let (b, results) = build("m v=1 1\nm v=1i,w=2 2\nm,v=x w=3 3\nm v=2,v=3 4\nm w=4 5");
        assert!(results[0].is_ok());
        assert!(matches!(
            &results[1],
            Err(ColumnsError::TypeMismatch { column, expected: "float", got: "integer", .. }) if column == "v"
        ));
        assert!(matches!(
            &results[2],
            Err(ColumnsError::TypeMismatch { got: "tag", .. })
        ));
        assert!(matches!(
            &results[3],
            Err(ColumnsError::DuplicateColumn { .. })
        ));
        assert!(results[4].is_ok());
        let tables = b.finish().unwrap();
        let m = &tables[0].1;
        assert_eq!(m.num_rows(), 2);
        let names: Vec<_> = m
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["v", "w", "time"]);
    }
}
