//! `GET /ws`: the live event stream.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::ApiQuery;
use crate::app::App;
use crate::error::ApiError;
use crate::fanout::websocket::{Client, CredentialCheck, Ending, Subscription, Validity};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsParams {
    /// Resume after this log position: every message after it is replayed
    /// from the log before live messages follow, with no gap or duplicate.
    /// A position past the log's head is refused with 422.
    #[param(minimum = 0)]
    pub from: Option<i64>,
    /// An operator token (any role), for browsers that cannot set headers on
    /// a WebSocket; `Authorization: Bearer` works too. Documented as the
    /// `bearer_query` security scheme rather than as a parameter.
    #[param(ignore)]
    pub token: Option<String>,
}

/// The query's `token`, read alone (whatever else the query holds) so the
/// caller is authenticated first; none unless it is given exactly once.
fn query_token(uri: &Uri) -> Option<String> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri).ok()?;
    let mut tokens = pairs.into_iter().filter(|(name, _)| name == "token").map(|(_, value)| value);
    match (tokens.next(), tokens.next()) {
        (Some(token), None) => Some(token),
        _ => None,
    }
}

/// Read and write buffer of one WebSocket client.
const CLIENT_BUFFER: usize = 4 * 1024;
/// Largest message a client may send.
const MAX_CLIENT_MESSAGE: usize = 16 * 1024;

/// Upgrade to a WebSocket of events (`WsEventMessage`: `type` and `data` as
/// `WsEventData` lists them, one schema per message type).
///
/// Each event message carries its `position` and `prev_position`, the
/// position of the message sent before it on this connection (for the first,
/// the `from` given): a client that last handled position P has missed
/// something exactly when `prev_position > P`, and should refetch. Send
/// `{"type":"ping"}` to get `{"type":"pong"}` (`WsControlMessage`). A client
/// that falls too far behind receives `{"type":"resync","position":N}` and
/// close code 4000; it should reconnect with `?from=N`. When the token is
/// revoked the socket is closed with code 4001 (`token revoked`) within
/// twice `PUREBOOT_WS_TOKEN_RECHECK_MS` (2 s by default). A client that does not
/// read for the send timeout (10 s by default) is disconnected. A close frame
/// from the client is answered with one.
#[utoipa::path(
    operation_id = "stream_events", get, path = "/ws", tag = "events",
    params(WsParams), security(("bearer" = ["viewer"]), ("bearer_query" = ["viewer"])),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol; then messages of this shape",
            body = crate::fanout::contract::WsServerMessage),
        (status = 400, description = "Not a WebSocket handshake", body = crate::error::ErrorBody),
        (status = 422, description = "`from` negative or past the log's head", body = crate::error::ErrorBody)
    )
)]
pub async fn events(
    State(app): State<Arc<App>>,
    headers: axum::http::HeaderMap,
    uri: Uri,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    // Authenticate before reading anything else of the request, as every
    // route does: an anonymous caller learns nothing about its query (a bad
    // `from` is a 401 for it, not a 422 naming the parameter).
    let token = query_token(&uri).or_else(|| crate::auth::bearer(&headers).map(str::to_owned));
    crate::auth::authenticate(&app, token.as_deref()).await?;
    let token = token.unwrap_or_default();
    let ApiQuery(params) = ApiQuery::<WsParams>::from_uri(&uri)?;
    if let Some(from) = params.from {
        super::cursor::not_negative("from", from)?;
        let conn = app.pool.get().await?;
        super::cursor::within_log(&*conn, "from", from).await?;
    }
    // Clients only ever send pings: small buffers and a small message limit
    // (the defaults, 128 KiB per buffer and 64 MiB per message, made 500
    // watchers cost ~60 MB and let one client make the controller buffer a
    // huge frame).
    let upgrade = upgrade
        .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?
        .read_buffer_size(CLIENT_BUFFER)
        .write_buffer_size(CLIENT_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE);
    let subscription = Subscription::to(&app.hub);
    Ok(upgrade.on_upgrade(move |socket| {
        let recheck_every = Duration::from_millis(app.config.ws_token_recheck_ms);
        let client = Client {
            socket,
            pool: app.pool.clone(),
            from: params.from,
            shutdown: app.shutdown.clone(),
            send_timeout: Duration::from_millis(app.config.ws_send_timeout_ms),
            credential: credential_check(app.clone(), token, recheck_every),
            recheck_every,
        };
        async move {
            let counter = match client.serve(subscription).await {
                Ending::Resync => &app.metrics.ws_resyncs,
                Ending::Dropped => &app.metrics.ws_dropped,
                Ending::Closed => return,
            };
            counter.inc();
        }
    }))
}

/// Re-checks `token` for an open socket, trusting a verification at most
/// `max_age` old (shared with the other sockets and requests of the token).
fn credential_check(app: Arc<App>, token: String, max_age: Duration) -> CredentialCheck {
    let token = Arc::new(token);
    Box::new(move || {
        let (app, token) = (app.clone(), token.clone());
        Box::pin(async move {
            let Ok(conn) = app.pool.get().await else { return Validity::Unknown };
            match app.tokens.verify_within(&*conn, &token, max_age).await {
                Ok(Some(_)) => Validity::Valid,
                Ok(None) => Validity::Revoked,
                Err(_) => Validity::Unknown,
            }
        })
    })
}
