//! `clone_reports` folded in memory: the row each statement of
//! `projections/clone_reports` leaves (rows are never deleted).

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use futures::future::BoxFuture;
use time::OffsetDateTime;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use super::{BulkFold, SessionEvent, copy_rows, pg_time};
use crate::domain::clone_session::{CloneSessionEvent as E, starts_transfer};
use crate::event_store::RecordedEvent;
use crate::projections::ProjectionError;
use crate::projections::fold::sessions::text;

struct Row {
    session_id: Uuid,
    clone_mode: String,
    source_node_id: Uuid,
    target_node_id: Option<Uuid>,
    created_at: OffsetDateTime,
    started_at: Option<OffsetDateTime>,
    ended_at: Option<OffsetDateTime>,
    status: &'static str,
    bytes_total: Option<i64>,
    bytes_cloned: i64,
    last_rate_bps: Option<i64>,
    transfer_rate_bps: Option<f64>,
    duration_seconds: Option<i64>,
    failure_reason: Option<String>,
    deleted_at: Option<OffsetDateTime>,
}

impl Row {
    fn change(&mut self, decoded: &E) {
        match decoded {
            E::Updated(u) => self.target_node_id = u.target_node_id.or(self.target_node_id),
            E::SourceReady { endpoint, at } => {
                self.status = "source_ready";
                self.started_at = Some(pg_time(*at));
                self.bytes_total = Some(endpoint.size_bytes);
            }
            E::StagingChanged { at, size_bytes, staging_status, .. } if starts_transfer(*staging_status) => {
                if self.status == "pending" {
                    self.status = "cloning";
                }
                self.started_at = self.started_at.or(Some(pg_time(*at)));
                self.bytes_total = size_bytes.or(self.bytes_total);
            }
            E::ProgressReported(report) => {
                self.status = "cloning";
                self.bytes_cloned = report.bytes_transferred;
                self.last_rate_bps = report.transfer_rate_bps.or(self.last_rate_bps);
            }
            E::Completed { duration_seconds, bytes_transferred, at, .. } => {
                self.status = "completed";
                self.ended_at = Some(pg_time(*at));
                self.duration_seconds = Some(*duration_seconds);
                self.bytes_cloned = *bytes_transferred;
                // As the statement: bytes / duration, else the last reported rate.
                self.transfer_rate_bps = if *duration_seconds > 0 {
                    Some(*bytes_transferred as f64 / *duration_seconds as f64)
                } else {
                    self.last_rate_bps.map(|rate| rate as f64)
                };
            }
            E::Failed { error, at } => {
                self.status = "failed";
                self.ended_at = Some(pg_time(*at));
                self.failure_reason = Some(error.clone());
            }
            E::Cancelled { at } => {
                self.status = "cancelled";
                self.ended_at = Some(pg_time(*at));
            }
            E::Deleted { at } => self.deleted_at = Some(pg_time(*at)),
            E::Created(_)
            | E::CertificateIssued(_)
            | E::Started { .. }
            | E::PlanSet(_)
            | E::StagingChanged { .. }
            | E::SourceCompleted(_) => {}
        }
    }
}

#[derive(Default)]
pub struct Reports {
    rows: HashMap<Uuid, Row>,
}

impl BulkFold for Reports {
    fn fold(&mut self, _event: &RecordedEvent, session: Option<&SessionEvent<'_>>) -> Result<(), ProjectionError> {
        let Some(SessionEvent { id, decoded, .. }) = session else {
            return Ok(());
        };
        match (decoded, self.rows.get_mut(id)) {
            (E::Created(c), None) => {
                let row = Row {
                    session_id: *id,
                    clone_mode: text(&c.spec.clone_mode),
                    source_node_id: c.spec.source_node_id,
                    target_node_id: c.spec.target_node_id,
                    created_at: pg_time(c.at),
                    started_at: None,
                    ended_at: None,
                    status: "pending",
                    bytes_total: None,
                    bytes_cloned: 0,
                    last_rate_bps: None,
                    transfer_rate_bps: None,
                    duration_seconds: None,
                    failure_reason: None,
                    deleted_at: None,
                };
                self.rows.insert(*id, row);
            }
            (decoded, Some(row)) => row.change(decoded),
            (_, None) => {}
        }
        Ok(())
    }

    fn write<'a>(self: Box<Self>, tx: &'a Transaction<'a>) -> BoxFuture<'a, Result<(), ProjectionError>> {
        Box::pin(copy_rows(tx, "clone_reports", COLUMNS, self.rows.into_values(), values))
    }
}

const COLUMNS: &[(&str, Type)] = &[
    ("session_id", Type::UUID),
    ("clone_mode", Type::TEXT),
    ("source_node_id", Type::UUID),
    ("target_node_id", Type::UUID),
    ("created_at", Type::TIMESTAMPTZ),
    ("started_at", Type::TIMESTAMPTZ),
    ("ended_at", Type::TIMESTAMPTZ),
    ("status", Type::TEXT),
    ("bytes_total", Type::INT8),
    ("bytes_cloned", Type::INT8),
    ("last_rate_bps", Type::INT8),
    ("transfer_rate_bps", Type::FLOAT8),
    ("duration_seconds", Type::INT8),
    ("failure_reason", Type::TEXT),
    ("deleted_at", Type::TIMESTAMPTZ),
];

fn values(row: &Row) -> Vec<&(dyn ToSql + Sync)> {
    vec![
        &row.session_id,
        &row.clone_mode,
        &row.source_node_id,
        &row.target_node_id,
        &row.created_at,
        &row.started_at,
        &row.ended_at,
        &row.status,
        &row.bytes_total,
        &row.bytes_cloned,
        &row.last_rate_bps,
        &row.transfer_rate_bps,
        &row.duration_seconds,
        &row.failure_reason,
        &row.deleted_at,
    ]
}
