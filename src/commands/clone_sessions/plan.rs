//! Analyse, plan and start: the commands that compare a session's disks.
//! Each reads the latest scans of the session's two disks (on the nodes'
//! `node_disks` aggregates, current without waiting for the projections;
//! a restore's source is its image's recorded layout) and hands them to the
//! pure rules of `domain::clone_session`.

use uuid::Uuid;

use super::run;
use crate::commands::Context;
use crate::domain::clone_session::analyze::{Analysis, analyze as compare};
use crate::domain::clone_session::{self as session, ClonePlan, CloneSession, SessionDisks, SessionSpec, StagedImage};
use crate::domain::disks::{DiskScan, NodeDisks};
use crate::domain::image::Image;
use crate::error::ApiError;
use crate::event_store::Metadata;

/// The latest scans of a session's source and target disks.
pub struct SessionScans {
    pub source: Option<DiskScan>,
    pub target: Option<DiskScan>,
}

impl SessionScans {
    /// Reads them for `spec`. A session restoring a golden image (`staged`)
    /// has the image's layout at capture as its source (the image's record,
    /// not the source node's later scans: that disk may have changed since);
    /// an image recorded without one leaves the source unknown.
    pub async fn of(cx: &Context<'_>, spec: &SessionSpec, staged: Option<&StagedImage>) -> Result<Self, ApiError> {
        let source = match staged {
            Some(StagedImage::Restore { image_id, .. }) => {
                let (image, _) = cx.executor.load::<Image>(*image_id).await?;
                image.details.and_then(|d| d.layout)
            }
            _ => scan(cx, spec.source_node_id, &spec.source_device).await?,
        };
        let target = match spec.target_node_id {
            Some(target) => scan(cx, target, &spec.target_device).await?,
            None => None,
        };
        Ok(Self { source, target })
    }

    pub fn disks(&self) -> SessionDisks<'_> {
        SessionDisks { source: self.source.as_ref(), target: self.target.as_ref() }
    }

    /// The disks' sizes, for the creation guard.
    pub fn sizes(&self) -> session::DiskSizes {
        session::DiskSizes {
            source: self.source.as_ref().map(|d| d.size_bytes),
            target: self.target.as_ref().map(|d| d.size_bytes),
        }
    }
}

async fn scan(cx: &Context<'_>, node: Uuid, device: &str) -> Result<Option<DiskScan>, ApiError> {
    let (disks, _) = cx.executor.load::<NodeDisks>(node).await?;
    Ok(disks.disks.get(device).map(|d| d.scan.clone()))
}

/// A session's spec and plan as they are now, with its disks' latest scans.
async fn current(cx: &Context<'_>, id: Uuid) -> Result<(CloneSession, SessionSpec, SessionScans), ApiError> {
    let (state, _) = cx.executor.load::<CloneSession>(id).await?;
    let spec = match (&state.spec, state.deleted) {
        (Some(spec), false) => spec.clone(),
        _ => return Err(ApiError::NotFound("Clone session not found".into())),
    };
    let scans = SessionScans::of(cx, &spec, state.staged.as_ref()).await?;
    Ok((state, spec, scans))
}

/// What fits: the session's disks compared (nothing is recorded).
pub async fn analyze(cx: &Context<'_>, id: Uuid) -> Result<Analysis, ApiError> {
    let (state, spec, scans) = current(cx, id).await?;
    let restored = state.staged.as_ref().filter(|s| matches!(s, StagedImage::Restore { .. }));
    Ok(compare(&spec, restored.map(StagedImage::image_name), scans.disks()))
}

/// The plan, and why it does not check out against the latest scans now
/// (`None` when it does).
pub async fn plan(cx: &Context<'_>, id: Uuid) -> Result<(CloneSession, Option<String>), ApiError> {
    let (state, spec, scans) = current(cx, id).await?;
    let problem = session::plan::check(&spec, &state.plan, scans.disks()).err();
    Ok((state, problem))
}

/// Replaces the plan (see [`session::set_plan`]).
pub async fn set_plan(
    cx: &Context<'_>,
    metadata: &Metadata,
    id: Uuid,
    plan: ClonePlan,
) -> Result<CloneSession, ApiError> {
    let (_, spec, scans) = current(cx, id).await?;
    run(cx, metadata, id, |state, _| {
        same_disks(state, &spec)?;
        session::set_plan(state, plan.clone(), scans.disks())
    })
    .await
}

/// Starts a pending session (see [`session::start`]).
pub async fn start(cx: &Context<'_>, metadata: &Metadata, id: Uuid) -> Result<CloneSession, ApiError> {
    let (_, spec, scans) = current(cx, id).await?;
    run(cx, metadata, id, |state, _| {
        same_disks(state, &spec)?;
        session::start(state, scans.disks())
    })
    .await
}

/// The scans were read for `read`'s disks: a PATCH in between that moved
/// the session to other disks makes the caller try again.
fn same_disks(state: &CloneSession, read: &SessionSpec) -> Result<(), crate::domain::Rejection> {
    let disks =
        |s: &SessionSpec| (s.source_node_id, s.target_node_id, s.source_device.clone(), s.target_device.clone());
    match &state.spec {
        Some(spec) if disks(spec) != disks(read) => {
            Err(crate::domain::Rejection::Conflict("the session's target changed meanwhile; try again".into()))
        }
        _ => Ok(()),
    }
}
