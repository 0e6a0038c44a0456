//! Image commands: recording a finished capture, deleting an image.

use uuid::Uuid;

use super::Decision;
use crate::commands::Context;
use crate::domain::Rejection;
use crate::domain::clone_session::{CloneSession, StagedImage};
use crate::domain::disks::NodeDisks;
use crate::domain::image::{self, Image, ImageDetails, ImageEvent, manifest_path};
use crate::domain::storage_backend::StorageBackend;
use crate::error::ApiError;
use crate::event_store::Metadata;

/// Records the image capture session `session_id` (in `state`, after its
/// `source-complete`) stored, with the source disk's layout as last scanned.
pub async fn record_ready(
    cx: &Context<'_>,
    metadata: &Metadata,
    session_id: Uuid,
    state: &CloneSession,
) -> Result<(), ApiError> {
    let (Some(spec), Some(StagedImage::Capture { image_id, image_name }), Some(done), Some(created_at)) =
        (&state.spec, &state.staged, &state.captured, state.created_at)
    else {
        return Err(ApiError::Internal(format!("session {session_id} completed an upload without an image")));
    };
    let backend_id =
        spec.staging_backend_id.ok_or_else(|| ApiError::Internal("a staged session without a backend".into()))?;
    let (backend, _) = cx.executor.load::<StorageBackend>(backend_id).await?;
    let backend_type = backend
        .details
        .map(|d| d.backend_type)
        .ok_or_else(|| ApiError::Conflict(format!("storage backend {backend_id} was deleted during the capture")))?;
    let (disks, _) = cx.executor.load::<NodeDisks>(spec.source_node_id).await?;
    let details = ImageDetails {
        name: image_name.clone(),
        source_node_id: spec.source_node_id,
        source_device: spec.source_device.clone(),
        capture_session_id: session_id,
        backend_id,
        backend_type,
        path: manifest_path(image_name),
        stored: done.stored.clone(),
        layout: disks.disks.get(&spec.source_device).map(|d| d.scan.clone()),
        captured_from: created_at,
    };
    let id = *image_id;
    cx.executor
        .execute::<Image, _>(metadata, id, |state, now| image::record_ready(state, id, details.clone(), now))
        .await?;
    Ok(())
}

/// Deletes image `id` unless a session that is not over uses it: `active`,
/// the sessions using it as the read model shows them once it includes every
/// committed event (409 naming them). The chunks stay on the backend.
pub async fn delete(cx: &Context<'_>, metadata: &Metadata, id: Uuid, active: &[Uuid]) -> Result<(), ApiError> {
    cx.executor
        .execute::<Image, _>(metadata, id, |state, now| {
            let (events, claims): (Vec<ImageEvent>, _) = image::delete(state, id, active, now)?;
            Ok::<_, Rejection>(Decision { events, claims, secrets: Vec::new() })
        })
        .await?;
    Ok(())
}
