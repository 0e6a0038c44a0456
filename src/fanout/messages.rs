//! The WebSocket's messages. An event's is the spec's `{"type", "data"}`
//! plus its log `position` (for resuming), `prev_position` (for noticing a
//! gap) and `timestamp`; the server also sends `pong` and `resync`.
//!
//! Beyond the spec's names, `partition.scan_requested`,
//! `partition.operation_removed` and `partition.operations_applied` let a
//! partition tool page keep its queue current without polling.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::Frame;
use crate::domain::clone_session::{CloneSessionEvent as E, progress_percent};
use crate::domain::disks::DiskEvent;
use crate::domain::node::NodeEvent;
use crate::domain::storage_backend::BackendEvent;
use crate::event_store::{Category, RecordedEvent};
use uuid::Uuid;

/// Everything the server sends on the socket: an event, or housekeeping.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = WsServerMessage)]
pub enum ServerMessage<'a> {
    Event(EventMessage<'a>),
    Control(ControlMessage),
}

/// One event of the log, as the socket sends it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WsEventMessage)]
pub struct EventMessage<'a> {
    /// e.g. `clone.progress`, `node.created`, `partition.scan_complete`.
    #[serde(rename = "type")]
    #[schema(example = "clone.progress")]
    pub kind: &'a str,
    /// The event's facts; their shape depends on `type`.
    #[schema(value_type = Object)]
    pub data: &'a RawValue,
    /// The event's log position: resume after it with `?from=`.
    pub position: i64,
    /// The position of the message this connection sent before this one;
    /// for the first message, the `from` the client connected with (or,
    /// without `from`, the position the stream started after). Not every
    /// log position is sent (some events are internal), so positions have
    /// gaps; `prev_position` is what proves nothing was lost: a client that
    /// last handled position P has missed a message when `prev_position > P`.
    pub prev_position: i64,
    /// When the event was recorded (RFC 3339).
    #[schema(example = "2026-01-01T12:00:00Z")]
    pub timestamp: &'a str,
}

/// Connection housekeeping, told apart by `type`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schema(as = WsControlMessage)]
pub enum ControlMessage {
    /// The answer to a client's `{"type":"ping"}`.
    Pong,
    /// The client fell behind and is being closed (code 4000): reconnect
    /// with `?from=<position>`; everything after it is replayed.
    Resync { position: i64 },
}

impl Frame {
    /// This frame as the message a client receives after `prev_position`.
    pub fn message(&self, prev_position: i64) -> ServerMessage<'_> {
        ServerMessage::Event(EventMessage {
            kind: self.kind,
            data: &self.data,
            position: self.position,
            prev_position,
            timestamp: &self.timestamp,
        })
    }
}

/// The message for `event`, or `None` for events clients never see
/// (uniqueness claims, certificate issuance).
pub fn to_message(event: &RecordedEvent) -> Option<Frame> {
    let route: fn(&RecordedEvent, Uuid) -> Option<(&'static str, Value)> = match event.category()? {
        Category::CloneSession => clone_session,
        Category::Node => node,
        Category::NodeDisks => node_disks,
        Category::StorageBackend => storage_backend,
        Category::Unique => return None,
    };
    let id = event
        .id()
        .map_err(|err| tracing::warn!(position = event.position, error = %err, "event skipped by fan-out"))
        .ok()?;
    let (kind, data) = route(event, id)?;
    let timestamp = event.recorded_at.format(&Rfc3339).unwrap_or_default();
    let data = serde_json::value::to_raw_value(&data)
        .map_err(|err| tracing::warn!(position = event.position, error = %err, "unserialisable message skipped"))
        .ok()?;
    Some(Frame { position: event.position, kind, data, timestamp })
}

fn decode<T: crate::event_store::DomainEvent>(event: &RecordedEvent) -> Option<T> {
    event
        .decode()
        .map_err(|err| tracing::warn!(position = event.position, error = %err, "undecodable event skipped by fan-out"))
        .ok()
}

fn clone_session(event: &RecordedEvent, session_id: Uuid) -> Option<(&'static str, Value)> {
    Some(match decode::<E>(event)? {
        E::Created(_) => ("clone.created", json!({ "session_id": session_id })),
        E::Updated(_) => ("clone.updated", json!({ "session_id": session_id })),
        E::CertificateIssued(_) => return None,
        E::Started { source_node_id, target_node_id } => (
            "clone.started",
            json!({ "session_id": session_id, "source_node_id": source_node_id, "target_node_id": target_node_id }),
        ),
        E::SourceReady { endpoint, .. } => (
            "clone.source_ready",
            json!({ "session_id": session_id, "source_ip": endpoint.ip, "source_port": endpoint.port,
                    "size_bytes": endpoint.size_bytes }),
        ),
        E::ProgressReported(p) => (
            "clone.progress",
            json!({ "session_id": session_id, "bytes_transferred": p.bytes_transferred, "bytes_total": p.bytes_total,
                    "progress_percent": progress_percent(p.bytes_transferred, p.bytes_total),
                    "transfer_rate_bps": p.transfer_rate_bps, "status": p.status }),
        ),
        E::Completed { duration_seconds, .. } => {
            ("clone.completed", json!({ "session_id": session_id, "duration_seconds": duration_seconds }))
        }
        E::Failed { error, .. } => ("clone.failed", json!({ "session_id": session_id, "error": error })),
        E::Cancelled { .. } => ("clone.cancelled", json!({ "session_id": session_id })),
        E::Deleted { .. } => ("clone.deleted", json!({ "session_id": session_id })),
    })
}

fn node(event: &RecordedEvent, node_id: Uuid) -> Option<(&'static str, Value)> {
    let kind = match decode::<NodeEvent>(event)? {
        NodeEvent::Registered { .. } => "node.created",
        NodeEvent::Updated { .. } => "node.updated",
        NodeEvent::Deleted { .. } => "node.deleted",
    };
    Some((kind, json!({ "node_id": node_id })))
}

/// One `partition.scan_complete` per scanned disk (a report of N disks
/// sends N), so each message names its `device` as the spec's does.
fn node_disks(event: &RecordedEvent, node_id: Uuid) -> Option<(&'static str, Value)> {
    use DiskEvent as D;
    Some(match decode::<D>(event)? {
        D::DiskScanned { disk_id, disk, at } => (
            "partition.scan_complete",
            json!({ "node_id": node_id, "device": disk.device, "disk_id": disk_id, "size_bytes": disk.size_bytes,
                    "partition_table": disk.partition_table, "partition_count": disk.partitions.len(),
                    "scanned_at": at.format(&Rfc3339).unwrap_or_default() }),
        ),
        D::ScanCompleted { .. } => return None,
        D::ScanRequested { at } => (
            "partition.scan_requested",
            json!({ "node_id": node_id, "requested_at": at.format(&Rfc3339).unwrap_or_default() }),
        ),
        D::OperationQueued(q) => (
            "partition.operation_queued",
            json!({ "node_id": node_id, "device": q.device, "operation_id": q.id, "operation": q.spec.kind(),
                    "sequence": q.sequence, "params": q.spec.params() }),
        ),
        D::OperationRemoved { id, device, .. } => {
            ("partition.operation_removed", json!({ "node_id": node_id, "device": device, "operation_id": id }))
        }
        D::OperationsApplied { device, ids, .. } => {
            ("partition.operations_applied", json!({ "node_id": node_id, "device": device, "operation_ids": ids }))
        }
        D::OperationStarted { op, .. } => (
            "partition.operation_started",
            json!({ "node_id": node_id, "device": op.device, "operation_id": op.id, "operation": op.operation }),
        ),
        D::OperationCompleted { op, .. } => (
            "partition.operation_complete",
            json!({ "node_id": node_id, "device": op.device, "operation_id": op.id, "operation": op.operation }),
        ),
        D::OperationFailed { op, error, withdrawn, .. } => (
            "partition.operation_failed",
            json!({ "node_id": node_id, "device": op.device, "operation_id": op.id, "operation": op.operation,
                    "error": error, "withdrawn": withdrawn }),
        ),
    })
}

fn storage_backend(event: &RecordedEvent, backend_id: Uuid) -> Option<(&'static str, Value)> {
    let kind = match decode::<BackendEvent>(event)? {
        BackendEvent::Created { .. } => "storage.backend_created",
        BackendEvent::Updated { .. } => "storage.backend_updated",
        BackendEvent::Deleted { .. } => "storage.backend_deleted",
    };
    Some((kind, json!({ "backend_id": backend_id })))
}
