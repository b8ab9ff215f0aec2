//! `linewise write`: send line protocol to a server in gzipped batches, with retries and progress.
//!
//! Batches are cut at record boundaries found by the core's parser (a string field may hold a
//! newline), so no record is split between two requests. Rejected lines are reported with their
//! line number in the input, not in the batch.
use std::cell::Cell;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use backon::{BlockingRetryable, ExponentialBuilder};
use flate2::write::GzEncoder;
use linewise_core::{parse_lines, Line, Precision};
use serde::Deserialize;

#[derive(clap::Args)]
pub struct Args {
    /// Database to write to (created on first write).
    #[arg(long)]
    db: String,
    /// Server URL.
    #[arg(long, env = "LINEWISE_HOST", default_value = "http://127.0.0.1:8181")]
    host: String,
    /// Token sent as `Authorization: Bearer`.
    #[arg(long, env = "LINEWISE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Timestamp unit: auto, ns, us, ms or s.
    #[arg(long, value_enum, default_value = "auto")]
    precision: Precision,
    /// Lines per request.
    #[arg(long, default_value_t = 5000)]
    batch_size: usize,
    /// Attempts per batch when the server is unavailable (5xx, 429) or unreachable.
    #[arg(long, default_value_t = 6)]
    retries: u32,
    /// Input file, or `-` for stdin.
    #[arg(default_value = "-")]
    file: String,
}

#[derive(Deserialize)]
struct LineErrorBody {
    error_message: String,
    line_number: u64,
    original_line: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Data {
    Many(Vec<LineErrorBody>),
    One(LineErrorBody),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    data: Option<Data>,
}

/// Byte ranges of at most `batch_size` records each, cut where the core's parser ends a record.
fn batches(input: &str, batch_size: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut count = 0;
    let mut lines = parse_lines(input.as_bytes());
    let mut line = Line::new();
    while lines.next_into(&mut line).is_some() {
        count += 1;
        if count == batch_size {
            let cut = lines.position();
            out.push((start, cut));
            start = cut;
            count = 0;
        }
    }
    if start < input.len() {
        out.push((start, input.len()));
    }
    out
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = GzEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::fast(),
    );
    e.write_all(data)?;
    e.finish()
}

enum Sent {
    Ok,
    /// Lines the server rejected: `(line in the input, message, line text)`.
    Rejected(Vec<(u64, String, String)>),
}

/// Why a batch was not stored.
#[derive(Debug, thiserror::Error)]
enum SendError {
    /// 5xx or 429: worth another attempt, after `retry_after` when the server names one.
    #[error("server answered {code}")]
    Unavailable {
        code: u16,
        retry_after: Option<Duration>,
    },
    #[error("cannot reach {url}: {source}")]
    Unreachable {
        url: String,
        source: Box<ureq::Transport>,
    },
    /// Any other answer that names no rejected lines.
    #[error("server answered {code}: {message}")]
    Refused { code: u16, message: String },
    #[error("giving up after {attempts} attempts: {last}")]
    GaveUp { attempts: u32, last: Box<SendError> },
}

impl SendError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Unreachable { .. })
    }
}

/// First wait 200 ms, doubling up to 10 s (a `Retry-After` that asks for longer wins), for
/// `attempts` attempts in all.
fn backoff(attempts: u32) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_factor(2.0)
        .with_max_delay(Duration::from_secs(10))
        .with_max_times(attempts.saturating_sub(1) as usize)
}

/// Sends one batch, retrying while the server is unavailable (5xx, 429) or unreachable.
fn send(args: &Args, url: &str, body: &[u8], first_line: u64) -> Result<Sent, SendError> {
    let attempts = args.retries.max(1);
    let attempt = Cell::new(0u32);
    // What the last answer's `Retry-After` asked for, read by the sleep (which must own it).
    let retry_after = Rc::new(Cell::new(Duration::ZERO));
    let asked = Rc::clone(&retry_after);
    let once = || {
        attempt.set(attempt.get() + 1);
        post(args, url, body, first_line)
    };
    once.retry(backoff(attempts))
        .when(SendError::is_transient)
        .notify(|e, delay| {
            let after = match e {
                SendError::Unavailable {
                    retry_after: Some(after),
                    ..
                } => *after,
                _ => Duration::ZERO,
            };
            retry_after.set(after);
            eprintln!(
                "{e} (attempt {}), retrying in {:?}",
                attempt.get(),
                delay.max(after)
            );
        })
        .sleep(move |delay: Duration| std::thread::sleep(delay.max(asked.take())))
        .call()
        .map_err(|e| match e {
            e if e.is_transient() => SendError::GaveUp {
                attempts,
                last: Box::new(e),
            },
            e => e,
        })
}

/// One attempt.
fn post(args: &Args, url: &str, body: &[u8], first_line: u64) -> Result<Sent, SendError> {
    let mut req = ureq::post(url)
        .set("Content-Type", "text/plain; charset=utf-8")
        .set("Content-Encoding", "gzip")
        .timeout(Duration::from_secs(60));
    if let Some(t) = &args.token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    match req.send_bytes(body) {
        Ok(_) => Ok(Sent::Ok),
        Err(ureq::Error::Status(code, resp)) if code == 429 || code >= 500 => {
            Err(SendError::Unavailable {
                code,
                retry_after: resp
                    .header("Retry-After")
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(Duration::from_secs),
            })
        }
        Err(ureq::Error::Status(code, resp)) => {
            let text = resp.into_string().unwrap_or_default();
            let Ok(parsed) = serde_json::from_str::<ErrorBody>(&text) else {
                return Err(SendError::Refused {
                    code,
                    message: text,
                });
            };
            let lines = match parsed.data {
                Some(Data::Many(v)) => v,
                Some(Data::One(e)) => vec![e],
                None => {
                    return Err(SendError::Refused {
                        code,
                        message: parsed.error,
                    })
                }
            };
            Ok(Sent::Rejected(
                lines
                    .into_iter()
                    .map(|e| {
                        (
                            first_line + e.line_number - 1,
                            e.error_message,
                            e.original_line,
                        )
                    })
                    .collect(),
            ))
        }
        Err(ureq::Error::Transport(source)) => Err(SendError::Unreachable {
            url: url.into(),
            source: Box::new(source),
        }),
    }
}

pub fn run(args: Args) -> ExitCode {
    let mut input = String::new();
    let read = if args.file == "-" {
        std::io::stdin().read_to_string(&mut input).map(drop)
    } else {
        std::fs::read_to_string(PathBuf::from(&args.file)).map(|s| input = s)
    };
    if let Err(e) = read {
        eprintln!("error: cannot read {}: {e}", args.file);
        return ExitCode::from(2);
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("db", &args.db)
        .append_pair("precision", args.precision.as_str())
        .finish();
    let url = format!(
        "{}/api/v3/write_lp?{query}",
        args.host.trim_end_matches('/')
    );
    let ranges = batches(&input, args.batch_size.max(1));
    let total = input.len().max(1);
    let mut first_line: u64 = 1;
    let mut rejected = 0usize;
    for (i, &(start, end)) in ranges.iter().enumerate() {
        let chunk = &input[start..end];
        let body = match gzip(chunk.as_bytes()) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: gzip: {e}");
                return ExitCode::from(2);
            }
        };
        match send(&args, &url, &body, first_line) {
            Ok(Sent::Ok) => {}
            Ok(Sent::Rejected(lines)) => {
                for (n, msg, text) in lines {
                    eprintln!("{}:{n}: {msg}: {text}", args.file);
                    rejected += 1;
                }
            }
            Err(e) => {
                eprintln!("error: batch {} (from line {first_line}): {e}", i + 1);
                return ExitCode::from(2);
            }
        }
        first_line += chunk.matches('\n').count() as u64;
        eprintln!(
            "[{}/{}] {:.0}% sent",
            i + 1,
            ranges.len(),
            end as f64 * 100.0 / total as f64
        );
    }
    if rejected > 0 {
        eprintln!("{rejected} line(s) rejected");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
