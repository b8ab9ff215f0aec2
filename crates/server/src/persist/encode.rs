//! One table's rows → Parquet files, one per time block (sparse blocks share files), rows sorted by
//! tags then time.
//!
//! Sorting by series then time makes the files compress well and lets readers prune by the page
//! statistics (min/max per column, enabled at page level); the sort order is also recorded in the
//! file metadata (`sorting_columns`) so query engines can rely on it.
use arrow::array::{
    Array, ArrayRef, DictionaryArray, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt32Array,
};
use arrow::buffer::ScalarBuffer;
use arrow::compute::{cast, take_record_batch};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use bytes::Bytes;
use linewise_core::TIME_COLUMN;
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Threads one file's columns are encoded on (at most; fewer on fewer cores).
const ENCODE_THREADS: usize = 2;

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

/// One encoded Parquet file: the rows of one or more consecutive time blocks, the first starting at
/// `block_start` (ns since the epoch).
#[derive(Debug)]
pub struct BlockFile {
    pub block_start: i64,
    pub rows: usize,
    pub bytes: Bytes,
}

/// Splits `batch` by time block of `block_ns` and encodes the parts, sorted by `tags` (in the given
/// order) then time. Consecutive blocks share a file until it holds `file_rows` rows, so sparse data
/// (a few rows in each of many hours) makes a few files, not one per hour: the file count follows
/// the rows, and queries still skip files by the `time` range in each file's statistics. Tags are
/// written as strings and `time` as Timestamp(ns, "UTC"). `metadata` goes into each file's
/// key-value metadata.
pub fn encode_blocks(
    batch: &RecordBatch,
    tags: &[String],
    block_ns: i64,
    file_rows: usize,
    metadata: &[(String, String)],
) -> Result<Vec<BlockFile>, EncodeError> {
    let (batch, file_schema) = normalize(batch, tags)?;
    let time = normalized_time(&batch)?;
    let mut blocks: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
    for (row, t) in time.iter().enumerate() {
        let start = t.div_euclid(block_ns) * block_ns;
        blocks
            .entry(start)
            .or_default()
            .push(u32::try_from(row).expect("batch under 4G rows"));
    }
    let mut files: Vec<(i64, Vec<u32>)> = Vec::new();
    for (block_start, rows) in blocks {
        match files.last_mut() {
            Some((_, file)) if file.len() < file_rows => file.extend(rows),
            _ => files.push((block_start, rows)),
        }
    }
    let whole = files.len() == 1;
    let mut out = Vec::with_capacity(files.len());
    for (block_start, rows) in files {
        let part = if whole {
            batch.clone()
        } else {
            take_record_batch(&batch, &UInt32Array::from(rows))?
        };
        let sorted = sort_by_series(&part, tags)?;
        out.push(BlockFile {
            block_start,
            rows: sorted.num_rows(),
            bytes: write_parquet(&sorted, &file_schema, tags, metadata)?,
        });
    }
    Ok(out)
}

/// The dictionary type tags are sorted and written from.
fn tag_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The batch to encode and the schema to store it under. In the batch, tags are dictionaries (as
/// the buffer holds them; plain strings are encoded), so sorting compares dictionary keys and the
/// Parquet writer reads each row's string from the dictionary without copying it; the stored schema
/// says plain strings. `time` becomes Timestamp(ns, "UTC") without nulls (every row has a time).
fn normalize(
    batch: &RecordBatch,
    tags: &[String],
) -> Result<(RecordBatch, SchemaRef), EncodeError> {
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
    let mut stored = Vec::with_capacity(batch.num_columns());
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
            let f = Field::new(TIME_COLUMN, ts.data_type().clone(), false);
            fields.push(f.clone());
            stored.push(f);
            columns.push(Arc::new(ts) as ArrayRef);
        } else if tags.contains(field.name()) {
            let dict = if col.data_type() == &tag_type() {
                col.clone()
            } else {
                cast(col, &tag_type())?
            };
            fields.push(Field::new(field.name(), tag_type(), true));
            stored.push(Field::new(field.name(), DataType::Utf8, true));
            columns.push(dict);
        } else if let DataType::Dictionary(_, value) = field.data_type() {
            let f = Field::new(field.name(), value.as_ref().clone(), true);
            fields.push(f.clone());
            stored.push(f);
            columns.push(cast(col, value)?);
        } else {
            fields.push(field.as_ref().clone());
            stored.push(field.as_ref().clone());
            columns.push(col.clone());
        }
    }
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
    )?;
    let stored = Arc::new(Schema::new_with_metadata(stored, schema.metadata().clone()));
    Ok((batch, stored))
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

/// One tag column as dictionary keys that are equal exactly when the strings are: a batch concatenated
/// from many writes has one dictionary per write, so one string can stand under several keys. Key 0
/// is null; the others index `values`, in first-seen order.
struct CanonicalTag<'a> {
    keys: Vec<u32>,
    values: Vec<&'a str>,
}

fn canonical_tag<'a>(dict: &'a DictionaryArray<Int32Type>) -> CanonicalTag<'a> {
    let strings = dict
        .values()
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("normalized to Dictionary(Int32, Utf8)");
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut values: Vec<&str> = Vec::new();
    // Per dictionary entry, not per row: the map sees each distinct entry once.
    let of_entry: Vec<u32> = (0..strings.len())
        .map(|i| {
            if strings.is_null(i) {
                return 0;
            }
            let s = strings.value(i);
            *ids.entry(s).or_insert_with(|| {
                values.push(s);
                values.len() as u32
            })
        })
        .collect();
    let keys = dict
        .keys()
        .iter()
        .map(|k| k.map_or(0, |k| of_entry[k as usize]))
        .collect();
    CanonicalTag { keys, values }
}

/// Sorts rows by the tags (in order) then time, ties in write order.
///
/// Rows of one series tie on every tag, so a column-wise sort compares all the tags of most pairs
/// of rows. Instead each row's tags become a tuple of canonical dictionary keys (no string is
/// touched per row), the tuples are numbered as series, the few distinct series are sorted by their
/// strings (nulls first), and the rows by (series rank, time): integer comparisons only.
fn sort_by_series(batch: &RecordBatch, tags: &[String]) -> Result<RecordBatch, EncodeError> {
    let mut columns = Vec::with_capacity(tags.len());
    for tag in tags {
        let values = batch
            .column_by_name(tag)
            .ok_or_else(|| EncodeError::NoTag(tag.clone()))?;
        columns.push(
            values
                .as_any()
                .downcast_ref::<DictionaryArray<Int32Type>>()
                .expect("normalized to Dictionary(Int32, Utf8)"),
        );
    }
    let time = normalized_time(batch)?;
    let n = batch.num_rows();
    let width = columns.len();
    let canonical: Vec<CanonicalTag<'_>> = columns.iter().map(|c| canonical_tag(c)).collect();
    let mut tuples = vec![0u32; n * width];
    for (t, c) in canonical.iter().enumerate() {
        for (row, &k) in c.keys.iter().enumerate() {
            tuples[row * width + t] = k;
        }
    }
    let series_of: Vec<u32> = if width == 0 {
        vec![0; n]
    } else {
        let mut ids: HashMap<&[u32], u32> = HashMap::new();
        let mut series: Vec<&[u32]> = Vec::new();
        let series_of: Vec<u32> = tuples
            .chunks_exact(width)
            .map(|tuple| {
                *ids.entry(tuple).or_insert_with(|| {
                    series.push(tuple);
                    (series.len() - 1) as u32
                })
            })
            .collect();
        let tag_str = |t: usize, k: u32| (k != 0).then(|| canonical[t].values[k as usize - 1]);
        let mut by_key: Vec<u32> = (0..series.len() as u32).collect();
        by_key.sort_unstable_by(|&a, &b| {
            let (a, b) = (series[a as usize], series[b as usize]);
            (0..width)
                .map(|t| tag_str(t, a[t]).cmp(&tag_str(t, b[t])))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut rank = vec![0u32; series.len()];
        for (r, &s) in by_key.iter().enumerate() {
            rank[s as usize] = r as u32;
        }
        series_of.into_iter().map(|s| rank[s as usize]).collect()
    };
    let mut order: Vec<u32> = (0..u32::try_from(n).expect("batch under 4G rows")).collect();
    order.sort_by_key(|&i| (series_of[i as usize], time[i as usize]));
    Ok(take_record_batch(batch, &UInt32Array::from(order))?)
}

fn write_parquet(
    batch: &RecordBatch,
    file_schema: &SchemaRef,
    tags: &[String],
    metadata: &[(String, String)],
) -> Result<Bytes, EncodeError> {
    let sorting: Vec<SortingColumn> = tags
        .iter()
        .map(String::as_str)
        .chain([TIME_COLUMN])
        .map(|c| SortingColumn {
            column_idx: file_schema.index_of(c).expect("checked by the sort") as i32,
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
    // The batch's tags are dictionaries, the file's strings: the writer encodes either alike.
    let writer = ArrowWriter::try_new(&mut out, file_schema.clone(), Some(props.clone()))?;
    let (mut file, factory) = writer.into_serialized_writer()?;
    let group_rows = props.max_row_group_row_count().unwrap_or(usize::MAX).max(1);
    let mut start = 0;
    let mut group = 0;
    while start < batch.num_rows() {
        let len = group_rows.min(batch.num_rows() - start);
        let part = batch.slice(start, len);
        let chunks = encode_columns(factory.create_column_writers(group)?, file_schema, &part)?;
        let mut row_group = file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        start += len;
        group += 1;
    }
    file.close()?;
    Ok(Bytes::from(out))
}

/// Encodes the columns of one row group on up to [`ENCODE_THREADS`] threads (Parquet encoding is
/// most of persisting's CPU, and columns are independent); the chunks come back in column order.
fn encode_columns(
    writers: Vec<ArrowColumnWriter>,
    schema: &SchemaRef,
    batch: &RecordBatch,
) -> Result<Vec<ArrowColumnChunk>, EncodeError> {
    let mut leaves = Vec::with_capacity(writers.len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        leaves.extend(compute_leaves(field, column)?);
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, ENCODE_THREADS);
    let mut work: Vec<Vec<(usize, ArrowColumnWriter, ArrowLeafColumn)>> =
        (0..threads).map(|_| Vec::new()).collect();
    for (i, (writer, leaf)) in writers.into_iter().zip(leaves).enumerate() {
        work[i % threads].push((i, writer, leaf));
    }
    let results: Vec<Result<Vec<(usize, ArrowColumnChunk)>, EncodeError>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = work
                .into_iter()
                .map(|columns| {
                    scope.spawn(move || {
                        columns
                            .into_iter()
                            .map(|(i, mut writer, leaf)| {
                                writer.write(&leaf)?;
                                Ok((i, writer.close()?))
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("Parquet column encoder panicked"))
                .collect()
        });
    let mut chunks = Vec::new();
    for r in results {
        chunks.extend(r?);
    }
    chunks.sort_by_key(|(i, _)| *i);
    Ok(chunks.into_iter().map(|(_, c)| c).collect())
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
        let tags = ["host".to_string(), "rack".to_string()];
        let (batch, _) = normalize(&batch, &tags).unwrap();
        let sorted = sort_by_series(&batch, &tags).unwrap();
        let col = |i: usize| {
            cast(sorted.column(i), &DataType::Utf8)
                .unwrap()
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
        let files = encode_blocks(&batch(), &["room".to_string()], HOUR, 1, &meta).unwrap();
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

    /// 5,000 rows each in an hour of its own: consecutive blocks share files of 2,000 rows, each
    /// file sorted and holding every row of its blocks once.
    #[test]
    fn sparse_blocks_share_files_up_to_the_row_target() {
        let n = 5_000i64;
        let schema = Arc::new(Schema::new(vec![
            Field::new("room", DataType::Utf8, true),
            Field::new("v", DataType::Int64, false),
            Field::new(
                TIME_COLUMN,
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                false,
            ),
        ]));
        // Written newest first, so the rows of a file come from all over the batch.
        let hours: Vec<i64> = (0..n).rev().collect();
        let rooms: Vec<&str> = hours
            .iter()
            .map(|h| if h % 2 == 0 { "a" } else { "b" })
            .collect();
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(rooms)),
                Arc::new(Int64Array::from(hours.clone())),
                Arc::new(TimestampNanosecondArray::from(
                    hours.iter().map(|h| h * HOUR + 7).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap();
        let files = encode_blocks(&batch, &["room".to_string()], HOUR, 2_000, &[]).unwrap();
        assert_eq!(
            files
                .iter()
                .map(|f| (f.block_start, f.rows))
                .collect::<Vec<_>>(),
            vec![(0, 2_000), (2_000 * HOUR, 2_000), (4_000 * HOUR, 1_000)]
        );
        let mut seen = Vec::new();
        for (f, first) in files.iter().zip([0i64, 2_000, 4_000]) {
            let builder = ParquetRecordBatchReaderBuilder::try_new(f.bytes.clone()).unwrap();
            let md = builder.metadata().clone();
            for b in builder.build().unwrap() {
                let b = b.unwrap();
                let v = b.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
                assert!(v
                    .values()
                    .iter()
                    .all(|h| (first..first + 2_000).contains(h)));
                seen.extend(v.values().iter().copied());
            }
            let stats = md.row_group(0).column(2).statistics().unwrap();
            assert_eq!(
                stats.min_bytes_opt().unwrap(),
                (first * HOUR + 7).to_le_bytes()
            );
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn missing_or_nullable_time_is_refused() {
        let b = batch().project(&[0, 1]).unwrap();
        assert!(matches!(
            encode_blocks(&b, &[], HOUR, 1, &[]),
            Err(EncodeError::NoTime)
        ));
        let err = encode_blocks(&batch(), &["nope".to_string()], HOUR, 1, &[]).unwrap_err();
        assert_eq!(err.to_string(), "tag column `nope` is missing");
    }
}
