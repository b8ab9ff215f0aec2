//! `/ping`, `/health`, `/metrics`, and the web UI at `/`.
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use super::errors::{json, text};
use super::AppState;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// 204 with the version headers: the v1 client's `ping()` requires 204 and `X-Influxdb-Version`,
/// and the v3 clients read the version from that header too.
pub async fn ping() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            ("X-Influxdb-Version", VERSION),
            ("X-Influxdb-Build", "linewise"),
        ],
    )
        .into_response()
}

/// `OK` as InfluxDB 3 answers, or, when the request asks for JSON, the InfluxDB 2 health object
/// whose `status` the v2 client libraries' `health()` reads (they report `fail` on the text).
/// The object also says whether the API needs a token (`token_required`), so the web page asks
/// for one before it calls the API instead of drawing a 401 into the browser's console; an
/// unauthenticated call answers the same, so nothing is revealed that a 401 does not.
pub async fn health(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let wants_json = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/json"));
    if !wants_json {
        return text(StatusCode::OK, "OK");
    }
    json(
        StatusCode::OK,
        &serde_json::json!({
            "name": "linewise",
            "message": "ready for queries and writes",
            "status": "pass",
            "checks": [],
            "version": VERSION,
            "token_required": state.token.is_some(),
        }),
    )
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let body = state.metrics.render(
        &state.writer.buffer.stats(),
        state.writer.catalog.snapshot().databases.len(),
    );
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

pub async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "Not found")
}

/// Shown at `/` until the page exists. It reloads itself because on a first `scripts/run.sh` the
/// server starts as soon as it is built, while the page may still be building beside it.
fn build_instructions(dir: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>linewise</title>\
         <meta http-equiv=\"refresh\" content=\"15\"></head><body>\
         <h1>linewise is running</h1>\
         <p>The web page is not built yet: no <code>index.html</code> in <code>{dir}</code>.</p>\
         <p>On a first <code>scripts/run.sh</code> it is still building (its progress is in \
         <code>target/run/page.log</code>); this page reloads itself every 15 seconds and shows the \
         page once it is there. Otherwise build it with <code>trunk build --release</code> at the \
         repository root, or point <code>--ui-dir</code> at a built copy.</p>\
         <p>The write API works meanwhile: <code>POST /api/v3/write_lp?db=NAME</code>.</p>\
         </body></html>"
    )
}

/// Everything that is not an API route: files of the built web UI, or how to build it.
pub async fn ui(State(state): State<Arc<AppState>>, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return not_found().await;
    }
    if state.ui_dir.join("index.html").is_file() {
        let served = ServeDir::new(&state.ui_dir).oneshot(req).await;
        return match served {
            Ok(r) => r.map(Body::new),
            Err(never) => match never {},
        };
    }
    if req.uri().path() == "/" {
        let dir = state.ui_dir.display().to_string();
        let escaped = dir.replace('&', "&amp;").replace('<', "&lt;");
        return Html(build_instructions(&escaped)).into_response();
    }
    not_found().await
}
