//! Liveness and readiness.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::App;
use crate::event_store::read::head;

/// Projections may trail the log by this many events and still be "caught up"
/// (under load the runner is always up to one batch behind).
const READY_LAG: i64 = 1_000;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Readiness details.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    #[schema(example = "ready")]
    pub status: &'static str,
    pub database: bool,
    /// Highest position in the log.
    #[schema(required = true)]
    pub log_position: Option<i64>,
    /// Position the projections have applied.
    pub projection_position: i64,
    /// True while a projection batch keeps failing (see the log).
    pub projections_failing: bool,
}

/// The process is up.
#[utoipa::path(
    operation_id = "get_health", get, path = "/health", tag = "health",
    responses(
        (status = 200, body = Health)
    )
)]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database is reachable and the projections have caught up with the log.
/// A database that does not answer within the readiness deadline
/// (`PUREBOOT_READY_TIMEOUT_SECS`) counts as unreachable.
#[utoipa::path(
    operation_id = "get_readiness", get, path = "/ready", tag = "health",
    responses(
        (status = 200, body = Readiness),
        (status = 503,
            description = "Not ready (database unreachable or not answering in time, or projections behind)",
            body = Readiness)
    )
)]
pub async fn ready(State(app): State<Arc<App>>) -> impl IntoResponse {
    let log_head = async {
        let conn = app.pool.get().await.ok()?;
        head(&*conn).await.ok()
    };
    let log_position = tokio::time::timeout(app.config.ready_timeout(), log_head).await.ok().flatten();
    let projection_position = app.progress.position();
    let ok = !app.progress.failing() && log_position.is_some_and(|h| h - projection_position <= READY_LAG);
    let body = Readiness {
        status: if ok { "ready" } else { "not_ready" },
        database: log_position.is_some(),
        log_position,
        projection_position,
        projections_failing: app.progress.failing(),
    };
    (if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(body))
}
