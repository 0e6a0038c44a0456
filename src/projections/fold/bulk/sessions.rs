//! `clone_sessions` folded in memory: the row each statement of
//! `projections/clone_sessions` leaves, built from [`CreatedRow`] (the one
//! mapping of a creation) and the changes after it.

use std::collections::{BTreeSet, HashMap};

use deadpool_postgres::Transaction;
use futures::future::BoxFuture;
use time::OffsetDateTime;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use super::{BulkFold, SessionEvent, copy_rows, pg_time};
use crate::domain::clone_session::{CloneSessionEvent as E, Role, starts_transfer};
use crate::domain::image::ImageEvent;
use crate::event_store::{Category, RecordedEvent};
use crate::projections::ProjectionError;
use crate::projections::clone_sessions::CreatedRow;
use crate::projections::fold::sessions::{MergedProgress, text};

/// A session's row: its creation's columns, changed in place, and the rest.
struct Row {
    created: CreatedRow,
    status: &'static str,
    source_ip: Option<String>,
    source_port: i32,
    bytes_transferred: i64,
    transfer_rate_bps: Option<i64>,
    transfer_status: Option<String>,
    bytes_on_wire: Option<i64>,
    verified_bytes: Option<i64>,
    last_report_at: Option<OffsetDateTime>,
    error_message: Option<String>,
    duration_seconds: Option<i64>,
    source_cert_serial: Option<String>,
    source_cert_expires_at: Option<OffsetDateTime>,
    target_cert_serial: Option<String>,
    target_cert_expires_at: Option<OffsetDateTime>,
    started_at: Option<OffsetDateTime>,
    start_requested_at: Option<OffsetDateTime>,
    completed_at: Option<OffsetDateTime>,
    updated_at: OffsetDateTime,
    last_position: i64,
}

impl Row {
    fn created(mut created: CreatedRow, at: OffsetDateTime, position: i64) -> Self {
        created.created_at = pg_time(created.created_at);
        Row {
            created,
            status: "pending",
            source_ip: None,
            source_port: 9999,
            bytes_transferred: 0,
            transfer_rate_bps: None,
            transfer_status: None,
            bytes_on_wire: None,
            verified_bytes: None,
            last_report_at: None,
            error_message: None,
            duration_seconds: None,
            source_cert_serial: None,
            source_cert_expires_at: None,
            target_cert_serial: None,
            target_cert_expires_at: None,
            started_at: None,
            start_requested_at: None,
            completed_at: None,
            updated_at: at,
            last_position: position,
        }
    }

    /// The merged-progress statement (`PROGRESS`) for one report.
    fn progress(&mut self, merged: MergedProgress) {
        self.status = "cloning";
        self.bytes_transferred = merged.bytes;
        self.transfer_rate_bps = merged.rate.or(self.transfer_rate_bps);
        if merged.status.as_deref() == Some("verifying") {
            self.verified_bytes = Some(merged.reported);
        }
        self.transfer_status = merged.status.or(self.transfer_status.take());
        self.bytes_on_wire = merged.wire.or(self.bytes_on_wire);
        self.last_report_at = Some(merged.at);
        self.updated_at = merged.at;
    }

    /// Every change but a deletion and a creation; false if it changed nothing.
    fn change(&mut self, event: &RecordedEvent, decoded: &E) -> bool {
        let at = event.recorded_at;
        match decoded {
            E::Created(_) | E::Deleted { .. } | E::PlanSet(_) | E::Started { requested: false, .. } => return false,
            E::Updated(u) => {
                let created = &mut self.created;
                created.name = u.name.clone().or(created.name.take());
                created.target_node_id = u.target_node_id.or(created.target_node_id);
                created.target_device = u.target_device.clone().unwrap_or(std::mem::take(&mut created.target_device));
                created.resize_mode =
                    u.resize_mode.as_ref().map(text).unwrap_or(std::mem::take(&mut created.resize_mode));
            }
            E::CertificateIssued(cert) if cert.role == Role::Source => {
                self.source_cert_serial = Some(cert.serial.clone());
                self.source_cert_expires_at = Some(pg_time(cert.not_after));
            }
            E::CertificateIssued(cert) => {
                self.target_cert_serial = Some(cert.serial.clone());
                self.target_cert_expires_at = Some(pg_time(cert.not_after));
            }
            E::Started { .. } => self.start_requested_at = Some(at),
            E::SourceReady { endpoint, at: started } => {
                self.status = "source_ready";
                self.source_ip = Some(endpoint.ip.clone());
                self.source_port = i32::from(endpoint.port);
                self.created.bytes_total = Some(endpoint.size_bytes);
                self.started_at = Some(pg_time(*started));
            }
            E::ProgressReported(report) => self.progress(MergedProgress::of(report, at, event.position)),
            E::Completed { duration_seconds, bytes_transferred, at: done, .. } => {
                self.status = "completed";
                self.duration_seconds = Some(*duration_seconds);
                self.bytes_transferred = *bytes_transferred;
                self.completed_at = Some(pg_time(*done));
            }
            E::Failed { error, at: done } => {
                self.status = "failed";
                self.error_message = Some(error.clone());
                self.completed_at = Some(pg_time(*done));
            }
            E::Cancelled { at: done } => {
                self.status = "cancelled";
                self.completed_at = Some(pg_time(*done));
            }
            E::StagingChanged { staging_status, size_bytes, at: started, .. } => {
                let (moving, started) = (starts_transfer(*staging_status), pg_time(*started));
                self.created.staging_status = Some(staging_status.as_str().to_owned());
                if moving {
                    if self.status == "pending" {
                        self.status = "cloning";
                    }
                    self.started_at = self.started_at.or(Some(started));
                }
                self.created.bytes_total = size_bytes.or(self.created.bytes_total);
                // The staging statement stamps the report's own time.
                self.updated_at = started;
                self.last_position = event.position;
                return true;
            }
            E::SourceCompleted(c) => {
                self.created.staging_status = Some("ready".to_owned());
                self.created.bytes_total = Some(c.stored.size_bytes);
            }
        }
        self.updated_at = at;
        self.last_position = event.position;
        true
    }
}

/// The fold: live rows by id, and every status a row has held (each has a
/// row in `clone_session_counts`, zero once no session holds it).
#[derive(Default)]
pub struct Sessions {
    rows: HashMap<Uuid, Row>,
    statuses: BTreeSet<&'static str>,
}

impl BulkFold for Sessions {
    fn fold(&mut self, event: &RecordedEvent, session: Option<&SessionEvent<'_>>) -> Result<(), ProjectionError> {
        let Some(SessionEvent { id, decoded, .. }) = session else {
            return self.image_deleted(event);
        };
        match decoded {
            E::Created(created) => {
                let row = Row::created(CreatedRow::of(created), event.recorded_at, event.position);
                self.rows.entry(*id).or_insert(row);
            }
            E::Deleted { .. } => {
                self.rows.remove(id);
            }
            decoded => {
                if let Some(row) = self.rows.get_mut(id) {
                    row.change(event, decoded);
                }
            }
        }
        if let Some(row) = self.rows.get(id) {
            self.statuses.insert(row.status);
        }
        Ok(())
    }

    fn write<'a>(self: Box<Self>, tx: &'a Transaction<'a>) -> BoxFuture<'a, Result<(), ProjectionError>> {
        Box::pin(async move {
            copy_rows(tx, "clone_sessions", COLUMNS, self.rows.into_values(), values).await?;
            let statuses: Vec<&str> = self.statuses.into_iter().collect();
            tx.execute(
                "INSERT INTO clone_session_counts (status, sessions) SELECT unnest($1::text[]), 0
                 ON CONFLICT (status) DO NOTHING",
                &[&statuses],
            )
            .await?;
            Ok(())
        })
    }
}

impl Sessions {
    /// A deleted image's sessions show staging `deleted` (as `images_deleted`).
    fn image_deleted(&mut self, event: &RecordedEvent) -> Result<(), ProjectionError> {
        if event.category() != Some(Category::Image) {
            return Ok(());
        }
        let (event, image, decoded) = crate::projections::fold::decode::<ImageEvent>(event)?;
        if let ImageEvent::Deleted { .. } = decoded {
            for row in self.rows.values_mut().filter(|row| row.created.image_id == Some(image)) {
                row.created.staging_status = Some("deleted".to_owned());
                row.updated_at = event.recorded_at;
                row.last_position = event.position;
            }
        }
        Ok(())
    }
}

const COLUMNS: &[(&str, Type)] = &[
    ("id", Type::UUID),
    ("name", Type::TEXT),
    ("status", Type::TEXT),
    ("clone_mode", Type::TEXT),
    ("source_node_id", Type::UUID),
    ("target_node_id", Type::UUID),
    ("source_device", Type::TEXT),
    ("target_device", Type::TEXT),
    ("source_ip", Type::TEXT),
    ("source_port", Type::INT4),
    ("staging_backend_id", Type::UUID),
    ("staging_path", Type::TEXT),
    ("staging_status", Type::TEXT),
    ("image_id", Type::UUID),
    ("resize_mode", Type::TEXT),
    ("bytes_total", Type::INT8),
    ("bytes_transferred", Type::INT8),
    ("transfer_rate_bps", Type::INT8),
    ("transfer_status", Type::TEXT),
    ("bytes_on_wire", Type::INT8),
    ("verified_bytes", Type::INT8),
    ("last_report_at", Type::TIMESTAMPTZ),
    ("error_message", Type::TEXT),
    ("duration_seconds", Type::INT8),
    ("source_cert_serial", Type::TEXT),
    ("source_cert_expires_at", Type::TIMESTAMPTZ),
    ("target_cert_serial", Type::TEXT),
    ("target_cert_expires_at", Type::TIMESTAMPTZ),
    ("created_at", Type::TIMESTAMPTZ),
    ("started_at", Type::TIMESTAMPTZ),
    ("start_requested_at", Type::TIMESTAMPTZ),
    ("completed_at", Type::TIMESTAMPTZ),
    ("created_by", Type::TEXT),
    ("updated_at", Type::TIMESTAMPTZ),
    ("last_position", Type::INT8),
];

fn values(row: &Row) -> Vec<&(dyn ToSql + Sync)> {
    let c = &row.created;
    vec![
        &c.id,
        &c.name,
        &row.status,
        &c.clone_mode,
        &c.source_node_id,
        &c.target_node_id,
        &c.source_device,
        &c.target_device,
        &row.source_ip,
        &row.source_port,
        &c.staging_backend_id,
        &c.staging_path,
        &c.staging_status,
        &c.image_id,
        &c.resize_mode,
        &c.bytes_total,
        &row.bytes_transferred,
        &row.transfer_rate_bps,
        &row.transfer_status,
        &row.bytes_on_wire,
        &row.verified_bytes,
        &row.last_report_at,
        &row.error_message,
        &row.duration_seconds,
        &row.source_cert_serial,
        &row.source_cert_expires_at,
        &row.target_cert_serial,
        &row.target_cert_expires_at,
        &c.created_at,
        &row.started_at,
        &row.start_requested_at,
        &row.completed_at,
        &c.created_by,
        &row.updated_at,
        &row.last_position,
    ]
}
