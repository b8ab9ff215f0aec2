//! `linewise query`: sends SQL to a server's `/api/v3/query_sql` and prints the result (a table by default).
use std::io::{IsTerminal, Read, Write};
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
    #[error("cannot reach {url}: {message}")]
    Http { url: String, message: String },
    #[error(
        "refusing to write Parquet to a terminal: use --output FILE or redirect standard output"
    )]
    BinaryToTerminal,
    #[error("cannot write the result: {0}")]
    Output(#[from] std::io::Error),
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
    let body = send(args)?;
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

/// POSTs the query as a JSON body (no URL length limit) and returns the answer's bytes.
fn send(args: &Args) -> Result<Vec<u8>, QueryCliError> {
    let url = format!("{}/api/v3/query_sql", args.host.trim_end_matches('/'));
    let body = serde_json::json!({ "db": args.db, "q": args.sql, "format": args.format });
    let mut request = ureq::post(&url).set("Content-Type", "application/json");
    if let Some(token) = &args.token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    let http_error = |message: String| QueryCliError::Http {
        url: url.clone(),
        message,
    };
    match request.send_string(&body.to_string()) {
        Ok(response) => {
            let mut bytes = Vec::new();
            response
                .into_reader()
                .read_to_end(&mut bytes)
                .map_err(|e| http_error(e.to_string()))?;
            Ok(bytes)
        }
        Err(ureq::Error::Status(status, response)) => {
            let text = response.into_string().unwrap_or_default();
            Err(QueryCliError::Rejected {
                status,
                message: error_message(&text),
            })
        }
        Err(ureq::Error::Transport(e)) => Err(http_error(e.to_string())),
    }
}

/// The server's message: the `error` of a JSON body, or the plain-text body.
fn error_message(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| text.trim().to_owned())
}
