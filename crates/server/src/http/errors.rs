//! Error responses. Each write API has its own body shape (spec §1.2–1.4); the status codes follow
//! InfluxDB 3. A write that found the buffer full waited for room first (`--write-wait-timeout`);
//! its 503 then carries no `Retry-After`, as InfluxDB 3 sends none: `@influxdata/influxdb-client`
//! (npm) reads the header's seconds as milliseconds and spends its retries at once, while without it
//! every client the tests use backs off by itself (or hands the error to the caller). A 503 from a
//! failing WAL still suggests `Retry-After`.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::body::BodyError;
use crate::write::{LineError, WriteError};

/// Which API's error shape to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `/api/v3/*`: plain text for request problems, `{"error", "data"}` JSON for lines.
    V3,
    /// `/api/v2/write`: `{"code", "message"}` JSON for everything.
    V2,
    /// `/write`: `{"error"}` JSON for parameters, otherwise the v3 bodies.
    V1,
}

/// Seconds a client should wait before retrying a write refused for lack of room.
const RETRY_AFTER_SECS: &str = "1";

#[derive(Debug)]
pub enum ApiError {
    Param(super::params::ParamError),
    DbName(String),
    Body(BodyError),
    Write(WriteError),
    Partial(Vec<LineError>),
}

#[derive(Serialize)]
struct ErrorBody<'a, D: Serialize> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<D>,
}

#[derive(Serialize)]
struct V2Body<'a> {
    code: &'a str,
    message: &'a str,
}

pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// `{"error": msg}`.
pub fn error_json(status: StatusCode, msg: &str) -> Response {
    json(
        status,
        &ErrorBody::<()> {
            error: msg,
            data: None,
        },
    )
}

fn v2(status: StatusCode, code: &str, message: &str) -> Response {
    json(status, &V2Body { code, message })
}

fn retry_later(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECS),
    );
    r
}

/// Longest `X-Influxdb-Error` value sent; the body has the whole message.
const MAX_ERROR_HEADER: usize = 1024;

/// The error as one header line: control characters become spaces, cut at [`MAX_ERROR_HEADER`]
/// bytes on a character boundary.
fn header_line(message: &str) -> HeaderValue {
    let mut line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.len() > MAX_ERROR_HEADER {
        let mut end = MAX_ERROR_HEADER;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
    }
    HeaderValue::from_str(&line).unwrap_or_else(|_| HeaderValue::from_static("write failed"))
}

impl ApiError {
    /// Converts to the answer of `dialect`. v1 answers also carry the reason in `X-Influxdb-Error`,
    /// as InfluxDB 1.x sends it: v1 client libraries show that header, not the body.
    pub fn into_response(self, dialect: Dialect) -> Response {
        let reason = (dialect == Dialect::V1).then(|| self.reason());
        let mut response = self.answer(dialect);
        if let Some(reason) = reason {
            response
                .headers_mut()
                .insert("x-influxdb-error", header_line(&reason));
        }
        response
    }

    /// The reason in one sentence, for `X-Influxdb-Error`.
    fn reason(&self) -> String {
        match self {
            ApiError::Param(e) => e.to_string(),
            ApiError::DbName(m) => m.clone(),
            ApiError::Body(e) => e.to_string(),
            ApiError::Partial(errors) => match errors.first() {
                Some(first) => {
                    let more = match errors.len() {
                        1 => String::new(),
                        n => format!(" (and {} more lines)", n - 1),
                    };
                    format!(
                        "partial write of line protocol occurred: line {}: {}{more}",
                        first.line_number, first.error_message
                    )
                }
                None => "partial write of line protocol occurred".to_owned(),
            },
            ApiError::Write(WriteError::Rejected(line)) => format!(
                "parsing failed for write_lp endpoint: line {}: {}",
                line.line_number, line.error_message
            ),
            ApiError::Write(WriteError::Empty) => "incoming write was empty".to_owned(),
            ApiError::Write(e) => format!("write buffer error: {e}"),
        }
    }

    fn answer(self, dialect: Dialect) -> Response {
        use Dialect::*;
        match self {
            ApiError::Param(e) => {
                let msg = e.to_string();
                match dialect {
                    V3 => text(StatusCode::BAD_REQUEST, msg),
                    V2 => v2(StatusCode::BAD_REQUEST, "invalid", &msg),
                    V1 => error_json(StatusCode::BAD_REQUEST, &msg),
                }
            }
            ApiError::DbName(msg) => match dialect {
                V2 => v2(StatusCode::BAD_REQUEST, "invalid", &msg),
                V3 | V1 => error_json(StatusCode::BAD_REQUEST, &msg),
            },
            ApiError::Body(e) => {
                let status = match e {
                    BodyError::TooLarge(_) | BodyError::EndpointTooLarge(_) => {
                        StatusCode::PAYLOAD_TOO_LARGE
                    }
                    BodyError::Stalled(_) => StatusCode::REQUEST_TIMEOUT,
                    _ => StatusCode::BAD_REQUEST,
                };
                let msg = e.to_string();
                match dialect {
                    V2 if status == StatusCode::PAYLOAD_TOO_LARGE => {
                        v2(status, "request too large", &msg)
                    }
                    V2 if status == StatusCode::BAD_REQUEST => v2(status, "invalid", &msg),
                    V2 => v2(status, "unavailable", &msg),
                    V3 | V1 => text(status, msg),
                }
            }
            ApiError::Partial(errors) => {
                let status = if errors.iter().any(|e| e.limit) {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::BAD_REQUEST
                };
                json(
                    status,
                    &ErrorBody {
                        error: "partial write of line protocol occurred",
                        data: Some(errors),
                    },
                )
            }
            ApiError::Write(e) => write_error(e, dialect),
        }
    }
}

fn write_error(e: WriteError, dialect: Dialect) -> Response {
    use Dialect::*;
    let full = matches!(
        e,
        WriteError::Busy { .. }
            | WriteError::Buffer(crate::buffer::BufferError::Full { .. })
            | WriteError::Wal(crate::write::WalError::Full(_))
    );
    if full {
        let msg = format!("write buffer error: {e}");
        return match dialect {
            V2 => v2(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &msg),
            _ => text(StatusCode::SERVICE_UNAVAILABLE, msg),
        };
    }
    let unavailable = matches!(e, WriteError::Wal(_) | WriteError::Contention);
    if unavailable {
        let msg = format!("write buffer error: {e}");
        return retry_later(match dialect {
            V2 => v2(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &msg),
            _ => text(StatusCode::SERVICE_UNAVAILABLE, msg),
        });
    }
    match (e, dialect) {
        (WriteError::Empty, V2) => v2(
            StatusCode::BAD_REQUEST,
            "invalid",
            "write buffer error: incoming write was empty",
        ),
        (WriteError::Empty, _) => text(StatusCode::BAD_REQUEST, "incoming write was empty"),
        (e @ WriteError::TooManyDatabases(_), V2) => v2(
            StatusCode::BAD_REQUEST,
            "invalid",
            &format!("write buffer error: catalog update error: {e}"),
        ),
        (e @ WriteError::TooManyDatabases(_), _) => {
            error_json(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string())
        }
        (WriteError::Rejected(line), V2) => v2(
            StatusCode::BAD_REQUEST,
            "invalid",
            &format!(
                "write buffer error: line protocol parse failed: {} (line {}: {})",
                line.error_message, line.line_number, line.original_line
            ),
        ),
        (WriteError::Rejected(line), _) => json(
            StatusCode::BAD_REQUEST,
            &ErrorBody {
                error: "parsing failed for write_lp endpoint",
                data: Some(line),
            },
        ),
        (e, V2) => v2(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
            &e.to_string(),
        ),
        (e, _) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("write buffer error: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_are_one_line_and_bounded() {
        assert_eq!(header_line("a\nb\tc"), "a b c");
        let long = "é".repeat(MAX_ERROR_HEADER);
        let cut = header_line(&long);
        assert!(cut.len() <= MAX_ERROR_HEADER);
        assert_eq!(cut.len() % 2, 0, "cut on a character boundary");
    }
}
