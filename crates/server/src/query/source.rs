//! What the query engine reads from the storage side, as a small trait so the engine does not depend on
//! how the write buffer and the persister are built.
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::error::DataFusionError;
use object_store::path::Path;
use object_store::ObjectStore;
use std::fmt::Debug;
use std::sync::Arc;

/// The databases and tables a query may read.
#[async_trait]
pub trait QuerySource: Send + Sync + Debug {
    /// Whether the database exists (and is not deleted).
    fn database_exists(&self, db: &str) -> bool;

    /// Names of the tables of `db`; empty when it does not exist.
    fn table_names(&self, db: &str) -> Vec<String>;

    /// A point-in-time view of one table, or `None` when the database or the table does not exist.
    ///
    /// The view must be consistent with persistence: every row the server acknowledged before the call is
    /// either in `batches` or in exactly one of `files`, never in both and never in neither.
    async fn table_snapshot(
        &self,
        db: &str,
        table: &str,
    ) -> Result<Option<TableSnapshot>, DataFusionError>;

    /// The object store holding the files named in snapshots (paths are relative to its root).
    fn object_store(&self) -> Arc<dyn ObjectStore>;
}

/// One table at one instant: its schema, its rows still in memory and its persisted Parquet files.
#[derive(Debug, Clone)]
pub struct TableSnapshot {
    /// The table's current schema: tags, fields and `time`. Older files and batches may hold a subset of
    /// these columns (columns are only ever added); missing ones read as nulls.
    pub schema: SchemaRef,
    /// Rows not yet persisted.
    pub batches: Vec<RecordBatch>,
    /// Persisted files of this table.
    pub files: Vec<ParquetFile>,
}

/// A persisted Parquet file of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetFile {
    /// Location in the object store.
    pub path: Path,
    /// Size in bytes (saves a HEAD request per file and query).
    pub size: u64,
    /// Smallest and largest `time` in the file, when the persister recorded them. When `None` the engine
    /// reads them once from the file's Parquet statistics and caches them.
    pub time_range: Option<TimeRange>,
}

/// An inclusive range of nanosecond timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub min: i64,
    pub max: i64,
}
