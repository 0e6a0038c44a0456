//! `clone_reports`: the outcome of every clone session, for reports.

use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::{GenericClient, Transaction};
use utoipa::ToSchema;
use uuid::Uuid;

use super::progress_batch::fold_session_events;
use super::{ApplyResult, Projection, ProjectionError};
use crate::domain::clone_session::CloneSessionEvent as E;
use crate::event_store::RecordedEvent;

pub struct CloneReportsProjection;

impl Projection for CloneReportsProjection {
    fn name(&self) -> &'static str {
        "clone_reports"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../projections/clone_reports.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["clone_reports"]
    }
    fn version(&self) -> u32 {
        1
    }
    fn apply<'a>(&'a self, tx: &'a Transaction<'a>, events: &'a [RecordedEvent]) -> ApplyResult<'a> {
        Box::pin(fold_session_events(tx, events, PROGRESS, |tx, event, decoded| Box::pin(apply(tx, event, decoded))))
    }
}

/// Folded progress of many sessions at once (see `progress_batch`).
const PROGRESS: &str = "UPDATE clone_reports r SET status = 'cloning', bytes_cloned = v.bytes,
        last_rate_bps = COALESCE(v.rate, r.last_rate_bps)
    FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::bigint[])
         AS v(id, bytes, rate, status, at, pos)
    WHERE r.session_id = v.id";

async fn apply(tx: &Transaction<'_>, event: &RecordedEvent, decoded: E) -> Result<(), ProjectionError> {
    let id: Uuid = event.stream_id().parse().unwrap_or_default();
    let (sql, params): (&str, Vec<&(dyn tokio_postgres::types::ToSql + Sync)>) = match &decoded {
        E::Created(c) => {
            let mode =
                if c.spec.clone_mode == crate::domain::clone_session::CloneMode::Direct { "direct" } else { "staged" };
            tx.execute(
                "INSERT INTO clone_reports (session_id, clone_mode, source_node_id, target_node_id, created_at, status)
                 VALUES ($1, $2, $3, $4, $5, 'pending') ON CONFLICT (session_id) DO NOTHING",
                &[&id, &mode, &c.spec.source_node_id, &c.spec.target_node_id, &c.at],
            )
            .await?;
            return Ok(());
        }
        E::Updated(u) => (
            "UPDATE clone_reports SET target_node_id = COALESCE($2, target_node_id) WHERE session_id = $1",
            vec![&u.target_node_id],
        ),
        E::SourceReady { endpoint, at } => (
            "UPDATE clone_reports SET status = 'source_ready', started_at = $2, bytes_total = $3 WHERE session_id = $1",
            vec![at, &endpoint.size_bytes],
        ),
        E::Completed { duration_seconds, bytes_transferred, at } => (
            "UPDATE clone_reports SET status = 'completed', ended_at = $2, duration_seconds = $3::bigint,
                 bytes_cloned = $4::bigint,
                 transfer_rate_bps = CASE WHEN $3::bigint > 0 THEN $4::double precision / $3::bigint
                                          ELSE last_rate_bps END
             WHERE session_id = $1",
            vec![at, duration_seconds, bytes_transferred],
        ),
        E::Failed { error, at } => (
            "UPDATE clone_reports SET status = 'failed', ended_at = $2, failure_reason = $3 WHERE session_id = $1",
            vec![at, error],
        ),
        E::Cancelled { at } => {
            ("UPDATE clone_reports SET status = 'cancelled', ended_at = $2 WHERE session_id = $1", vec![at])
        }
        E::Deleted { at } => ("UPDATE clone_reports SET deleted_at = $2 WHERE session_id = $1", vec![at]),
        // Progress is folded by ProgressBatch before this function is reached.
        E::CertificateIssued(_) | E::Started { .. } | E::ProgressReported(_) => return Ok(()),
    };
    let mut all: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&id];
    all.extend(params);
    tx.execute(sql, &all).await?;
    Ok(())
}

/// How report rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    Status,
    Mode,
    /// The source node (by hostname when it still exists).
    Node,
}

impl GroupBy {
    fn key(self) -> &'static str {
        match self {
            GroupBy::Day => "to_char(date_trunc('day', r.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
            GroupBy::Status => "r.status",
            GroupBy::Mode => "r.clone_mode",
            GroupBy::Node => "COALESCE(n.hostname, r.source_node_id::text)",
        }
    }
}

/// One group of the clone report.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ReportRow {
    #[schema(example = "2026-11-25")]
    pub group: String,
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
    pub avg_transfer_rate_bps: Option<f64>,
    pub p95_transfer_rate_bps: Option<f64>,
    /// Median and 95th percentile duration of completed clones, seconds.
    pub median_duration_seconds: Option<f64>,
    pub p95_duration_seconds: Option<f64>,
}

/// A failure reason and how often it occurred.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FailureReason {
    pub reason: String,
    pub count: i64,
}

pub async fn report(
    client: &impl GenericClient,
    from: OffsetDateTime,
    to: OffsetDateTime,
    group_by: GroupBy,
) -> Result<(Vec<ReportRow>, Vec<FailureReason>), tokio_postgres::Error> {
    let sql = format!(
        "SELECT {key} AS grp, count(*),
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
         GROUP BY grp ORDER BY grp",
        key = group_by.key()
    );
    let rows = client.query(&sql, &[&from, &to]).await?;
    let groups = rows
        .iter()
        .map(|r| ReportRow {
            group: r.get(0),
            created: r.get(1),
            started: r.get(2),
            completed: r.get(3),
            failed: r.get(4),
            cancelled: r.get(5),
            bytes_cloned: r.get(6),
            avg_transfer_rate_bps: r.get(7),
            p95_transfer_rate_bps: r.get(8),
            median_duration_seconds: r.get(9),
            p95_duration_seconds: r.get(10),
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
