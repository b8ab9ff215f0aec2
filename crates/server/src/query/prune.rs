//! Skips whole Parquet files whose `time` range cannot satisfy the query's filters.
//!
//! The files' `[min, max]` of `time` (recorded by the persister, or read once from the Parquet footer
//! statistics and cached) are handed to DataFusion's `PruningPredicate`, so any filter shape it
//! understands (`>`, `BETWEEN`, `OR`, `IN`, ...) prunes, not only a fixed set of patterns.
use super::source::{ParquetFile, TimeRange};
use arrow::array::{ArrayRef, BooleanArray, TimestampNanosecondArray};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::catalog::Session;
use datafusion::common::pruning::PruningStatistics;
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::Expr;
use datafusion::physical_optimizer::pruning::{PruningPredicate, PruningPredicateBuilder};
use linewise_core::TIME_COLUMN;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::statistics::Statistics;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Time ranges read from Parquet footers, by path. Files are immutable once written, so an entry never
/// goes stale; the map is bounded by evicting everything when it is full (a re-read is one footer GET).
#[derive(Debug, Default)]
pub struct FileRangeCache {
    ranges: Mutex<HashMap<Path, Option<TimeRange>>>,
}

const CACHE_CAPACITY: usize = 100_000;

impl FileRangeCache {
    /// The file's time range: the recorded one, the cached one, or the one in its footer statistics.
    /// `None` when the file has no usable statistics (the file is then never skipped).
    pub async fn time_range(
        &self,
        store: &Arc<dyn ObjectStore>,
        file: &ParquetFile,
    ) -> Option<TimeRange> {
        if file.time_range.is_some() {
            return file.time_range;
        }
        if let Some(cached) = self.lock().get(&file.path) {
            return *cached;
        }
        // A footer that cannot be read leaves the file unpruned: the scan itself then reports the error.
        let metadata = read_footer(store, &file.path, file.size).await?;
        let range = time_range_from_metadata(&metadata);
        let mut ranges = self.lock();
        if ranges.len() >= CACHE_CAPACITY {
            ranges.clear();
        }
        ranges.insert(file.path.clone(), range);
        range
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Path, Option<TimeRange>>> {
        // The map holds plain values; a panic elsewhere cannot leave it half-updated.
        self.ranges
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The file's Parquet metadata: the last 8 bytes give the footer's length, then one more ranged read.
async fn read_footer(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
    size: u64,
) -> Option<ParquetMetaData> {
    const TAIL: u64 = 8;
    if size < TAIL + 4 {
        return None;
    }
    let tail = store.get_range(path, size - TAIL..size).await.ok()?;
    if tail.len() != TAIL as usize || &tail[4..] != b"PAR1" {
        return None;
    }
    let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    let start = (size - TAIL).checked_sub(footer_len)?;
    let footer = store.get_range(path, start..size - TAIL).await.ok()?;
    ParquetMetaDataReader::decode_metadata(&footer).ok()
}

/// Min and max of the top-level `time` column over all row groups, from the column chunk statistics.
pub fn time_range_from_metadata(metadata: &ParquetMetaData) -> Option<TimeRange> {
    let index = metadata
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|column| column.path().parts() == [TIME_COLUMN])?;
    let mut range: Option<TimeRange> = None;
    for row_group in metadata.row_groups() {
        if row_group.num_rows() == 0 {
            continue;
        }
        let Some(Statistics::Int64(stats)) = row_group.column(index).statistics() else {
            return None;
        };
        let (Some(&min), Some(&max)) = (stats.min_opt(), stats.max_opt()) else {
            return None;
        };
        range = Some(match range {
            Some(r) => TimeRange {
                min: r.min.min(min),
                max: r.max.max(max),
            },
            None => TimeRange { min, max },
        });
    }
    range
}

/// Builds the predicate that decides which files may hold matching rows, from the filters DataFusion
/// pushed into the scan. `None` when there is nothing to prune with.
pub fn pruning_predicate(
    state: &dyn Session,
    schema: &SchemaRef,
    filters: &[Expr],
) -> Option<PruningPredicate> {
    let filter = conjunction(filters.iter().cloned())?;
    let df_schema = DFSchema::try_from(Arc::clone(schema)).ok()?;
    let physical = state.create_physical_expr(filter, &df_schema).ok()?;
    let predicate = PruningPredicateBuilder::new()
        .with_file_schema(Arc::clone(schema))
        .try_build(physical)
        .ok()?;
    (!predicate.always_true()).then_some(predicate)
}

/// Which of `ranges` may hold rows matching `predicate` (`true` = keep). Files without a known range are
/// always kept.
pub fn keep_files(
    predicate: &PruningPredicate,
    time_type: &DataType,
    ranges: &[Option<TimeRange>],
) -> Vec<bool> {
    let stats = FileTimeStatistics { ranges, time_type };
    predicate
        .prune(&stats)
        .unwrap_or_else(|_| vec![true; ranges.len()])
}

/// `PruningStatistics` with one container per file and statistics for `time` only.
struct FileTimeStatistics<'a> {
    ranges: &'a [Option<TimeRange>],
    time_type: &'a DataType,
}

impl FileTimeStatistics<'_> {
    fn values(&self, column: &Column, pick: fn(&TimeRange) -> i64) -> Option<ArrayRef> {
        if column.name != TIME_COLUMN {
            return None;
        }
        let DataType::Timestamp(TimeUnit::Nanosecond, tz) = self.time_type else {
            return None;
        };
        let values: TimestampNanosecondArray =
            self.ranges.iter().map(|r| r.as_ref().map(pick)).collect();
        Some(Arc::new(values.with_timezone_opt(tz.clone())))
    }
}

impl PruningStatistics for FileTimeStatistics<'_> {
    fn min_values(&self, column: &Column) -> Option<ArrayRef> {
        self.values(column, |r| r.min)
    }

    fn max_values(&self, column: &Column) -> Option<ArrayRef> {
        self.values(column, |r| r.max)
    }

    fn num_containers(&self) -> usize {
        self.ranges.len()
    }

    fn null_counts(&self, _column: &Column) -> Option<ArrayRef> {
        None
    }

    fn row_counts(&self) -> Option<ArrayRef> {
        None
    }

    fn contained(&self, _column: &Column, _values: &HashSet<ScalarValue>) -> Option<BooleanArray> {
        None
    }
}
