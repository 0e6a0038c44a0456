//! `clone_sessions`: one row per live session, folded from its events.

mod queries;

pub use queries::{CloneSessionView, get, list};

use tokio_postgres::Transaction;
use uuid::Uuid;

use super::progress_batch::fold_session_events;
use super::{ApplyResult, Projection, ProjectionError};
use crate::domain::clone_session::{CloneSessionEvent as E, Role};
use crate::event_store::RecordedEvent;

pub struct CloneSessionsProjection;

impl Projection for CloneSessionsProjection {
    fn name(&self) -> &'static str {
        "clone_sessions"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../../projections/clone_sessions.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["clone_sessions", "clone_session_counts"]
    }
    fn version(&self) -> u32 {
        1
    }
    fn apply<'a>(&'a self, tx: &'a Transaction<'a>, events: &'a [RecordedEvent]) -> ApplyResult<'a> {
        Box::pin(fold_session_events(tx, events, PROGRESS, |tx, event, decoded| Box::pin(apply(tx, event, decoded))))
    }
}

/// Folded progress of many sessions at once (see `progress_batch`).
const PROGRESS: &str = "UPDATE clone_sessions s SET status = 'cloning', bytes_transferred = v.bytes,
        transfer_rate_bps = COALESCE(v.rate, s.transfer_rate_bps), transfer_status = COALESCE(v.status, s.transfer_status),
        updated_at = v.at, last_position = v.pos
    FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::bigint[])
         AS v(id, bytes, rate, status, at, pos)
    WHERE s.id = v.id";

/// Every statement also stamps `updated_at` (the log time) and `last_position`.
async fn apply(tx: &Transaction<'_>, event: &RecordedEvent, decoded: E) -> Result<(), ProjectionError> {
    let id: Uuid = event.stream_id().parse().unwrap_or_default();
    let (at, pos) = (&event.recorded_at, &event.position);
    match decoded {
        E::Created(c) => {
            let spec = &c.spec;
            tx.execute(
                "INSERT INTO clone_sessions (id, name, status, clone_mode, source_node_id, target_node_id,
                     source_device, target_device, staging_backend_id, resize_mode, created_at, created_by,
                     updated_at, last_position)
                 VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &c.id,
                    &spec.name,
                    &text(&spec.clone_mode),
                    &spec.source_node_id,
                    &spec.target_node_id,
                    &spec.source_device,
                    &spec.target_device,
                    &spec.staging_backend_id,
                    &text(&spec.resize_mode),
                    &c.at,
                    &c.created_by,
                    at,
                    pos,
                ],
            )
            .await?;
        }
        E::Updated(u) => {
            tx.execute(
                "UPDATE clone_sessions SET name = COALESCE($2, name), target_node_id = COALESCE($3, target_node_id),
                     target_device = COALESCE($4, target_device), resize_mode = COALESCE($5, resize_mode),
                     updated_at = $6, last_position = $7
                 WHERE id = $1",
                &[&id, &u.name, &u.target_node_id, &u.target_device, &u.resize_mode.as_ref().map(text), at, pos],
            )
            .await?;
        }
        E::CertificateIssued(cert) => {
            let sql = match cert.role {
                Role::Source => {
                    "UPDATE clone_sessions SET source_cert_serial = $2, source_cert_expires_at = $3, updated_at = $4, last_position = $5 WHERE id = $1"
                }
                Role::Target => {
                    "UPDATE clone_sessions SET target_cert_serial = $2, target_cert_expires_at = $3, updated_at = $4, last_position = $5 WHERE id = $1"
                }
            };
            tx.execute(sql, &[&id, &cert.serial, &cert.not_after, at, pos]).await?;
        }
        E::Started { .. } => {}
        E::SourceReady { endpoint, at: started } => {
            tx.execute(
                "UPDATE clone_sessions SET status = 'source_ready', source_ip = $2, source_port = $3, bytes_total = $4,
                     started_at = $5, updated_at = $6, last_position = $7
                 WHERE id = $1",
                &[&id, &endpoint.ip, &i32::from(endpoint.port), &endpoint.size_bytes, &started, at, pos],
            )
            .await?;
        }
        // Folded by ProgressBatch before this function is reached.
        E::ProgressReported(_) => {}
        E::Completed { duration_seconds, bytes_transferred, at: done } => {
            tx.execute(
                "UPDATE clone_sessions SET status = 'completed', duration_seconds = $2, bytes_transferred = $3,
                     completed_at = $4, updated_at = $5, last_position = $6
                 WHERE id = $1",
                &[&id, &duration_seconds, &bytes_transferred, &done, at, pos],
            )
            .await?;
        }
        E::Failed { error, at: done } => {
            tx.execute(
                "UPDATE clone_sessions SET status = 'failed', error_message = $2, completed_at = $3,
                     updated_at = $4, last_position = $5
                 WHERE id = $1",
                &[&id, &error, &done, at, pos],
            )
            .await?;
        }
        E::Cancelled { at: done } => {
            tx.execute(
                "UPDATE clone_sessions SET status = 'cancelled', completed_at = $2, updated_at = $3, last_position = $4
                 WHERE id = $1",
                &[&id, &done, at, pos],
            )
            .await?;
        }
        E::Deleted { .. } => {
            tx.execute("DELETE FROM clone_sessions WHERE id = $1", &[&id]).await?;
        }
    }
    Ok(())
}

/// The snake_case wire name of a serde enum value.
fn text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
