//! The rules: command + state → events, or a rejection saying why.
//!
//! Node callbacks may be replayed: a status a node already reported is
//! acknowledged without a second event; a status that contradicts the
//! recorded one is a 409 naming both.

use std::iter::once;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::operation::{OperationSpec, OperationStatus};
use super::plan::{Layout, PlanConflict, PlannedOp};
use super::scan::{DiskScan, validate_report};
use super::{Device, DiskEvent as E, KnownDisk, NodeDisks, Operation, OperationQueued, OperationRef, ScanStatus};
use crate::domain::{Rejection, check_text};

const ERROR_MAX: usize = 4096;

/// A node records a scan: one `DiskScanned` per disk, then `ScanCompleted`
/// naming the devices that are gone. `new_id` names disks seen for the first time.
///
/// The report is stamped no earlier than the last request, so it always ends
/// a pending scan (a clock stepped back must not leave it pending forever).
pub fn report(
    state: &NodeDisks,
    disks: Vec<DiskScan>,
    now: OffsetDateTime,
    mut new_id: impl FnMut() -> Uuid,
) -> Result<Vec<E>, Rejection> {
    let now = state.scan_requested_at.map_or(now, |requested| now.max(requested));
    let disks = validate_report(disks)?;
    let devices: Vec<String> = disks.iter().map(|d| d.device.clone()).collect();
    let removed = state.disks.keys().filter(|d| !devices.contains(d)).cloned().collect();
    let mut events: Vec<E> = disks
        .into_iter()
        .map(|disk| E::DiskScanned {
            disk_id: state.disks.get(&disk.device).map_or_else(&mut new_id, |known| known.id),
            disk,
            at: now,
        })
        .collect();
    events.push(E::ScanCompleted { devices, removed, at: now });
    Ok(events)
}

/// Asks the node for a fresh scan; while one is pending, asking again changes nothing.
///
/// The request is stamped after the last report (by a microsecond, the log's
/// precision, if need be), so it is pending once recorded: a report recorded
/// just before it with a later or equal clock reading (a retry after losing
/// the race, or a clock stepped back) must not make the request look answered.
pub fn request_scan(state: &NodeDisks, now: OffsetDateTime) -> Result<Vec<E>, Rejection> {
    let at = match state.last_scanned_at {
        Some(scanned) if scanned >= now => scanned.checked_add(time::Duration::microseconds(1)).unwrap_or(scanned),
        _ => now,
    };
    Ok(match state.scan_status() {
        ScanStatus::Pending => vec![],
        _ => vec![E::ScanRequested { at }],
    })
}

/// Queues an operation at the end of the device's queue if the plan still fits.
pub fn queue(
    state: &NodeDisks,
    device: &Device,
    spec: OperationSpec,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<E>, Rejection> {
    let disk = known_disk(state, device)?;
    let sequence = state.next_sequence(device.as_str());
    let planned = planned(state.outstanding(device.as_str())).chain(once(PlannedOp { sequence, spec: &spec }));
    Layout::of(&disk.scan).replay(planned).map_err(|conflict| {
        if conflict.sequence == sequence {
            Rejection::Conflict(format!(
                "{conflict} (planned on the scan of {device} and the operations queued before it)"
            ))
        } else {
            broken_queue(device, &conflict)
        }
    })?;
    Ok(vec![E::OperationQueued(OperationQueued { id, device: device.as_str().to_owned(), sequence, spec, at: now })])
}

/// Removes an operation that has not been handed to the node yet.
pub fn remove(state: &NodeDisks, device: &Device, id: Uuid, now: OffsetDateTime) -> Result<Vec<E>, Rejection> {
    let op = operation_on(state, device, id)?;
    if op.status != OperationStatus::Pending {
        return Err(Rejection::Conflict(format!(
            "operation #{} is {}: only pending operations can be removed",
            op.sequence, op.status
        )));
    }
    if op.handed_out {
        return Err(Rejection::Conflict(format!(
            "operation #{} has been applied (handed to the node) and can no longer be removed",
            op.sequence
        )));
    }
    // Refuse only a removal that would break a queue that fits now: removing
    // is also how an operator repairs a queue a new scan has broken.
    if let Some(disk) = state.disks.get(device.as_str()) {
        let fits_now = replay(disk, state.outstanding(device.as_str())).is_ok();
        let rest = state.outstanding(device.as_str()).filter(|o| o.id != id);
        if let (true, Err(conflict)) = (fits_now, replay(disk, rest)) {
            return Err(Rejection::Conflict(format!(
                "removing operation #{} would break the rest of the queue: {conflict}",
                op.sequence
            )));
        }
    }
    Ok(vec![E::OperationRemoved { id, device: device.as_str().to_owned(), at: now }])
}

/// Hands every queued (not yet handed out) operation of the device to the
/// node, after checking the whole plan against the latest scan once more.
pub fn apply(state: &NodeDisks, device: &Device, now: OffsetDateTime) -> Result<Vec<E>, Rejection> {
    let disk = known_disk(state, device)?;
    let ids: Vec<Uuid> = state
        .queue(device.as_str())
        .filter(|o| o.status == OperationStatus::Pending && !o.handed_out)
        .map(|o| o.id)
        .collect();
    if ids.is_empty() {
        return Err(Rejection::Conflict(format!("there are no queued operations on {device} to apply")));
    }
    replay(disk, state.outstanding(device.as_str())).map_err(|conflict| broken_queue(device, &conflict))?;
    Ok(vec![E::OperationsApplied { device: device.as_str().to_owned(), ids, at: now }])
}

/// What a node may report about an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportedStatus {
    Running,
    Completed,
    Failed,
}

impl ReportedStatus {
    fn as_status(self) -> OperationStatus {
        match self {
            ReportedStatus::Running => OperationStatus::Running,
            ReportedStatus::Completed => OperationStatus::Completed,
            ReportedStatus::Failed => OperationStatus::Failed,
        }
    }
}

/// A node's status callback.
///
/// Allowed: pending (handed out) → running, completed or failed; running →
/// completed or failed. Starting or completing must wait for every earlier
/// operation on the device. Repeats are no-ops; anything else is a 409.
pub fn report_status(
    state: &NodeDisks,
    id: Uuid,
    status: ReportedStatus,
    error: Option<String>,
    now: OffsetDateTime,
) -> Result<Vec<E>, Rejection> {
    let op = state.operation(id).ok_or_else(|| Rejection::NotFound("Partition operation not found".into()))?;
    match &error {
        Some(_) if status != ReportedStatus::Failed => {
            return Err(Rejection::invalid("error_message", "only a failed operation carries an error_message"));
        }
        Some(message) => check_text("error_message", message, ERROR_MAX)?,
        None => {}
    }
    let target = status.as_status();
    let op_ref = OperationRef { id, device: op.device.clone(), operation: op.spec.kind() };
    use OperationStatus as S;
    match (op.status, target) {
        (current, wanted) if current == wanted => {
            if current == S::Failed && error.is_some() && error != op.error {
                return Err(Rejection::Conflict(format!(
                    "operation #{} already failed with a different error: {}",
                    op.sequence,
                    op.error.as_deref().unwrap_or("(none given)")
                )));
            }
            Ok(vec![])
        }
        (S::Pending, _) if !op.handed_out => Err(Rejection::Conflict(format!(
            "operation #{} on {} has not been applied: the node gets it once the operator applies the queue",
            op.sequence, op.device
        ))),
        (S::Pending | S::Running, S::Failed) => {
            Ok(vec![E::OperationFailed { op: op_ref, error, withdrawn: later_handed_out(state, op), at: now }])
        }
        (S::Pending, S::Running) => {
            wait_for_earlier(state, op)?;
            Ok(vec![E::OperationStarted { op: op_ref, at: now }])
        }
        (S::Pending | S::Running, S::Completed) => {
            wait_for_earlier(state, op)?;
            Ok(vec![E::OperationCompleted { op: op_ref, at: now }])
        }
        (current, wanted) => Err(Rejection::Conflict(format!(
            "operation #{} on {} is already {current}; it cannot become {wanted}",
            op.sequence, op.device
        ))),
    }
}

fn wait_for_earlier(state: &NodeDisks, op: &Operation) -> Result<(), Rejection> {
    let blocking = state
        .queue(&op.device)
        .take_while(|o| o.sequence < op.sequence)
        .find(|o| matches!(o.status, OperationStatus::Pending | OperationStatus::Running));
    match blocking {
        Some(earlier) => Err(Rejection::Conflict(format!(
            "operation #{} on {} must wait: operation #{} before it is still {}",
            op.sequence, op.device, earlier.sequence, earlier.status
        ))),
        None => Ok(()),
    }
}

fn later_handed_out(state: &NodeDisks, failed: &Operation) -> Vec<Uuid> {
    state
        .queue(&failed.device)
        .filter(|o| o.sequence > failed.sequence && o.handed_out && o.status == OperationStatus::Pending)
        .map(|o| o.id)
        .collect()
}

fn known_disk<'a>(state: &'a NodeDisks, device: &Device) -> Result<&'a KnownDisk, Rejection> {
    state
        .disks
        .get(device.as_str())
        .ok_or_else(|| Rejection::NotFound(format!("Disk {device} not found on this node (has it reported a scan?)")))
}

fn operation_on<'a>(state: &'a NodeDisks, device: &Device, id: Uuid) -> Result<&'a Operation, Rejection> {
    state
        .operation(id)
        .filter(|o| o.device == device.as_str())
        .ok_or_else(|| Rejection::NotFound("Partition operation not found".into()))
}

fn planned<'a>(ops: impl Iterator<Item = &'a Operation>) -> impl Iterator<Item = PlannedOp<'a>> {
    ops.map(|o| PlannedOp { sequence: o.sequence, spec: &o.spec })
}

fn replay<'a>(disk: &KnownDisk, ops: impl Iterator<Item = &'a Operation>) -> Result<Layout, PlanConflict> {
    Layout::of(&disk.scan).replay(planned(ops))
}

fn broken_queue(device: &Device, conflict: &PlanConflict) -> Rejection {
    Rejection::Conflict(format!(
        "the queue of {device} no longer fits its last scan: {conflict}; remove that operation or rescan"
    ))
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
