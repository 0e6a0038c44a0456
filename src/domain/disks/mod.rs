//! A node's disks: the last scan of each device, the scan request, and the
//! queue of partition operations per device.
//!
//! # Why one aggregate per node
//! Stream `node_disks:{node_id}` holds everything about a node's disks. A scan
//! report covers the whole node ("disks missing from a new report disappear"),
//! the plan check needs the scan and the queue together, and sequence numbers
//! are per node and device; one consistency boundary makes each of those a
//! single pure decision. A node has a handful of disks and operations, so the
//! state stays small.
//!
//! # An operation's life
//! ```text
//!  queued ──apply──▶ handed out ──running──▶ running ──completed──▶ completed
//! (pending)       (pending, applied_at)         └──────failed──────▶ failed
//!    │                   ├─ completed / failed without running first ─▶ …
//!    │ DELETE            └─ an earlier operation on the device failed ─▶ queued
//!    ▼
//! removed        (an operation handed out can no longer be removed)
//! ```
//! Status is the spec's pending/running/completed/failed. Whether a pending
//! operation has been handed to the node is a separate fact (`handed_out`
//! here, `applied_at` in the read model) rather than a fifth status: `apply`
//! changes who may act on the operation, not what happened to the disk, and
//! clients of the spec know only those four statuses.
//!
//! When an operation fails, the handed-out operations after it on that
//! device are taken back into the queue (they were planned on a disk that
//! may now look different), so the node's poll no longer lists them. The
//! operator removes them, or applies them again, after a rescan if need be.
//!
//! # What the plan is checked against
//! The last scan of the device plus every operation it does not show yet:
//! pending, running, and completed after that scan. Failed operations are
//! assumed to have changed nothing (a rescan tells). See [`plan`].

mod decide;
mod device;
mod events;
pub mod filesystem;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod geometry;
pub mod operation;
pub mod plan;
pub mod scan;

pub use decide::*;
pub use device::Device;
pub use events::*;
pub use operation::{OperationKind, OperationSpec, OperationStatus};
pub use scan::{DiskScan, PartitionScan, PartitionTable};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::event_store::{Aggregate, Category};

/// A device in the node's current view.
#[derive(Debug, Clone)]
pub struct KnownDisk {
    pub id: Uuid,
    pub scan: DiskScan,
    /// When the report that last listed it was recorded (for its view).
    pub scanned_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: Uuid,
    pub device: String,
    pub sequence: i32,
    pub spec: OperationSpec,
    pub status: OperationStatus,
    pub handed_out: bool,
    /// Completed before the device's last scan, so the scan already shows it.
    pub settled: bool,
    pub error: Option<String>,
    /// When it was queued, handed out (cleared when taken back after an
    /// earlier failure), started, and reported completed or failed: the
    /// times its view shows, kept so a command can answer with that view.
    pub created_at: OffsetDateTime,
    pub applied_at: Option<OffsetDateTime>,
    pub started_at: Option<OffsetDateTime>,
    pub executed_at: Option<OffsetDateTime>,
}

/// Where the node's scan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    /// Never requested and never reported.
    None,
    /// Requested after the last report arrived.
    Pending,
    /// A report arrived after the last request (or without one).
    Done,
}

#[derive(Debug, Clone, Default)]
pub struct NodeDisks {
    /// By device path.
    pub disks: BTreeMap<String, KnownDisk>,
    pub last_scanned_at: Option<OffsetDateTime>,
    pub scan_requested_at: Option<OffsetDateTime>,
    /// Every operation not removed, in the order queued (so in sequence
    /// order within a device).
    pub operations: Vec<Operation>,
    last_sequence: BTreeMap<String, i32>,
}

impl NodeDisks {
    pub fn scan_status(&self) -> ScanStatus {
        scan_status(self.scan_requested_at, self.last_scanned_at)
    }

    pub fn operation(&self, id: Uuid) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// The operations of one device, in sequence order.
    pub fn queue<'a>(&'a self, device: &'a str) -> impl Iterator<Item = &'a Operation> + 'a {
        self.operations.iter().filter(move |o| o.device == device)
    }

    /// The operations whose effect the device's last scan does not show yet.
    pub fn outstanding<'a>(&'a self, device: &'a str) -> impl Iterator<Item = &'a Operation> + 'a {
        self.queue(device).filter(|o| o.status != OperationStatus::Failed && !o.settled)
    }

    pub fn next_sequence(&self, device: &str) -> i32 {
        self.last_sequence.get(device).copied().unwrap_or(0) + 1
    }

    fn operation_mut(&mut self, id: Uuid) -> Option<&mut Operation> {
        self.operations.iter_mut().find(|o| o.id == id)
    }
}

/// The scan-status rule, shared with the read model.
pub fn scan_status(requested: Option<OffsetDateTime>, scanned: Option<OffsetDateTime>) -> ScanStatus {
    match (requested, scanned) {
        (None, None) => ScanStatus::None,
        (Some(requested), Some(scanned)) if requested > scanned => ScanStatus::Pending,
        (Some(_), None) => ScanStatus::Pending,
        _ => ScanStatus::Done,
    }
}

impl Aggregate for NodeDisks {
    type Event = DiskEvent;
    const CATEGORY: Category = Category::NodeDisks;

    fn apply(&mut self, event: &DiskEvent) {
        use DiskEvent as E;
        match event {
            E::DiskScanned { disk_id, disk, at } => {
                for op in self.operations.iter_mut().filter(|o| o.device == disk.device) {
                    op.settled |= op.status == OperationStatus::Completed;
                }
                let known = KnownDisk { id: *disk_id, scan: disk.clone(), scanned_at: *at };
                self.disks.insert(disk.device.clone(), known);
            }
            E::ScanCompleted { removed, at, .. } => {
                for device in removed {
                    self.disks.remove(device);
                }
                self.last_scanned_at = Some(*at);
            }
            E::ScanRequested { at } => self.scan_requested_at = Some(*at),
            E::OperationQueued(q) => {
                self.last_sequence.insert(q.device.clone(), q.sequence);
                self.operations.push(Operation {
                    id: q.id,
                    device: q.device.clone(),
                    sequence: q.sequence,
                    spec: q.spec.clone(),
                    status: OperationStatus::Pending,
                    handed_out: false,
                    settled: false,
                    error: None,
                    created_at: q.at,
                    applied_at: None,
                    started_at: None,
                    executed_at: None,
                });
            }
            E::OperationRemoved { id, .. } => self.operations.retain(|o| o.id != *id),
            E::OperationsApplied { ids, at, .. } => {
                for op in self.operations.iter_mut().filter(|o| ids.contains(&o.id)) {
                    op.handed_out = true;
                    op.applied_at = Some(*at);
                }
            }
            E::OperationStarted { op, at } => {
                if let Some(started) = self.operation_mut(op.id) {
                    started.status = OperationStatus::Running;
                    started.started_at = Some(*at);
                }
            }
            E::OperationCompleted { op, at } => {
                if let Some(completed) = self.operation_mut(op.id) {
                    completed.status = OperationStatus::Completed;
                    completed.executed_at = Some(*at);
                }
            }
            E::OperationFailed { op, error, withdrawn, at } => {
                if let Some(failed) = self.operation_mut(op.id) {
                    failed.status = OperationStatus::Failed;
                    failed.error = error.clone();
                    failed.executed_at = Some(*at);
                }
                for later in self.operations.iter_mut().filter(|o| withdrawn.contains(&o.id)) {
                    later.handed_out = false;
                    later.applied_at = None;
                }
            }
        }
    }
}
