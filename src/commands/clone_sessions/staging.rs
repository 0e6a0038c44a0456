//! Staged sessions' commands: what a staged creation resolves first (the
//! backend's type, a restore's image), the nodes' staging reports, and
//! `source-complete`, which also records the image.

use uuid::Uuid;

use super::{super::images, run};
use crate::commands::Context;
use crate::domain::Rejection;
use crate::domain::clone_session::{
    self as session, CloneMode, CloneSession, SessionSpec, SourceCompletion, StagedImage, StagingReport,
};
use crate::domain::image;
use crate::domain::storage_backend::{BackendType, StorageBackend};
use crate::error::ApiError;
use crate::event_store::Aggregate;
use crate::event_store::Metadata;

/// What a creation asks of an image: nothing (direct), a capture (with an
/// optional name), or a restore of an existing image.
#[derive(Debug, Clone)]
pub enum ImageRequest {
    None,
    Capture { name: Option<String> },
    Restore { image_id: Uuid },
}

/// Resolves a staged request before the decision: a restore's spec takes its
/// source, device and backend from the image (a source the request gave
/// must be the image's); a capture gets its image's id and name. Staged
/// sessions on backends whose agents do not exist yet (s3, iscsi) are refused
/// (422) rather than created to fail later.
pub(super) async fn prepare(
    cx: &Context<'_>,
    spec: &mut SessionSpec,
    request: ImageRequest,
) -> Result<Option<StagedImage>, ApiError> {
    let staged = match request {
        ImageRequest::None => return Ok(None),
        ImageRequest::Restore { image_id } => {
            let (state, _) = cx.executor.load::<image::Image>(image_id).await?;
            let image = image::restorable(&state, image_id)?;
            if spec.source_node_id != Uuid::nil() && spec.source_node_id != image.source_node_id {
                return Err(Rejection::invalid(
                    "source_node_id",
                    format!(
                        "image {} was captured from node {}; leave source_node_id out",
                        image.name, image.source_node_id
                    ),
                )
                .into());
            }
            if spec.staging_backend_id.is_some_and(|b| b != image.backend_id) {
                return Err(Rejection::invalid("staging_backend_id", "a restore reads the image's own backend").into());
            }
            spec.source_node_id = image.source_node_id;
            spec.source_device = image.source_device.clone();
            spec.staging_backend_id = Some(image.backend_id);
            StagedImage::Restore {
                image_id,
                image_name: image.name.clone(),
                size_bytes: image.stored.size_bytes,
                digest: image.stored.digest.clone(),
            }
        }
        ImageRequest::Capture { name } => {
            let image_id = Uuid::new_v4();
            let image_name = name.unwrap_or_else(|| format!("image-{}", image_id.simple()));
            StagedImage::Capture { image_id, image_name }
        }
    };
    if spec.clone_mode != CloneMode::Staged {
        return Err(Rejection::invalid("clone_mode", "an image is captured or restored only in staged mode").into());
    }
    if let Some(backend) = spec.staging_backend_id {
        let (state, _) = cx.executor.load::<StorageBackend>(backend).await?;
        let kind = state.details.map(|d| d.backend_type);
        if let Some(kind @ (BackendType::S3 | BackendType::Iscsi)) = kind {
            let name = crate::projections::fold::sessions::text(&kind);
            return Err(Rejection::invalid(
                "staging_backend_id",
                format!("staged sessions on {name} backends are not supported yet; use an nfs or http backend"),
            )
            .into());
        }
    }
    Ok(Some(staged))
}

/// A node's staging report (source: provisioned, uploading; target: downloading).
pub async fn report_staging(
    cx: &Context<'_>,
    metadata: &Metadata,
    id: Uuid,
    report: StagingReport,
) -> Result<CloneSession, ApiError> {
    run(cx, metadata, id, |state, now| session::report_staging(state, report, now)).await
}

/// The source's upload is complete: the session records it (staging
/// `ready`) and the image is recorded as ready, in one append of both
/// streams, so no reader sees a ready session without its image and no
/// crash leaves one half. A replay (agents repeat the callback until it is
/// answered 2xx) writes nothing.
pub async fn source_complete(
    cx: &Context<'_>,
    metadata: &Metadata,
    id: Uuid,
    report: SourceCompletion,
) -> Result<CloneSession, ApiError> {
    let (state, _) = cx.executor.load::<CloneSession>(id).await?;
    let capture = match (&state.spec, &state.staged) {
        (Some(spec), Some(StagedImage::Capture { image_id, .. })) => {
            Some((*image_id, images::capture_context(cx, spec).await?))
        }
        // The decision refuses it with the reason.
        _ => None,
    };
    let image_id = capture.as_ref().map(|(image_id, _)| *image_id);
    let executed = cx
        .executor
        .execute_with::<CloneSession, image::Image>(metadata, id, image_id, |state, image_state, now| {
            let events = session::source_complete(state, report.clone(), now)?;
            let image_events = match &capture {
                Some((image_id, context)) if image_state.details.is_none() => {
                    let mut after = state.clone();
                    events.iter().for_each(|event| after.apply(event));
                    let details = session::image_details(id, &after, context.backend_type, context.layout.clone())?;
                    image::record_ready(image_state, *image_id, details, now)?
                }
                _ => Vec::new(),
            };
            Ok((events.into(), image_events))
        })
        .await?;
    Ok(executed.state)
}
