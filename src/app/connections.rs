//! The accept loop: what `axum::serve` does, plus the bounds it cannot be
//! given. Every connection must deliver each request's header within
//! `PUREBOOT_HEADER_READ_TIMEOUT_MS` (hyper's `header_read_timeout`, which
//! needs a timer axum does not set), and at most `PUREBOOT_MAX_CONNECTIONS`
//! are open at once, WebSockets included: without these, anyone on the
//! network could hold the controller's file descriptors with connections
//! that send nothing.

use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// The bounds every connection is held to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_connections: u32,
}

/// Accepts connections until `shutdown` is cancelled, then stops accepting
/// and returns once every HTTP connection has finished its request in flight
/// (upgraded WebSockets are closed by their own tasks).
pub async fn accept(listener: TcpListener, router: Router, limits: Limits, shutdown: CancellationToken) {
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    // Each connection task holds a receiver; `closed()` resolves when all
    // are gone (the way axum::serve waits for its connections).
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            // A slot first: over the limit, connections wait in the backlog.
            accepted = async {
                let slot = slots.clone().acquire_owned().await.ok()?;
                Some((next(&listener).await, slot))
            } => accepted,
            () = shutdown.cancelled() => break,
        };
        let Some(((stream, remote), slot)) = accepted else { break };
        let service = router.clone().map_request(move |mut request: axum::http::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            request
        });
        let open = open_rx.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            serve_connection(Held { stream, _slot: slot }, TowerToHyperService::new(service), limits, shutdown).await;
            drop(open);
        });
    }
    drop(listener);
    drop(open_rx);
    open_tx.closed().await;
}

/// The next connection, its send buffer capped and Nagle's algorithm off.
/// Errors of one connection are skipped; others (out of file descriptors)
/// are logged and retried after a second, as `axum::serve` does.
async fn next(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok((mut stream, remote)) => {
                super::server::cap_send_buffer(&mut stream);
                // A WebSocket sends small messages the client never answers:
                // with Nagle on, each one waits in the kernel while the one
                // before is unacknowledged (until the client reads it, or its
                // delayed-ACK timer fires). A failure only costs that latency.
                if let Err(err) = stream.set_nodelay(true) {
                    tracing::warn!(error = %err, "could not turn Nagle's algorithm off on a connection");
                }
                return (stream, remote);
            }
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                ) => {}
            Err(err) => {
                tracing::error!(error = %err, "accepting a connection failed; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn serve_connection<S>(stream: Held, service: S, limits: Limits, shutdown: CancellationToken)
where
    S: hyper::service::Service<axum::http::Request<Incoming>, Response = axum::response::Response> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service).with_upgrades());
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, "connection ended with an error");
                }
                return;
            }
            () = shutdown.cancelled(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A connection and its slot: the slot is given back when the socket is
/// dropped, which for a WebSocket is when its task ends (hyper hands this
/// very stream to the upgraded socket), so open WebSockets count too.
struct Held {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
}

impl AsyncRead for Held {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Held {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
