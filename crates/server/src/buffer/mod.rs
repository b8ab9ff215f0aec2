//! The in-memory buffer: accepted rows, per database and table, as Arrow record batches.
//!
//! Each write appends one `RecordBatch` per table under that table's lock, so concurrent writers
//! to one table never interleave rows within a write and never lose one. Every chunk carries a
//! sequence number; persistence takes a `snapshot` (all chunks up to a sequence, aligned to the
//! table's merged schema) and later calls `drop_through` with that sequence once the rows are
//! safely in Parquet. The total size is bounded: past the bound, `check_capacity` answers `Full` and the
//! HTTP layer tells clients to retry later.
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arrow::array::{new_null_array, ArrayRef};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use thiserror::Error;

use crate::catalog::DbId;

/// The rows one write adds, per table, for one database: what the buffer takes in. The write
/// path builds it and logs it in the WAL before handing it here.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteBatch {
    pub db: String,
    pub tables: Vec<(String, RecordBatch)>,
}

impl WriteBatch {
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|(_, b)| b.num_rows()).sum()
    }
}

#[derive(Debug, Error)]
pub enum BufferError {
    #[error("the in-memory buffer is full ({used} of {limit} bytes); retry after the buffer is persisted")]
    Full { used: usize, limit: usize },
    #[error("column '{column}' of table '{table}' is {existing} in the buffer but {incoming} in the write")]
    SchemaMismatch {
        table: String,
        column: String,
        existing: DataType,
        incoming: DataType,
    },
    #[error("aligning buffered rows of table '{table}': {source}")]
    Arrow { table: String, source: ArrowError },
}

struct Chunk {
    seq: u64,
    /// The database the rows were validated against (`None`: a record of the first WAL format),
    /// so rows of a deleted database never reach a new one of the same name.
    db_id: Option<DbId>,
    batch: RecordBatch,
}

#[derive(Default)]
struct TableBuffer {
    /// Union of all chunks' columns: tags, then fields, then `time`.
    schema: Option<SchemaRef>,
    chunks: Vec<Chunk>,
    rows: usize,
    bytes: usize,
}

/// Rows of one table as handed to persistence or queries.
pub struct TableSnapshot {
    pub schema: SchemaRef,
    /// Every batch has exactly `schema` (columns a chunk lacks are null).
    pub batches: Vec<RecordBatch>,
    /// Pass to `drop_through` once these rows are persisted.
    pub through_seq: u64,
    /// The oldest WAL segment with rows here (`None`: no rows). Queries read a persisted file of
    /// this table only when its segment is older, so no row is counted twice or missed.
    pub first_seq: Option<u64>,
}

/// One table's rows of one WAL segment, as persistence writes them.
pub struct SegmentTable {
    pub db: String,
    pub table: String,
    /// The union of these rows' columns only (tags, fields, `time`).
    pub schema: SchemaRef,
    /// Every batch has exactly `schema`.
    pub batches: Vec<RecordBatch>,
}

/// Row count and size of one buffered table (for `/metrics` and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableStats {
    pub db: String,
    pub table: String,
    pub rows: usize,
    pub bytes: usize,
}

type TableRef = Arc<Mutex<TableBuffer>>;

pub struct Buffer {
    tables: RwLock<HashMap<(String, String), TableRef>>,
    bytes: AtomicUsize,
    limit: usize,
}

fn is_tag(f: &Field) -> bool {
    matches!(f.data_type(), DataType::Dictionary(..))
}

/// `existing` plus the columns of `incoming` it lacks, keeping tags before fields before `time`.
fn merge_schema(
    table: &str,
    existing: Option<&SchemaRef>,
    incoming: &SchemaRef,
) -> Result<SchemaRef, BufferError> {
    let Some(existing) = existing else {
        return Ok(nullable(incoming.fields().iter()));
    };
    let mut added: Vec<FieldRef> = Vec::new();
    for f in incoming.fields() {
        match existing.field_with_name(f.name()) {
            Ok(e) if e.data_type() == f.data_type() => {}
            Ok(e) => {
                return Err(BufferError::SchemaMismatch {
                    table: table.into(),
                    column: f.name().clone(),
                    existing: e.data_type().clone(),
                    incoming: f.data_type().clone(),
                })
            }
            Err(_) => added.push(f.clone()),
        }
    }
    if added.is_empty() {
        return Ok(existing.clone());
    }
    let all: Vec<&FieldRef> = existing.fields().iter().chain(added.iter()).collect();
    let time = linewise_core::TIME_COLUMN;
    let tags = all.iter().filter(|f| is_tag(f));
    let fields = all.iter().filter(|f| !is_tag(f) && f.name() != time);
    let times = all.iter().filter(|f| f.name() == time);
    Ok(nullable(tags.chain(fields).chain(times).copied()))
}

/// A schema whose data columns may be null: a later write may leave any of them out.
fn nullable<'a>(fields: impl Iterator<Item = &'a FieldRef>) -> SchemaRef {
    let time = linewise_core::TIME_COLUMN;
    let fields: Vec<FieldRef> = fields
        .map(|f| {
            if f.name() == time || f.is_nullable() {
                f.clone()
            } else {
                Arc::new(f.as_ref().clone().with_nullable(true))
            }
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// `batch` with `schema`'s columns, nulls where it has none.
fn align(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch.clone());
    }
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| match batch.column_by_name(f.name()) {
            Some(c) => c.clone(),
            None => new_null_array(f.data_type(), batch.num_rows()),
        })
        .collect();
    RecordBatch::try_new(schema.clone(), columns)
}

/// Each of `batches` (rows of `table`) with `schema`'s columns.
fn align_all<'a>(
    table: &str,
    batches: impl Iterator<Item = &'a RecordBatch>,
    schema: &SchemaRef,
) -> Result<Vec<RecordBatch>, BufferError> {
    batches
        .map(|b| align(b, schema))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| BufferError::Arrow {
            table: table.into(),
            source,
        })
}

impl Buffer {
    /// A buffer that refuses writes once it holds `limit` bytes of Arrow data.
    pub fn new(limit: usize) -> Self {
        Buffer {
            tables: RwLock::new(HashMap::new()),
            bytes: AtomicUsize::new(0),
            limit,
        }
    }

    /// Arrow bytes held now.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Fails fast when the buffer is full, before a write does any work.
    pub fn check_capacity(&self) -> Result<(), BufferError> {
        let used = self.bytes();
        if used >= self.limit {
            return Err(BufferError::Full {
                used,
                limit: self.limit,
            });
        }
        Ok(())
    }

    fn table(&self, db: &str, table: &str) -> TableRef {
        let key = (db.to_string(), table.to_string());
        if let Some(t) = self.tables.read().get(&key) {
            return t.clone();
        }
        self.tables.write().entry(key).or_default().clone()
    }

    /// Appends a write: all of its tables or, on error, none. `seq` is the WAL segment the write
    /// is logged in: its rows are dropped once that segment is persisted (`drop_all_through`).
    /// The bound is not checked here but in `check_capacity`, before the WAL append: a write that
    /// is already logged must reach the buffer, or a client retrying its 503 would store it twice.
    pub fn insert(
        &self,
        batch: &WriteBatch,
        seq: u64,
        db_id: Option<DbId>,
    ) -> Result<(), BufferError> {
        let mut targets: Vec<(&str, &RecordBatch, TableRef)> = batch
            .tables
            .iter()
            .map(|(name, rb)| (name.as_str(), rb, self.table(&batch.db, name)))
            .collect();
        // One lock order for every writer: by table name.
        targets.sort_by(|a, b| a.0.cmp(b.0));
        let mut guards: Vec<_> = targets.iter().map(|(_, _, t)| t.lock()).collect();
        let mut schemas = Vec::with_capacity(targets.len());
        for ((name, rb, _), g) in targets.iter().zip(&guards) {
            schemas.push(merge_schema(name, g.schema.as_ref(), &rb.schema())?);
        }
        for (((_, rb, _), g), schema) in targets.iter().zip(guards.iter_mut()).zip(schemas) {
            let size = rb.get_array_memory_size();
            g.schema = Some(schema);
            g.rows += rb.num_rows();
            g.bytes += size;
            g.chunks.push(Chunk {
                seq,
                db_id,
                batch: (*rb).clone(),
            });
            self.bytes.fetch_add(size, Ordering::Relaxed);
        }
        Ok(())
    }

    /// All rows of a table now, aligned to its merged schema.
    pub fn snapshot(&self, db: &str, table: &str) -> Result<Option<TableSnapshot>, BufferError> {
        let key = (db.to_string(), table.to_string());
        let Some(t) = self.tables.read().get(&key).cloned() else {
            return Ok(None);
        };
        let g = t.lock();
        let Some(schema) = g.schema.clone() else {
            return Ok(None);
        };
        let batches = align_all(table, g.chunks.iter().map(|c| &c.batch), &schema)?;
        let through_seq = g.chunks.last().map_or(0, |c| c.seq);
        let first_seq = g.chunks.iter().map(|c| c.seq).min();
        Ok(Some(TableSnapshot {
            schema,
            batches,
            through_seq,
            first_seq,
        }))
    }

    /// The rows WAL segment `seq` logged, per table (sorted by database and table), of the
    /// databases `live` accepts by name and validated id: what persisting that segment writes,
    /// without reading the file back. Only the table locks are held, each while its chunks
    /// (shared arrays, not copies) are collected.
    pub fn segment(
        &self,
        seq: u64,
        live: impl Fn(&str, Option<DbId>) -> bool,
    ) -> Result<Vec<SegmentTable>, BufferError> {
        let tables: Vec<((String, String), TableRef)> = self
            .tables
            .read()
            .iter()
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect();
        let mut out = Vec::new();
        for ((db, table), t) in tables {
            let chunks: Vec<RecordBatch> = t
                .lock()
                .chunks
                .iter()
                .filter(|c| c.seq == seq && live(&db, c.db_id))
                .map(|c| c.batch.clone())
                .collect();
            let mut schema: Option<SchemaRef> = None;
            for c in &chunks {
                schema = Some(merge_schema(&table, schema.as_ref(), &c.schema())?);
            }
            let Some(schema) = schema else {
                continue;
            };
            let batches = align_all(&table, chunks.iter(), &schema)?;
            out.push(SegmentTable {
                db,
                table,
                schema,
                batches,
            });
        }
        out.sort_by(|a, b| (&a.db, &a.table).cmp(&(&b.db, &b.table)));
        Ok(out)
    }

    /// Forgets a table's chunks up to and including `seq` (they are persisted).
    pub fn drop_through(&self, db: &str, table: &str, seq: u64) {
        let key = (db.to_string(), table.to_string());
        let Some(t) = self.tables.read().get(&key).cloned() else {
            return;
        };
        let mut g = t.lock();
        let (gone, kept): (Vec<Chunk>, Vec<Chunk>) = g.chunks.drain(..).partition(|c| c.seq <= seq);
        g.chunks = kept;
        for c in gone {
            let size = c.batch.get_array_memory_size();
            g.rows -= c.batch.num_rows();
            g.bytes -= size;
            self.bytes.fetch_sub(size, Ordering::Relaxed);
        }
    }

    /// Forgets every table's chunks up to and including `seq`: the WAL segments persisted so far.
    pub fn drop_all_through(&self, seq: u64) {
        let keys: Vec<(String, String)> = self.tables.read().keys().cloned().collect();
        for (db, table) in keys {
            self.drop_through(&db, &table, seq);
        }
    }

    /// Forgets every table of a deleted database.
    pub fn drop_database(&self, db: &str) {
        let mut tables = self.tables.write();
        tables.retain(|(d, _), t| {
            if d != db {
                return true;
            }
            let g = t.lock();
            self.bytes.fetch_sub(g.bytes, Ordering::Relaxed);
            false
        });
    }

    /// Every buffered table with its row count, sorted by database and table.
    pub fn stats(&self) -> Vec<TableStats> {
        let tables = self.tables.read();
        let mut out: Vec<TableStats> = tables
            .iter()
            .map(|((db, table), t)| {
                let g = t.lock();
                TableStats {
                    db: db.clone(),
                    table: table.clone(),
                    rows: g.rows,
                    bytes: g.bytes,
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.db, &a.table).cmp(&(&b.db, &b.table)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        Float64Array, Int64Array, StringDictionaryBuilder, TimestampNanosecondArray,
    };
    use arrow::datatypes::Int32Type;

    fn time(v: Vec<i64>) -> ArrayRef {
        Arc::new(TimestampNanosecondArray::from(v).with_timezone("UTC"))
    }

    fn tag(v: &[&str]) -> ArrayRef {
        let mut b = StringDictionaryBuilder::<Int32Type>::new();
        for s in v {
            b.append_value(s);
        }
        Arc::new(b.finish())
    }

    fn write(db: &str, table: &str, cols: Vec<(&str, ArrayRef)>) -> WriteBatch {
        WriteBatch {
            db: db.into(),
            tables: vec![(table.into(), RecordBatch::try_from_iter(cols).unwrap())],
        }
    }

    #[test]
    fn merges_schemas_and_aligns() {
        let b = Buffer::new(usize::MAX);
        let f: ArrayRef = Arc::new(Float64Array::from(vec![1.0]));
        let i: ArrayRef = Arc::new(Int64Array::from(vec![7, 8]));
        b.insert(
            &write("d", "t", vec![("a", f), ("time", time(vec![1]))]),
            1,
            None,
        )
        .unwrap();
        b.insert(
            &write(
                "d",
                "t",
                vec![
                    ("host", tag(&["x", "y"])),
                    ("n", i),
                    ("time", time(vec![2, 3])),
                ],
            ),
            2,
            None,
        )
        .unwrap();
        let s = b.snapshot("d", "t").unwrap().unwrap();
        let names: Vec<_> = s
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(names, ["host", "a", "n", "time"]);
        assert_eq!(s.batches.len(), 2);
        assert_eq!(s.batches[0].column(0).null_count(), 1);
        assert_eq!(b.stats()[0].rows, 3);
        b.drop_through("d", "t", s.through_seq);
        assert_eq!(b.stats()[0].rows, 0);
        assert_eq!(b.bytes(), 0);
    }

    #[test]
    fn refuses_a_type_change_and_when_full() {
        let b = Buffer::new(usize::MAX);
        let f: ArrayRef = Arc::new(Float64Array::from(vec![1.0]));
        let i: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        b.insert(
            &write("d", "t", vec![("v", f), ("time", time(vec![1]))]),
            1,
            None,
        )
        .unwrap();
        let err = b
            .insert(
                &write("d", "t", vec![("v", i), ("time", time(vec![1]))]),
                1,
                None,
            )
            .unwrap_err();
        assert!(matches!(err, BufferError::SchemaMismatch { .. }), "{err}");
        let small = Buffer::new(1);
        let f: ArrayRef = Arc::new(Float64Array::from(vec![1.0]));
        small
            .insert(
                &write("d", "t", vec![("v", f.clone()), ("time", time(vec![1]))]),
                1,
                None,
            )
            .unwrap();
        assert!(matches!(
            small.check_capacity(),
            Err(BufferError::Full { .. })
        ));
        small
            .insert(
                &write("d", "t", vec![("v", f), ("time", time(vec![1]))]),
                1,
                None,
            )
            .expect("a write already in the WAL is never refused");
        assert_eq!(small.stats()[0].rows, 2);
    }

    #[test]
    fn a_segment_holds_its_own_rows_and_columns_of_live_databases() {
        let b = Buffer::new(usize::MAX);
        let f = |v: f64| -> ArrayRef { Arc::new(Float64Array::from(vec![v])) };
        b.insert(
            &write("d", "t", vec![("a", f(1.0)), ("time", time(vec![1]))]),
            4,
            Some(7),
        )
        .unwrap();
        b.insert(
            &write("d", "t", vec![("b", f(2.0)), ("time", time(vec![2]))]),
            5,
            Some(7),
        )
        .unwrap();
        b.insert(
            &write("d", "u", vec![("a", f(3.0)), ("time", time(vec![3]))]),
            4,
            Some(7),
        )
        .unwrap();
        // A write validated against database 6, deleted since and created again as 7.
        b.insert(
            &write("d", "t", vec![("z", f(9.0)), ("time", time(vec![4]))]),
            4,
            Some(6),
        )
        .unwrap();
        let rows = b.segment(4, |_, id| id == Some(7)).unwrap();
        let got: Vec<(&str, Vec<&str>, usize)> = rows
            .iter()
            .map(|t| {
                let names = t
                    .schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect();
                (
                    t.table.as_str(),
                    names,
                    t.batches.iter().map(|b| b.num_rows()).sum(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [("t", vec!["a", "time"], 1), ("u", vec!["a", "time"], 1)]
        );
        assert!(b.segment(6, |_, _| true).unwrap().is_empty());
    }

    #[test]
    fn concurrent_writers_keep_every_row() {
        let b = Arc::new(Buffer::new(usize::MAX));
        let threads: Vec<_> = (0..8)
            .map(|w| {
                let b = b.clone();
                std::thread::spawn(move || {
                    for k in 0..50 {
                        let v: ArrayRef = Arc::new(Int64Array::from(vec![w; 10]));
                        let t = time((0..10).map(|x| k * 10 + x).collect());
                        b.insert(&write("d", "t", vec![("w", v), ("time", t)]), 1, None)
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let s = b.snapshot("d", "t").unwrap().unwrap();
        assert_eq!(
            s.batches.iter().map(|b| b.num_rows()).sum::<usize>(),
            8 * 50 * 10
        );
        for batch in &s.batches {
            let w = batch
                .column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap();
            assert!(w.iter().all(|x| x == w.iter().next().unwrap()));
        }
    }
}
