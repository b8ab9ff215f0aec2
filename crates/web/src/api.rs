//! Calls to the linewise (InfluxDB 3 compatible) HTTP API, and the reading of its error bodies.
use std::fmt;

use gloo_net::http::{Request, RequestBuilder, Response};
use linewise_core::{ColumnKind, KnownColumns};
use serde::Deserialize;

/// Why a call failed. The server's own words are kept: a generic "unknown error" helps nobody.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No HTTP response at all (server down, connection refused, CORS).
    Network(String),
    /// A response with an unexpected status.
    Http { status: u16, body: String },
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Network(e) => write!(f, "no response from the server: {e}"),
            ApiError::Http { status, body } => match short_body(body) {
                None => write!(f, "HTTP {status}"),
                Some(text) => write!(f, "HTTP {status}: {text}"),
            },
        }
    }
}

/// Longest piece of a server answer repeated in a message (the full answer stays available).
const MAX_ECHO: usize = 300;

/// The part of an error body worth showing: the JSON `error` text, or the trimmed text, cut to
/// `MAX_ECHO` characters; an HTML page is named rather than dumped.
fn short_body(body: &str) -> Option<String> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    if body.starts_with('<') {
        return Some("(an HTML page, not an API answer)".into());
    }
    let text = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| body.to_owned());
    let mut cut: String = text.chars().take(MAX_ECHO).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    Some(cut)
}

fn authed(req: RequestBuilder, token: &str) -> RequestBuilder {
    if token.is_empty() {
        req
    } else {
        req.header("Authorization", &format!("Bearer {token}"))
    }
}

async fn send(req: Request) -> Result<Response, ApiError> {
    req.send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))
}

async fn body_of(resp: Response) -> String {
    resp.text().await.unwrap_or_default()
}

async fn expect_ok(resp: Response) -> Result<String, ApiError> {
    let status = resp.status();
    let body = body_of(resp).await;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(ApiError::Http { status, body })
    }
}

/// Whether the server's API needs a token, from its health object (`GET /health`, which needs
/// none): asked before any API call made without a token, so a page opened on a protected
/// server asks for the token instead of logging a refused call in the browser's console.
pub async fn token_required() -> Result<bool, ApiError> {
    let req = Request::get("/health")
        .header("Accept", "application/json")
        .build()
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let body = expect_ok(send(req).await?).await?;
    Ok(serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("token_required").and_then(serde_json::Value::as_bool))
        .unwrap_or(false))
}

/// The database names the server knows (`GET /api/v3/configure/database?format=json`).
pub async fn list_databases(token: &str) -> Result<Vec<String>, ApiError> {
    let req = authed(
        Request::get("/api/v3/configure/database").query([("format", "json")]),
        token,
    );
    let body =
        expect_ok(send(req.build().map_err(|e| ApiError::Network(e.to_string()))?).await?).await?;
    Ok(database_names(&body))
}

/// Reads `[{"iox::database":"home"}, ...]` (or any array of one-string objects, or of strings).
pub fn database_names(body: &str) -> Vec<String> {
    let Ok(serde_json::Value::Array(rows)) = serde_json::from_str(body) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rows
        .iter()
        .filter_map(|row| match row {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Object(o) => o
                .get("iox::database")
                .or_else(|| o.get("database"))
                .or_else(|| o.get("name"))
                .or_else(|| o.values().next())
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            _ => None,
        })
        .filter(|n| n != "_internal")
        .collect();
    names.sort();
    names
}

/// Creates a database (`POST /api/v3/configure/database`). An existing one is not an error.
pub async fn create_database(token: &str, name: &str) -> Result<(), ApiError> {
    let req = authed(Request::post("/api/v3/configure/database"), token)
        .json(&serde_json::json!({ "db": name }))
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let resp = send(req).await?;
    if resp.status() == 409 {
        return Ok(());
    }
    expect_ok(resp).await.map(drop)
}

/// The SQL the page asks for the stored schema.
const SCHEMA_SQL: &str =
    "SELECT table_name, column_name, data_type FROM information_schema.columns \
     WHERE table_schema NOT IN ('information_schema', 'system')";

#[derive(Deserialize)]
struct ColumnRow {
    table_name: String,
    column_name: String,
    data_type: String,
}

/// The stored column types of `db`, read from `information_schema.columns` through
/// `/api/v3/query_sql`.
pub async fn fetch_schema(token: &str, db: &str) -> Result<KnownColumns, ApiError> {
    let req = authed(
        Request::get("/api/v3/query_sql").query([
            ("db", db),
            ("q", SCHEMA_SQL),
            ("format", "json"),
        ]),
        token,
    );
    let body =
        expect_ok(send(req.build().map_err(|e| ApiError::Network(e.to_string()))?).await?).await?;
    let rows: Vec<ColumnRow> = serde_json::from_str(&body).map_err(|e| ApiError::Http {
        status: 200,
        body: format!("unexpected schema answer: {e}"),
    })?;
    let mut schema = KnownColumns::default();
    for row in rows {
        if let Some(kind) = ColumnKind::of_type_name(&row.column_name, &row.data_type) {
            schema.insert(&row.table_name, &row.column_name, kind);
        }
    }
    Ok(schema)
}

/// A query answer: column names in the order the query gave them, and every row as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Runs `sql` on `db` (`POST /api/v3/query_sql`). The answer is asked for as CSV: unlike the JSON
/// rows it keeps the query's column order, and null cells arrive empty instead of missing.
pub async fn query(token: &str, db: &str, sql: &str) -> Result<QueryRows, ApiError> {
    let req = authed(Request::post("/api/v3/query_sql"), token)
        .json(&serde_json::json!({ "db": db, "q": sql, "format": "csv" }))
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let body = expect_ok(send(req).await?).await?;
    read_csv(&body).map_err(|e| ApiError::Http {
        status: 200,
        body: format!("unexpected query answer: {e}"),
    })
}

/// The server's CSV answer: a header row, then one record per row.
pub fn read_csv(body: &str) -> Result<QueryRows, csv::Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body.as_bytes());
    let columns = reader.headers()?.iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| r.map(|rec| rec.iter().map(str::to_owned).collect()))
        .collect::<Result<_, _>>()?;
    Ok(QueryRows { columns, rows })
}

/// Options of one write, as sent in the query string.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOptions {
    pub db: String,
    pub precision: &'static str,
    pub accept_partial: bool,
    pub no_sync: bool,
}

/// One line the server refused. `line` is 1-based within the body sent.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedLine {
    pub line: u32,
    pub message: String,
}

/// The server's verdict on one batch.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// 204: everything stored.
    Written,
    /// 400/422 with per-line errors: with `accept_partial` the other lines were stored.
    Rejected {
        status: u16,
        error: String,
        lines: Vec<RejectedLine>,
    },
}

/// `POST /api/v3/write_lp`. Errors other than per-line rejections come back as `ApiError`.
pub async fn write_lp(
    token: &str,
    opts: &WriteOptions,
    body: String,
) -> Result<WriteOutcome, ApiError> {
    let req = authed(
        Request::post("/api/v3/write_lp").query([
            ("db", opts.db.as_str()),
            ("precision", opts.precision),
            (
                "accept_partial",
                if opts.accept_partial { "true" } else { "false" },
            ),
            ("no_sync", if opts.no_sync { "true" } else { "false" }),
        ]),
        token,
    )
    .header("Content-Type", "text/plain; charset=utf-8")
    .body(body)
    .map_err(|e| ApiError::Network(e.to_string()))?;
    let resp = send(req).await?;
    let status = resp.status();
    let text = body_of(resp).await;
    if (200..300).contains(&status) {
        return Ok(WriteOutcome::Written);
    }
    match rejected_lines(&text) {
        Some((error, lines)) if !lines.is_empty() && (status == 400 || status == 422) => {
            Ok(WriteOutcome::Rejected {
                status,
                error,
                lines,
            })
        }
        _ => Err(ApiError::Http { status, body: text }),
    }
}

#[derive(Deserialize)]
struct LineError {
    #[serde(alias = "line")]
    line_number: u32,
    #[serde(alias = "message")]
    error_message: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LineErrors {
    Many(Vec<LineError>),
    One(LineError),
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    data: Option<LineErrors>,
}

/// Reads the per-line errors of both InfluxDB 3 shapes: `{"error", "data": [..] | {..}}` and the
/// IOx-style `{"code", "line", "message"}`.
pub fn rejected_lines(body: &str) -> Option<(String, Vec<RejectedLine>)> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    if let Ok(parsed) = serde_json::from_value::<ErrorBody>(value.clone()) {
        if let Some(data) = parsed.data {
            let list = match data {
                LineErrors::Many(v) => v,
                LineErrors::One(e) => vec![e],
            };
            let lines = list
                .into_iter()
                .map(|e| RejectedLine {
                    line: e.line_number,
                    message: e.error_message,
                })
                .collect();
            return Some((parsed.error, lines));
        }
    }
    let one: LineError = serde_json::from_value(value).ok()?;
    Some((
        String::new(),
        vec![RejectedLine {
            line: one.line_number,
            message: one.error_message,
        }],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_partial_write_bodies() {
        let body = r#"{"error":"partial write of line protocol occurred","data":[{"error_message":"No fields were provided","line_number":2,"original_line":"cpu,host=a val= 123"}]}"#;
        let (error, lines) = rejected_lines(body).unwrap();
        assert_eq!(error, "partial write of line protocol occurred");
        assert_eq!(
            lines,
            vec![RejectedLine {
                line: 2,
                message: "No fields were provided".into()
            }]
        );
        let one = r#"{"error":"line protocol parsing error","data":{"error_message":"bad","line_number":7,"original_line":"x"}}"#;
        assert_eq!(rejected_lines(one).unwrap().1[0].line, 7);
        let iox = r#"{"code":"invalid","line":3,"message":"oops"}"#;
        assert_eq!(rejected_lines(iox).unwrap().1[0].message, "oops");
        assert!(rejected_lines("not json").is_none());
    }

    #[test]
    fn shortens_error_bodies() {
        let e = ApiError::Http {
            status: 404,
            body: "<!DOCTYPE html><html>".into(),
        };
        assert_eq!(e.to_string(), "HTTP 404: (an HTML page, not an API answer)");
        let e = ApiError::Http {
            status: 401,
            body: r#"{"error":"missing token"}"#.into(),
        };
        assert_eq!(e.to_string(), "HTTP 401: missing token");
        let long = "x".repeat(1000);
        assert_eq!(
            ApiError::Http {
                status: 500,
                body: long
            }
            .to_string()
            .chars()
            .count(),
            10 + MAX_ECHO + 1
        );
    }

    #[test]
    fn reads_query_answers_in_column_order() {
        let body = "room,temp,time\n\"Living Room, east\",21.5,2022-01-01T08:00:00\nKitchen,,2022-01-01T09:00:00\n";
        let q = read_csv(body).unwrap();
        assert_eq!(q.columns, ["room", "temp", "time"]);
        assert_eq!(
            q.rows[0],
            ["Living Room, east", "21.5", "2022-01-01T08:00:00"]
        );
        assert_eq!(q.rows[1][1], "", "a null cell is empty");
        assert!(read_csv("a,b\n1\n").is_err(), "a short row is refused");
        assert_eq!(read_csv("").unwrap(), QueryRows::default());
    }

    #[test]
    fn reads_database_lists() {
        assert_eq!(
            database_names(r#"[{"iox::database":"b"},{"iox::database":"a"}]"#),
            vec!["a", "b"]
        );
        assert_eq!(database_names(r#"["x"]"#), vec!["x"]);
        assert!(database_names("oops").is_empty());
    }
}
