//! The accept loop. `axum::serve` has no header-read or idle timeout and no connection cap, so a
//! thousand half-open requests made the server unreachable; this loop serves each connection with
//! hyper-util's auto builder (HTTP/1 and HTTP/2 on one port; gRPC requests go to Arrow Flight, the
//! rest to the HTTP API) under three bounds:
//! - a request head must arrive within the header timeout (hyper's own timer; for HTTP/1 it also runs
//!   while a kept-alive connection waits for its next request),
//! - a connection with no request in flight and no traffic for the idle timeout is closed,
//! - at most `max_connections` are served at once; one over the cap waits [`ACCEPT_WAIT`] for a free
//!   slot, then is closed. Connections already served are not affected.
//!
//! On shutdown the listener closes, idle connections close, and requests in flight finish (for at
//! most [`DRAIN_LIMIT`]) before the caller persists what is buffered.
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::flight::{self, Grpc};

/// How long a connection over the cap waits for a free slot before it is closed.
pub const ACCEPT_WAIT: Duration = Duration::from_secs(1);
/// How long shutdown waits for requests in flight.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(30);
/// Pause after a failed `accept` (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// The bounds every connection is served under.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: u32,
}

/// Accepts until `shutdown` resolves, then drains (see the module doc).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    grpc: Grpc,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    // Connections waiting for a slot hold a file descriptor each: they are capped too.
    let waiting = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
        };
        let conn = Conn {
            builder: builder.clone(),
            app: app.clone(),
            grpc: grpc.clone(),
            idle_timeout: limits.idle_timeout,
            stop: stop_rx.clone(),
        };
        if let Ok(slot) = slots.clone().try_acquire_owned() {
            tokio::spawn(conn.run(stream, slot));
            continue;
        }
        if waiting.fetch_add(1, Ordering::Relaxed) >= limits.max_connections as usize {
            waiting.fetch_sub(1, Ordering::Relaxed);
            tracing::warn!(
                max_connections = limits.max_connections,
                "connection closed: --max-connections reached"
            );
            continue;
        }
        let (slots, waiting) = (slots.clone(), waiting.clone());
        tokio::spawn(async move {
            let slot = tokio::time::timeout(ACCEPT_WAIT, slots.acquire_owned()).await;
            waiting.fetch_sub(1, Ordering::Relaxed);
            match slot {
                Ok(Ok(slot)) => conn.run(stream, slot).await,
                _ => tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection closed: --max-connections reached"
                ),
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a slot until it ends: all slots back means all connections ended.
    let drained = tokio::time::timeout(DRAIN_LIMIT, slots.acquire_many(limits.max_connections));
    if drained.await.is_err() {
        tracing::warn!(
            open = limits.max_connections as usize - slots.available_permits(),
            "connections still busy after {DRAIN_LIMIT:?}: closing them"
        );
    }
}

struct Conn {
    builder: Arc<Builder<TokioExecutor>>,
    app: Router,
    grpc: Grpc,
    idle_timeout: Duration,
    stop: watch::Receiver<bool>,
}

impl Conn {
    async fn run(mut self, stream: TcpStream, _slot: OwnedSemaphorePermit) {
        if *self.stop.borrow() {
            return;
        }
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: activity.clone(),
        });
        let (app, grpc) = (self.app.clone(), self.grpc.clone());
        let requests = activity.clone();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let guard = InFlight::new(requests.clone());
            let (app, grpc) = (app.clone(), grpc.clone());
            async move {
                let resp = if flight::is_grpc(&req) {
                    grpc.call(req).await
                } else {
                    app.oneshot(req.map(Body::new)).await?
                };
                // The request counts as in flight until its answer's body is written.
                Ok::<_, std::convert::Infallible>(resp.map(|b| {
                    Body::new(b.map_frame(move |frame| {
                        let _ = &guard;
                        frame
                    }))
                }))
            }
        });
        let conn = self.builder.serve_connection(io, service);
        tokio::pin!(conn);
        let mut stopping = false;
        loop {
            let idle_at = activity.last() + self.idle_timeout;
            tokio::select! {
                served = conn.as_mut() => {
                    if let Err(e) = served {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = self.stop.changed(), if !stopping => {
                    // Nothing in flight: nothing to finish, close now (also a half-sent head).
                    if activity.in_flight() == 0 {
                        return;
                    }
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
                () = tokio::time::sleep_until(idle_at) => {
                    if activity.last() + self.idle_timeout <= Instant::now() {
                        if activity.in_flight() == 0 {
                            tracing::debug!("closing a connection idle for {:?}", self.idle_timeout);
                            return;
                        }
                        // A request without traffic (a slow query) is not idle: look again later.
                        activity.touch();
                    }
                }
            }
        }
    }
}

/// When the connection last moved a byte, and how many requests it has in flight.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

/// Counts one request as in flight while alive.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The socket, noting each read or write in its [`Activity`].
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl Tracked {
    fn note<T>(&self, poll: &Poll<io::Result<T>>) {
        if let Poll::Ready(Ok(_)) = poll {
            self.activity.touch();
        }
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.note(&poll);
        poll
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.note(&poll);
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.note(&poll);
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
