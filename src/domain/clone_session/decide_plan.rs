//! The rules of the plan and of the start: replacing the resize plan
//! (`PUT …/plan`) and starting a session (`POST …/start`).
//!
//! A session is started at most once: by an operator, or else by the
//! source's first `source-ready`. From then on neither its settings (PATCH)
//! nor its plan change. A `shrink_source` session must be started by an
//! operator, since its source changes its own disk by the plan: the start
//! is where the plan is checked against the disks as last scanned, and its
//! source agent waits for it.

use super::decide::existing;
use super::plan::{self, ClonePlan, SessionDisks};
use super::{CloneSession, CloneSessionEvent as E, CloneStatus, ResizeMode, SessionSpec};
use crate::domain::Rejection;

/// Replaces the plan, once it checks out against the disks' latest scans.
/// Setting the plan it already has records nothing.
pub fn set_plan(state: &CloneSession, plan: ClonePlan, disks: SessionDisks<'_>) -> Result<Vec<E>, Rejection> {
    let spec = changeable(state, "the plan")?;
    plan::check(spec, &plan, disks).map_err(Rejection::Conflict)?;
    if state.plan == plan {
        return Ok(vec![]);
    }
    Ok(vec![E::PlanSet(plan)])
}

/// Starts a pending session once its plan (empty when none was set) checks
/// out against the disks' latest scans. Starting a started session again
/// records nothing.
pub fn start(state: &CloneSession, disks: SessionDisks<'_>) -> Result<Vec<E>, Rejection> {
    let spec = existing(state)?;
    if state.status != CloneStatus::Pending {
        return Err(Rejection::Conflict(format!("start refused: session is already {}", state.status)));
    }
    if state.started {
        return Ok(vec![]);
    }
    plan::check(spec, &state.plan, disks).map_err(|why| Rejection::Conflict(format!("start refused: {why}")))?;
    Ok(vec![E::Started { source_node_id: spec.source_node_id, target_node_id: spec.target_node_id, requested: true }])
}

/// Whether the source may report ready: a `shrink_source` session must have
/// been started first (see the module).
pub fn may_serve(state: &CloneSession, spec: &SessionSpec) -> Result<(), Rejection> {
    if spec.resize_mode == ResizeMode::ShrinkSource && !state.started {
        return Err(Rejection::Conflict(
            "source-ready refused: a shrink_source session must be started first (POST /clone-sessions/{id}/start), \
             which checks its plan before the source changes its disk"
                .into(),
        ));
    }
    Ok(())
}

/// The spec of a session whose settings may still change: pending and not started.
pub fn changeable<'a>(state: &'a CloneSession, what: &str) -> Result<&'a SessionSpec, Rejection> {
    let spec = existing(state)?;
    if state.status != CloneStatus::Pending {
        return Err(Rejection::Conflict(format!("{what} can no longer change: session is {}", state.status)));
    }
    if state.started {
        return Err(Rejection::Conflict(format!("{what} can no longer change: the session was started")));
    }
    Ok(spec)
}

#[cfg(test)]
#[path = "decide_plan_tests.rs"]
mod tests;
