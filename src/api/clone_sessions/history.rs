//! A session's timeline, straight from the log (so deleted sessions have one too).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::api::envelope::ApiItems;
use crate::api::event_type::EventType;
use crate::api::extract::IdPath;
use crate::app::App;
use crate::auth::{Auth, Viewer};
use crate::domain::clone_session::{CloneSession, CloneSessionEvent as E};
use crate::error::{ApiError, ErrorBody};
use crate::event_store::read::read_stream;
use crate::event_store::{Aggregate, RecordedEvent};

/// One event of a session's life.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CloneHistoryEntry)]
pub struct TimelineEntry {
    pub position: i64,
    #[schema(value_type = EventType, example = "clone_session.source_ready")]
    pub event_type: String,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// One line a person can read.
    #[schema(example = "source ready at 10.0.0.5:9999, 500.1 GB on /dev/sda")]
    pub summary: String,
    /// Seconds since the previous entry.
    pub since_previous_seconds: Option<f64>,
    pub actor: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// Every event of the session, in order, with a human summary.
#[utoipa::path(
    operation_id = "get_clone_session_history", get, path = "/clone-sessions/{id}/history", tag = "clone-sessions",
    params(("id" = Uuid, Path)), security(("bearer" = ["viewer"])),
    responses((status = 200, body = ApiItems<TimelineEntry>), (status = 404, body = ErrorBody))
)]
pub async fn history(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    IdPath(id): IdPath,
) -> Result<Json<ApiItems<TimelineEntry>>, ApiError> {
    let conn = app.pool.get().await?;
    let events = read_stream(&*conn, &CloneSession::stream(id), 0).await?;
    if events.is_empty() {
        return Err(ApiError::NotFound("Clone session not found".into()));
    }
    let mut previous: Option<OffsetDateTime> = None;
    let entries = events
        .into_iter()
        .map(|event| {
            let since = previous.map(|p| (event.recorded_at - p).as_seconds_f64());
            previous = Some(event.recorded_at);
            entry(event, since)
        })
        .collect();
    Ok(ApiItems::ok(entries))
}

fn entry(event: RecordedEvent, since_previous_seconds: Option<f64>) -> TimelineEntry {
    let summary = event.decode::<E>().map_or_else(|_| event.event_type.clone(), |e| summary(&e));
    TimelineEntry {
        position: event.position,
        event_type: event.event_type,
        recorded_at: event.recorded_at,
        summary,
        since_previous_seconds,
        actor: event.actor,
        request_id: event.request_id,
        payload: event.payload,
    }
}

pub fn summary(event: &E) -> String {
    match event {
        E::Created(c) => {
            format!("created ({:?} mode, {} → {})", c.spec.clone_mode, c.spec.source_device, c.spec.target_device)
                .to_lowercase()
        }
        E::Updated(_) => "settings changed".into(),
        E::CertificateIssued(c) => {
            format!("{} certificate issued (serial {}, expires {})", c.role.as_str(), c.serial, c.not_after.date())
        }
        E::Started { requested: true, .. } => "started by an operator".into(),
        E::Started { .. } => "clone started".into(),
        E::PlanSet(plan) if plan.source_operations.is_empty() => "resize plan cleared".into(),
        E::PlanSet(plan) => format!(
            "resize plan set: {}",
            plan.source_operations.iter().map(|op| op.describe()).collect::<Vec<_>>().join(", ")
        ),
        E::SourceReady { endpoint, .. } => format!(
            "source ready at {}:{}, {} on {}",
            endpoint.ip,
            endpoint.port,
            human_bytes(endpoint.size_bytes),
            endpoint.device
        ),
        E::ProgressReported(p) => format!(
            "{} reported {}{}",
            p.role.as_str(),
            human_bytes(p.reported_bytes),
            p.bytes_total.map(|t| format!(" of {}", human_bytes(t))).unwrap_or_default()
        ),
        E::Completed { duration_seconds, .. } => format!("completed in {duration_seconds} s"),
        E::Failed { error, .. } => format!("failed: {error}"),
        E::Cancelled { .. } => "cancelled".into(),
        E::StagingChanged { role, staging_status, .. } => {
            format!("{} reported staging {}", role.as_str(), staging_status.as_str())
        }
        E::SourceCompleted(c) => {
            format!(
                "image stored: {} in {} chunks, digest {}",
                human_bytes(c.stored.size_bytes),
                c.stored.chunks,
                c.stored.digest
            )
        }
        E::Deleted { .. } => "deleted".into(),
    }
}

/// Decimal units, as disk vendors label disks.
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}
