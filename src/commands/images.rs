//! Image commands: what a finished capture records, deleting an image.
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

/// Deletes image `id` unless a session that is not over uses it (409
/// naming them). The sessions' ends are read from their own streams; a
/// restore created meanwhile writes to the image's stream, so the deletion
/// loses that race, is decided again and refused. The chunks stay on the backend.
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
            let (events, claims): (Vec<ImageEvent>, _) = image::delete(state, id, &over, now)?;
            Ok::<_, Rejection>(Decision { events, claims, secrets: Vec::new() })
        })
        .await?;
    Ok(())
}
