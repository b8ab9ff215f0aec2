//! Query errors as gRPC statuses, with the message the HTTP API gives for the same error.
use tonic::Status;

use crate::query::QueryError;

/// The code tells the client whose fault it is and whether to retry, as the HTTP statuses do:
/// unknown database 404 → `NotFound`, SQL errors 400 → `InvalidArgument`, 429 → `Unavailable`.
pub fn query_status(err: &QueryError) -> Status {
    let message = err.to_string();
    match err {
        QueryError::DatabaseNotFound(_) => Status::not_found(message),
        QueryError::InvalidParam { .. } | QueryError::Sql(_) | QueryError::TooComplex(_) => {
            Status::invalid_argument(message)
        }
        QueryError::MemoryLimit(_) | QueryError::ResponseTooLarge(_) => {
            Status::resource_exhausted(message)
        }
        QueryError::Timeout(_) => Status::deadline_exceeded(message),
        QueryError::Busy(_) | QueryError::Stopped => Status::unavailable(message),
        QueryError::Cancelled => Status::cancelled(message),
        QueryError::Storage(_) | QueryError::Encode { .. } => Status::internal(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::error::DataFusionError;
    use std::time::Duration;
    use tonic::Code;

    #[test]
    fn codes_follow_whose_fault_it_is() {
        let cases = [
            (QueryError::DatabaseNotFound("nope".into()), Code::NotFound),
            (
                QueryError::Sql(DataFusionError::Plan("no table".into())),
                Code::InvalidArgument,
            ),
            (
                QueryError::Timeout(Duration::from_secs(1)),
                Code::DeadlineExceeded,
            ),
            (QueryError::Busy(4), Code::Unavailable),
            (QueryError::ResponseTooLarge(10), Code::ResourceExhausted),
            (
                QueryError::Storage(DataFusionError::Internal("disk".into())),
                Code::Internal,
            ),
        ];
        for (err, code) in cases {
            let status = query_status(&err);
            assert_eq!(status.code(), code, "{err}");
            assert_eq!(status.message(), err.to_string());
        }
    }
}
