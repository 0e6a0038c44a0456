//! The facts of a node's disks: scans, scan requests, and the life of each
//! partition operation. Every event carries the device and operation kind it
//! concerns, so projections and the WebSocket never look anything up.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::operation::{OperationKind, OperationSpec};
use super::scan::DiskScan;
use crate::event_store::DomainEvent;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationQueued {
    pub id: Uuid,
    pub device: String,
    /// 1, 2, 3… per node and device, never reused.
    pub sequence: i32,
    #[serde(flatten)]
    pub spec: OperationSpec,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Which operation a node reported on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationRef {
    pub id: Uuid,
    pub device: String,
    pub operation: OperationKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum DiskEvent {
    /// One disk of a scan report (a report writes one per disk, then
    /// `ScanCompleted`).
    #[serde(rename = "node_disks.disk_scanned")]
    DiskScanned {
        /// Stable while the device stays in the node's view.
        disk_id: Uuid,
        #[serde(flatten)]
        disk: DiskScan,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The end of a report: the devices it listed and those it no longer does.
    #[serde(rename = "node_disks.scan_completed")]
    ScanCompleted {
        devices: Vec<String>,
        removed: Vec<String>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "node_disks.scan_requested")]
    ScanRequested {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "node_disks.operation_queued")]
    OperationQueued(OperationQueued),
    #[serde(rename = "node_disks.operation_removed")]
    OperationRemoved {
        id: Uuid,
        device: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// `apply`: these pending operations (in sequence order) are now the node's.
    #[serde(rename = "node_disks.operations_applied")]
    OperationsApplied {
        device: String,
        ids: Vec<Uuid>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "node_disks.operation_started")]
    OperationStarted {
        #[serde(flatten)]
        op: OperationRef,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "node_disks.operation_completed")]
    OperationCompleted {
        #[serde(flatten)]
        op: OperationRef,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The operation failed; the handed-out operations queued after it on the
    /// same device (`withdrawn`) are taken back: pending, not handed out.
    #[serde(rename = "node_disks.operation_failed")]
    OperationFailed {
        #[serde(flatten)]
        op: OperationRef,
        error: Option<String>,
        withdrawn: Vec<Uuid>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

impl DomainEvent for DiskEvent {}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::disks::operation::ResizeParams;
    use crate::event_store::codec::{decode, encode};

    #[test]
    fn a_queued_operation_is_stored_as_the_api_shows_it_and_reads_back() {
        let event = DiskEvent::OperationQueued(OperationQueued {
            id: Uuid::nil(),
            device: "/dev/sda".into(),
            sequence: 1,
            spec: OperationSpec::Resize(ResizeParams { partition: 2, new_size_bytes: 10 }),
            at: OffsetDateTime::UNIX_EPOCH,
        });
        let stored = encode(&event).expect("encodes");
        assert_eq!(stored.event_type, "node_disks.operation_queued");
        assert_eq!(stored.payload["operation"], "resize");
        assert_eq!(stored.payload["params"], json!({"partition": 2, "new_size_bytes": 10}));
        let read: DiskEvent = decode(&stored.event_type, 1, stored.payload).expect("decodes");
        assert_eq!(read, event);
    }
}
