//! `linewise serve`: the InfluxDB 3 compatible HTTP API and the web UI.
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use linewise_server::buffer::Buffer;
use linewise_server::catalog::CatalogLimits;
use linewise_server::durability::{Durability, DurabilityArgs};
use linewise_server::duration::positive_duration;
use linewise_server::flight::Grpc;
use linewise_server::http::serve::ConnLimits;
use linewise_server::http::{self, auth::Token, host::LoopbackHosts, AppState};
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
    #[command(flatten)]
    catalog_limits: CatalogLimits,
    /// Largest request body, before and after gzip decompression.
    #[arg(long, env = "LINEWISE_MAX_REQUEST_SIZE", default_value_t = 10 * 1024 * 1024)]
    max_request_size: usize,
    /// Largest request body of every endpoint other than the three write endpoints (query_sql,
    /// configure/database, ...).
    #[arg(long, env = "LINEWISE_MAX_OTHER_REQUEST_SIZE", default_value_t = 1024 * 1024)]
    max_other_request_size: usize,
    /// Origins (scheme://host[:port], comma-separated or repeated, or `*`) whose pages may call the
    /// API from a browser. None by default: the web UI is same-origin.
    #[arg(long, env = "LINEWISE_CORS_ALLOW_ORIGIN", value_delimiter = ',')]
    cors_allow_origin: Vec<String>,
    /// A request's headers must arrive within this; for HTTP/1 it also bounds how long a kept-alive
    /// connection waits for its next request.
    #[arg(long, env = "LINEWISE_HTTP_HEADER_TIMEOUT", default_value = "30s", value_parser = positive_duration)]
    http_header_timeout: Duration,
    /// A connection without traffic and with no request in flight for this long is closed; a
    /// request body that sends nothing for this long is answered 408.
    #[arg(long, env = "LINEWISE_HTTP_IDLE_TIMEOUT", default_value = "60s", value_parser = positive_duration)]
    http_idle_timeout: Duration,
    /// Connections served at once; one more waits a second for a free slot, then is closed.
    /// Lowered at start-up when the open-file limit is too small for it.
    #[arg(long, env = "LINEWISE_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// The built web UI (Trunk's output) served at `/`.
    #[arg(long, env = "LINEWISE_UI_DIR", default_value = "./dist")]
    ui_dir: PathBuf,
    /// Bytes of rows (Arrow data) the in-memory buffer and the WAL may hold unpersisted; past it
    /// writes wait for persistence (--write-wait-timeout), then get 503. The server's memory
    /// follows it: under sustained load, peak RSS stays within about twice this size.
    #[arg(long, env = "LINEWISE_MAX_BUFFER_SIZE", default_value_t = 64 << 20)]
    max_buffer_size: usize,
    #[command(flatten)]
    query: QueryArgs,
}

/// File descriptors kept for the WAL, Parquet files and the object store beside connections.
const RESERVED_FDS: u64 = 256;

#[derive(Debug, thiserror::Error)]
enum ServeError {
    #[error(transparent)]
    EmptyToken(#[from] linewise_server::http::auth::EmptyToken),
    #[error(transparent)]
    Cors(#[from] linewise_server::http::cors::CorsError),
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
    #[error("cannot read the listening address: {0}")]
    Serve(std::io::Error),
}

/// Connections the kernel queues before they are accepted (capped by `net.core.somaxconn`).
/// With tokio's 1,024, a burst of 1,100 half-open requests filled the queue, and a new
/// connection's SYN was dropped and sent again a second later: `/health` took 1 s.
const LISTEN_BACKLOG: u32 = 4096;

/// A listening socket on `addr` with room for [`LISTEN_BACKLOG`] connections not yet accepted.
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Malloc arenas for the whole process (glibc's default is 8 per core).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MALLOC_ARENAS: libc::c_int = 1;

/// glibc gives every thread that allocates while another does an arena of its own and keeps
/// freed memory in each: with HTTP workers, the WAL writer and the persister's encoders each
/// cycling through megabytes per write, sustained ingest held 370 MB of RSS with a 64 MiB buffer
/// (two arenas) and 266 MB with one, for 3% less throughput.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}

pub fn run(args: Args) -> ExitCode {
    limit_malloc_arenas();
    // Colour codes only for a person at a terminal: a log file or a pipe gets plain text.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
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
    let token = admin_token(args.admin_token.as_deref())?;
    let cors = http::cors::layer(&args.cors_allow_origin)?;
    if token.is_none() && !args.without_auth && !args.http_bind.ip().is_loopback() {
        return Err(ServeError::NoAuthOnPublicBind(args.http_bind));
    }
    let max_connections = raise_fd_limit(args.max_connections);
    std::fs::create_dir_all(&args.data_dir).map_err(|source| ServeError::DataDir {
        path: args.data_dir.clone(),
        source,
    })?;
    let (durability, writer) = Durability::start(
        &args.durability,
        &args.data_dir,
        Arc::new(Buffer::new(args.max_buffer_size)),
        args.max_buffer_size as u64,
        args.catalog_limits,
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
    let listener = listen(args.http_bind).map_err(|source| ServeError::Bind {
        addr: args.http_bind,
        source,
    })?;
    let local = listener.local_addr().map_err(ServeError::Serve)?;
    // A loopback server without a token is open to any local page: DNS rebinding is refused by
    // serving only the loopback names of the bind.
    let hosts = (token.is_none() && local.ip().is_loopback()).then(|| LoopbackHosts::new(local));
    let state = Arc::new(AppState {
        writer,
        metrics: Metrics::default().with_persist(durability.persist().clone()),
        token,
        max_request_size: args.max_request_size,
        max_other_request_size: args.max_other_request_size,
        body_stall: args.http_idle_timeout,
        hosts,
        cors,
        ui_dir: args.ui_dir,
        query: Arc::new(query),
    });
    let limits = ConnLimits {
        header_timeout: args.http_header_timeout,
        idle_timeout: args.http_idle_timeout,
        max_connections,
    };
    let shutdown = shutdown();
    // Tests and scripts read this line to learn the port when binding port 0.
    println!("linewise listening on http://{local}");
    let grpc = Grpc::new(state.clone());
    http::serve::serve(listener, http::router(state), grpc, limits, shutdown).await;
    // No request is in flight any more: persist what is buffered, or leave it to WAL replay.
    durability.shutdown().await;
    Ok(())
}

/// `--admin-token`, refusing an empty one. Clap drops an empty environment variable, so
/// `LINEWISE_ADMIN_TOKEN=` is looked at here too: it would otherwise start without auth.
fn admin_token(flag: Option<&str>) -> Result<Option<Token>, ServeError> {
    let env_empty = std::env::var_os("LINEWISE_ADMIN_TOKEN").is_some_and(|v| v.is_empty());
    match flag {
        Some(t) => Ok(Some(Token::new(t)?)),
        None if env_empty => Err(linewise_server::http::auth::EmptyToken.into()),
        None => Ok(None),
    }
}

/// Raises the soft open-file limit to the hard one (each connection is a descriptor; the default
/// soft limit of 1024 ran out under a thousand half-open requests) and lowers `max_connections`
/// when even that leaves too few descriptors for it.
fn raise_fd_limit(max_connections: u32) -> u32 {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
            return max_connections;
        }
    };
    let room = u32::try_from(limit.saturating_sub(RESERVED_FDS).max(1)).unwrap_or(u32::MAX);
    if room < max_connections {
        tracing::warn!(
            open_file_limit = limit,
            "--max-connections {max_connections} lowered to {room}: the open-file limit leaves room for no more"
        );
        return room;
    }
    max_connections
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
