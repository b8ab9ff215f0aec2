//! Answers as Arrow record batches rather than an encoding, for Arrow Flight: the same slot, threads,
//! memory pool and timeout as [`QueryEngine::execute`], and the batches handed out one at a time as
//! DataFusion produces them, so an answer is never whole in memory.
use super::{plan, QueryEngine, QueryError};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// A running query: its schema (known once it is planned), then its batches; an error ends them.
/// Dropping `batches` stops the query.
#[derive(Debug)]
pub struct BatchStream {
    pub schema: SchemaRef,
    pub batches: mpsc::Receiver<Result<RecordBatch, QueryError>>,
}

impl QueryEngine {
    /// Starts one read-only SQL statement against `db` and answers once it is planned, so a mistake
    /// in the SQL is an error here rather than in the middle of the stream.
    pub async fn execute_batches(
        &self,
        db: &str,
        sql: &str,
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<BatchStream, QueryError> {
        if !self.source.database_exists(db) {
            return Err(QueryError::DatabaseNotFound(db.to_owned()));
        }
        let permit = self.slot().await?;
        let ctx = self.session(db);
        let (sql, params) = (sql.to_owned(), params.clone());
        let (tx, mut batches) = mpsc::channel(2);
        let (schema_tx, schema_rx) = oneshot::channel();
        let work_tx = tx.clone();
        self.spawn_watched(permit, tx, async move {
            let frame = plan(&ctx, &sql, &params).await?;
            // Fails only when the caller is gone; the closed channel then stops the query.
            let _ = schema_tx.send(Arc::new(frame.schema().as_arrow().clone()));
            let mut stream = frame
                .execute_stream()
                .await
                .map_err(QueryError::from_datafusion)?;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(QueryError::from_datafusion)?;
                work_tx
                    .send(Ok(batch))
                    .await
                    .map_err(|_| QueryError::Cancelled)?;
            }
            Ok(())
        });
        match schema_rx.await {
            Ok(schema) => Ok(BatchStream { schema, batches }),
            // Planning failed or timed out: the watch sends why.
            Err(_) => Err(batches
                .recv()
                .await
                .and_then(Result::err)
                .unwrap_or(QueryError::Stopped)),
        }
    }

    /// Largest answer of one query in bytes (`--query-max-response-size`), for callers that encode
    /// the batches themselves.
    pub fn max_response_size(&self) -> u64 {
        self.limits.query_max_response_size
    }

    /// The schema `sql` answers with against `db`, from planning it (nothing is read).
    pub async fn plan_schema(
        &self,
        db: &str,
        sql: &str,
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<SchemaRef, QueryError> {
        self.run_planned(db, sql, params, |frame| async move {
            Ok(Arc::new(frame.schema().as_arrow().clone()))
        })
        .await
    }
}
