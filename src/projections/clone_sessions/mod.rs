//! `clone_sessions`: one row per live session, folded from its events.

mod page_cache;
mod queries;

pub use page_cache::{PageCache, PageKey};
pub use queries::{CloneSessionView, ListFilter, ReferencedNames, get, list};

use deadpool_postgres::Transaction;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::fold::sessions::{self, Change, MergedProgress, SessionFold, text, ts};
use super::{ApplyResult, ProjectionDef, ProjectionError, fold};
use crate::domain::clone_session::{
    CloneSessionEvent as E, Role, SessionCreated, StagedImage, StagingStatus, starts_transfer,
};
use crate::domain::image::{ImageEvent, manifest_path};
use crate::event_store::{Category, RecordedEvent};

/// The fold's [`SessionFold`].
pub struct CloneSessionsProjection;

pub const DEF: ProjectionDef = ProjectionDef {
    name: "clone_sessions",
    schema: include_str!("../../../projections/clone_sessions.sql"),
    tables: &["clone_sessions", "clone_session_counts"],
    version: 4,
    apply: apply_events,
};

fn apply_events<'a>(tx: &'a Transaction<'a>, events: &'a [RecordedEvent]) -> ApplyResult<'a> {
    Box::pin(async move {
        sessions::apply(tx, events, &CloneSessionsProjection).await?;
        images_deleted(tx, events).await
    })
}

/// An image's sessions show staging `cleanup` once its deletion is asked
/// for and `deleted` once its files are gone (the image's own stream says
/// so; the sessions' streams do not change).
async fn images_deleted(tx: &Transaction<'_>, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    for decoded in fold::events_of::<ImageEvent>(events, Category::Image) {
        let (event, image, decoded) = decoded?;
        let staging = match decoded {
            ImageEvent::CleanupStarted { .. } => StagingStatus::Cleanup,
            ImageEvent::Deleted { .. } => StagingStatus::Deleted,
            ImageEvent::Ready { .. } | ImageEvent::RestoreCreated { .. } | ImageEvent::CleanupFailed { .. } => continue,
        };
        tx.execute(
            "UPDATE clone_sessions SET staging_status = $4, updated_at = $2, last_position = $3 WHERE image_id = $1",
            &[&image, &event.recorded_at, &event.position, &staging.as_str()],
        )
        .await?;
    }
    Ok(())
}

/// A created session's columns: the one mapping of `clone_session.created`
/// to a row, which the fold inserts (with `status` 'pending') and
/// [`CloneSessionView::created`] shows.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedRow {
    pub id: Uuid,
    pub name: Option<String>,
    pub clone_mode: String,
    pub source_node_id: Uuid,
    pub target_node_id: Option<Uuid>,
    pub source_device: String,
    pub target_device: String,
    pub staging_backend_id: Option<Uuid>,
    pub resize_mode: String,
    #[serde(serialize_with = "timestamp")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
    /// Staged sessions: the image captured or restored, its manifest's path
    /// on the backend and the staging's first status.
    pub image_id: Option<Uuid>,
    pub staging_path: Option<String>,
    pub staging_status: Option<String>,
    /// A restore's size is the image's, known from the start.
    pub bytes_total: Option<i64>,
}

impl CreatedRow {
    pub fn of(created: &SessionCreated) -> Self {
        let spec = &created.spec;
        CreatedRow {
            id: created.id,
            name: spec.name.clone(),
            clone_mode: text(&spec.clone_mode),
            source_node_id: spec.source_node_id,
            target_node_id: spec.target_node_id,
            source_device: spec.source_device.clone(),
            target_device: spec.target_device.clone(),
            staging_backend_id: spec.staging_backend_id,
            resize_mode: text(&spec.resize_mode),
            created_at: created.at,
            created_by: created.created_by.clone(),
            image_id: created.staged.as_ref().map(StagedImage::image_id),
            staging_path: created.staged.as_ref().map(|s| manifest_path(s.image_name())),
            staging_status: created.staged.as_ref().map(|s| s.initial_status().as_str().to_owned()),
            bytes_total: match &created.staged {
                Some(StagedImage::Restore { size_bytes, .. }) => Some(*size_bytes),
                _ => None,
            },
        }
    }
}

fn timestamp<S: serde::Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    ts(at).serialize(serializer)
}

const CREATED: &str = "INSERT INTO clone_sessions (id, name, status, clone_mode, source_node_id, target_node_id,
        source_device, target_device, staging_backend_id, resize_mode, created_at, created_by, updated_at,
        last_position, image_id, staging_path, staging_status, bytes_total)
    SELECT id, name, 'pending', clone_mode, source_node_id, target_node_id, source_device, target_device,
        staging_backend_id, resize_mode, created_at, created_by, at, pos, image_id, staging_path, staging_status,
        bytes_total
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, name text, clone_mode text, source_node_id uuid,
        target_node_id uuid, source_device text, target_device text, staging_backend_id uuid, resize_mode text,
        created_at timestamptz, created_by text, at timestamptz, pos bigint, image_id uuid, staging_path text,
        staging_status text, bytes_total bigint)
    ON CONFLICT (id) DO NOTHING";

/// A staged session's staging moved on; the upload or download starting
/// takes it out of `pending`.
const STAGING: &str = "UPDATE clone_sessions s SET staging_status = v.staging,
        status = CASE WHEN s.status = 'pending' AND v.moving THEN 'cloning' ELSE s.status END,
        started_at = CASE WHEN v.moving THEN COALESCE(s.started_at, v.at) ELSE s.started_at END, bytes_total = COALESCE(v.size, s.bytes_total),
        updated_at = v.at, last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, staging text, moving boolean, size bigint, at timestamptz,
        pos bigint)
    WHERE s.id = v.id";

const SOURCE_COMPLETED: &str = "UPDATE clone_sessions s SET staging_status = 'ready', bytes_total = v.size,
        updated_at = v.at, last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, size bigint, at timestamptz, pos bigint)
    WHERE s.id = v.id";

const UPDATED: &str = "UPDATE clone_sessions s SET name = COALESCE(v.name, s.name),
        target_node_id = COALESCE(v.target_node_id, s.target_node_id),
        target_device = COALESCE(v.target_device, s.target_device),
        resize_mode = COALESCE(v.resize_mode, s.resize_mode),
        updated_at = v.at, last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, name text, target_node_id uuid, target_device text,
        resize_mode text, at timestamptz, pos bigint)
    WHERE s.id = v.id";

const SOURCE_CERT: &str = "UPDATE clone_sessions s SET source_cert_serial = v.serial,
        source_cert_expires_at = v.not_after, updated_at = v.at, last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, serial text, not_after timestamptz, at timestamptz, pos bigint)
    WHERE s.id = v.id";

const TARGET_CERT: &str = "UPDATE clone_sessions s SET target_cert_serial = v.serial,
        target_cert_expires_at = v.not_after, updated_at = v.at, last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, serial text, not_after timestamptz, at timestamptz, pos bigint)
    WHERE s.id = v.id";

const SOURCE_READY: &str = "UPDATE clone_sessions s SET status = 'source_ready', source_ip = v.ip,
        source_port = v.port, bytes_total = v.size_bytes, started_at = v.started, updated_at = v.at,
        last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, ip text, port integer, size_bytes bigint,
        started timestamptz, at timestamptz, pos bigint)
    WHERE s.id = v.id";

const START_REQUESTED: &str = "UPDATE clone_sessions s SET start_requested_at = v.at, updated_at = v.at,
        last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, at timestamptz, pos bigint)
    WHERE s.id = v.id";

/// Merged progress reports (see `fold::sessions`).
const PROGRESS: &str = "UPDATE clone_sessions s SET status = 'cloning', bytes_transferred = v.bytes,
        transfer_rate_bps = COALESCE(v.rate, s.transfer_rate_bps),
        transfer_status = COALESCE(v.phase, s.transfer_status),
        bytes_on_wire = COALESCE(v.wire, s.bytes_on_wire),
        verified_bytes = CASE WHEN v.phase = 'verifying' THEN v.reported ELSE s.verified_bytes END,
        last_report_at = v.at, updated_at = v.at, last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, bytes bigint, rate bigint, phase text, wire bigint,
        reported bigint, at timestamptz, pos bigint)
    WHERE s.id = v.id";

const COMPLETED: &str = "UPDATE clone_sessions s SET status = 'completed', duration_seconds = v.duration,
        bytes_transferred = v.bytes, completed_at = v.done, updated_at = v.at, last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, duration bigint, bytes bigint, done timestamptz,
        at timestamptz, pos bigint)
    WHERE s.id = v.id";

const FAILED: &str = "UPDATE clone_sessions s SET status = 'failed', error_message = v.error,
        completed_at = v.done, updated_at = v.at, last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, error text, done timestamptz, at timestamptz, pos bigint)
    WHERE s.id = v.id";

const CANCELLED: &str = "UPDATE clone_sessions s SET status = 'cancelled', completed_at = v.done,
        updated_at = v.at, last_position = v.pos
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, done timestamptz, at timestamptz, pos bigint)
    WHERE s.id = v.id";

const DELETED: &str =
    "DELETE FROM clone_sessions s USING jsonb_to_recordset($1::jsonb) AS v(id uuid) WHERE s.id = v.id";

/// Every change also stamps `updated_at` (the log time) and `last_position`.
impl SessionFold for CloneSessionsProjection {
    fn changes(&self, event: &RecordedEvent, id: Uuid, decoded: &E) -> Vec<Change> {
        let (at, pos) = (ts(&event.recorded_at), event.position);
        let (sql, row) = match decoded {
            E::Created(c) => {
                let mut row = json!(CreatedRow::of(c));
                row["at"] = at;
                row["pos"] = json!(pos);
                (CREATED, row)
            }
            E::Updated(u) => {
                let row = json!({"id": id, "name": u.name, "target_node_id": u.target_node_id,
                    "target_device": u.target_device, "resize_mode": u.resize_mode.as_ref().map(text),
                    "at": at, "pos": pos});
                (UPDATED, row)
            }
            E::CertificateIssued(cert) => {
                let sql = if cert.role == Role::Source { SOURCE_CERT } else { TARGET_CERT };
                (sql, json!({"id": id, "serial": cert.serial, "not_after": ts(&cert.not_after), "at": at, "pos": pos}))
            }
            E::Started { requested: true, .. } => (START_REQUESTED, json!({"id": id, "at": at, "pos": pos})),
            E::Started { .. } | E::PlanSet(_) | E::ProgressReported(_) => return Vec::new(),
            E::SourceReady { endpoint, at: started } => {
                let row = json!({"id": id, "ip": endpoint.ip, "port": endpoint.port, "size_bytes": endpoint.size_bytes,
                    "started": ts(started), "at": at, "pos": pos});
                (SOURCE_READY, row)
            }
            E::Completed { duration_seconds, bytes_transferred, at: done, .. } => {
                let row = json!({"id": id, "duration": duration_seconds, "bytes": bytes_transferred,
                    "done": ts(done), "at": at, "pos": pos});
                (COMPLETED, row)
            }
            E::Failed { error, at: done } => {
                (FAILED, json!({"id": id, "error": error, "done": ts(done), "at": at, "pos": pos}))
            }
            E::Cancelled { at: done } => (CANCELLED, json!({"id": id, "done": ts(done), "at": at, "pos": pos})),
            E::StagingChanged { staging_status, size_bytes, at: started, .. } => {
                let moving = starts_transfer(*staging_status);
                let row = json!({"id": id, "staging": staging_status.as_str(), "moving": moving, "size": size_bytes,
                    "at": ts(started), "pos": pos});
                (STAGING, row)
            }
            E::SourceCompleted(c) => {
                (SOURCE_COMPLETED, json!({"id": id, "size": c.stored.size_bytes, "at": at, "pos": pos}))
            }
            E::Deleted { .. } => (DELETED, json!({"id": id})),
        };
        vec![Change { sql, row }]
    }

    fn progress(&self, id: Uuid, merged: &MergedProgress) -> Option<Change> {
        let row = json!({"id": id, "bytes": merged.bytes, "rate": merged.rate, "phase": merged.status,
            "wire": merged.wire, "reported": merged.reported, "at": ts(&merged.at), "pos": merged.position});
        Some(Change { sql: PROGRESS, row })
    }
}
