//! Why a query failed, and whose fault it is (the HTTP status follows from that).
use datafusion::error::DataFusionError;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("database not found: {0}")]
    DatabaseNotFound(String),
    #[error("invalid query parameter '{name}': {reason}")]
    InvalidParam { name: String, reason: String },
    /// The SQL is wrong: syntax, unknown table or column, type mismatch, a statement that is not a query.
    #[error("{0}")]
    Sql(DataFusionError),
    /// Reading the stored data failed.
    #[error("{0}")]
    Storage(DataFusionError),
    #[error("encoding the result as {format}: {message}")]
    Encode {
        format: &'static str,
        message: String,
    },
}

impl QueryError {
    /// Sorts a DataFusion error into the caller's mistakes (400) and the server's (500).
    pub fn from_datafusion(err: DataFusionError) -> Self {
        match err.find_root() {
            DataFusionError::ObjectStore(_)
            | DataFusionError::IoError(_)
            | DataFusionError::ParquetError(_)
            | DataFusionError::ResourcesExhausted(_)
            | DataFusionError::Internal(_) => Self::Storage(err),
            _ => Self::Sql(err),
        }
    }

    /// Whether the request, not the server, is at fault.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Storage(_) | Self::Encode { .. })
    }
}
