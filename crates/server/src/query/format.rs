//! Result encodings of `query_sql`, as InfluxDB 3 names and serves them.
use arrow::csv::WriterBuilder as CsvWriterBuilder;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::json::{ArrayWriter, LineDelimitedWriter};
use arrow::record_batch::RecordBatch;
use arrow::util::pretty::pretty_format_batches_with_schema;
use parquet::arrow::ArrowWriter;
use parquet::errors::ParquetError;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryFormat {
    /// An array of row objects, `[{"col":value,...},...]`; null values are left out of their row.
    #[default]
    Json,
    /// One row object per line.
    JsonLines,
    /// A header line, then one line per row.
    Csv,
    /// A text table with borders, for people.
    Pretty,
    /// One Parquet file.
    Parquet,
}

/// A `format` value or `Accept` type the server does not serve.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("invalid format '{0}': expected one of json, jsonl, csv, pretty, parquet")]
    Param(String),
    #[error("invalid mime type ({0})")]
    Accept(String),
}

/// Why a result could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error(transparent)]
    Arrow(#[from] ArrowError),
    #[error(transparent)]
    Parquet(#[from] ParquetError),
    #[error("the result is larger than the {PRETTY_MAX_BYTES} bytes format=pretty holds; use csv, jsonl, json or parquet")]
    PrettyTooLarge,
}

impl FromStr for QueryFormat {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "jsonl" | "json_lines" => Ok(Self::JsonLines),
            "csv" => Ok(Self::Csv),
            "pretty" => Ok(Self::Pretty),
            "parquet" => Ok(Self::Parquet),
            _ => Err(FormatError::Param(s.to_owned())),
        }
    }
}

impl QueryFormat {
    /// The format an `Accept` header asks for, when no `format` parameter is given.
    pub fn from_accept(accept: Option<&str>) -> Result<Self, FormatError> {
        let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
            return Ok(Self::Json);
        };
        if accept.contains("text/html") || accept.contains("*/*") {
            return Ok(Self::Json);
        }
        match accept {
            "application/vnd.apache.parquet" => Ok(Self::Parquet),
            "text/csv" => Ok(Self::Csv),
            "text/plain" => Ok(Self::Pretty),
            "application/json" => Ok(Self::Json),
            "application/jsonl" | "application/x-ndjson" => Ok(Self::JsonLines),
            other => Err(FormatError::Accept(other.to_owned())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::JsonLines => "jsonl",
            Self::Csv => "csv",
            Self::Pretty => "pretty",
            Self::Parquet => "parquet",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::JsonLines => "application/jsonl",
            Self::Csv => "text/csv",
            Self::Pretty => "text/plain; charset=utf-8",
            Self::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// Encodes a whole result.
    pub fn encode(
        self,
        schema: &SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<Vec<u8>, EncodeError> {
        let mut encoder = Encoder::new(self, schema.clone())?;
        let mut out = Vec::new();
        for batch in batches {
            encoder.write(batch)?;
            out.append(&mut encoder.take());
        }
        out.append(&mut encoder.finish()?);
        Ok(out)
    }
}

/// Most bytes of Arrow data `pretty` holds: it must see every row before it prints the first (column
/// widths), so it is the one format not streamed.
pub const PRETTY_MAX_BYTES: usize = 16 * 1024 * 1024;
/// A Parquet row group is written out once it holds this many bytes, so the file streams too.
const PARQUET_ROW_GROUP_BYTES: usize = 8 * 1024 * 1024;

/// Encodes a result batch by batch: after each [`Encoder::write`], [`Encoder::take`] hands out the bytes
/// ready to send, so a large result never has to be in memory whole.
pub struct Encoder {
    schema: SchemaRef,
    out: Vec<u8>,
    /// Whether any byte was handed out or is waiting in `out`.
    started: bool,
    state: State,
}

enum State {
    Json(ArrayWriter<Vec<u8>>),
    JsonLines,
    Csv,
    Pretty {
        batches: Vec<RecordBatch>,
        bytes: usize,
    },
    Parquet(Box<ArrowWriter<Vec<u8>>>),
}

impl Encoder {
    pub fn new(format: QueryFormat, schema: SchemaRef) -> Result<Self, EncodeError> {
        let state = match format {
            QueryFormat::Json => State::Json(ArrayWriter::new(Vec::new())),
            QueryFormat::JsonLines => State::JsonLines,
            QueryFormat::Csv => State::Csv,
            QueryFormat::Pretty => State::Pretty {
                batches: Vec::new(),
                bytes: 0,
            },
            QueryFormat::Parquet => State::Parquet(Box::new(ArrowWriter::try_new(
                Vec::new(),
                schema.clone(),
                None,
            )?)),
        };
        Ok(Self {
            schema,
            out: Vec::new(),
            started: false,
            state,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), EncodeError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        match &mut self.state {
            State::Json(writer) => {
                writer.write(batch)?;
                self.out.append(writer.get_mut());
            }
            State::JsonLines => {
                let mut writer = LineDelimitedWriter::new(&mut self.out);
                writer.write(batch)?;
                writer.finish()?;
            }
            State::Csv => {
                // The header goes with the first batch.
                let mut writer = CsvWriterBuilder::new()
                    .with_header(!self.started)
                    .build(&mut self.out);
                writer.write(batch)?;
            }
            State::Pretty { batches, bytes } => {
                *bytes += batch.get_array_memory_size();
                if *bytes > PRETTY_MAX_BYTES {
                    return Err(EncodeError::PrettyTooLarge);
                }
                batches.push(batch.clone());
            }
            State::Parquet(writer) => {
                writer.write(batch)?;
                if writer.in_progress_size() > PARQUET_ROW_GROUP_BYTES {
                    writer.flush()?;
                }
                // The writer counts offsets itself and only appends, so what it wrote can be sent.
                self.out.append(writer.inner_mut());
            }
        }
        self.started = true;
        Ok(())
    }

    /// The bytes encoded so far and not yet taken.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// How many bytes [`Encoder::take`] would hand out.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// The rest of the answer: the closing bytes, or the whole table for `pretty`.
    pub fn finish(mut self) -> Result<Vec<u8>, EncodeError> {
        match self.state {
            State::Json(mut writer) => {
                writer.finish()?;
                self.out.append(writer.get_mut());
                if !self.started && self.out.is_empty() {
                    self.out.extend_from_slice(b"[]");
                }
            }
            State::JsonLines => {}
            State::Csv => {
                if !self.started {
                    // An empty result still has its header line.
                    CsvWriterBuilder::new()
                        .with_header(true)
                        .build(&mut self.out)
                        .write(&RecordBatch::new_empty(self.schema.clone()))?;
                }
            }
            State::Pretty { batches, .. } => {
                let table = pretty_format_batches_with_schema(self.schema.clone(), &batches)?;
                self.out = format!("{table}\n").into_bytes();
            }
            State::Parquet(mut writer) => {
                writer.finish()?;
                self.out.append(writer.inner_mut());
            }
        }
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, StringArray, TimestampNanosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::sync::Arc;

    fn sample() -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("room", DataType::Utf8, true),
            Field::new("temp", DataType::Float64, true),
            Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                false,
            ),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![
                    Some("Kitchen"),
                    Some("Living Room"),
                ])),
                Arc::new(Float64Array::from(vec![Some(21.0), None])),
                Arc::new(TimestampNanosecondArray::from(vec![
                    1641024000000000000,
                    1641027600000000000,
                ])),
            ],
        )
        .unwrap();
        (schema, batch)
    }

    fn text(format: QueryFormat, schema: &SchemaRef, batches: &[RecordBatch]) -> String {
        String::from_utf8(format.encode(schema, batches).unwrap()).unwrap()
    }

    #[test]
    fn names_and_accept_types_select_formats() {
        assert_eq!("jsonl".parse(), Ok(QueryFormat::JsonLines));
        assert_eq!("json_lines".parse(), Ok(QueryFormat::JsonLines));
        assert_eq!("CSV".parse(), Ok(QueryFormat::Csv));
        assert_eq!(
            "xml".parse::<QueryFormat>(),
            Err(FormatError::Param("xml".into()))
        );
        assert_eq!(QueryFormat::from_accept(None), Ok(QueryFormat::Json));
        assert_eq!(
            QueryFormat::from_accept(Some("text/html,*/*;q=0.8")),
            Ok(QueryFormat::Json)
        );
        assert_eq!(
            QueryFormat::from_accept(Some("text/csv")),
            Ok(QueryFormat::Csv)
        );
        assert_eq!(
            QueryFormat::from_accept(Some("text/plain")),
            Ok(QueryFormat::Pretty)
        );
        assert_eq!(
            QueryFormat::from_accept(Some("application/vnd.apache.parquet")),
            Ok(QueryFormat::Parquet)
        );
        assert_eq!(
            QueryFormat::from_accept(Some("image/png"))
                .unwrap_err()
                .to_string(),
            "invalid mime type (image/png)"
        );
    }

    #[test]
    fn json_is_an_array_of_row_objects_without_nulls() {
        let (schema, batch) = sample();
        assert_eq!(
            text(QueryFormat::Json, &schema, std::slice::from_ref(&batch)),
            r#"[{"room":"Kitchen","temp":21.0,"time":"2022-01-01T08:00:00"},{"room":"Living Room","time":"2022-01-01T09:00:00"}]"#
        );
        assert_eq!(
            text(QueryFormat::JsonLines, &schema, &[batch]),
            "{\"room\":\"Kitchen\",\"temp\":21.0,\"time\":\"2022-01-01T08:00:00\"}\n\
             {\"room\":\"Living Room\",\"time\":\"2022-01-01T09:00:00\"}\n"
        );
    }

    #[test]
    fn empty_results_keep_their_shape() {
        let (schema, _) = sample();
        assert_eq!(text(QueryFormat::Json, &schema, &[]), "[]");
        assert_eq!(text(QueryFormat::JsonLines, &schema, &[]), "");
        assert_eq!(text(QueryFormat::Csv, &schema, &[]), "room,temp,time\n");
        assert!(text(QueryFormat::Pretty, &schema, &[]).contains("| room | temp | time |"));
    }

    #[test]
    fn csv_and_parquet_carry_every_row() {
        let (schema, batch) = sample();
        assert_eq!(
            text(QueryFormat::Csv, &schema, std::slice::from_ref(&batch)),
            "room,temp,time\nKitchen,21.0,2022-01-01T08:00:00\nLiving Room,,2022-01-01T09:00:00\n"
        );
        let bytes = QueryFormat::Parquet
            .encode(&schema, std::slice::from_ref(&batch))
            .unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes))
            .unwrap()
            .build()
            .unwrap();
        let read: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
        assert_eq!(read, vec![batch]);
    }
}
