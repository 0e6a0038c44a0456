//! The resize plan of a session and the rule that it makes the clone fit.
//!
//! A plan lists what the source does to its disk before it serves it
//! (`resize_mode = shrink_source`): `resize` and `move` operations, the ones
//! that keep the data, in order. It is checked by the disks' plan simulator
//! ([`Layout::replay`]) against the source's latest scan, so the shrink floors
//! (`min_size_bytes`, the tool's `fs_min_bytes`), GPT areas and alignment are
//! the same as for queued operations; then the layout it leaves must fit the
//! target's latest scan.
//!
//! # What a shrink_source clone copies
//! The source serves its disk only up to its partition table's end area:
//! the last partition's last sector, then (GPT) the backup entries and
//! header, which the agent moves right behind the last partition first
//! (`sfdisk --relocate gpt-bak-mini`, which keeps `LastUsableLBA` one sector
//! past that partition). The target writes that onto its smaller disk and
//! moves the backup to its own end. So a target fits when it holds
//! [`needed_bytes`]; any other session copies the whole source disk.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ResizeMode, SessionSpec};
use crate::domain::Rejection;
use crate::domain::disks::plan::{Layout, PlannedOp};
use crate::domain::disks::{DiskScan, OperationKind, OperationSpec, PartitionTable};

/// Operations one plan may hold: a disk has at most 128 GPT partitions, and
/// each needs at most a resize and a move.
pub const MAX_PLAN_OPERATIONS: usize = 256;

/// The resize plan: empty until an operator sets one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClonePlan {
    /// Run in order on the source disk before it serves: `resize` and
    /// `move` only (they keep the data; a delete or format would destroy
    /// what is being cloned).
    pub source_operations: Vec<OperationSpec>,
}

impl ClonePlan {
    /// Checks the shape of a plan (kinds, count); the disks are checked by [`check`].
    pub fn new(source_operations: Vec<OperationSpec>) -> Result<Self, Rejection> {
        if source_operations.len() > MAX_PLAN_OPERATIONS {
            return Err(Rejection::invalid(
                "source_operations",
                format!("at most {MAX_PLAN_OPERATIONS} operations per plan"),
            ));
        }
        for (i, op) in source_operations.iter().enumerate() {
            if !matches!(op.kind(), OperationKind::Resize | OperationKind::Move) {
                return Err(Rejection::invalid(
                    &format!("source_operations[{i}].operation"),
                    format!(
                        "a clone plan only resizes or moves partitions ({} would destroy data being cloned)",
                        op.kind().as_str()
                    ),
                ));
            }
        }
        Ok(Self { source_operations })
    }

    /// The operations as the simulator replays them, numbered from 1.
    pub fn planned(&self) -> impl Iterator<Item = PlannedOp<'_>> {
        self.source_operations.iter().zip(1..).map(|(spec, sequence)| PlannedOp { sequence, spec })
    }
}

/// The latest scans of the session's source and target disks (`None`: the
/// node has not reported that device).
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionDisks<'a> {
    pub source: Option<&'a DiskScan>,
    pub target: Option<&'a DiskScan>,
}

/// Whether `plan` can run on the source and leaves a disk the target holds;
/// the reason when not. Unknown disks are not checked (the agents check
/// again), except that a plan with operations needs the source's scan.
pub fn check(spec: &SessionSpec, plan: &ClonePlan, disks: SessionDisks<'_>) -> Result<(), String> {
    if !plan.source_operations.is_empty() && spec.resize_mode != ResizeMode::ShrinkSource {
        return Err(format!(
            "the plan's source operations run only with resize_mode shrink_source (the session's is {})",
            spec.resize_mode.as_str()
        ));
    }
    let Some(source) = disks.source else {
        if plan.source_operations.is_empty() {
            return Ok(());
        }
        return Err(format!(
            "node {} has not reported {}: scan the source (POST /nodes/{}/disks/scan) so the plan can be checked",
            spec.source_node_id, spec.source_device, spec.source_node_id
        ));
    };
    let layout = Layout::of(source).replay(plan.planned()).map_err(|c| format!("the plan breaks a rule: {c}"))?;
    match disks.target {
        Some(target) => check_fit(spec, source, &layout, target),
        None => Ok(()),
    }
}

/// The bytes of the target a clone writes: for shrink_source, the source's
/// table end as `layout` leaves it ([`needed_bytes`]); else the whole source.
pub fn copied_bytes(spec: &SessionSpec, source: &DiskScan, layout: &Layout) -> i64 {
    match spec.resize_mode {
        ResizeMode::ShrinkSource => needed_bytes(layout),
        ResizeMode::None | ResizeMode::GrowTarget => source.size_bytes,
    }
}

fn check_fit(spec: &SessionSpec, source: &DiskScan, layout: &Layout, target: &DiskScan) -> Result<(), String> {
    if source.logical_sector_size != target.logical_sector_size {
        return Err(format!(
            "cannot clone: {} has {}-byte sectors and {} has {}-byte sectors, and a partition table counts sectors",
            spec.source_device, source.logical_sector_size, spec.target_device, target.logical_sector_size
        ));
    }
    let needed = copied_bytes(spec, source, layout);
    if needed <= target.size_bytes {
        return Ok(());
    }
    let what = match spec.resize_mode {
        ResizeMode::ShrinkSource => "the source's partitions after the plan, with the partition table's end area",
        ResizeMode::None | ResizeMode::GrowTarget => "the whole source disk (resize_mode shrink_source copies less)",
    };
    Err(format!(
        "cannot fit: {needed} > {} bytes ({what} need {needed} bytes; {} holds {})",
        target.size_bytes, spec.target_device, target.size_bytes
    ))
}

/// The smallest disk that holds `layout`'s partitions where they lie, with
/// the table's end area: the sector after the last partition, plus (GPT)
/// the one `sfdisk --relocate gpt-bak-mini` leaves free and the backup entries
/// and header; whole logical sectors. A disk without partitions needs its
/// first usable byte and end area.
pub fn needed_bytes(layout: &Layout) -> i64 {
    let geometry = &layout.geometry;
    let sector = geometry.logical_sector;
    let next = match layout.partitions.values().map(|s| s.end).max() {
        Some(end) => (end / sector) + 1,
        None => geometry.first_usable_byte() / sector,
    };
    let end_area = match geometry.table {
        PartitionTable::Gpt => 1 + geometry.reserved_end_sectors(),
        PartitionTable::Mbr | PartitionTable::Unknown => 0,
    };
    (next + end_area) * sector
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
