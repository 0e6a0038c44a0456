//! Staged sessions: the disk goes through a storage backend as an image
//! ([`crate::domain::image`]). A staged session either **captures** (the
//! source uploads its disk as a new image; with a target, the target then
//! restores it in the same session) or **restores** an existing ready image
//! onto its one target. One image reaches several targets as one restore
//! session per target: each has its own node token, progress and outcome,
//! so targets restore independently and one failing fails only its session.
//!
//! # `staging_status`
//! ```text
//!  capture: pending ─source: provisioned─▶ provisioned ─source: uploading─▶ uploading
//!             ─source-complete─▶ ready [─target: downloading─▶ downloading ─complete─▶ completed]
//!  restore: ready ─target: downloading─▶ downloading ─complete─▶ completed
//!  any image's sessions: ─DELETE /images/{id}─▶ deleted (shown by the read model)
//! ```
//! `source-complete` records the image in the same append as the session's
//! event; a restore's creation appends `image.restore_created` to the
//! image's stream, which orders it with the image's deletion
//! ([`crate::domain::image::delete`]).
//! The session leaves `pending` for `cloning` when the upload (capture) or the
//! download (restore) starts (`clone.started`). A capture without a target
//! completes at `source-complete`; otherwise the target's `complete` ends it,
//! with the digest of what it restored, which must be the image's. A report
//! of a stage the session has already passed is acknowledged with no event
//! (agents replay callbacks, and a restarted agent reports from the start).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    CloneMode, CloneSession, CloneSessionEvent as E, CloneStatus, Role, SessionSpec, StagingStatus, create, existing,
};
use crate::domain::Rejection;
use crate::domain::disks::scan::DiskScan;
use crate::domain::image::{self, ImageDetails, StoredImage, name_claim};
use crate::domain::storage_backend::BackendType;
use crate::domain::unique_claim::{ClaimAction, ClaimChange};

/// What a staged session does with its image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StagedImage {
    /// The source uploads its disk as image `image_name` (its id chosen at creation).
    Capture { image_id: Uuid, image_name: String },
    /// The target restores a ready image of `size_bytes` whose content digest is `digest`.
    Restore { image_id: Uuid, image_name: String, size_bytes: i64, digest: String },
}

impl StagedImage {
    pub fn image_id(&self) -> Uuid {
        match self {
            StagedImage::Capture { image_id, .. } | StagedImage::Restore { image_id, .. } => *image_id,
        }
    }

    pub fn image_name(&self) -> &str {
        match self {
            StagedImage::Capture { image_name, .. } | StagedImage::Restore { image_name, .. } => image_name,
        }
    }

    /// A capture's staging starts `pending`; a restore's image is `ready`.
    pub fn initial_status(&self) -> StagingStatus {
        match self {
            StagedImage::Capture { .. } => StagingStatus::Pending,
            StagedImage::Restore { .. } => StagingStatus::Ready,
        }
    }
}

/// What the source reports at `source-complete`: the image as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCompleted {
    pub image_id: Uuid,
    #[serde(flatten)]
    pub stored: StoredImage,
    /// Compressed bytes this capture uploaded (chunks the backend already
    /// held are not uploaded again), when the agent said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_uploaded: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Creates a staged session that captures or restores `staged`.
pub fn create_staged(
    state: &CloneSession,
    id: Uuid,
    spec: SessionSpec,
    staged: StagedImage,
    created_by: Option<String>,
    now: OffsetDateTime,
) -> Result<Vec<E>, Rejection> {
    if spec.clone_mode != CloneMode::Staged {
        return Err(Rejection::invalid("clone_mode", "an image is captured or restored only in staged mode"));
    }
    image::check_name(staged.image_name()).map_err(|e| Rejection::invalid("image_name", e))?;
    if matches!(staged, StagedImage::Restore { .. }) && spec.target_node_id.is_none() {
        return Err(Rejection::invalid("target_node_id", "target_node_id required to restore an image"));
    }
    let mut events = create(state, id, spec, created_by, vec![], now)?;
    if let Some(E::Created(created)) = events.first_mut() {
        created.staged = Some(staged);
    }
    Ok(events)
}

/// A node's report that its side of the staging moved on.
#[derive(Debug, Clone, Copy)]
pub struct StagingReport {
    pub role: Role,
    /// Source: `provisioned` or `uploading`; target: `downloading`.
    pub status: StagingStatus,
    /// The disk's size in bytes; required with `uploading`.
    pub size_bytes: Option<i64>,
}

/// How far along the staging a status is (`cleanup`/`deleted` are not reported).
fn rank(status: StagingStatus) -> u8 {
    match status {
        StagingStatus::Pending => 0,
        StagingStatus::Provisioned => 1,
        StagingStatus::Uploading => 2,
        StagingStatus::Ready => 3,
        StagingStatus::Downloading => 4,
        StagingStatus::Cleanup => 5,
        StagingStatus::Deleted => 6,
    }
}

pub fn report_staging(state: &CloneSession, report: StagingReport, now: OffsetDateTime) -> Result<Vec<E>, Rejection> {
    let (spec, staged) = staged(state)?;
    if state.status.is_terminal() {
        return Err(Rejection::Conflict(format!("staging report refused: session is already {}", state.status)));
    }
    let current = state.staging_status.unwrap_or(StagingStatus::Pending);
    let wanted = report.status;
    match (report.role, wanted) {
        (Role::Source, StagingStatus::Provisioned | StagingStatus::Uploading) => {
            if matches!(staged, StagedImage::Restore { .. }) {
                return Err(Rejection::Conflict("a restore session uploads nothing: its image is ready".into()));
            }
            if wanted == StagingStatus::Uploading && report.size_bytes.is_none_or(|s| s <= 0) {
                return Err(Rejection::invalid("size_bytes", "the disk's size (> 0) is required with uploading"));
            }
            if rank(current) >= rank(wanted) {
                return Ok(vec![]);
            }
        }
        (Role::Target, StagingStatus::Downloading) => match current {
            StagingStatus::Downloading => return Ok(vec![]),
            StagingStatus::Ready if spec.target_node_id.is_some() => {}
            StagingStatus::Ready => return Err(Rejection::Conflict("this session has no target".into())),
            other => {
                return Err(Rejection::Conflict(format!(
                    "the image is not ready yet (staging is {}); restore once it is ready",
                    other.as_str()
                )));
            }
        },
        (role, _) => {
            let allowed = if role == Role::Source { "provisioned or uploading" } else { "downloading" };
            return Err(Rejection::invalid("status", format!("a {} node reports {allowed}", role.as_str())));
        }
    }
    let mut events = Vec::new();
    if !state.started && starts_transfer(wanted) {
        let (source_node_id, target_node_id) = (spec.source_node_id, spec.target_node_id);
        events.push(E::Started { source_node_id, target_node_id, requested: false });
    }
    events.push(E::StagingChanged {
        role: report.role,
        staging_status: wanted,
        size_bytes: report.size_bytes,
        at: now,
    });
    Ok(events)
}

/// Whether reaching `status` means data moves: the session is then `cloning`.
pub fn starts_transfer(status: StagingStatus) -> bool {
    matches!(status, StagingStatus::Uploading | StagingStatus::Downloading)
}

/// `source-complete` as the source sends it (checked here).
#[derive(Debug, Clone)]
pub struct SourceCompletion {
    pub size_bytes: i64,
    pub chunk_size_bytes: i64,
    pub chunks: i64,
    pub digest: String,
    pub manifest_digest: String,
    pub bytes_uploaded: Option<i64>,
}

/// The upload finished: staging → ready, and a capture without a target is
/// completed (its digest recorded as a direct clone's is).
pub fn source_complete(
    state: &CloneSession,
    report: SourceCompletion,
    now: OffsetDateTime,
) -> Result<Vec<E>, Rejection> {
    let (spec, staged) = staged(state)?;
    let StagedImage::Capture { image_id, .. } = staged else {
        return Err(Rejection::Conflict("a restore session has no upload to complete".into()));
    };
    let done = checked(*image_id, report, now)?;
    if let Some(recorded) = &state.captured {
        return if (SourceCompleted { at: recorded.at, ..done }) == *recorded {
            Ok(vec![])
        } else {
            Err(Rejection::Conflict(format!(
                "the source already reported the image complete ({} bytes, digest {}); a different report is refused",
                recorded.stored.size_bytes, recorded.stored.digest
            )))
        };
    }
    if state.status.is_terminal() {
        return Err(Rejection::Conflict(format!("source-complete refused: session is already {}", state.status)));
    }
    let current = state.staging_status.unwrap_or(StagingStatus::Pending);
    if current != StagingStatus::Uploading {
        return Err(Rejection::Conflict(format!(
            "source-complete refused: the upload has not started (staging is {})",
            current.as_str()
        )));
    }
    if let Some(size) = state.staging_size.filter(|s| *s != done.stored.size_bytes) {
        return Err(Rejection::invalid(
            "size_bytes",
            format!("{} differs from the {size} bytes the upload started with", done.stored.size_bytes),
        ));
    }
    let mut events = vec![E::SourceCompleted(done.clone())];
    if spec.target_node_id.is_none() {
        let started = state.started_at.unwrap_or(now);
        events.push(E::Completed {
            duration_seconds: (now - started).whole_seconds().max(0),
            bytes_transferred: done.stored.size_bytes,
            digest: Some(done.stored.digest),
            at: now,
        });
    }
    Ok(events)
}

/// The image capture session `id` (in `state`, after its `source-complete`)
/// stored, on a backend of `backend_type`, with the source disk's `layout`
/// as last scanned.
pub fn image_details(
    id: Uuid,
    state: &CloneSession,
    backend_type: BackendType,
    layout: Option<DiskScan>,
) -> Result<ImageDetails, Rejection> {
    let (Some(spec), Some(StagedImage::Capture { image_name, .. }), Some(done), Some(created_at)) =
        (&state.spec, &state.staged, &state.captured, state.created_at)
    else {
        return Err(Rejection::Conflict(format!("session {id} has no completed upload of an image")));
    };
    let backend_id =
        spec.staging_backend_id.ok_or_else(|| Rejection::Conflict("a staged session without a backend".into()))?;
    Ok(ImageDetails {
        name: image_name.clone(),
        source_node_id: spec.source_node_id,
        source_device: spec.source_device.clone(),
        capture_session_id: id,
        backend_id,
        backend_type,
        path: image::manifest_path(image_name),
        stored: done.stored.clone(),
        layout,
        captured_from: created_at,
    })
}

fn checked(image_id: Uuid, report: SourceCompletion, at: OffsetDateTime) -> Result<SourceCompleted, Rejection> {
    let hex = |field: &str, value: &str| {
        if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(value.to_ascii_lowercase())
        } else {
            Err(Rejection::invalid(field, "must be 64 hexadecimal digits (a BLAKE3 digest)"))
        }
    };
    if report.size_bytes <= 0 {
        return Err(Rejection::invalid("size_bytes", "must be greater than 0"));
    }
    if report.chunk_size_bytes <= 0 {
        return Err(Rejection::invalid("chunk_size_bytes", "must be greater than 0"));
    }
    let expected = (report.size_bytes as u64).div_ceil(report.chunk_size_bytes as u64) as i64;
    if report.chunks != expected {
        return Err(Rejection::invalid(
            "chunks",
            format!("{} bytes in chunks of {} make {expected} chunks", report.size_bytes, report.chunk_size_bytes),
        ));
    }
    if report.bytes_uploaded.is_some_and(|b| b < 0) {
        return Err(Rejection::invalid("bytes_uploaded", "must be at least 0"));
    }
    let stored = StoredImage {
        size_bytes: report.size_bytes,
        chunk_size_bytes: report.chunk_size_bytes,
        chunks: report.chunks,
        digest: hex("digest", &report.digest)?,
        manifest_digest: hex("manifest_digest", &report.manifest_digest)?,
    };
    Ok(SourceCompleted { image_id, stored, bytes_uploaded: report.bytes_uploaded, at })
}

/// What `complete` needs besides the direct-mode rules in a staged session:
/// the target must be restoring, and a digest it gives must be the image's.
pub fn check_staged_complete(state: &CloneSession, digest: Option<&str>) -> Result<(), Rejection> {
    let Some(staged) = &state.staged else { return Ok(()) };
    if state.status == CloneStatus::Completed || state.status.is_terminal() {
        return Ok(());
    }
    let current = state.staging_status.unwrap_or(StagingStatus::Pending);
    if current != StagingStatus::Downloading {
        return Err(Rejection::Conflict(format!(
            "complete refused: the target has not started restoring the image (staging is {})",
            current.as_str()
        )));
    }
    let expected = match staged {
        StagedImage::Restore { digest, .. } => Some(digest.as_str()),
        StagedImage::Capture { .. } => state.captured.as_ref().map(|c| c.stored.digest.as_str()),
    };
    match (digest, expected) {
        (Some(given), Some(expected)) if !given.eq_ignore_ascii_case(expected) => Err(Rejection::Conflict(format!(
            "the target reports digest {given}, but image {} has digest {expected}: the disk does not hold the image",
            staged.image_name()
        ))),
        _ => Ok(()),
    }
}

/// Every claim change `events` make for session `id`: its target node's
/// and its image's name.
pub fn session_claims(state: &CloneSession, id: Uuid, events: &[E]) -> Vec<ClaimChange> {
    let mut claims = super::target_claims(state, id, events);
    claims.extend(image_claims(state, events));
    claims
}

/// The claim changes `events` make to the name of the image a capture
/// session `state` produces: claimed at creation, released when the session
/// ends before its image is complete (the image then keeps it).
pub fn image_claims(state: &CloneSession, events: &[E]) -> Vec<ClaimChange> {
    let mut changes = Vec::new();
    let mut complete = state.captured.is_some();
    let mut current = state.staged.clone().zip(state.spec.as_ref().and_then(|s| s.staging_backend_id));
    for event in events {
        match event {
            E::Created(created) => {
                current = created.staged.clone().zip(created.spec.staging_backend_id);
                if let Some((StagedImage::Capture { image_id, image_name }, backend)) = &current {
                    changes.push(name_claim(*backend, image_name, *image_id, ClaimAction::Claim));
                }
            }
            E::SourceCompleted(_) => complete = true,
            E::Failed { .. } | E::Cancelled { .. } | E::Deleted { .. } if !complete => {
                if let Some((StagedImage::Capture { image_id, image_name }, backend)) = &current {
                    changes.push(name_claim(*backend, image_name, *image_id, ClaimAction::Release));
                }
            }
            _ => {}
        }
    }
    changes
}

fn staged(state: &CloneSession) -> Result<(&SessionSpec, &StagedImage), Rejection> {
    let spec = existing(state)?;
    match &state.staged {
        Some(staged) => Ok((spec, staged)),
        None => {
            Err(Rejection::NotAllowed("Staging is only for staged sessions that capture or restore an image".into()))
        }
    }
}

#[cfg(test)]
#[path = "staging_tests.rs"]
mod tests;
