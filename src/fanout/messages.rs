//! The WebSocket message of each event: the spec's `{"type", "data"}` plus
//! the event's log `position` (for resuming) and `timestamp`.

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::Frame;
use crate::domain::clone_session::{CloneSessionEvent as E, progress_percent};
use crate::domain::node::NodeEvent;
use crate::domain::storage_backend::BackendEvent;
use crate::event_store::RecordedEvent;

/// The message for `event`, or `None` for events clients never see
/// (uniqueness claims, certificate issuance).
pub fn to_message(event: &RecordedEvent) -> Option<Frame> {
    let (kind, data) = match event.stream.split_once(':')?.0 {
        "clone_session" => clone_session(event)?,
        "node" => node(event)?,
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

fn storage_backend(event: &RecordedEvent) -> Option<(&'static str, Value)> {
    let kind = match decode::<BackendEvent>(event)? {
        BackendEvent::Created { .. } => "storage.backend_created",
        BackendEvent::Updated { .. } => "storage.backend_updated",
        BackendEvent::Deleted { .. } => "storage.backend_deleted",
    };
    Some((kind, json!({ "backend_id": event.stream_id() })))
}
