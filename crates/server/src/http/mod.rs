//! The HTTP face: routes, parameters, auth, bodies and error shapes of InfluxDB 3's API.
pub mod auth;
pub mod body;
pub mod database;
pub mod errors;
pub mod misc;
pub mod params;
pub mod write;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::metrics::Metrics;
use crate::write::Writer;
use auth::Token;

pub struct AppState {
    pub writer: Writer,
    pub metrics: Metrics,
    /// `None`: no authentication.
    pub token: Option<Token>,
    pub max_request_size: usize,
    pub ui_dir: PathBuf,
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
        .route_layer(middleware::from_fn_with_state(state.clone(), require_auth))
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(api_routes(&state))
        .route("/ping", get(misc::ping).post(misc::ping))
        .route("/health", get(misc::health))
        .route("/api/v1/health", get(misc::health))
        .method_not_allowed_fallback(misc::not_found)
        .fallback(misc::ui)
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(state.clone(), common))
        .with_state(state)
}

/// Metric label for a path: the route, or `other`.
fn endpoint(path: &str) -> &'static str {
    match path {
        "/api/v3/write_lp" => "write_lp",
        "/api/v2/write" => "v2_write",
        "/write" => "v1_write",
        "/api/v3/configure/database" => "configure_database",
        "/ping" => "ping",
        "/health" | "/api/v1/health" => "health",
        "/metrics" => "metrics",
        _ => "other",
    }
}

/// CORS preflight, the headers every response carries, and request metrics.
async fn common(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let label = endpoint(req.uri().path());
    let mut resp = if req.method() == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        for name in [
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
        ] {
            h.insert(name, HeaderValue::from_static("*"));
        }
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
        r
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
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
