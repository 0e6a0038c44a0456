//! Router assembly (API, WebSocket, Swagger UI, the built web UI) and the
//! HTTP server with graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, header};
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::SwaggerUi;

use super::App;
use super::connections::{self, Limits};
use crate::api;

/// The whole HTTP surface of the controller.
pub fn router(app: Arc<App>) -> Router {
    let (api_router, openapi) = api::router().split_for_parts();
    let ui_dir = app.config.ui_dir.clone();
    let index = ui_dir.join("index.html");
    let max_body = app.config.max_body_bytes;
    let request_timeout = app.config.request_timeout();
    let query_contract = Arc::new(api::query_contract::QueryContract::from_document(&openapi));
    Router::new()
        .merge(
            api_router
                .route_layer(axum::middleware::from_fn_with_state(
                    query_contract,
                    api::query_contract::refuse_undeclared,
                ))
                .layer(axum::middleware::from_fn_with_state(request_timeout, deadline))
                .layer(axum::middleware::from_fn(crate::auth::failures::log_refusals)),
        )
        .merge(Router::from(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi)).layer(content_security()))
        .route("/api/{*rest}", any(unknown_endpoint))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback_service(web_ui(ui_dir, index))
        .layer(axum::middleware::from_fn_with_state(max_body, api::body_limit::refuse_oversized))
        .layer(axum::middleware::from_fn(crate::request::request_id))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(axum::middleware::from_fn_with_state(app.clone(), crate::metrics::http::track))
        .with_state(app)
}

/// What the web UI and the Swagger UI may load: only their own origin.
/// `connect-src 'self'` covers WebSockets to the page's own host and port
/// too (CSP Level 3, "does url match expression": `'self'` matches `ws:`/`wss:`
/// of the same host), so a script injected into the page cannot send data
/// to another host over a WebSocket. Inline styles: Swagger UI and the UI's
/// components set style attributes; no inline script is allowed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

fn content_security() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    )
}

/// The built UI, with `index.html` for every unknown path (deep links work on
/// reload) and a strict content security policy.
fn web_ui(dir: std::path::PathBuf, index: std::path::PathBuf) -> Router {
    Router::new().fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index))).layer(content_security())
}

/// API paths that match no route get the JSON error shape, not the web UI.
async fn unknown_endpoint(method: Method, uri: Uri) -> crate::error::ApiError {
    crate::error::ApiError::NotFound(format!("no endpoint {method} {}", uri.path()))
}

/// A known path asked with a method it does not have: the JSON error shape
/// (axum still adds the `Allow` header listing the methods it has).
async fn method_not_allowed(method: Method, uri: Uri) -> crate::error::ApiError {
    crate::error::ApiError::MethodNotAllowed(format!("{} does not accept {method}", uri.path()))
}

/// Kernel send buffer asked for on every accepted connection. Linux doubles
/// it for its bookkeeping, so a connection holds at most ~128 KiB of unsent
/// data in the kernel, instead of the autotuned default of up to 4 MiB
/// (`net.ipv4.tcp_wmem`), which a client that stops reading (a WebSocket
/// viewer) would otherwise pin for as long as it stays connected. Ample for
/// API responses and the UI's files on a LAN.
pub const SEND_BUFFER_BYTES: usize = 64 * 1024;

/// Caps the kernel send buffer of an accepted connection. A failure only
/// costs the cap, so it is logged, not fatal.
pub fn cap_send_buffer(stream: &mut tokio::net::TcpStream) {
    if let Err(err) = socket2::SockRef::from(&*stream).set_send_buffer_size(SEND_BUFFER_BYTES) {
        tracing::warn!(error = %err, "could not cap a connection's send buffer");
    }
}

/// Answers 503 for an API request that has not finished within `limit`.
///
/// The database's own timeouts (statement, lock, pool) cannot fire when it
/// stops answering altogether (a frozen server, a network dropping packets):
/// this bound always holds. Dropping the handler's future is what a client
/// disconnecting does too, so handlers are already safe to stop at any await.
/// For the WebSocket this bounds the handshake only: the socket lives on in
/// its own task.
async fn deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => crate::error::ApiError::Unavailable(format!(
            "no answer within {} s (the database is slow or not answering); a command may or may not have \
             taken effect: check before retrying",
            limit.as_secs()
        ))
        .into_response(),
    }
}

/// Serves until the app's shutdown token is cancelled; then refuses new
/// connections at once, lets requests in flight finish for up to the
/// configured grace period (WebSockets are closed by their own tasks), and
/// only then stops the background tasks those requests may be waiting on
/// (the projections, for read-your-writes).
///
/// Every connection is bounded ([`super::connections`]): its request headers
/// must arrive within `PUREBOOT_HEADER_READ_TIMEOUT_MS`, and at most
/// `PUREBOOT_MAX_CONNECTIONS` are open at once.
pub async fn serve(app: Arc<App>, listener: TcpListener) -> std::io::Result<()> {
    let shutdown = app.shutdown.clone();
    let grace = app.config.shutdown_grace();
    let limits =
        Limits { header_read_timeout: app.config.header_read_timeout(), max_connections: app.config.max_connections };
    let server = connections::accept(listener, router(app.clone()), limits, shutdown.clone());
    tokio::select! {
        () = server => {}
        () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
            let grace_secs = grace.as_secs();
            tracing::warn!(grace_secs, "requests still in flight after the grace period; dropping them");
        }
    };
    app.background.cancel();
    Ok(())
}
