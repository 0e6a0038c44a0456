//! The WebSocket message of each event: the spec's `{"type", "data"}` plus
//! the event's log `position` (for resuming) and `timestamp`.
//!
//! Beyond the spec's names, `partition.scan_requested`,
//! `partition.operation_removed` and `partition.operations_applied` let a
//! partition tool page keep its queue current without polling.

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::Frame;
use crate::domain::clone_session::{CloneSessionEvent as E, progress_percent};
use crate::domain::disks::DiskEvent;
use crate::domain::node::NodeEvent;
use crate::domain::storage_backend::BackendEvent;
use crate::event_store::RecordedEvent;

/// The message for `event`, or `None` for events clients never see
/// (uniqueness claims, certificate issuance).
pub fn to_message(event: &RecordedEvent) -> Option<Frame> {
    let (kind, data) = match event.stream.split_once(':')?.0 {
        "clone_session" => clone_session(event)?,
        "node" => node(event)?,
        "node_disks" => node_disks(event)?,
        "storage_backend" => storage_backend(event)?,
        _ => return None,
    };
    let timestamp = event.recorded_at.format(&Rfc3339).unwrap_or_default();
    let json = json!({ "type": kind, "data": data, "position": event.position, "timestamp": timestamp });
    Some(Frame { position: event.position, kind, json: json.to_string().into() })
}

fn decode<T: crate::event_store::DomainEvent>(event: &RecordedEvent) -> Option<T> {
    event
        .decode()
        .map_err(|err| tracing::warn!(position = event.position, error = %err, "undecodable event skipped by fan-out"))
        .ok()
}

fn clone_session(event: &RecordedEvent) -> Option<(&'static str, Value)> {
    let session_id = event.stream_id();
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

fn node(event: &RecordedEvent) -> Option<(&'static str, Value)> {
    let kind = match decode::<NodeEvent>(event)? {
        NodeEvent::Registered { .. } => "node.created",
        NodeEvent::Updated { .. } => "node.updated",
        NodeEvent::Deleted { .. } => "node.deleted",
    };
    Some((kind, json!({ "node_id": event.stream_id() })))
}

/// One `partition.scan_complete` per scanned disk (a report of N disks
/// sends N), so each message names its `device` as the spec's does.
fn node_disks(event: &RecordedEvent) -> Option<(&'static str, Value)> {
    use DiskEvent as D;
    let node_id = event.stream_id();
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

fn storage_backend(event: &RecordedEvent) -> Option<(&'static str, Value)> {
    let kind = match decode::<BackendEvent>(event)? {
        BackendEvent::Created { .. } => "storage.backend_created",
        BackendEvent::Updated { .. } => "storage.backend_updated",
        BackendEvent::Deleted { .. } => "storage.backend_deleted",
    };
    Some((kind, json!({ "backend_id": event.stream_id() })))
}
