//! `GET /ws`: the live event stream.

use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::ApiQuery;
use crate::app::App;
use crate::error::ApiError;
use crate::fanout::websocket::Client;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsParams {
    /// Resume after this log position: every message after it is replayed
    /// from the log before live messages follow, with no gap or duplicate.
    pub from: Option<i64>,
}

/// Upgrade to a WebSocket of events: `{"type", "data", "position", "timestamp"}`.
///
/// Send `{"type":"ping"}` to get `{"type":"pong"}`. A client that falls too far
/// behind receives `{"type":"resync","position":N}` and close code 4000; it
/// should reconnect with `?from=N`.
#[utoipa::path(get, path = "/ws", tag = "events", params(WsParams),
    responses((status = 101, description = "Switching to the WebSocket protocol"),
              (status = 400, description = "Not a WebSocket handshake", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn events(
    State(app): State<Arc<App>>,
    ApiQuery(params): ApiQuery<WsParams>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    if params.from.is_some_and(|p| p < 0) {
        return Err(ApiError::invalid("from", "must be at least 0"));
    }
    let upgrade = upgrade.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    Ok(upgrade.on_upgrade(move |socket| {
        let client = Client {
            socket,
            hub: app.hub.clone(),
            pool: app.pool.clone(),
            from: params.from,
            shutdown: app.shutdown.clone(),
        };
        client.serve()
    }))
}
