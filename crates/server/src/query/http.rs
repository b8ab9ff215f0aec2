//! `GET|POST /api/v3/query_sql`: parameters, format negotiation and error statuses as InfluxDB 3 has them.
use super::{QueryEngine, QueryError, QueryFormat};
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::StreamExt;
use serde::Deserialize;
use std::sync::Arc;

/// The route, ready to merge into the server's router (its auth layer then covers it too).
pub fn routes<S: Clone + Send + Sync + 'static>(engine: Arc<QueryEngine>) -> Router<S> {
    Router::new()
        .route("/api/v3/query_sql", get(query_get).post(query_post))
        .with_state(engine)
}

/// The POST body; `params` binds `$name` placeholders.
#[derive(Debug, Deserialize)]
struct QueryBody {
    db: String,
    q: String,
    format: Option<String>,
    #[serde(default)]
    params: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The GET query string; `params` is a JSON object encoded as a string.
#[derive(Debug, Deserialize)]
struct QueryParams {
    db: String,
    q: String,
    format: Option<String>,
    params: Option<String>,
}

async fn query_get(
    State(engine): State<Arc<QueryEngine>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(raw) = raw.filter(|raw| !raw.is_empty()) else {
        return bad_request("missing query parameters 'db' and 'q'".to_owned());
    };
    let request: QueryParams = match serde_urlencoded::from_str(&raw) {
        Ok(request) => request,
        Err(e) => return bad_request(format!("serde error: {e}")),
    };
    let params = match request
        .params
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
    {
        Ok(params) => params,
        Err(e) => return bad_request(format!("invalid 'params': expected a JSON object: {e}")),
    };
    let body = QueryBody {
        db: request.db,
        q: request.q,
        format: request.format,
        params,
    };
    run(&engine, &headers, body).await
}

async fn query_post(
    State(engine): State<Arc<QueryEngine>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match serde_json::from_slice::<QueryBody>(&body) {
        Ok(body) => run(&engine, &headers, body).await,
        Err(e) => bad_request(format!("serde error: {e}")),
    }
}

/// An answer up to this size is sent whole, with its real status should the query fail; a larger one
/// is streamed, and an error after its first bytes can only cut the connection.
const STREAM_AFTER: usize = 1024 * 1024;

async fn run(engine: &QueryEngine, headers: &HeaderMap, body: QueryBody) -> Response {
    let format = match body.format.as_deref() {
        Some(name) => name.parse(),
        None => QueryFormat::from_accept(headers.get(ACCEPT).and_then(|v| v.to_str().ok())),
    };
    let format = match format {
        Ok(format) => format,
        Err(e) => return bad_request(e.to_string()),
    };
    let params = body.params.unwrap_or_default();
    let mut chunks = match engine.execute(&body.db, &body.q, &params, format).await {
        Ok(chunks) => chunks,
        Err(e) => return error_response(&e),
    };
    // If the client goes away while this waits, the handler is dropped with `chunks`: the query stops.
    let mut head = Vec::new();
    while head.len() < STREAM_AFTER {
        match chunks.recv().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => return error_response(&e),
            None => return ([(CONTENT_TYPE, format.content_type())], head).into_response(),
        }
    }
    let rest = futures::stream::unfold(chunks, |mut chunks| async move {
        let item = chunks.recv().await?;
        if let Err(e) = &item {
            tracing::warn!(error = %e, "query failed after its answer started; cutting the connection");
        }
        Some((item, chunks))
    });
    let stream = futures::stream::once(async { Ok(Bytes::from(head)) }).chain(rest);
    (
        [(CONTENT_TYPE, format.content_type())],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Unknown databases are 404 with a JSON body, as in InfluxDB 3; SQL errors and query limits are 4xx
/// and storage failures 500, with the message as plain text.
fn error_response(err: &QueryError) -> Response {
    match err {
        QueryError::DatabaseNotFound(_) => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": format!("query error: {err}") })),
        )
            .into_response(),
        QueryError::Busy(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, "1")],
            err.to_string(),
        )
            .into_response(),
        QueryError::Timeout(_) => (StatusCode::REQUEST_TIMEOUT, err.to_string()).into_response(),
        QueryError::Stopped => (StatusCode::SERVICE_UNAVAILABLE, err.to_string()).into_response(),
        _ if err.is_client_error() => bad_request(err.to_string()),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    }
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}
