//! The three write endpoints: parameters → auth already checked → body → `Writer`.
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use linewise_core::Precision;

use super::errors::{ApiError, Dialect};
use super::{body, params, AppState};
use crate::catalog::names::{validate_db_name, validate_namespace};
use crate::write::WriteRequest;

struct Target {
    db: String,
    precision: Precision,
    accept_partial: bool,
    no_sync: bool,
}

async fn write(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    target: Target,
) -> Result<Response, ApiError> {
    // Before the body is read: a write waiting for room holds no more than its connection, and
    // the client is held back by TCP until persistence catches up.
    let waited = state
        .writer
        .wait_for_room()
        .await
        .map_err(ApiError::Write)?;
    let encoding = headers.get(header::CONTENT_ENCODING).map(|v| v.as_bytes());
    let decoded = body::read(body, encoding, state.max_request_size, state.body_stall)
        .await
        .map_err(ApiError::Body)?;
    state.metrics.body(decoded.raw_len, decoded.bytes.len());
    let text = body::utf8(&decoded.bytes).map_err(ApiError::Body)?;
    // Editors on some systems start files with a UTF-8 byte-order mark; it is not part of a name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let req = WriteRequest {
        db: &target.db,
        body: text,
        precision: target.precision,
        accept_partial: target.accept_partial,
        no_sync: target.no_sync,
    };
    match state.writer.write(&req).await {
        Ok(outcome) => {
            state.metrics.lines(outcome.accepted, outcome.errors.len());
            if waited || outcome.waited {
                state.metrics.write_waited();
            }
            if outcome.errors.is_empty() {
                Ok(StatusCode::NO_CONTENT.into_response())
            } else {
                Err(ApiError::Partial(outcome.errors))
            }
        }
        Err(e) => {
            if let crate::write::WriteError::Rejected(_) = e {
                state.metrics.lines(0, 1);
            }
            Err(ApiError::Write(e))
        }
    }
}

pub async fn v3(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let run = async {
        let p = params::v3(query.as_deref()).map_err(ApiError::Param)?;
        validate_db_name(&p.db).map_err(|e| ApiError::DbName(e.to_string()))?;
        let target = Target {
            db: p.db,
            precision: p.precision,
            accept_partial: p.accept_partial,
            no_sync: p.no_sync,
        };
        write(&state, &headers, body, target).await
    };
    run.await.unwrap_or_else(|e| e.into_response(Dialect::V3))
}

fn compat_target(p: params::CompatParams) -> Result<Target, ApiError> {
    validate_namespace(&p.db).map_err(|e| ApiError::DbName(e.to_string()))?;
    validate_db_name(&p.db).map_err(|e| ApiError::DbName(e.to_string()))?;
    Ok(Target {
        db: p.db,
        precision: p.precision,
        accept_partial: false,
        no_sync: false,
    })
}

pub async fn v2(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let run = async {
        let p = params::v2(query.as_deref()).map_err(ApiError::Param)?;
        write(&state, &headers, body, compat_target(p)?).await
    };
    run.await.unwrap_or_else(|e| e.into_response(Dialect::V2))
}

pub async fn v1(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let run = async {
        let p = params::v1(query.as_deref()).map_err(ApiError::Param)?;
        write(&state, &headers, body, compat_target(p)?).await
    };
    run.await.unwrap_or_else(|e| e.into_response(Dialect::V1))
}
