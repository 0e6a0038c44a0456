//! `POST /clone-sessions/{id}/analyze`: does the source fit the target, and
//! what resize makes it fit. Pure: it compares the two latest scans (or, for
//! a session restoring an image, the image's layout in the source's place).
//!
//! - same size: nothing to resize;
//! - target larger: `grow_target`, the partition that ends last grows to the
//!   target's last usable byte (what the target agent does after the copy);
//! - target smaller: `shrink_source` with a plan that shrinks partitions,
//!   the last first, each to no less than its floor ([`Slot::shrink_floor`]),
//!   by whole MiB so that the partitions after it, moved left by as much,
//!   keep their alignment; or "cannot fit: X > Y" when even every partition
//!   at its floor leaves more than the target holds.

use serde::Serialize;
use utoipa::ToSchema;

use super::plan::{ClonePlan, SessionDisks, check, needed_bytes};
use super::{ResizeMode, SessionSpec};
use crate::domain::disks::geometry::{Geometry, MIB};
use crate::domain::disks::operation::{MoveParams, ResizeParams};
use crate::domain::disks::plan::{Layout, Slot};
use crate::domain::disks::{DiskScan, OperationSpec};

/// How the source compares with the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    SameSize,
    TargetLarger,
    TargetSmaller,
    CannotFit,
    /// A disk has no scan yet: scan it first.
    Unknown,
}

/// One partition's suggested new size, in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PartitionResize {
    pub partition: i32,
    pub from_bytes: i64,
    pub to_bytes: i64,
    /// Shrinks only: the least size it may have (see `min_size_bytes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_bytes: Option<i64>,
}

/// The answer of `analyze`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Analysis {
    pub fit: Fit,
    /// From the latest scans, in bytes (null: not reported).
    pub source_size_bytes: Option<i64>,
    pub target_size_bytes: Option<i64>,
    /// The resize mode that makes the clone work (null: none does).
    pub suggested_resize_mode: Option<ResizeMode>,
    /// `target_larger`: the partition that grows to fill the target.
    pub grow: Option<PartitionResize>,
    /// `target_smaller`: the partitions to shrink (the plan also moves the
    /// partitions behind a shrunk one).
    pub shrink: Vec<PartitionResize>,
    /// `target_smaller`: the plan to `PUT …/plan` as it is.
    pub suggested_plan: Option<ClonePlan>,
    /// Bytes of the target the clone needs: the whole source, or with
    /// `target_smaller`/`cannot_fit` the least the source's partitions need
    /// after the suggested shrink (at their floors when they cannot fit).
    pub needed_bytes: Option<i64>,
    /// The verdict for people, with the numbers.
    #[schema(example = "cannot fit: 1170210816 > 1073741824 bytes …")]
    pub message: String,
}

/// Compares the disks of the session `spec` describes; `restored` names the
/// image a restore session writes, whose recorded layout is its source.
pub fn analyze(spec: &SessionSpec, restored: Option<&str>, disks: SessionDisks<'_>) -> Analysis {
    let (Some(source), Some(target)) = (disks.source, disks.target) else {
        let message = match (restored, disks.source) {
            (Some(image), None) => format!(
                "image {image} has no recorded layout (its source disk was not scanned before the capture): \
                 only its size can be compared"
            ),
            (None, None) => {
                format!("no scan of {} on source node {}: scan it first", spec.source_device, spec.source_node_id)
            }
            (_, Some(_)) => format!("no scan of {} on the target: scan it first", spec.target_device),
        };
        let mut analysis = verdict(Fit::Unknown, disks, None, message);
        analysis.needed_bytes = None;
        return analysis;
    };
    if source.logical_sector_size != target.logical_sector_size {
        let why = format!(
            "cannot fit: the source has {}-byte sectors and the target {}-byte ones, and a partition table counts \
             sectors",
            source.logical_sector_size, target.logical_sector_size
        );
        return verdict(Fit::CannotFit, disks, None, why);
    }
    if source.size_bytes == target.size_bytes {
        return verdict(Fit::SameSize, disks, Some(ResizeMode::None), "same size: nothing to resize".into());
    }
    if target.size_bytes > source.size_bytes {
        return larger(source, target, disks);
    }
    smaller(spec, source, target, disks)
}

fn verdict(fit: Fit, disks: SessionDisks<'_>, mode: Option<ResizeMode>, message: String) -> Analysis {
    Analysis {
        fit,
        source_size_bytes: disks.source.map(|d| d.size_bytes),
        target_size_bytes: disks.target.map(|d| d.size_bytes),
        suggested_resize_mode: mode,
        grow: None,
        shrink: Vec::new(),
        suggested_plan: None,
        needed_bytes: disks.source.map(|d| d.size_bytes),
        message,
    }
}

/// The target's rules for the source's table: the table is copied as it is.
fn target_geometry(source: &DiskScan, target: &DiskScan) -> Geometry {
    Geometry {
        size_bytes: target.size_bytes,
        logical_sector: source.logical_sector_size,
        table: source.partition_table,
    }
}

fn larger(source: &DiskScan, target: &DiskScan, disks: SessionDisks<'_>) -> Analysis {
    let extra = target.size_bytes - source.size_bytes;
    let mut analysis = verdict(
        Fit::TargetLarger,
        disks,
        Some(ResizeMode::GrowTarget),
        format!("the target is {extra} bytes larger: grow_target lets the last partition fill it"),
    );
    let last_usable = target_geometry(source, target).last_usable_byte();
    analysis.grow = source.partitions.iter().max_by_key(|p| p.end_bytes).map(|p| PartitionResize {
        partition: p.number,
        from_bytes: p.size_bytes,
        to_bytes: last_usable - p.start_bytes + 1,
        min_bytes: None,
    });
    if let Some(grow) = &analysis.grow {
        analysis.message = format!(
            "the target is {extra} bytes larger: grow_target grows partition {} from {} to {} bytes",
            grow.partition, grow.from_bytes, grow.to_bytes
        );
    }
    analysis
}

fn smaller(spec: &SessionSpec, source: &DiskScan, target: &DiskScan, disks: SessionDisks<'_>) -> Analysis {
    let layout = Layout::of(source);
    let slots: Vec<&Slot> = {
        let mut slots: Vec<&Slot> = layout.partitions.values().collect();
        slots.sort_by_key(|s| s.start);
        slots
    };
    let excess = needed_bytes(&layout) - target.size_bytes;
    // Whole MiB each partition may lose, walking back from the last.
    let mut cuts = vec![0; slots.len()];
    let mut remaining = excess.max(0);
    for (i, slot) in slots.iter().enumerate().rev() {
        if remaining == 0 {
            break;
        }
        let Ok((floor, _)) = slot.shrink_floor() else { continue };
        let spare = (slot.size() - floor).max(0) / MIB * MIB;
        cuts[i] = spare.min((remaining + MIB - 1) / MIB * MIB);
        remaining = (remaining - cuts[i]).max(0);
    }
    let cut_total: i64 = cuts.iter().sum();
    let needed = needed_bytes(&layout) - cut_total;
    if remaining > 0 {
        let mut analysis = verdict(
            Fit::CannotFit,
            disks,
            None,
            format!(
                "cannot fit: {needed} > {} bytes (the source's partitions need {needed} bytes even with every \
                 shrinkable one at its minimum size; the target holds {})",
                target.size_bytes, target.size_bytes
            ),
        );
        analysis.needed_bytes = Some(needed);
        return analysis;
    }
    let plan = shrink_plan(&slots, &cuts);
    let shrink = slots
        .iter()
        .zip(&cuts)
        .filter(|(_, cut)| **cut > 0)
        .map(|(slot, cut)| PartitionResize {
            partition: slot.number,
            from_bytes: slot.size(),
            to_bytes: slot.size() - cut,
            min_bytes: slot.shrink_floor().ok().map(|(floor, _)| floor),
        })
        .collect();
    let shrinking = SessionSpec { resize_mode: ResizeMode::ShrinkSource, ..spec.clone() };
    if let Err(why) = check(&shrinking, &plan, disks) {
        return verdict(Fit::CannotFit, disks, None, format!("cannot fit: no plan found that keeps the rules: {why}"));
    }
    let mut analysis = verdict(
        Fit::TargetSmaller,
        disks,
        Some(ResizeMode::ShrinkSource),
        format!(
            "the target is {} bytes smaller: shrink_source with the suggested plan copies {needed} bytes",
            source.size_bytes - target.size_bytes
        ),
    );
    analysis.shrink = shrink;
    analysis.suggested_plan = Some(plan);
    analysis.needed_bytes = Some(needed);
    analysis
}

/// The shrinks in disk order, then each later partition moved left by what
/// the partitions before it lost (left to right, so each lands on freed space).
fn shrink_plan(slots: &[&Slot], cuts: &[i64]) -> ClonePlan {
    let mut operations: Vec<OperationSpec> = slots
        .iter()
        .zip(cuts)
        .filter(|(_, cut)| **cut > 0)
        .map(|(slot, cut)| {
            OperationSpec::Resize(ResizeParams { partition: slot.number, new_size_bytes: slot.size() - cut })
        })
        .collect();
    let mut shift = 0;
    for (slot, cut) in slots.iter().zip(cuts) {
        if shift > 0 {
            operations
                .push(OperationSpec::Move(MoveParams { partition: slot.number, new_start_bytes: slot.start - shift }));
        }
        shift += cut;
    }
    ClonePlan { source_operations: operations }
}

#[cfg(test)]
#[path = "analyze_tests.rs"]
mod tests;
