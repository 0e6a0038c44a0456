//! `GET /metrics` on the main listener: the same exposition as
//! `PUREBOOT_METRICS_LISTEN` serves, behind an operator token.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use crate::app::App;
use crate::auth::{Auth, Viewer};
use crate::error::ApiError;

/// Prometheus metrics in the OpenMetrics 1.0 text format: HTTP requests by
/// route template and status with latency histograms (seconds), commands
/// appended and group-commit batch sizes, the projections' lag (events,
/// seconds) and this instance's role, WebSocket clients, resyncs and drops,
/// the database pool, sessions by status, bytes cloned, certificates issued
/// and revoked. Needs any operator token here; served without one on
/// `PUREBOOT_METRICS_LISTEN`, an address only the Prometheus server reaches.
#[utoipa::path(
    operation_id = "get_metrics", get, path = "/metrics", tag = "health",
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, description = "The metrics",
            content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String)
    )
)]
pub async fn metrics(State(app): State<Arc<App>>, _auth: Auth<Viewer>) -> Result<Response, ApiError> {
    crate::metrics::render(&app).await
}
