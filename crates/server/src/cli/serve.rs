//! `linewise serve`: the InfluxDB 3 compatible HTTP API and the web UI.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use linewise_server::buffer::Buffer;
use linewise_server::catalog::Catalog;
use linewise_server::http::{self, auth::Token, AppState};
use linewise_server::metrics::Metrics;
use linewise_server::write::{NoWal, Writer};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ObjectStoreKind {
    File,
    Memory,
    S3,
}

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
    /// Where Parquet files go.
    #[arg(
        long,
        env = "LINEWISE_OBJECT_STORE",
        value_enum,
        default_value = "file"
    )]
    object_store: ObjectStoreKind,
    /// How often the WAL is flushed (e.g. `1s`, `100ms`).
    #[arg(long, env = "LINEWISE_WAL_FLUSH_INTERVAL", default_value = "1s")]
    wal_flush_interval: String,
    /// Largest request body, before and after gzip decompression.
    #[arg(long, env = "LINEWISE_MAX_REQUEST_SIZE", default_value_t = 10 * 1024 * 1024)]
    max_request_size: usize,
    /// The built web UI (Trunk's output) served at `/`.
    #[arg(long, env = "LINEWISE_UI_DIR", default_value = "./dist")]
    ui_dir: PathBuf,
    /// Bytes of rows the in-memory buffer holds before writes get 503 + Retry-After.
    #[arg(long, env = "LINEWISE_MAX_BUFFER_SIZE", default_value_t = 1 << 30, hide = true)]
    max_buffer_size: usize,
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
    Catalog(#[from] linewise_server::catalog::CatalogError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
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
    let catalog = Arc::new(Catalog::open(&args.data_dir)?);
    let writer = Writer {
        catalog,
        buffer: Arc::new(Buffer::new(args.max_buffer_size)),
        wal: Arc::new(NoWal),
    };
    tracing::info!(
        object_store = ?args.object_store,
        wal_flush_interval = %args.wal_flush_interval,
        data_dir = %args.data_dir.display(),
        auth = token.is_some(),
        "starting"
    );
    let state = Arc::new(AppState {
        writer,
        metrics: Metrics::default(),
        token,
        max_request_size: args.max_request_size,
        ui_dir: args.ui_dir,
    });
    let listener = tokio::net::TcpListener::bind(args.http_bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: args.http_bind,
            source,
        })?;
    let local = listener.local_addr().map_err(ServeError::Serve)?;
    // Tests and scripts read this line to learn the port when binding port 0.
    println!("linewise listening on http://{local}");
    axum::serve(listener, http::router(state))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(ServeError::Serve)
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
