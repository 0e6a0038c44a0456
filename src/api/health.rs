//! Liveness and readiness.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::App;
use crate::projections::lag;

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
    /// `leader` while this instance applies the projections (it holds the
    /// leader lock), `standby` while another does.
    #[schema(example = "leader")]
    pub role: InstanceRole,
    /// Highest position in the log (`null` when the database did not answer).
    #[schema(required = true)]
    pub log_position: Option<i64>,
    /// Position the projections have applied (by whichever instance leads).
    pub projection_position: i64,
    /// Events in the log the projections have not applied yet (`null` when
    /// the database did not answer).
    #[schema(required = true)]
    pub lag_events: Option<i64>,
    /// Age in seconds of the oldest event not applied yet (0 when caught up;
    /// `null` when the database did not answer).
    #[schema(required = true)]
    pub lag_seconds: Option<f64>,
    /// True while a projection batch keeps failing (see the log).
    pub projections_failing: bool,
}

/// An instance's part in applying the projections.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum InstanceRole {
    Leader,
    Standby,
}

/// The process is up.
#[utoipa::path(
    operation_id = "get_health", get, path = "/health", tag = "health",
    responses((status = 200, body = Health))
)]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database is reachable and the projections have caught up with the log;
/// says whether this instance leads the projections or stands by.
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
    let projection_position = app.progress.position();
    let measure = async {
        let conn = app.pool.get().await.ok()?;
        lag(&*conn, projection_position).await.ok()
    };
    let lag = tokio::time::timeout(app.config.ready_timeout(), measure).await.ok().flatten();
    let ok = !app.progress.failing() && lag.is_some_and(|l| l.events <= READY_LAG);
    let body = Readiness {
        status: if ok { "ready" } else { "not_ready" },
        database: lag.is_some(),
        role: if app.progress.leader() { InstanceRole::Leader } else { InstanceRole::Standby },
        log_position: lag.map(|l| l.head),
        projection_position,
        lag_events: lag.map(|l| l.events),
        lag_seconds: lag.map(|l| l.seconds),
        projections_failing: app.progress.failing(),
    };
    (if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(body))
}
