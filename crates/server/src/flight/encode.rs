//! Record batches as a `DoGet` answer: Arrow IPC in `FlightData` messages, the schema first (also
//! when there are no rows), batch by batch as the query produces them, within the answer size limit.
//!
//! Dictionary columns (tags) are sent as their values, as InfluxDB 3 sends them: Flight clients
//! differ in how they track dictionaries, and every one reads plain strings.
use std::pin::Pin;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::FlightData;
use futures::{Stream, StreamExt};
use tonic::Status;

use super::status::query_status;
use crate::query::{BatchStream, QueryError};

pub type FlightDataStream = Pin<Box<dyn Stream<Item = Result<FlightData, Status>> + Send>>;

/// A running query's answer; it ends with an error status past `max_size` bytes of IPC data, and
/// dropping it (the client went away) stops the query.
pub fn answer(answer: BatchStream, max_size: u64) -> FlightDataStream {
    let batches = futures::stream::unfold(answer.batches, |mut batches| async move {
        let item = batches.recv().await?;
        let item = item.map_err(|e| FlightError::Tonic(Box::new(query_status(&e))));
        Some((item, batches))
    });
    let mut sent = 0u64;
    let data = FlightDataEncoderBuilder::new()
        .with_schema(answer.schema)
        .build(batches)
        .map(move |item| {
            let data = item.map_err(Status::from)?;
            sent += (data.data_header.len() + data.data_body.len()) as u64;
            if sent > max_size {
                return Err(query_status(&QueryError::ResponseTooLarge(max_size)));
            }
            Ok(data)
        });
    // tonic ends the call at the first error; ending the stream there also drops the query.
    let mut ended = false;
    Box::pin(data.take_while(move |item| {
        let go = !ended;
        ended |= item.is_err();
        std::future::ready(go)
    }))
}

/// One batch of metadata (catalogs, tables, …) as a `DoGet` answer.
pub fn batch(batch: RecordBatch) -> FlightDataStream {
    let data = FlightDataEncoderBuilder::new()
        .with_schema(batch.schema())
        .build(futures::stream::once(async { Ok(batch) }))
        .map(|item| item.map_err(Status::from));
    Box::pin(data)
}

/// The schema an answer is sent with: dictionary columns as their value type (see the module doc).
pub fn flight_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|field| match field.data_type() {
            DataType::Dictionary(_, values) => field
                .as_ref()
                .clone()
                .with_data_type(values.as_ref().clone()),
            _ => field.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields).with_metadata(schema.metadata().clone()))
}
