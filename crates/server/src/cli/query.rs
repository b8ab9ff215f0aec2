//! `linewise query`: sends SQL to a server's `/api/v3/query_sql` and prints the result (a table by default).
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Database to query.
    #[arg(long, env = "LINEWISE_DATABASE")]
    db: String,
    /// Server URL.
    #[arg(long, env = "LINEWISE_HOST", default_value = "http://127.0.0.1:8181")]
    host: String,
    /// API token, sent as `Authorization: Bearer TOKEN`.
    #[arg(long, env = "LINEWISE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Output format.
    #[arg(long, default_value = "pretty", value_parser = ["pretty", "json", "jsonl", "csv", "parquet"])]
    format: String,
    /// Write the result to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The SQL query, e.g. "SELECT * FROM home ORDER BY room, time".
    sql: String,
}

/// Why the command failed; each maps to an exit code.
#[derive(Debug, thiserror::Error)]
enum QueryCliError {
    #[error("the server rejected the query (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("cannot reach {url}: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error(
        "refusing to write Parquet to a terminal: use --output FILE or redirect standard output"
    )]
    BinaryToTerminal,
    #[error("cannot write the result: {0}")]
    Output(#[from] std::io::Error),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

pub fn run(args: Args) -> ExitCode {
    match execute(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("linewise query: {e}");
            match e {
                QueryCliError::Rejected { .. } => ExitCode::from(1),
                _ => ExitCode::from(2),
            }
        }
    }
}

fn execute(args: &Args) -> Result<(), QueryCliError> {
    if args.format == "parquet" && args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(QueryCliError::BinaryToTerminal);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(QueryCliError::Runtime)?;
    let body = runtime.block_on(send(args))?;
    match &args.output {
        Some(path) => std::fs::write(path, &body)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&body)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

async fn send(args: &Args) -> Result<Vec<u8>, QueryCliError> {
    let url = format!("{}/api/v3/query_sql", args.host.trim_end_matches('/'));
    let http_error = |source| QueryCliError::Http {
        url: url.clone(),
        source,
    };
    let body = serde_json::json!({ "db": args.db, "q": args.sql, "format": args.format });
    let mut request = reqwest::Client::new()
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    if let Some(token) = &args.token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(http_error)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(http_error)?;
    if !status.is_success() {
        return Err(QueryCliError::Rejected {
            status: status.as_u16(),
            message: error_message(&bytes),
        });
    }
    Ok(bytes.to_vec())
}

/// The server's message: the `error` of a JSON body, or the plain-text body.
fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| text.trim().to_owned())
}
