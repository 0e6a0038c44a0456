//! Reading the `clone_sessions` table, joined with node and backend names.

use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::db::Db;
use utoipa::ToSchema;
use uuid::Uuid;

use super::CreatedRow;
use crate::domain::clone_session::{
    CertificateIssued, CloneMode, CloneSession, CloneStatus, ResizeMode, Role, SessionCreated, TransferPhase,
    progress_percent,
};

/// The spec's `CloneSessionResponse`, plus certificate expiry and duration.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CloneSessionResponse)]
pub struct CloneSessionView {
    pub id: Uuid,
    #[schema(required = true, example = "rack1 disk swap")]
    pub name: Option<String>,
    #[schema(value_type = CloneStatus)]
    pub status: String,
    #[schema(value_type = CloneMode)]
    pub clone_mode: String,
    pub source_node_id: Uuid,
    /// Hostname of the source node (null if the node was deleted).
    #[schema(required = true)]
    pub source_node_name: Option<String>,
    #[schema(required = true)]
    pub target_node_id: Option<Uuid>,
    #[schema(required = true)]
    pub target_node_name: Option<String>,
    #[schema(example = "/dev/sda")]
    pub source_device: String,
    #[schema(example = "/dev/sda")]
    pub target_device: String,
    #[schema(required = true, example = "10.0.0.5")]
    pub source_ip: Option<String>,
    #[schema(example = 9999)]
    pub source_port: i32,
    #[schema(required = true)]
    pub staging_backend_id: Option<Uuid>,
    #[schema(required = true)]
    pub staging_backend_name: Option<String>,
    #[schema(required = true)]
    pub staging_path: Option<String>,
    #[schema(required = true, value_type = Option<crate::domain::clone_session::StagingStatus>)]
    pub staging_status: Option<String>,
    /// Staged sessions: the image captured (once its upload completes) or
    /// restored (`GET /images/{id}`).
    pub image_id: Option<Uuid>,
    #[schema(value_type = ResizeMode)]
    pub resize_mode: String,
    #[schema(required = true)]
    pub bytes_total: Option<i64>,
    pub bytes_transferred: i64,
    #[schema(required = true)]
    pub transfer_rate_bps: Option<i64>,
    /// Bytes the reporting node sent or received over the network so far, as
    /// of its last report that gave it (below `bytes_transferred` when empty
    /// chunks were skipped or a resumed target already held the data).
    pub bytes_on_wire: Option<i64>,
    /// Bytes verified so far while `transfer_phase` is `verifying` (the
    /// agent reads the target back after the copy); null before verification.
    pub verified_bytes: Option<i64>,
    /// What the transfer is doing, as of the last progress report that said
    /// (null before any): `transferring`, `verifying`, `resizing`, …
    #[schema(value_type = Option<TransferPhase>)]
    pub transfer_phase: Option<String>,
    /// When the last progress report was recorded (null before any): a
    /// session cloning with an old one has stalled.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_report_at: Option<OffsetDateTime>,
    /// `bytes_transferred / bytes_total`, in percent, rounded to 0.1.
    #[schema(example = 42.5)]
    pub progress_percent: f64,
    #[schema(required = true)]
    pub error_message: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true)]
    pub started_at: Option<OffsetDateTime>,
    /// When an operator started the session (`POST …/start`); null when
    /// nobody did. A `shrink_source` session's source waits for it; any
    /// other session also starts when its source reports ready.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true)]
    pub start_requested_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true)]
    pub completed_at: Option<OffsetDateTime>,
    #[schema(required = true)]
    pub created_by: Option<String>,
    /// Seconds from source-ready to completion (completed sessions only).
    #[schema(required = true)]
    pub duration_seconds: Option<i64>,
    /// Expiry of the source certificate (direct mode); the key is never shown.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true)]
    pub source_cert_expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true)]
    pub target_cert_expires_at: Option<OffsetDateTime>,
    /// Log position of the last event this view includes. A client that
    /// applies WebSocket messages can drop a fetched view older than the
    /// messages it already applied, or resume the stream with `?from=` here.
    pub last_position: i64,
}

/// Names of what a session refers to, shown in its view (`None` once deleted).
pub struct ReferencedNames {
    pub source: Option<String>,
    pub target: Option<String>,
    pub backend: Option<String>,
}

impl CloneSessionView {
    /// The view of a session just created, as the projection folds it from
    /// `created` (through the fold's own [`CreatedRow`]) and the certificate
    /// events; the other columns at their defaults (a test holds the two equal).
    pub fn created(
        created: &SessionCreated,
        certificates: &[CertificateIssued],
        names: ReferencedNames,
        last_position: i64,
    ) -> Self {
        let row = CreatedRow::of(created);
        let expiry = |role: Role| certificates.iter().rev().find(|c| c.role == role).map(|c| c.not_after);
        CloneSessionView {
            id: row.id,
            name: row.name,
            status: CloneStatus::Pending.to_string(),
            clone_mode: row.clone_mode,
            source_node_id: row.source_node_id,
            source_node_name: names.source,
            target_node_id: row.target_node_id,
            target_node_name: names.target,
            source_device: row.source_device,
            target_device: row.target_device,
            source_ip: None,
            source_port: DEFAULT_SOURCE_PORT,
            staging_backend_id: row.staging_backend_id,
            staging_backend_name: names.backend,
            staging_path: row.staging_path,
            staging_status: row.staging_status,
            image_id: row.image_id,
            resize_mode: row.resize_mode,
            bytes_total: row.bytes_total,
            bytes_transferred: 0,
            transfer_rate_bps: None,
            bytes_on_wire: None,
            verified_bytes: None,
            transfer_phase: None,
            last_report_at: None,
            progress_percent: 0.0,
            error_message: None,
            created_at: row.created_at,
            started_at: None,
            start_requested_at: None,
            completed_at: None,
            created_by: row.created_by,
            duration_seconds: None,
            source_cert_expires_at: expiry(Role::Source),
            target_cert_expires_at: expiry(Role::Target),
            last_position,
        }
    }
}

impl CloneSessionView {
    /// The view of a pending session in `state` (the only status in which it
    /// can be changed), as the projection folds it — built from the state a
    /// command left, so its response never shows a later command's change.
    /// `None` when `state` is not a pending session.
    pub fn pending(id: Uuid, state: &CloneSession, names: ReferencedNames, last_position: i64) -> Option<Self> {
        let (Some(spec), Some(at)) = (&state.spec, state.created_at) else { return None };
        if state.status != CloneStatus::Pending || state.deleted {
            return None;
        }
        let created = SessionCreated {
            id,
            spec: spec.clone(),
            staged: state.staged.clone(),
            created_by: state.created_by.clone(),
            at,
        };
        Some(Self::created(&created, &state.certificates, names, last_position))
    }
}

/// `clone_sessions.source_port`'s default (projections/clone_sessions.sql).
const DEFAULT_SOURCE_PORT: i32 = 9999;

const SELECT: &str = "SELECT s.id, s.name, s.status, s.clone_mode, s.source_node_id, sn.hostname, s.target_node_id,
        tn.hostname, s.source_device, s.target_device, s.source_ip, s.source_port, s.staging_backend_id, b.name,
        s.staging_path, s.staging_status, s.resize_mode, s.bytes_total, s.bytes_transferred, s.transfer_rate_bps,
        s.error_message, s.created_at, s.started_at, s.completed_at, s.created_by, s.duration_seconds,
        s.source_cert_expires_at, s.target_cert_expires_at, s.last_position, s.bytes_on_wire, s.transfer_status,
        s.last_report_at, s.verified_bytes, s.start_requested_at, s.image_id
    FROM clone_sessions s
    LEFT JOIN nodes sn ON sn.id = s.source_node_id
    LEFT JOIN nodes tn ON tn.id = s.target_node_id
    LEFT JOIN storage_backends b ON b.id = s.staging_backend_id";

fn view(row: &Row) -> CloneSessionView {
    let bytes_total: Option<i64> = row.get(17);
    let bytes_transferred: i64 = row.get(18);
    CloneSessionView {
        id: row.get(0),
        name: row.get(1),
        status: row.get(2),
        clone_mode: row.get(3),
        source_node_id: row.get(4),
        source_node_name: row.get(5),
        target_node_id: row.get(6),
        target_node_name: row.get(7),
        source_device: row.get(8),
        target_device: row.get(9),
        source_ip: row.get(10),
        source_port: row.get(11),
        staging_backend_id: row.get(12),
        staging_backend_name: row.get(13),
        staging_path: row.get(14),
        staging_status: row.get(15),
        image_id: row.get(34),
        resize_mode: row.get(16),
        bytes_total,
        bytes_transferred,
        transfer_rate_bps: row.get(19),
        bytes_on_wire: row.get(29),
        transfer_phase: row.get(30),
        last_report_at: row.get(31),
        verified_bytes: row.get(32),
        progress_percent: progress_percent(bytes_transferred, bytes_total),
        error_message: row.get(20),
        created_at: row.get(21),
        started_at: row.get(22),
        start_requested_at: row.get(33),
        completed_at: row.get(23),
        created_by: row.get(24),
        duration_seconds: row.get(25),
        source_cert_expires_at: row.get(26),
        target_cert_expires_at: row.get(27),
        last_position: row.get(28),
    }
}

pub async fn get(client: &impl Db, id: Uuid) -> Result<Option<CloneSessionView>, tokio_postgres::Error> {
    let sql = format!("{SELECT} WHERE s.id = $1");
    Ok(client.query_opt(&sql, &[&id]).await?.as_ref().map(view))
}

/// Which sessions a list page holds: one status, one node's (as source or
/// target), or any.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter<'a> {
    pub status: Option<&'a str>,
    pub node: Option<Uuid>,
}

/// A page of sessions, newest first, narrowed by `filter`, with the total
/// counted by the database.
pub async fn list(
    client: &impl Db,
    filter: ListFilter<'_>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CloneSessionView>, i64), tokio_postgres::Error> {
    // Separate statements rather than `$1 IS NULL OR …`, so each gets a plan
    // that walks its index newest-first and stops after the page.
    let order = "ORDER BY s.created_at DESC, s.id DESC";
    let (rows, total) = match filter {
        ListFilter { status, node: Some(node) } => {
            // A node's sessions are few: the two node indexes and a count will do.
            let mine = "(s.source_node_id = $1 OR s.target_node_id = $1) AND ($2::text IS NULL OR s.status = $2)";
            (
                client
                    .query(
                        &format!("{SELECT} WHERE {mine} {order} LIMIT $3 OFFSET $4"),
                        &[&node, &status, &limit, &offset],
                    )
                    .await?,
                client
                    .query_one(&format!("SELECT count(*) FROM clone_sessions s WHERE {mine}"), &[&node, &status])
                    .await?,
            )
        }
        ListFilter { status: Some(status), node: None } => (
            client
                .query(&format!("{SELECT} WHERE s.status = $1 {order} LIMIT $2 OFFSET $3"), &[&status, &limit, &offset])
                .await?,
            client
                .query_one(
                    "SELECT COALESCE(sum(sessions), 0)::bigint FROM clone_session_counts WHERE status = $1",
                    &[&status],
                )
                .await?,
        ),
        ListFilter { status: None, node: None } => (
            client.query(&format!("{SELECT} {order} LIMIT $1 OFFSET $2"), &[&limit, &offset]).await?,
            client.query_one("SELECT COALESCE(sum(sessions), 0)::bigint FROM clone_session_counts", &[]).await?,
        ),
    };
    let total: i64 = total.get(0);
    Ok((rows.iter().map(view).collect(), total))
}
