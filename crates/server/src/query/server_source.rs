//! The running server as a [`QuerySource`]: tables from the catalog, rows from the in-memory buffer,
//! files from the persister's directory in the object store, found by the table's catalog ids
//! (`parquet/<db_id>/<table_id>/`), so a name never becomes a path and a deleted database's files
//! are never read for a new database of the same name.
use super::provider::align_batch;
use super::source::{ParquetFile, QuerySource, TableSnapshot};
use crate::buffer::Buffer;
use crate::catalog::{Catalog, DbId, TableId, TableSchema};
use crate::persist::table_prefix;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use datafusion::error::DataFusionError;
use futures::TryStreamExt;
use linewise_core::columns::{field_data_type, tag_data_type};
use linewise_core::{ColumnKind, TIME_COLUMN};
use object_store::path::Path;
use object_store::ObjectStore;
use std::sync::Arc;

/// Reads what the write path and the persister keep.
#[derive(Clone)]
pub struct ServerSource {
    catalog: Arc<Catalog>,
    buffer: Arc<Buffer>,
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for ServerSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSource")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl ServerSource {
    pub fn new(catalog: Arc<Catalog>, buffer: Arc<Buffer>, store: Arc<dyn ObjectStore>) -> Self {
        Self {
            catalog,
            buffer,
            store,
        }
    }

    /// The persisted files of a table older than WAL segment `before` (all when `None`).
    async fn files(
        &self,
        db: DbId,
        table: TableId,
        before: Option<u64>,
    ) -> Result<Vec<ParquetFile>, DataFusionError> {
        let prefix = table_prefix(db, table);
        let objects: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        Ok(objects
            .into_iter()
            .filter(|meta| match (segment_of(&meta.location), before) {
                (Some(segment), Some(first_buffered)) => segment < first_buffered,
                (Some(_), None) => true,
                (None, _) => false,
            })
            .map(|meta| ParquetFile {
                path: meta.location,
                size: meta.size,
                time_range: None,
            })
            .collect())
    }
}

/// The WAL segment a persisted file was made from: its name is `<segment>.parquet`.
fn segment_of(path: &Path) -> Option<u64> {
    path.filename()?.strip_suffix(".parquet")?.parse().ok()
}

/// The table's columns as queries see them, sorted by name as InfluxDB 3 shows them: tags as
/// `Dictionary(Int32, Utf8)` (as in the buffer and in InfluxDB 3, so `information_schema` tells a tag
/// from a string field), string fields as strings, `time` as a timestamp in nanoseconds without a
/// zone (values are UTC).
pub fn query_schema(table: &TableSchema) -> SchemaRef {
    let mut fields: Vec<Field> = table
        .columns
        .iter()
        .map(|column| {
            let data_type = match column.column_type {
                ColumnKind::Tag => tag_data_type(),
                ColumnKind::Field(t) => field_data_type(t),
                ColumnKind::Time => DataType::Timestamp(TimeUnit::Nanosecond, None),
            };
            Field::new(&column.name, data_type, column.name != TIME_COLUMN)
        })
        .collect();
    fields.sort_by(|a, b| a.name().cmp(b.name()));
    Arc::new(Schema::new(fields))
}

#[async_trait]
impl QuerySource for ServerSource {
    fn database_exists(&self, db: &str) -> bool {
        self.catalog.snapshot().databases.contains_key(db)
    }

    fn table_names(&self, db: &str) -> Vec<String> {
        let catalog = self.catalog.snapshot();
        catalog
            .databases
            .get(db)
            .map(|d| d.tables.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The buffer is read before the files are listed: rows persisted in between are then still
    /// in the buffer's snapshot, and their files are left out by their segment number.
    async fn table_snapshot(
        &self,
        db: &str,
        table: &str,
    ) -> Result<Option<TableSnapshot>, DataFusionError> {
        let catalog = self.catalog.snapshot();
        let Some(database) = catalog.databases.get(db) else {
            return Ok(None);
        };
        let Some(definition) = database.tables.get(table) else {
            return Ok(None);
        };
        let schema = query_schema(definition);
        let buffered = self
            .buffer
            .snapshot(db, table)
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let (batches, first_seq) = match buffered {
            Some(snapshot) => (snapshot.batches, snapshot.first_seq),
            None => (Vec::new(), None),
        };
        let batches = batches
            .iter()
            .map(|batch| align_batch(batch, &schema))
            .collect::<Result<Vec<_>, _>>()?;
        let files = self.files(database.id, definition.id, first_seq).await?;
        Ok(Some(TableSnapshot {
            schema,
            batches,
            files,
        }))
    }

    fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.store)
    }
}
