//! Image commands: what a finished capture records, deleting an image and
//! the steps of its sweep (see [`crate::app::image_sweep`]).
//! Restores are recorded on the image by the session's creation
//! ([`super::clone_sessions::create`]) and the image's readiness by
//! `source-complete`, each in the same append as the session's events.

use uuid::Uuid;

use super::Decision;
use crate::commands::Context;
use crate::domain::Rejection;
use crate::domain::clone_session::{CloneSession, SessionSpec};
use crate::domain::disks::NodeDisks;
use crate::domain::disks::scan::DiskScan;
use crate::domain::image::{self, Image, ImageEvent};
use crate::domain::storage_backend::{BackendType, StorageBackend};
use crate::domain::storage_lease::{self, StorageLease};
use crate::error::ApiError;
use crate::event_store::Metadata;

/// What an image records besides its session's report, read before the
/// decision: its backend's type and the source disk's last scanned layout.
pub struct CaptureContext {
    pub backend_type: BackendType,
    pub layout: Option<DiskScan>,
}

/// Reads the [`CaptureContext`] of a capture with `spec`; 409 when its
/// backend was deleted during the capture.
pub async fn capture_context(cx: &Context<'_>, spec: &SessionSpec) -> Result<CaptureContext, ApiError> {
    let backend_id =
        spec.staging_backend_id.ok_or_else(|| ApiError::Internal("a staged session without a backend".into()))?;
    let (backend, _) = cx.executor.load::<StorageBackend>(backend_id).await?;
    let backend_type = backend
        .details
        .map(|d| d.backend_type)
        .ok_or_else(|| ApiError::Conflict(format!("storage backend {backend_id} was deleted during the capture")))?;
    let (disks, _) = cx.executor.load::<NodeDisks>(spec.source_node_id).await?;
    let layout = disks.disks.get(&spec.source_device).map(|d| d.scan.clone());
    Ok(CaptureContext { backend_type, layout })
}

/// Starts deleting image `id` (`image.cleanup_started`) unless a session
/// that is not over uses it (409 naming them). The sessions' ends are read
/// from their own streams; a restore created meanwhile writes to the image's
/// stream, so the deletion loses that race, is decided again and refused.
/// The sweep ([`crate::app::image_sweep`]) removes the files, then the image.
pub async fn delete(cx: &Context<'_>, metadata: &Metadata, id: Uuid) -> Result<(), ApiError> {
    let (state, _) = cx.executor.load::<Image>(id).await?;
    let mut over = Vec::new();
    for session in image::users(&state, &[]) {
        let (session_state, _) = cx.executor.load::<CloneSession>(session).await?;
        if session_state.deleted || session_state.status.is_terminal() {
            over.push(session);
        }
    }
    cx.executor
        .execute::<Image, _>(metadata, id, |state, now| {
            let events: Vec<ImageEvent> = image::start_cleanup(state, &over, now)?;
            Ok::<_, Rejection>(Decision { events, claims: Vec::new(), secrets: Vec::new() })
        })
        .await?;
    Ok(())
}

/// The metadata of what the controller's sweep records.
pub fn sweep_metadata() -> Metadata {
    Metadata { actor: Some("system:image-sweep".into()), ..Metadata::default() }
}

/// Ends, on `backend`'s lease, the uploads of capture sessions that are over
/// (completed, failed, cancelled or deleted: an end is final, so reading it
/// before the append is sound).
pub async fn end_finished_uploads(cx: &Context<'_>, backend: Uuid) -> Result<(), ApiError> {
    let (lease, _) = cx.executor.load::<StorageLease>(backend).await?;
    for session in lease.uploads {
        let (state, _) = cx.executor.load::<CloneSession>(session).await?;
        if state.deleted || state.status.is_terminal() {
            cx.executor
                .execute::<StorageLease, _>(&sweep_metadata(), backend, |lease, now| {
                    Ok::<_, Rejection>(storage_lease::end_upload(lease, session, now))
                })
                .await?;
        }
    }
    Ok(())
}

/// Starts the sweep of image `id` (in cleanup) on `backend`: 409 with the
/// reason while capture sessions there are not over or another sweep runs.
pub async fn start_sweep(cx: &Context<'_>, id: Uuid, backend: Uuid) -> Result<(), ApiError> {
    cx.executor
        .execute_with::<StorageLease, Image>(&sweep_metadata(), backend, Some(id), |lease, image, now| {
            if image.cleanup.is_none() || image.deleted {
                return Err(Rejection::Conflict(format!("image {id} is not being deleted")));
            }
            Ok((storage_lease::start_sweep(lease, backend, id, now)?.into(), Vec::new()))
        })
        .await?;
    Ok(())
}

/// The sweep removed image `id`'s files from `backend`: the image is
/// deleted, its name released and the sweep ended, in one append.
pub async fn finish_sweep(cx: &Context<'_>, id: Uuid, backend: Uuid) -> Result<(), ApiError> {
    cx.executor
        .execute_with::<Image, StorageLease>(&sweep_metadata(), id, Some(backend), |image, lease, now| {
            let decision = image::finish_cleanup(image, id, now)?.into();
            Ok((decision, storage_lease::end_sweep(lease, id, now)))
        })
        .await?;
    Ok(())
}

/// A sweep of image `id` failed or could not start (`reason`): recorded on
/// the image (unless it is the last reason recorded) and the sweep, if this
/// one ran, ended, in one append. The image stays in cleanup.
pub async fn sweep_failed(cx: &Context<'_>, id: Uuid, backend: Uuid, reason: &str) -> Result<(), ApiError> {
    cx.executor
        .execute_with::<Image, StorageLease>(&sweep_metadata(), id, Some(backend), |image, lease, now| {
            let events = image::record_cleanup_failure(image, id, reason, now)?;
            Ok((events.into(), storage_lease::end_sweep(lease, id, now)))
        })
        .await?;
    Ok(())
}
