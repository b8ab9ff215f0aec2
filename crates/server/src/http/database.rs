//! `/api/v3/configure/database`: list (GET), create (POST), delete (DELETE).
use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::errors::{error_json, text};
use super::AppState;
use crate::catalog::names::validate_db_name;
use crate::catalog::CatalogError;

const NAME_COLUMN: &str = "iox::database";

fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub async fn list(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Response {
    let Some(format) = query_value(query.as_deref(), "format") else {
        return text(
            StatusCode::BAD_REQUEST,
            "serde error: missing field `format`",
        );
    };
    let names: Vec<String> = state
        .writer
        .catalog
        .snapshot()
        .databases
        .keys()
        .cloned()
        .collect();
    let (content_type, body) = match format.as_str() {
        "json" => {
            let rows: Vec<_> = names
                .iter()
                .map(|n| serde_json::json!({ NAME_COLUMN: n }))
                .collect();
            ("application/json", serde_json::Value::from(rows).to_string())
        }
        "jsonl" => {
            let mut out = String::new();
            for n in &names {
                let _ = writeln!(out, "{}", serde_json::json!({ NAME_COLUMN: n }));
            }
            ("application/jsonl", out)
        }
        "csv" => {
            let mut out = format!("{NAME_COLUMN}\n");
            for n in &names {
                let _ = writeln!(out, "{n}");
            }
            ("text/csv; charset=utf-8", out)
        }
        "pretty" => {
            let width = names
                .iter()
                .map(|n| n.chars().count())
                .chain([NAME_COLUMN.len()])
                .max()
                .unwrap_or(0);
            let rule = format!("+{}+\n", "-".repeat(width + 2));
            let mut out = rule.clone();
            let _ = writeln!(out, "| {NAME_COLUMN:<width$} |");
            out.push_str(&rule);
            for n in &names {
                let _ = writeln!(out, "| {n:<width$} |");
            }
            out.push_str(&rule);
            ("text/plain; charset=utf-8", out)
        }
        "parquet" => {
            return text(
                StatusCode::BAD_REQUEST,
                "format parquet is not supported for the database list; use json, jsonl, csv or pretty",
            )
        }
        other => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("serde error: unknown variant `{other}`, expected one of `pretty`, `jsonl`, `json`, `csv`, `parquet`"),
            )
        }
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

#[derive(Deserialize)]
struct CreateRequest {
    db: String,
    /// Accepted for compatibility; data is kept until deleted.
    #[serde(rename = "retention_period")]
    _retention_period: Option<String>,
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unacceptable content-type, expected: application/json",
        );
    }
    let req: CreateRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("serde json error: {e}")),
    };
    if let Err(e) = validate_db_name(&req.db) {
        return error_json(StatusCode::BAD_REQUEST, &e.to_string());
    }
    match state.writer.catalog.create_database(&req.db) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => catalog_error(e),
    }
}

pub async fn delete(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Response {
    let Some(db) = query_value(query.as_deref(), "db") else {
        return text(StatusCode::BAD_REQUEST, "serde error: missing field `db`");
    };
    // The catalog tombstones the database's id (its WAL records are skipped from now on, and its
    // Parquet files are removed in the background); the name is free for a new database at once.
    match state.writer.catalog.delete_database(&db) {
        Ok(_) => {
            state.writer.buffer.drop_database(&db);
            StatusCode::OK.into_response()
        }
        Err(e) => catalog_error(e),
    }
}

fn catalog_error(e: CatalogError) -> Response {
    match e {
        CatalogError::AlreadyExists => text(StatusCode::CONFLICT, e.to_string()),
        CatalogError::TooManyDatabases(_) => {
            error_json(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string())
        }
        CatalogError::DatabaseNotFound(_) => error_json(StatusCode::NOT_FOUND, &e.to_string()),
        e => text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
