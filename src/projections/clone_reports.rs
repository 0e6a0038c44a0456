//! `clone_reports`: the outcome of every clone session, for reports.

use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::db::Db;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ProjectionDef;
use super::fold::sessions::{self, Change, MergedProgress, SessionFold, text, ts};
use crate::domain::clone_session::{CloneSessionEvent as E, starts_transfer};
use crate::event_store::RecordedEvent;

/// The fold's [`SessionFold`].
pub struct CloneReportsProjection;

pub const DEF: ProjectionDef = ProjectionDef {
    name: "clone_reports",
    schema: include_str!("../../projections/clone_reports.sql"),
    tables: &["clone_reports"],
    version: 3,
    apply: |tx, events| Box::pin(sessions::apply(tx, events, &CloneReportsProjection)),
};

const CREATED: &str =
    "INSERT INTO clone_reports (session_id, clone_mode, source_node_id, target_node_id, created_at, status)
    SELECT id, mode, source_node_id, target_node_id, created_at, 'pending'
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, mode text, source_node_id uuid, target_node_id uuid,
        created_at timestamptz)
    ON CONFLICT (session_id) DO NOTHING";

const UPDATED: &str = "UPDATE clone_reports r SET target_node_id = COALESCE(v.target_node_id, r.target_node_id)
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, target_node_id uuid) WHERE r.session_id = v.id";

const SOURCE_READY: &str = "UPDATE clone_reports r SET status = 'source_ready', started_at = v.at, bytes_total = v.size
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, at timestamptz, size bigint) WHERE r.session_id = v.id";

/// A staged session's upload or download started (its first staging report with a size).
const STAGING: &str =
    "UPDATE clone_reports r SET status = CASE WHEN r.status = 'pending' THEN 'cloning' ELSE r.status END,
        started_at = COALESCE(r.started_at, v.at), bytes_total = COALESCE(v.size, r.bytes_total)
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, at timestamptz, size bigint) WHERE r.session_id = v.id";

/// Merged progress reports (see `fold::sessions`).
const PROGRESS: &str = "UPDATE clone_reports r SET status = 'cloning', bytes_cloned = v.bytes,
        last_rate_bps = COALESCE(v.rate, r.last_rate_bps)
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, bytes bigint, rate bigint) WHERE r.session_id = v.id";

/// The rate is bytes / duration, or the last reported rate when the copy took
/// under a second.
const COMPLETED: &str = "UPDATE clone_reports r SET status = 'completed', ended_at = v.at,
        duration_seconds = v.duration, bytes_cloned = v.bytes,
        transfer_rate_bps = CASE WHEN v.duration > 0 THEN v.bytes::double precision / v.duration
                                 ELSE r.last_rate_bps END
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, at timestamptz, duration bigint, bytes bigint)
    WHERE r.session_id = v.id";

const FAILED: &str = "UPDATE clone_reports r SET status = 'failed', ended_at = v.at, failure_reason = v.error
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, at timestamptz, error text) WHERE r.session_id = v.id";

const CANCELLED: &str = "UPDATE clone_reports r SET status = 'cancelled', ended_at = v.at
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, at timestamptz) WHERE r.session_id = v.id";

const DELETED: &str = "UPDATE clone_reports r SET deleted_at = v.at
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, at timestamptz) WHERE r.session_id = v.id";

impl SessionFold for CloneReportsProjection {
    fn changes(&self, _event: &RecordedEvent, id: Uuid, decoded: &E) -> Vec<Change> {
        let (sql, row) = match decoded {
            E::Created(c) => {
                let row = json!({"id": id, "mode": text(&c.spec.clone_mode), "source_node_id": c.spec.source_node_id,
                    "target_node_id": c.spec.target_node_id, "created_at": ts(&c.at)});
                (CREATED, row)
            }
            E::Updated(u) => (UPDATED, json!({"id": id, "target_node_id": u.target_node_id})),
            E::SourceReady { endpoint, at } => {
                (SOURCE_READY, json!({"id": id, "at": ts(at), "size": endpoint.size_bytes}))
            }
            E::Completed { duration_seconds, bytes_transferred, at, .. } => {
                let row = json!({"id": id, "at": ts(at), "duration": duration_seconds, "bytes": bytes_transferred});
                (COMPLETED, row)
            }
            E::Failed { error, at } => (FAILED, json!({"id": id, "at": ts(at), "error": error})),
            E::Cancelled { at } => (CANCELLED, json!({"id": id, "at": ts(at)})),
            E::Deleted { at } => (DELETED, json!({"id": id, "at": ts(at)})),
            E::StagingChanged { at, size_bytes, staging_status, .. } if starts_transfer(*staging_status) => {
                (STAGING, json!({"id": id, "at": ts(at), "size": size_bytes}))
            }
            E::CertificateIssued(_)
            | E::Started { .. }
            | E::PlanSet(_)
            | E::ProgressReported(_)
            | E::StagingChanged { .. }
            | E::SourceCompleted(_) => {
                return Vec::new();
            }
        };
        vec![Change { sql, row }]
    }

    fn progress(&self, id: Uuid, merged: &MergedProgress) -> Option<Change> {
        Some(Change { sql: PROGRESS, row: json!({"id": id, "bytes": merged.bytes, "rate": merged.rate}) })
    }
}

/// How report rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    Status,
    Mode,
    /// The source node, by id: machines that share a hostname (clones
    /// usually keep the source's) are separate groups; the hostname is a label.
    Node,
}

impl GroupBy {
    fn key(self) -> &'static str {
        match self {
            GroupBy::Day => "to_char(date_trunc('day', r.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
            GroupBy::Status => "r.status",
            GroupBy::Mode => "r.clone_mode",
            GroupBy::Node => "r.source_node_id::text",
        }
    }

    /// Groups are ordered by key, except nodes: by hostname (what a person
    /// looks for), then id so that equal hostnames keep a stable order.
    fn order(self) -> &'static str {
        match self {
            GroupBy::Node => "min(n.hostname), grp",
            GroupBy::Day | GroupBy::Status | GroupBy::Mode => "grp",
        }
    }
}

/// One group of the clone report.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ReportRow {
    /// The group's key: the day, status or mode; for `node`, the node's id.
    #[schema(example = "2026-11-25")]
    pub group: String,
    /// For `group_by=node`: the source node's id (the key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<Uuid>,
    /// For `group_by=node`: the source node's current hostname, a label only
    /// (absent when the node is no longer registered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Sessions created in the period.
    pub created: i64,
    /// Of those, sessions whose source reported ready.
    pub started: i64,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Bytes of completed clones.
    pub bytes_cloned: i64,
    /// Mean and 95th percentile transfer rate of completed clones.
    #[schema(required = true)]
    pub avg_transfer_rate_bps: Option<f64>,
    #[schema(required = true)]
    pub p95_transfer_rate_bps: Option<f64>,
    /// Median and 95th percentile duration of completed clones, seconds.
    #[schema(required = true)]
    pub median_duration_seconds: Option<f64>,
    #[schema(required = true)]
    pub p95_duration_seconds: Option<f64>,
}

/// A failure reason and how often it occurred.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FailureReason {
    pub reason: String,
    pub count: i64,
}

pub async fn report(
    client: &impl Db,
    from: OffsetDateTime,
    to: OffsetDateTime,
    group_by: GroupBy,
) -> Result<(Vec<ReportRow>, Vec<FailureReason>), tokio_postgres::Error> {
    let sql = format!(
        "SELECT {key} AS grp, min(n.hostname), count(*),
            count(*) FILTER (WHERE r.started_at IS NOT NULL),
            count(*) FILTER (WHERE r.status = 'completed'),
            count(*) FILTER (WHERE r.status = 'failed'),
            count(*) FILTER (WHERE r.status = 'cancelled'),
            COALESCE(sum(r.bytes_cloned) FILTER (WHERE r.status = 'completed'), 0)::bigint,
            avg(r.transfer_rate_bps) FILTER (WHERE r.status = 'completed'),
            percentile_cont(0.95) WITHIN GROUP (ORDER BY r.transfer_rate_bps) FILTER (WHERE r.status = 'completed'),
            percentile_cont(0.5) WITHIN GROUP (ORDER BY r.duration_seconds) FILTER (WHERE r.status = 'completed'),
            percentile_cont(0.95) WITHIN GROUP (ORDER BY r.duration_seconds) FILTER (WHERE r.status = 'completed')
         FROM clone_reports r LEFT JOIN nodes n ON n.id = r.source_node_id
         WHERE r.created_at >= $1 AND r.created_at < $2
         GROUP BY grp ORDER BY {order}",
        key = group_by.key(),
        order = group_by.order()
    );
    let node = group_by == GroupBy::Node;
    let rows = client.query(&sql, &[&from, &to]).await?;
    let groups = rows
        .iter()
        .map(|r| ReportRow {
            group: r.get(0),
            // The key of a node group is the id itself.
            node_id: if node { Uuid::parse_str(r.get(0)).ok() } else { None },
            hostname: if node { r.get(1) } else { None },
            created: r.get(2),
            started: r.get(3),
            completed: r.get(4),
            failed: r.get(5),
            cancelled: r.get(6),
            bytes_cloned: r.get(7),
            avg_transfer_rate_bps: r.get(8),
            p95_transfer_rate_bps: r.get(9),
            median_duration_seconds: r.get(10),
            p95_duration_seconds: r.get(11),
        })
        .collect();
    let reasons = client
        .query(
            "SELECT failure_reason, count(*) FROM clone_reports
             WHERE status = 'failed' AND created_at >= $1 AND created_at < $2
             GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
            &[&from, &to],
        )
        .await?
        .iter()
        .map(|r| FailureReason { reason: r.get::<_, Option<String>>(0).unwrap_or_default(), count: r.get(1) })
        .collect();
    Ok((groups, reasons))
}
