//! From a log event to the bytes the socket sends. An event's message is the
//! spec's `{"type", "data"}` plus its log `position`, `prev_position` and
//! `timestamp` ([`WsEventMessage`](super::contract::WsEventMessage)). The hub
//! serialises each live message once ([`Queued`](super::Queued)), for every
//! client that received the message before it; any other client (catching
//! up, or just connected) adds its own `prev_position` to the frame.

use serde::Serialize;
use serde_json::value::RawValue;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::Frame;
use super::contract::{self as c, WsControlMessage, WsEventData as D};
use crate::domain::clone_session::{CloneSessionEvent as E, progress_percent};
use crate::domain::disks::DiskEvent;
use crate::domain::image::ImageEvent;
use crate::domain::node::NodeEvent;
use crate::domain::storage_backend::BackendEvent;
use crate::event_store::{Category, RecordedEvent};

/// What the socket sends: [`WsServerMessage`](super::contract::WsServerMessage)'s
/// wire form, borrowing the shared frame instead of copying it per client.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Outgoing<'a> {
    Event(EventWire<'a>),
    Control(WsControlMessage),
}

/// [`WsEventMessage`](super::contract::WsEventMessage) with its `data` as
/// the frame's serialised bytes.
#[derive(Debug, Serialize)]
pub struct EventWire<'a> {
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub data: &'a RawValue,
    pub position: i64,
    pub prev_position: i64,
    pub timestamp: &'a str,
}

impl Frame {
    /// This frame as the message a client receives after `prev_position`.
    pub fn message(&self, prev_position: i64) -> Outgoing<'_> {
        Outgoing::Event(EventWire {
            kind: self.kind,
            data: &self.data,
            position: self.position,
            prev_position,
            timestamp: &self.timestamp,
        })
    }
}

/// The message for `event`, or `None` for events clients never see
/// (uniqueness claims, certificate issuance, the end of a scan report).
pub fn to_message(event: &RecordedEvent) -> Option<Frame> {
    let route: fn(&RecordedEvent, Uuid) -> Option<D> = match event.category()? {
        Category::CloneSession => clone_session,
        Category::Node => node,
        Category::NodeDisks => node_disks,
        Category::StorageBackend => storage_backend,
        Category::Image => image,
        Category::Unique | Category::ApiToken | Category::StorageLease => return None,
    };
    let id = event.id().map_err(|err| skipped(event, &err)).ok()?;
    let message = route(event, id)?;
    let data = message.data().map_err(|err| skipped(event, &err)).ok()?;
    let timestamp = event.recorded_at.format(&Rfc3339).unwrap_or_default();
    Some(Frame { position: event.position, kind: message.kind(), data, timestamp })
}

fn skipped(event: &RecordedEvent, err: &dyn std::fmt::Display) {
    tracing::warn!(position = event.position, error = %err, "event skipped by fan-out");
}

fn decode<T: crate::event_store::DomainEvent>(event: &RecordedEvent) -> Option<T> {
    event.decode().map_err(|err| skipped(event, &err)).ok()
}

fn clone_session(event: &RecordedEvent, session_id: Uuid) -> Option<D> {
    let session = c::WsSessionRef { session_id };
    Some(match decode::<E>(event)? {
        E::Created(_) => D::CloneCreated(session),
        E::Updated(_) => D::CloneUpdated(session),
        E::CertificateIssued(_) => return None,
        E::PlanSet(_) => D::CloneUpdated(session),
        E::Started { source_node_id, target_node_id, .. } => {
            D::CloneStarted(c::WsCloneStarted { session_id, source_node_id, target_node_id })
        }
        E::SourceReady { endpoint, .. } => D::CloneSourceReady(c::WsCloneSourceReady {
            session_id,
            source_ip: endpoint.ip,
            source_port: endpoint.port,
            size_bytes: endpoint.size_bytes,
        }),
        E::ProgressReported(p) => D::CloneProgress(c::WsCloneProgress {
            session_id,
            bytes_transferred: p.bytes_transferred,
            bytes_total: p.bytes_total,
            progress_percent: progress_percent(p.bytes_transferred, p.bytes_total),
            transfer_rate_bps: p.transfer_rate_bps,
            status: p.status,
        }),
        E::Completed { duration_seconds, .. } => {
            D::CloneCompleted(c::WsCloneCompleted { session_id, duration_seconds })
        }
        E::Failed { error, .. } => D::CloneFailed(c::WsCloneFailed { session_id, error }),
        E::Cancelled { .. } => D::CloneCancelled(session),
        E::StagingChanged { role, staging_status, .. } => {
            D::CloneStaging(c::WsCloneStaging { session_id, role, staging_status })
        }
        E::SourceCompleted(done) => D::CloneSourceComplete(c::WsCloneSourceComplete {
            session_id,
            image_id: done.image_id,
            size_bytes: done.stored.size_bytes,
            digest: done.stored.digest,
        }),
        E::Deleted { .. } => D::CloneDeleted(session),
    })
}

fn node(event: &RecordedEvent, node_id: Uuid) -> Option<D> {
    let node = c::WsNodeRef { node_id };
    Some(match decode::<NodeEvent>(event)? {
        NodeEvent::Registered { .. } => D::NodeCreated(node),
        NodeEvent::Updated { .. } => D::NodeUpdated(node),
        NodeEvent::Deleted { .. } => D::NodeDeleted(node),
    })
}

/// One `partition.scan_complete` per scanned disk (a report of N disks
/// sends N), so each message names its `device` as the spec's does.
fn node_disks(event: &RecordedEvent, node_id: Uuid) -> Option<D> {
    use DiskEvent as X;
    Some(match decode::<X>(event)? {
        X::DiskScanned { disk_id, disk, at } => D::ScanComplete(c::WsScanComplete {
            node_id,
            disk_id,
            size_bytes: disk.size_bytes,
            partition_table: disk.partition_table,
            partition_count: disk.partitions.len(),
            device: disk.device,
            scanned_at: at,
        }),
        X::ScanCompleted { .. } => return None,
        X::ScanRequested { at } => D::ScanRequested(c::WsScanRequested { node_id, requested_at: at }),
        X::OperationQueued(q) => D::OperationQueued(c::WsOperationQueued {
            node_id,
            operation_id: q.id,
            operation: q.spec.kind(),
            sequence: q.sequence,
            params: q.spec.params(),
            device: q.device,
        }),
        X::OperationRemoved { id, device, .. } => {
            D::OperationRemoved(c::WsOperationRemoved { node_id, device, operation_id: id })
        }
        X::OperationsApplied { device, ids, .. } => {
            D::OperationsApplied(c::WsOperationsApplied { node_id, device, operation_ids: ids })
        }
        X::OperationStarted { op, .. } => D::OperationStarted(operation(node_id, op)),
        X::OperationCompleted { op, .. } => D::OperationComplete(operation(node_id, op)),
        X::OperationFailed { op, error, withdrawn, .. } => D::OperationFailed(c::WsOperationFailed {
            node_id,
            device: op.device,
            operation_id: op.id,
            operation: op.operation,
            error,
            withdrawn,
        }),
    })
}

fn operation(node_id: Uuid, op: crate::domain::disks::OperationRef) -> c::WsOperationRef {
    c::WsOperationRef { node_id, device: op.device, operation_id: op.id, operation: op.operation }
}

fn image(event: &RecordedEvent, image_id: Uuid) -> Option<D> {
    Some(match decode::<ImageEvent>(event)? {
        ImageEvent::Ready { details, .. } => {
            D::ImageReady(c::WsImageReady { image_id, name: details.name, size_bytes: details.stored.size_bytes })
        }
        ImageEvent::CleanupStarted { .. } => D::ImageCleanupStarted(c::WsImageRef { image_id }),
        ImageEvent::CleanupFailed { reason, .. } => D::ImageCleanupFailed(c::WsImageCleanupFailed { image_id, reason }),
        ImageEvent::Deleted { .. } => D::ImageDeleted(c::WsImageRef { image_id }),
        // The session's `clone.created` announces it.
        ImageEvent::RestoreCreated { .. } => return None,
    })
}

fn storage_backend(event: &RecordedEvent, backend_id: Uuid) -> Option<D> {
    let backend = c::WsBackendRef { backend_id };
    Some(match decode::<BackendEvent>(event)? {
        BackendEvent::Created { .. } => D::BackendCreated(backend),
        BackendEvent::Updated { .. } => D::BackendUpdated(backend),
        BackendEvent::Deleted { .. } => D::BackendDeleted(backend),
    })
}
