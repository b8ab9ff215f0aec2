//! Result encodings of `query_sql`, as InfluxDB 3 names and serves them.
use arrow::csv::WriterBuilder as CsvWriterBuilder;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::json::{ArrayWriter, LineDelimitedWriter};
use arrow::record_batch::RecordBatch;
use arrow::util::pretty::pretty_format_batches_with_schema;
use parquet::arrow::ArrowWriter;
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
    pub fn encode(self, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        match self {
            Self::Json => {
                let mut writer = ArrayWriter::new(&mut out);
                write_all(batches, |b| writer.write(b)).map_err(|e| e.to_string())?;
                writer.finish().map_err(|e| e.to_string())?;
                drop(writer);
                if out.is_empty() {
                    out.extend_from_slice(b"[]");
                }
            }
            Self::JsonLines => {
                let mut writer = LineDelimitedWriter::new(&mut out);
                write_all(batches, |b| writer.write(b)).map_err(|e| e.to_string())?;
                writer.finish().map_err(|e| e.to_string())?;
            }
            Self::Csv => {
                let mut writer = CsvWriterBuilder::new().with_header(true).build(&mut out);
                if batches.iter().all(|b| b.num_rows() == 0) {
                    // The CSV writer writes the header with the first batch; an empty result still has one.
                    writer
                        .write(&RecordBatch::new_empty(schema.clone()))
                        .map_err(|e| e.to_string())?;
                }
                write_all(batches, |b| writer.write(b)).map_err(|e| e.to_string())?;
            }
            Self::Pretty => {
                let table = pretty_format_batches_with_schema(schema.clone(), batches)
                    .map_err(|e| e.to_string())?;
                out = format!("{table}\n").into_bytes();
            }
            Self::Parquet => {
                let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), None)
                    .map_err(|e| e.to_string())?;
                for batch in batches {
                    writer.write(batch).map_err(|e| e.to_string())?;
                }
                writer.close().map_err(|e| e.to_string())?;
            }
        }
        Ok(out)
    }
}

fn write_all(
    batches: &[RecordBatch],
    write: impl FnMut(&RecordBatch) -> Result<(), ArrowError>,
) -> Result<(), ArrowError> {
    batches
        .iter()
        .filter(|b| b.num_rows() > 0)
        .try_for_each(write)
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
