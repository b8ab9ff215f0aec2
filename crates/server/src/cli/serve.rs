//! `linewise serve`: the InfluxDB 3 compatible HTTP API and the web UI.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use linewise_server::buffer::Buffer;
use linewise_server::durability::{Durability, DurabilityArgs};
use linewise_server::http::{self, auth::Token, AppState};
use linewise_server::metrics::Metrics;
use linewise_server::query::{QueryArgs, QueryEngine, ServerSource, StartError};

#[derive(clap::Args)]
pub struct Args {
    /// Catalog, WAL and (with the file object store) Parquet files live here.
    #[arg(long, env = "LINEWISE_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Address to listen on. A non-loopback address needs --admin-token or --without-auth.
    #[arg(long, env = "LINEWISE_HTTP_BIND", default_value = "127.0.0.1:8181")]
    http_bind: SocketAddr,
    /// Token every API request must present (Bearer/Token header, Basic password, or v1 `p=`).
    #[arg(
        long,
        env = "LINEWISE_ADMIN_TOKEN",
        hide_env_values = true,
        conflicts_with = "without_auth"
    )]
    admin_token: Option<String>,
    /// Serve without authentication even on a non-loopback address.
    #[arg(long, env = "LINEWISE_WITHOUT_AUTH")]
    without_auth: bool,
    #[command(flatten)]
    durability: DurabilityArgs,
    /// Largest request body, before and after gzip decompression.
    #[arg(long, env = "LINEWISE_MAX_REQUEST_SIZE", default_value_t = 10 * 1024 * 1024)]
    max_request_size: usize,
    /// The built web UI (Trunk's output) served at `/`.
    #[arg(long, env = "LINEWISE_UI_DIR", default_value = "./dist")]
    ui_dir: PathBuf,
    /// Bytes of rows the in-memory buffer holds before writes get 503 + Retry-After.
    #[arg(long, env = "LINEWISE_MAX_BUFFER_SIZE", default_value_t = 1 << 30, hide = true)]
    max_buffer_size: usize,
    #[command(flatten)]
    query: QueryArgs,
}

#[derive(Debug, thiserror::Error)]
enum ServeError {
    #[error("refusing to listen on {0} without a token: pass --admin-token, or --without-auth to serve without authentication")]
    NoAuthOnPublicBind(SocketAddr),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Durability(#[from] linewise_server::durability::StartError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Query(#[from] StartError),
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

pub fn run(args: Args) -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn serve(args: Args) -> Result<(), ServeError> {
    let token = args.admin_token.as_deref().map(Token::new);
    if token.is_none() && !args.without_auth && !args.http_bind.ip().is_loopback() {
        return Err(ServeError::NoAuthOnPublicBind(args.http_bind));
    }
    std::fs::create_dir_all(&args.data_dir).map_err(|source| ServeError::DataDir {
        path: args.data_dir.clone(),
        source,
    })?;
    let (durability, writer) = Durability::start(
        &args.durability,
        &args.data_dir,
        Arc::new(Buffer::new(args.max_buffer_size)),
        args.max_buffer_size as u64,
    )
    .await?;
    tracing::info!(
        object_store = ?args.durability.store.object_store,
        wal_flush_interval = ?args.durability.wal_flush_interval,
        data_dir = %args.data_dir.display(),
        auth = token.is_some(),
        "starting"
    );
    let query = QueryEngine::new(
        Arc::new(ServerSource::new(
            writer.catalog.clone(),
            writer.buffer.clone(),
            durability.object_store(),
        )),
        &args.query,
    )?;
    let state = Arc::new(AppState {
        writer,
        metrics: Metrics::default().with_persist(durability.persist().clone()),
        token,
        max_request_size: args.max_request_size,
        ui_dir: args.ui_dir,
        query: Arc::new(query),
    });
    let listener = tokio::net::TcpListener::bind(args.http_bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: args.http_bind,
            source,
        })?;
    let local = listener.local_addr().map_err(ServeError::Serve)?;
    let shutdown = shutdown();
    // Tests and scripts read this line to learn the port when binding port 0.
    println!("linewise listening on http://{local}");
    let served = axum::serve(listener, http::router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Serve);
    // No request is in flight any more: persist what is buffered, or leave it to WAL replay.
    durability.shutdown().await;
    served
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are registered when this is called (before the
/// listening line is printed), so a signal sent right after start-up is not lost.
#[cfg(unix)]
fn shutdown() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    async fn recv(s: Option<Signal>) {
        match s {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    let term = recv(signal(SignalKind::terminate()).ok());
    let int = recv(signal(SignalKind::interrupt()).ok());
    async move {
        tokio::select! {
            () = term => {},
            () = int => {},
        }
        tracing::info!("shutting down");
    }
}

#[cfg(not(unix))]
fn shutdown() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    }
}
