//! SQL over what was written: the in-memory buffer and the persisted Parquet files of a database, as one
//! set of tables, through DataFusion.
//!
//! Each query gets its own `SessionContext` (cheap; it shares one runtime with the object store
//! registered) whose default schema is the database. Tables are snapshotted from the [`QuerySource`]
//! only when the SQL names them, so a query sees each table at one instant.
//!
//! Queries run on threads of their own ([`runtime`]), within the limits of [`QueryArgs`]: memory
//! (DataFusion's pool), time, concurrency, answer size, and the size and nesting of the SQL
//! ([`limits`]). The answer is encoded batch by batch and handed out in chunks, so it is never whole
//! in memory, and a query whose reader goes away stops.
mod bounded;
mod coop;
mod error;
mod format;
pub mod http;
mod limits;
mod provider;
mod prune;
mod runtime;
mod schema;
mod server_source;
mod source;
mod stream;
mod tables;

pub use error::{QueryError, StartError};
pub use format::{FormatError, QueryFormat};
pub use limits::{QueryArgs, MAX_EXPR_DEPTH, MAX_SELECTS, MAX_SQL_TOKENS};
pub use prune::time_range_from_metadata;
pub use server_source::{query_schema, ServerSource};
pub use source::{ParquetFile, QuerySource, TableSnapshot, TimeRange};
pub use stream::BatchStream;
pub use tables::TableInfo;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{GreedyMemoryPool, TrackConsumersPool};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::ScalarUDF;
use format::Encoder;
use futures::StreamExt;
use prune::FileRangeCache;
use runtime::QueryRuntime;
use schema::DatabaseSchema;
use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Catalog and schema names InfluxDB 3 uses, so `public.iox.home` and `iox.home` work as they do there.
const CATALOG: &str = "public";
const SCHEMA: &str = "iox";
/// Under which URL the data's object store is registered with DataFusion.
const STORE_URL: &str = "linewise://store/";
/// How long a query over `--max-concurrent-queries` waits for a slot before it gets 429.
pub const QUEUE_WAIT: Duration = Duration::from_secs(1);
/// An answer is handed out in chunks of about this size.
const CHUNK_BYTES: usize = 256 * 1024;

/// Runs SQL against the databases of a [`QuerySource`].
#[derive(Debug)]
pub struct QueryEngine {
    source: Arc<dyn QuerySource>,
    env: Arc<RuntimeEnv>,
    store_url: ObjectStoreUrl,
    ranges: Arc<FileRangeCache>,
    runtime: QueryRuntime,
    slots: Arc<Semaphore>,
    limits: QueryArgs,
    /// Built-ins replaced by bounded versions in every session.
    functions: Vec<ScalarUDF>,
}

/// The encoded answer of a running query, chunk by chunk; an error ends it.
pub type AnswerChunks = mpsc::Receiver<Result<Bytes, QueryError>>;

/// The rows a query produced, with their schema (kept even when there are no rows).
#[derive(Debug)]
pub struct QueryOutput {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl QueryOutput {
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

impl QueryEngine {
    pub fn new(source: Arc<dyn QuerySource>, limits: &QueryArgs) -> Result<Self, StartError> {
        let store_url = ObjectStoreUrl::parse(STORE_URL).expect("constant URL parses");
        let pool = TrackConsumersPool::new(
            GreedyMemoryPool::new(limits.query_memory_limit),
            NonZeroUsize::new(3).expect("3 is not zero"),
        );
        // No spilling: temporary files would be an unbounded use of the disk the WAL needs.
        let env = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(pool))
            .with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
            )
            .build_arc()
            .map_err(StartError::Engine)?;
        env.register_object_store(store_url.as_ref(), source.object_store());
        let builtins = SessionContext::new();
        let functions = bounded::bounded_functions(|name| builtins.udf(name).ok());
        Ok(Self {
            source,
            env,
            store_url,
            ranges: Arc::default(),
            runtime: QueryRuntime::new(usize::from(limits.query_threads))
                .map_err(StartError::Runtime)?,
            slots: Arc::new(Semaphore::new(limits.max_concurrent_queries as usize)),
            limits: limits.clone(),
            functions,
        })
    }

    /// Starts one read-only SQL statement against `db` on the query threads and hands out its answer
    /// encoded as `format`. Dropping the receiver stops the query.
    pub async fn execute(
        &self,
        db: &str,
        sql: &str,
        params: &serde_json::Map<String, serde_json::Value>,
        format: QueryFormat,
    ) -> Result<AnswerChunks, QueryError> {
        if !self.source.database_exists(db) {
            return Err(QueryError::DatabaseNotFound(db.to_owned()));
        }
        let permit = self.slot().await?;
        let ctx = self.session(db);
        let (sql, params) = (sql.to_owned(), params.clone());
        let (tx, rx) = mpsc::channel(2);
        let max_size = self.limits.query_max_response_size;
        let work_tx = tx.clone();
        self.spawn_watched(permit, tx, async move {
            answer(&ctx, &sql, &params, format, &work_tx, max_size).await
        });
        Ok(rx)
    }

    /// Runs `work` on the query threads, holding `permit` until it ends, and stops it at the query
    /// timeout or when the receiver of `tx` goes away; the error that ended it, if any, is sent to `tx`.
    fn spawn_watched<T: Send + 'static>(
        &self,
        permit: OwnedSemaphorePermit,
        tx: mpsc::Sender<Result<T, QueryError>>,
        work: impl Future<Output = Result<(), QueryError>> + Send + 'static,
    ) {
        let timeout = self.limits.query_timeout;
        let deadline = Instant::now() + timeout;
        let handle = self.runtime.handle().clone();
        // The watch runs on the caller's threads, so it answers a timeout even while the query's
        // operators hold every query thread.
        tokio::spawn(async move {
            let work = handle.spawn(work);
            let stop = work.abort_handle();
            let result = tokio::select! {
                result = work => result.unwrap_or(Err(QueryError::Stopped)),
                () = tokio::time::sleep_until(deadline) => Err(QueryError::Timeout(timeout)),
                () = tx.closed() => Err(QueryError::Cancelled),
            };
            // Dropping the query's stream at its next yield stops its operators and their tasks.
            stop.abort();
            if let Err(e) = result {
                // Fails only when the reader is gone, and then nobody needs the error.
                let _ = tx.send(Err(e)).await;
            }
            drop(permit);
        });
    }

    /// Runs one read-only SQL statement against `db` and returns its rows in memory, within the same
    /// limits as [`QueryEngine::execute`] (for callers that want Arrow batches rather than an encoding).
    pub async fn query(
        &self,
        db: &str,
        sql: &str,
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<QueryOutput, QueryError> {
        self.run_planned(db, sql, params, |frame| async move {
            let schema = Arc::new(frame.schema().as_arrow().clone());
            let batches = frame.collect().await.map_err(QueryError::from_datafusion)?;
            Ok(QueryOutput { schema, batches })
        })
        .await
    }

    /// Plans `sql` against `db` and hands the plan to `then`, all on the query threads, holding a
    /// query slot and within the query timeout.
    async fn run_planned<T, F, Fut>(
        &self,
        db: &str,
        sql: &str,
        params: &serde_json::Map<String, serde_json::Value>,
        then: F,
    ) -> Result<T, QueryError>
    where
        T: Send + 'static,
        F: FnOnce(DataFrame) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, QueryError>> + Send,
    {
        if !self.source.database_exists(db) {
            return Err(QueryError::DatabaseNotFound(db.to_owned()));
        }
        let permit = self.slot().await?;
        let ctx = self.session(db);
        let (sql, params) = (sql.to_owned(), params.clone());
        let timeout = self.limits.query_timeout;
        let task = self.runtime.handle().spawn(async move {
            let work = async { then(plan(&ctx, &sql, &params).await?).await };
            let result = tokio::time::timeout(timeout, work)
                .await
                .unwrap_or(Err(QueryError::Timeout(timeout)));
            drop(permit);
            result
        });
        task.await.map_err(|_| QueryError::Stopped)?
    }

    /// A slot among `--max-concurrent-queries`, waiting up to [`QUEUE_WAIT`] for one.
    async fn slot(&self) -> Result<OwnedSemaphorePermit, QueryError> {
        let busy = QueryError::Busy(self.limits.max_concurrent_queries);
        match tokio::time::timeout(QUEUE_WAIT, Arc::clone(&self.slots).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(QueryError::Stopped),
            Err(_) => Err(busy),
        }
    }

    fn session(&self, db: &str) -> SessionContext {
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema(CATALOG, SCHEMA)
            .with_create_default_catalog_and_schema(false)
            .with_target_partitions(usize::from(self.limits.query_threads));
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(Arc::clone(&self.env))
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(coop::YieldEverywhere))
            .build();
        let ctx = SessionContext::new_with_state(state);
        for function in &self.functions {
            ctx.register_udf(function.clone());
        }
        let catalog = MemoryCatalogProvider::new();
        let database = DatabaseSchema::new(
            db.to_owned(),
            Arc::clone(&self.source),
            self.store_url.clone(),
            Arc::clone(&self.ranges),
        );
        catalog
            .register_schema(SCHEMA, Arc::new(database))
            .expect("a memory catalog accepts schemas");
        ctx.register_catalog(CATALOG, Arc::new(catalog));
        ctx
    }
}

/// Plans `sql` as a query after checking its size and nesting ([`limits`]), which must come first:
/// planning a statement nested too deep is what would overflow the stack.
async fn plan(
    ctx: &SessionContext,
    sql: &str,
    params: &serde_json::Map<String, serde_json::Value>,
) -> Result<DataFrame, QueryError> {
    limits::check_sql_size(sql)?;
    let state = ctx.state();
    let dialect = state.config().options().sql_parser.dialect;
    let statement = state
        .sql_to_statement(sql, &dialect)
        .map_err(QueryError::from_datafusion)?;
    limits::check_statement(&statement)?;
    let plan = state
        .statement_to_plan(statement)
        .await
        .map_err(QueryError::from_datafusion)?;
    // Only queries: no CREATE EXTERNAL TABLE or COPY, which would read or write the server's files.
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(&plan)
        .map_err(QueryError::from_datafusion)?;
    let mut frame = ctx
        .execute_logical_plan(plan)
        .await
        .map_err(QueryError::from_datafusion)?;
    if !params.is_empty() {
        frame = frame
            .with_param_values(param_values(params)?)
            .map_err(QueryError::from_datafusion)?;
    }
    Ok(frame)
}

/// Plans and runs the query, encoding batch by batch into chunks sent to `tx`; stops at the first error,
/// when the answer passes `max_size` bytes, or when the receiver is gone.
async fn answer(
    ctx: &SessionContext,
    sql: &str,
    params: &serde_json::Map<String, serde_json::Value>,
    format: QueryFormat,
    tx: &mpsc::Sender<Result<Bytes, QueryError>>,
    max_size: u64,
) -> Result<(), QueryError> {
    let encode_error = |message| QueryError::Encode {
        format: format.name(),
        message,
    };
    let frame = plan(ctx, sql, params).await?;
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let mut stream = frame
        .execute_stream()
        .await
        .map_err(QueryError::from_datafusion)?;
    let mut encoder = Encoder::new(format, schema).map_err(encode_error)?;
    let mut sent = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(QueryError::from_datafusion)?;
        encoder.write(&batch).map_err(encode_error)?;
        if encoder.pending() >= CHUNK_BYTES {
            send(tx, encoder.take(), &mut sent, max_size).await?;
        }
    }
    drop(stream);
    let rest = encoder.finish().map_err(encode_error)?;
    send(tx, rest, &mut sent, max_size).await
}

async fn send(
    tx: &mpsc::Sender<Result<Bytes, QueryError>>,
    chunk: Vec<u8>,
    sent: &mut u64,
    max_size: u64,
) -> Result<(), QueryError> {
    *sent += chunk.len() as u64;
    if *sent > max_size {
        return Err(QueryError::ResponseTooLarge(max_size));
    }
    if chunk.is_empty() {
        return Ok(());
    }
    tx.send(Ok(Bytes::from(chunk)))
        .await
        .map_err(|_| QueryError::Cancelled)
}

/// JSON parameter values as SQL literals: strings, integers, floats, booleans and null.
fn param_values(
    params: &serde_json::Map<String, serde_json::Value>,
) -> Result<HashMap<String, ScalarValue>, QueryError> {
    params
        .iter()
        .map(|(name, value)| {
            let scalar = match value {
                serde_json::Value::Null => ScalarValue::Null,
                serde_json::Value::Bool(b) => ScalarValue::Boolean(Some(*b)),
                serde_json::Value::String(s) => ScalarValue::Utf8(Some(s.clone())),
                serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => ScalarValue::Int64(Some(i)),
                    (None, Some(u)) => ScalarValue::UInt64(Some(u)),
                    (None, None) => ScalarValue::Float64(n.as_f64()),
                },
                serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                    return Err(QueryError::InvalidParam {
                        name: name.clone(),
                        reason: "expected a string, number, boolean or null".to_owned(),
                    })
                }
            };
            Ok((name.clone(), scalar))
        })
        .collect()
}

#[cfg(test)]
mod tests;
