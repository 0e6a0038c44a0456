//! Creation safety: a session may not write to a disk another active session
//! writes to, nor copy a disk onto a smaller one without a plan that makes
//! it fit (an operator's trial accepted a 1.8 TB → 465.8 GB clone with
//! resize `none`).
//!
//! The busy rule is a unique claim (`clone_target/<node id>`, owned by the
//! session): claimed at creation, moved on a retarget, released when the
//! session ends (completed, failed, cancelled) or is deleted. The claim is
//! written with the session's events, so two concurrent creations on one
//! target cannot both commit.

use uuid::Uuid;

use super::{CloneSession, CloneSessionEvent as E, ResizeMode, SessionSpec};
use crate::domain::Rejection;
use crate::domain::unique_claim::{ClaimAction, ClaimChange};

/// A disk's size as its node last reported it, `None` when the node has
/// not reported that device (then the size rule is not applied).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiskSizes {
    /// The source node's `source_device`, in bytes.
    pub source: Option<i64>,
    /// The target node's `target_device`, in bytes.
    pub target: Option<i64>,
}

/// Refuses (409) a target smaller than the source unless `resize_mode` is
/// `shrink_source` (the source's filesystems are shrunk to fit first).
/// Unknown sizes pass: the nodes check again before they write.
pub fn check_fits(spec: &SessionSpec, sizes: DiskSizes) -> Result<(), Rejection> {
    let (Some(source), Some(target)) = (sizes.source, sizes.target) else { return Ok(()) };
    if target >= source || spec.resize_mode == ResizeMode::ShrinkSource {
        return Ok(());
    }
    let target_node = spec.target_node_id.map_or_else(|| "the staging backend".to_owned(), |n| format!("node {n}"));
    Err(Rejection::Conflict(format!(
        "target {} on {target_node} ({}) is smaller than source {} on node {} ({}); \
         use resize_mode shrink_source with a plan, or a larger target",
        spec.target_device,
        size(target),
        spec.source_device,
        spec.source_node_id,
        size(source),
    )))
}

fn size(bytes: i64) -> String {
    format!("{:.1} GiB, {bytes} bytes", bytes as f64 / f64::from(1u32 << 30))
}

/// The claim changes `events` make to the target-node claim of session
/// `id`, whose state before them is `state`.
pub fn target_claims(state: &CloneSession, id: Uuid, events: &[E]) -> Vec<ClaimChange> {
    let mut current = state.spec.as_ref().and_then(|s| s.target_node_id);
    let mut changes = Vec::new();
    for event in events {
        match event {
            E::Created(created) => {
                current = created.spec.target_node_id;
                changes.extend(current.map(|t| claim(id, t, ClaimAction::Claim)));
            }
            E::Updated(updated) if updated.target_node_id.is_some() => {
                changes.extend(current.map(|t| claim(id, t, ClaimAction::Release)));
                current = updated.target_node_id;
                changes.extend(current.map(|t| claim(id, t, ClaimAction::Claim)));
            }
            E::Completed { .. } | E::Failed { .. } | E::Cancelled { .. } | E::Deleted { .. } => {
                changes.extend(current.map(|t| claim(id, t, ClaimAction::Release)));
            }
            _ => {}
        }
    }
    changes
}

fn claim(session: Uuid, target: Uuid, action: ClaimAction) -> ClaimChange {
    ClaimChange {
        key: format!("clone_target/{target}"),
        owner: session.to_string(),
        action,
        field: "target_node_id",
        owner_kind: "clone session",
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
