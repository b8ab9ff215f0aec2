//! Why a query failed, and whose fault it is (the HTTP status follows from that).
use datafusion::error::DataFusionError;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("database not found: {0}")]
    DatabaseNotFound(String),
    #[error("invalid query parameter '{name}': {reason}")]
    InvalidParam { name: String, reason: String },
    /// The SQL is wrong: syntax, unknown table or column, type mismatch, a statement that is not a query.
    #[error("{0}")]
    Sql(DataFusionError),
    /// The SQL is larger or nested deeper than the engine plans (see `limits`).
    #[error("query too complex: {0}")]
    TooComplex(String),
    /// The query needed more memory than `--query-memory-limit` leaves it.
    #[error("query exceeded the memory limit (--query-memory-limit): {0}")]
    MemoryLimit(DataFusionError),
    #[error("query timed out after {0:?} (--query-timeout)")]
    Timeout(Duration),
    #[error("too many queries: {0} are running (--max-concurrent-queries); retry later")]
    Busy(u32),
    #[error("the answer is larger than {0} bytes (--query-max-response-size); select fewer rows or columns")]
    ResponseTooLarge(u64),
    /// The client went away; nobody sees this one.
    #[error("the client closed the connection")]
    Cancelled,
    /// The server is shutting down its query threads.
    #[error("the query was stopped: the server is shutting down")]
    Stopped,
    /// Reading the stored data failed.
    #[error("{0}")]
    Storage(DataFusionError),
    #[error("encoding the result as {format}: {source}")]
    Encode {
        format: &'static str,
        source: super::format::EncodeError,
    },
}

impl QueryError {
    /// Sorts a DataFusion error into the caller's mistakes (400) and the server's (500).
    pub fn from_datafusion(err: DataFusionError) -> Self {
        match err.find_root() {
            DataFusionError::ResourcesExhausted(_) => Self::MemoryLimit(err),
            DataFusionError::ObjectStore(_)
            | DataFusionError::IoError(_)
            | DataFusionError::ParquetError(_)
            | DataFusionError::Internal(_) => Self::Storage(err),
            _ => Self::Sql(err),
        }
    }

    /// Whether the request, not the server, is at fault.
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            Self::Storage(_) | Self::Encode { .. } | Self::Stopped | Self::Busy(_)
        )
    }
}

/// Why the query engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot start the query threads: {0}")]
    Runtime(std::io::Error),
    #[error("cannot set up the query engine: {0}")]
    Engine(DataFusionError),
}
