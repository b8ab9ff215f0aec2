//! SQL over what was written: the in-memory buffer and the persisted Parquet files of a database, as one
//! set of tables, through DataFusion.
//!
//! Each query gets its own `SessionContext` (cheap; it shares one runtime with the object store
//! registered) whose default schema is the database. Tables are snapshotted from the [`QuerySource`]
//! only when the SQL names them, so a query sees each table at one instant.
mod error;
mod format;
pub mod http;
mod provider;
mod prune;
mod schema;
mod server_source;
mod source;

pub use error::QueryError;
pub use format::{FormatError, QueryFormat};
pub use prune::{time_range_from_metadata, TIME_COLUMN};
pub use server_source::{query_schema, ServerSource};
pub use source::{ParquetFile, QuerySource, TableSnapshot, TimeRange};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider};
use datafusion::common::ScalarValue;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use prune::FileRangeCache;
use schema::DatabaseSchema;
use std::collections::HashMap;
use std::sync::Arc;

/// Catalog and schema names InfluxDB 3 uses, so `public.iox.home` and `iox.home` work as they do there.
const CATALOG: &str = "public";
const SCHEMA: &str = "iox";
/// Under which URL the data's object store is registered with DataFusion.
const STORE_URL: &str = "linewise://store/";

/// Runs SQL against the databases of a [`QuerySource`].
#[derive(Debug)]
pub struct QueryEngine {
    source: Arc<dyn QuerySource>,
    runtime: Arc<RuntimeEnv>,
    store_url: ObjectStoreUrl,
    ranges: Arc<FileRangeCache>,
}

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
    pub fn new(source: Arc<dyn QuerySource>) -> Self {
        let store_url = ObjectStoreUrl::parse(STORE_URL).expect("constant URL parses");
        let runtime = Arc::new(RuntimeEnv::default());
        runtime.register_object_store(store_url.as_ref(), source.object_store());
        Self {
            source,
            runtime,
            store_url,
            ranges: Arc::default(),
        }
    }

    /// Runs one read-only SQL statement against `db`. `params` bind `$name` placeholders.
    pub async fn query(
        &self,
        db: &str,
        sql: &str,
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<QueryOutput, QueryError> {
        if !self.source.database_exists(db) {
            return Err(QueryError::DatabaseNotFound(db.to_owned()));
        }
        let ctx = self.session(db);
        // Only queries: no CREATE EXTERNAL TABLE or COPY, which would read or write the server's files.
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let mut frame = ctx
            .sql_with_options(sql, options)
            .await
            .map_err(QueryError::from_datafusion)?;
        if !params.is_empty() {
            frame = frame
                .with_param_values(param_values(params)?)
                .map_err(QueryError::from_datafusion)?;
        }
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(QueryError::from_datafusion)?;
        Ok(QueryOutput { schema, batches })
    }

    fn session(&self, db: &str) -> SessionContext {
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema(CATALOG, SCHEMA)
            .with_create_default_catalog_and_schema(false);
        let ctx = SessionContext::new_with_config_rt(config, Arc::clone(&self.runtime));
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
