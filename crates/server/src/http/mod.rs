//! The HTTP face: routes, parameters, auth, bodies and error shapes of InfluxDB 3's API.
pub mod auth;
pub mod body;
pub mod cors;
pub mod database;
pub mod errors;
pub mod host;
pub mod misc;
pub mod params;
pub mod serve;
pub mod write;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::cors::CorsLayer;

use crate::metrics::Metrics;
use crate::write::Writer;
use auth::Token;
use errors::{ApiError, Dialect};
use host::LoopbackHosts;

pub struct AppState {
    pub writer: Writer,
    pub metrics: Metrics,
    /// `None`: no authentication.
    pub token: Option<Token>,
    /// Body limit of the three write endpoints (before and after gzip).
    pub max_request_size: usize,
    /// Body limit of every other endpoint.
    pub max_other_request_size: usize,
    /// Longest wait for the next chunk of a request body.
    pub body_stall: Duration,
    /// `Some`: only these `Host` values are served (loopback bind without a token).
    pub hosts: Option<LoopbackHosts>,
    /// `Some`: CORS for the origins of `--cors-allow-origin`.
    pub cors: Option<CorsLayer>,
    pub ui_dir: PathBuf,
    /// Runs `/api/v3/query_sql`.
    pub query: Arc<crate::query::QueryEngine>,
}

/// The API routes that need a token when one is configured.
fn api_routes(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v3/write_lp", post(write::v3))
        .route("/api/v2/write", post(write::v2))
        .route("/write", post(write::v1))
        .route(
            "/api/v3/configure/database",
            get(database::list)
                .post(database::create)
                .delete(database::delete),
        )
        .route("/metrics", get(misc::metrics))
        .merge(crate::query::http::routes(state.query.clone()))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_auth))
}

pub fn router(state: Arc<AppState>) -> Router {
    let cors = state.cors.clone();
    let app = Router::new()
        .merge(api_routes(&state))
        .route("/ping", get(misc::ping).post(misc::ping))
        .route("/health", get(misc::health))
        .route("/api/v1/health", get(misc::health))
        .method_not_allowed_fallback(misc::not_found)
        .fallback(misc::ui)
        // `limit_body` bounds every body; the write handlers stream theirs under their own limit.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(state.clone(), limit_body))
        .layer(middleware::from_fn_with_state(state.clone(), common));
    let app = match cors {
        Some(cors) => app.layer(cors),
        None => app,
    };
    app.layer(middleware::from_fn_with_state(state.clone(), check_host))
        .with_state(state)
}

/// The endpoints whose handlers read their body themselves, under `--max-request-size`.
fn is_write(path: &str) -> bool {
    matches!(path, "/api/v3/write_lp" | "/api/v2/write" | "/write")
}

/// Every other endpoint gets its body read here, at most `max_other_request_size` of it, while
/// it streams in: a 1 GiB POST to `/api/v3/query_sql` costs at most that limit, never 1 GiB.
async fn limit_body(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if is_write(req.uri().path()) {
        return next.run(req).await;
    }
    let max = state.max_other_request_size;
    let too_large =
        || ApiError::Body(body::BodyError::EndpointTooLarge(max)).into_response(Dialect::V3);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    match body::collect(body, max, state.body_stall).await {
        Ok(Some(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(None) => too_large(),
        Err(e) => ApiError::Body(e).into_response(Dialect::V3),
    }
}

/// Without a token, only the loopback names of the bind are served (see [`host`]). A request
/// without any host (HTTP/1.0) is served: browsers always send one.
async fn check_host(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(hosts) = &state.hosts else {
        return next.run(req).await;
    };
    let host = match req.uri().authority() {
        Some(a) => Some(a.as_str().to_owned()),
        None => req
            .headers()
            .get(header::HOST)
            .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned()),
    };
    match host {
        Some(h) if !hosts.allows(&h) => {
            errors::text(StatusCode::MISDIRECTED_REQUEST, hosts.refusal(&h))
        }
        _ => next.run(req).await,
    }
}

/// Metric label for a path: the route, or `other`.
fn endpoint(path: &str) -> &'static str {
    match path {
        "/api/v3/write_lp" => "write_lp",
        "/api/v2/write" => "v2_write",
        "/write" => "v1_write",
        "/api/v3/configure/database" => "configure_database",
        "/api/v3/query_sql" => "query_sql",
        "/ping" => "ping",
        "/health" | "/api/v1/health" => "health",
        "/metrics" => "metrics",
        _ => "other",
    }
}

/// The headers every response carries, and request metrics.
async fn common(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let label = endpoint(req.uri().path());
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&state.writer.catalog.snapshot().uuid) {
        h.insert("cluster-uuid", v);
    }
    state
        .metrics
        .request(label, resp.status().as_u16(), start.elapsed());
    resp
}

fn auth_failure(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// InfluxDB 3's order: a malformed header is a 400 even without auth; `?p=` wins on `/write`.
async fn require_auth(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    let from_header = match auth::header_token(header) {
        Ok(t) => t,
        Err(auth::AuthHeaderError::Malformed) => {
            return auth_failure(
                StatusCode::BAD_REQUEST,
                format!("{{\"error\": \"{}\"}}", "Authorization header was malformed, the request was not in the form of 'Authorization: <auth-scheme> <token>', supported auth-schemes are Bearer, Token and Basic"),
            )
        }
    };
    let Some(expected) = &state.token else {
        return next.run(req).await;
    };
    let presented = match req.uri().path() {
        "/write" | "/query" => auth::v1_password(req.uri().query()).or(from_header),
        _ => from_header,
    };
    match presented {
        Some(p) if expected.matches(&p) => next.run(req).await,
        _ => auth_failure(
            StatusCode::UNAUTHORIZED,
            format!("{{\"error\": \"{}\"}}", "the request was not authenticated"),
        ),
    }
}
