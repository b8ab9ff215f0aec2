//! One table's rows → Parquet files, one per time block, rows sorted by tags then time.
//!
//! Sorting by series then time makes the files compress well and lets readers prune by the page
//! statistics (min/max per column, enabled at page level); the sort order is also recorded in the
//! file metadata (`sorting_columns`) so query engines can rely on it.
use arrow::array::{
    Array, ArrayRef, Int64Array, RecordBatch, TimestampNanosecondArray, UInt32Array,
};
use arrow::buffer::ScalarBuffer;
use arrow::compute::{cast, take_record_batch, SortOptions};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::row::{Row, RowConverter, SortField};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Name of the timestamp column.
pub const TIME_COLUMN: &str = "time";

/// Why a table could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("table has no `{TIME_COLUMN}` column")]
    NoTime,
    #[error("`{TIME_COLUMN}` column has nulls or type {0}, expected Timestamp(ns)")]
    TimeType(DataType),
    #[error("tag column `{0}` is missing")]
    NoTag(String),
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
}

/// One encoded Parquet file: the rows of `block` (start of the time block, ns since the epoch).
#[derive(Debug)]
pub struct BlockFile {
    pub block_start: i64,
    pub rows: usize,
    pub bytes: Bytes,
}

/// Splits `batch` by time block of `block_ns` and encodes each part, sorted by `tags` (in the given
/// order) then time. The `time` column is written as Timestamp(ns, "UTC"). `metadata` goes into each
/// file's key-value metadata.
pub fn encode_blocks(
    batch: &RecordBatch,
    tags: &[String],
    block_ns: i64,
    metadata: &[(String, String)],
) -> Result<Vec<BlockFile>, EncodeError> {
    let batch = normalize(batch)?;
    let time = normalized_time(&batch)?;
    let mut blocks: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
    for (row, t) in time.iter().enumerate() {
        let start = t.div_euclid(block_ns) * block_ns;
        blocks
            .entry(start)
            .or_default()
            .push(u32::try_from(row).expect("batch under 4G rows"));
    }
    let mut out = Vec::with_capacity(blocks.len());
    for (block_start, rows) in blocks {
        let part = take_record_batch(&batch, &UInt32Array::from(rows))?;
        let sorted = sort_by_series(&part, tags)?;
        out.push(BlockFile {
            block_start,
            rows: sorted.num_rows(),
            bytes: write_parquet(&sorted, tags, metadata)?,
        });
    }
    Ok(out)
}

/// The storage schema: tags as plain strings (the buffer keeps them dictionary-encoded) and the time
/// column as Timestamp(ns, "UTC") without nulls (every row has a time).
fn normalize(batch: &RecordBatch) -> Result<RecordBatch, EncodeError> {
    let schema = batch.schema();
    let idx = schema
        .index_of(TIME_COLUMN)
        .map_err(|_| EncodeError::NoTime)?;
    let time = batch.column(idx);
    let ok_type = matches!(
        time.data_type(),
        DataType::Timestamp(TimeUnit::Nanosecond, _) | DataType::Int64
    );
    if !ok_type || time.null_count() > 0 {
        return Err(EncodeError::TimeType(time.data_type().clone()));
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (i, (field, col)) in schema.fields().iter().zip(batch.columns()).enumerate() {
        if i == idx {
            // Relabelled, not cast: a cast would parse the zone name, which needs chrono-tz.
            let values = match col.as_any().downcast_ref::<TimestampNanosecondArray>() {
                Some(ts) => ts.values().clone(),
                None => col
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .expect("type checked above")
                    .values()
                    .clone(),
            };
            let ts = TimestampNanosecondArray::new(values, None).with_timezone("UTC");
            fields.push(Field::new(TIME_COLUMN, ts.data_type().clone(), false));
            columns.push(Arc::new(ts) as ArrayRef);
        } else if let DataType::Dictionary(_, value) = field.data_type() {
            fields.push(Field::new(field.name(), value.as_ref().clone(), true));
            columns.push(cast(col, value)?);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(col.clone());
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
    )?)
}

/// The time values of a batch that went through `normalize`.
fn normalized_time(batch: &RecordBatch) -> Result<ScalarBuffer<i64>, EncodeError> {
    Ok(batch
        .column_by_name(TIME_COLUMN)
        .ok_or(EncodeError::NoTime)?
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .expect("normalized to Timestamp(ns)")
        .values()
        .clone())
}

/// Sorts rows by the tags (in order) then time, ties in write order.
///
/// Rows of one series tie on every tag, so a column-wise sort compares all the tags of most pairs
/// of rows. Instead each row's tags are encoded once in Arrow's row format (bytes that compare as
/// the columns do) and looked up in a map to number the series; the few distinct series are sorted
/// by those bytes, and the rows by (series rank, time): integer comparisons only.
fn sort_by_series(batch: &RecordBatch, tags: &[String]) -> Result<RecordBatch, EncodeError> {
    let options = SortOptions {
        descending: false,
        nulls_first: true,
    };
    let mut fields = Vec::with_capacity(tags.len());
    let mut columns = Vec::with_capacity(tags.len());
    for tag in tags {
        let values = batch
            .column_by_name(tag)
            .ok_or_else(|| EncodeError::NoTag(tag.clone()))?
            .clone();
        fields.push(SortField::new_with_options(
            values.data_type().clone(),
            options,
        ));
        columns.push(values);
    }
    let time = normalized_time(batch)?;
    let n = u32::try_from(batch.num_rows()).expect("batch under 4G rows");
    let series_of: Vec<u32> = if columns.is_empty() {
        vec![0; n as usize]
    } else {
        let rows = RowConverter::new(fields)?.convert_columns(&columns)?;
        let mut ids: HashMap<Row<'_>, u32> = HashMap::new();
        let mut series: Vec<Row<'_>> = Vec::new();
        let series_of: Vec<u32> = (0..n as usize)
            .map(|i| {
                let row = rows.row(i);
                *ids.entry(row).or_insert_with(|| {
                    series.push(row);
                    (series.len() - 1) as u32
                })
            })
            .collect();
        let mut by_key: Vec<u32> = (0..series.len() as u32).collect();
        by_key.sort_unstable_by(|&a, &b| series[a as usize].cmp(&series[b as usize]));
        let mut rank = vec![0u32; series.len()];
        for (r, &s) in by_key.iter().enumerate() {
            rank[s as usize] = r as u32;
        }
        series_of.into_iter().map(|s| rank[s as usize]).collect()
    };
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_by_key(|&i| (series_of[i as usize], time[i as usize]));
    Ok(take_record_batch(batch, &UInt32Array::from(order))?)
}

fn write_parquet(
    batch: &RecordBatch,
    tags: &[String],
    metadata: &[(String, String)],
) -> Result<Bytes, EncodeError> {
    let schema = batch.schema();
    let sorting: Vec<SortingColumn> = tags
        .iter()
        .map(String::as_str)
        .chain([TIME_COLUMN])
        .map(|c| SortingColumn {
            column_idx: schema.index_of(c).expect("checked by the sort") as i32,
            descending: false,
            nulls_first: true,
        })
        .collect();
    let kv = metadata
        .iter()
        .map(|(k, v)| parquet::file::metadata::KeyValue::new(k.clone(), v.clone()))
        .collect();
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_sorting_columns(Some(sorting))
        .set_key_value_metadata(Some(kv))
        .set_created_by(format!("linewise {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema, Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    const HOUR: i64 = 3_600_000_000_000;

    fn batch() -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("room", DataType::Utf8, true),
            Field::new("temp", DataType::Float64, true),
            Field::new("co", DataType::Int64, true),
            Field::new(
                TIME_COLUMN,
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                false,
            ),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(vec![
                    Some("kitchen"),
                    Some("living"),
                    None,
                    Some("kitchen"),
                ])),
                Arc::new(Float64Array::from(vec![
                    Some(21.0),
                    Some(22.5),
                    Some(1.0),
                    None,
                ])),
                Arc::new(Int64Array::from(vec![Some(0), None, Some(3), Some(7)])),
                Arc::new(arrow::array::TimestampNanosecondArray::from(vec![
                    2 * HOUR + 5,
                    2 * HOUR + 1,
                    HOUR,
                    2 * HOUR,
                ])),
            ],
        )
        .unwrap()
    }

    fn read(bytes: Bytes) -> (RecordBatch, parquet::file::metadata::ParquetMetaData) {
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
        let meta = builder.metadata().as_ref().clone();
        let mut reader = builder.build().unwrap();
        (reader.next().unwrap().unwrap(), meta)
    }

    /// Many rows over two tags (with nulls) and repeated times: the order is by tags (nulls first)
    /// then time, and rows equal on all of them keep their write order.
    #[test]
    fn sorts_series_with_nulls_and_keeps_ties_in_write_order() {
        let n = 2_000usize;
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let names = [None, Some("a"), Some("b"), Some("c")];
        let (mut host, mut rack, mut time) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            host.push(names[(next() % 4) as usize]);
            rack.push(names[(next() % 3) as usize]);
            time.push((next() % 5) as i64);
        }
        let seq: Vec<i64> = (0..n as i64).collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("host", DataType::Utf8, true),
            Field::new("rack", DataType::Utf8, true),
            Field::new("seq", DataType::Int64, false),
            Field::new(
                TIME_COLUMN,
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                false,
            ),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(host)),
                Arc::new(StringArray::from(rack)),
                Arc::new(Int64Array::from(seq)),
                Arc::new(TimestampNanosecondArray::from(time).with_timezone("UTC")),
            ],
        )
        .unwrap();
        let sorted = sort_by_series(&batch, &["host".to_string(), "rack".to_string()]).unwrap();
        let col = |i: usize| {
            sorted
                .column(i)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone()
        };
        let (host, rack) = (col(0), col(1));
        let seq = sorted
            .column(2)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        let time = sorted
            .column(3)
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>()
            .unwrap();
        let key = |i: usize| {
            (
                host.is_valid(i).then(|| host.value(i)),
                rack.is_valid(i).then(|| rack.value(i)),
                time.value(i),
                seq.value(i),
            )
        };
        for i in 1..n {
            assert!(key(i - 1) < key(i), "rows {} and {i} out of order", i - 1);
        }
        let mut seen: Vec<i64> = seq.values().to_vec();
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..n as i64).collect::<Vec<_>>(),
            "every row exactly once"
        );
    }

    #[test]
    fn splits_by_block_and_sorts_by_tags_then_time() {
        let meta = vec![("linewise.segment".to_string(), "7".to_string())];
        let files = encode_blocks(&batch(), &["room".to_string()], HOUR, &meta).unwrap();
        assert_eq!(
            files
                .iter()
                .map(|f| (f.block_start, f.rows))
                .collect::<Vec<_>>(),
            vec![(HOUR, 1), (2 * HOUR, 3)]
        );
        let (b, md) = read(files[1].bytes.clone());
        let rooms = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(
            rooms.iter().collect::<Vec<_>>(),
            [Some("kitchen"), Some("kitchen"), Some("living")]
        );
        let time = b
            .column(3)
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>()
            .unwrap();
        assert_eq!(
            time.values().to_vec(),
            [2 * HOUR, 2 * HOUR + 5, 2 * HOUR + 1]
        );
        assert_eq!(
            b.schema().field(3).data_type(),
            &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
        );
        let co = b.column(2).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(co.iter().collect::<Vec<_>>(), [Some(7), Some(0), None]);
        let rg = md.row_group(0);
        let stats = rg.column(3).statistics().expect("time statistics");
        assert_eq!(stats.min_bytes_opt().unwrap(), (2 * HOUR).to_le_bytes());
        assert_eq!(rg.sorting_columns().unwrap().len(), 2);
        let kv = md.file_metadata().key_value_metadata().unwrap();
        assert!(kv
            .iter()
            .any(|k| k.key == "linewise.segment" && k.value.as_deref() == Some("7")));
    }

    #[test]
    fn missing_or_nullable_time_is_refused() {
        let b = batch().project(&[0, 1]).unwrap();
        assert!(matches!(
            encode_blocks(&b, &[], HOUR, &[]),
            Err(EncodeError::NoTime)
        ));
        let err = encode_blocks(&batch(), &["nope".to_string()], HOUR, &[]).unwrap_err();
        assert_eq!(err.to_string(), "tag column `nope` is missing");
    }
}
