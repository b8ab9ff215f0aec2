//! The DataFusion table of one linewise table: its buffered rows and its Parquet files, as one scan.
use super::prune::{keep_files, pruning_predicate, FileRangeCache};
use super::source::{ParquetFile, TableSnapshot};
use arrow::array::new_null_array;
use arrow::compute::cast;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::ExecutionPlan;
use object_store::ObjectStore;
use std::sync::Arc;

/// One table's snapshot, scanned as the union of an in-memory source and a Parquet source.
#[derive(Debug)]
pub struct SnapshotTable {
    snapshot: TableSnapshot,
    store: Arc<dyn ObjectStore>,
    store_url: ObjectStoreUrl,
    ranges: Arc<FileRangeCache>,
}

impl SnapshotTable {
    /// `store_url` must be registered in the session's runtime for `store`.
    pub fn new(
        snapshot: TableSnapshot,
        store: Arc<dyn ObjectStore>,
        store_url: ObjectStoreUrl,
        ranges: Arc<FileRangeCache>,
    ) -> Self {
        Self {
            snapshot,
            store,
            store_url,
            ranges,
        }
    }

    /// The files that may hold rows matching `filters`.
    async fn files_to_scan(&self, state: &dyn Session, filters: &[Expr]) -> Vec<ParquetFile> {
        let files = &self.snapshot.files;
        let schema = &self.snapshot.schema;
        let Some(predicate) = pruning_predicate(state, schema, filters) else {
            return files.clone();
        };
        let Ok(time_field) = schema.field_with_name(linewise_core::TIME_COLUMN) else {
            return files.clone();
        };
        let mut ranges = Vec::with_capacity(files.len());
        for file in files {
            ranges.push(self.ranges.time_range(&self.store, file).await);
        }
        let keep = keep_files(&predicate, time_field.data_type(), &ranges);
        files
            .iter()
            .zip(keep)
            .filter(|(_, keep)| *keep)
            .map(|(file, _)| file.clone())
            .collect()
    }

    fn memory_plan(
        &self,
        partitions: usize,
        projection: Option<&Vec<usize>>,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let schema = &self.snapshot.schema;
        let count = partitions.max(1);
        let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); count];
        let mut non_empty = 0;
        for (i, batch) in self
            .snapshot
            .batches
            .iter()
            .filter(|b| b.num_rows() > 0)
            .enumerate()
        {
            parts[i % count].push(align_batch(batch, schema)?);
            non_empty += 1;
        }
        if non_empty == 0 {
            return Ok(None);
        }
        parts.retain(|p| !p.is_empty());
        let exec =
            MemorySourceConfig::try_new_exec(&parts, Arc::clone(schema), projection.cloned())?;
        Ok(Some(exec))
    }

    fn parquet_plan(
        &self,
        files: Vec<ParquetFile>,
        partitions: usize,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        if files.is_empty() {
            return Ok(None);
        }
        let schema = &self.snapshot.schema;
        let mut source = ParquetSource::new(Arc::clone(schema));
        // The same filters prune row groups (and pages) inside each file from their statistics.
        if let Some(filter) = datafusion::logical_expr::utils::conjunction(filters.iter().cloned())
        {
            let df_schema = datafusion::common::DFSchema::try_from(Arc::clone(schema))?;
            let predicate = state.create_physical_expr(filter, &df_schema)?;
            source = source.with_predicate(predicate);
        }
        let config = FileScanConfigBuilder::new(self.store_url.clone(), Arc::new(source))
            .with_file_groups(file_groups(files, partitions))
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        Ok(Some(DataSourceExec::from_data_source(config)))
    }
}

/// Spreads files over `partitions` groups of about equal bytes, so both cores read.
fn file_groups(mut files: Vec<ParquetFile>, partitions: usize) -> Vec<FileGroup> {
    files.sort_by_key(|file| std::cmp::Reverse(file.size));
    let mut groups: Vec<(u64, Vec<PartitionedFile>)> =
        vec![(0, Vec::new()); partitions.clamp(1, files.len())];
    for file in files {
        let smallest = groups
            .iter_mut()
            .min_by_key(|(bytes, _)| *bytes)
            .expect("at least one group");
        smallest.0 += file.size;
        smallest
            .1
            .push(PartitionedFile::new(file.path.to_string(), file.size));
    }
    groups
        .into_iter()
        .map(|(_, files)| FileGroup::new(files))
        .collect()
}

/// Gives a buffered batch the table's current column set and order: columns added after the batch was
/// built read as nulls, and a column kept in another Arrow type (e.g. dictionary tags) is cast.
pub fn align_batch(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    if batch.schema() == *schema {
        return Ok(batch.clone());
    }
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) if column.data_type() == field.data_type() => Ok(Arc::clone(column)),
            Some(column) => cast(column, field.data_type()),
            None => Ok(new_null_array(field.data_type(), batch.num_rows())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(Arc::clone(schema), columns)
}

#[async_trait]
impl TableProvider for SnapshotTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.snapshot.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// Filters are used to skip files and row groups, so DataFusion still applies them to the rows.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let partitions = state.config().target_partitions();
        let files = self.files_to_scan(state, filters).await;
        let mut inputs = Vec::with_capacity(2);
        inputs.extend(self.memory_plan(partitions, projection)?);
        inputs.extend(self.parquet_plan(files, partitions, state, projection, filters, limit)?);
        if inputs.is_empty() {
            let projected = match projection {
                Some(indices) => Arc::new(self.snapshot.schema.project(indices)?),
                None => Arc::clone(&self.snapshot.schema),
            };
            return Ok(Arc::new(EmptyExec::new(projected)));
        }
        UnionExec::try_new(inputs)
    }
}
