//! Golden images: a disk captured once by a staged session and restored from
//! its storage backend onto any number of targets.
//!
//! # Lifecycle
//! ```text
//!   (capture session: staging pending → provisioned → uploading)
//!        └──source-complete──▶ ready ──DELETE /images/{id}──▶ cleanup ──files swept──▶ deleted
//!                                │   (409 while a session that       │   ▲
//!                                │    is not over uses it)           │   │ retried (backoff)
//!                                └──restore sessions                 └───┘ image.cleanup_failed
//!                                   (image.restore_created; a restore      {reason}
//!                                    of an image in cleanup or deleted: 409)
//! ```
//! An image exists from the capture session's `source-complete` on: before
//! that it is the session's staging area, shown by its `staging_status`. Its
//! name is unique per backend (it is a path there, `images/<name>/`): the
//! capture session claims it at creation, the image keeps the claim, and
//! the image's deletion (once its files are gone) or the capture failing
//! releases it. `DELETE` only starts the cleanup; the controller's sweep
//! ([`crate::app::image_sweep`]) deletes the manifest and every chunk no
//! other image on the backend references, then records `image.deleted`.

mod decide;

pub use decide::*;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::disks::scan::DiskScan;
use super::storage_backend::BackendType;
use super::unique_claim::{ClaimAction, ClaimChange};
use crate::event_store::{Aggregate, Category, DomainEvent};

/// What a finished capture stored, recorded once when the image is ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageDetails {
    pub name: String,
    pub source_node_id: Uuid,
    pub source_device: String,
    /// The staged session that captured it.
    pub capture_session_id: Uuid,
    pub backend_id: Uuid,
    pub backend_type: BackendType,
    /// The manifest's key on the backend: `images/<name>/manifest.json`.
    pub path: String,
    #[serde(flatten)]
    pub stored: StoredImage,
    /// The source disk's partition layout as its node last reported it
    /// before the capture ended (absent when it never reported that disk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<DiskScan>,
    /// When the capture session was created.
    #[serde(with = "time::serde::rfc3339")]
    pub captured_from: OffsetDateTime,
}

/// What a capture stored on the backend, as its source reported it at
/// `source-complete`: recorded by the session, then by the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StoredImage {
    /// Bytes of the captured disk (and of every disk restored from it).
    pub size_bytes: i64,
    pub chunk_size_bytes: i64,
    /// Chunks in the manifest (zero chunks included).
    pub chunks: i64,
    /// The disk's content digest: BLAKE3 over the chunk digests (64 lowercase
    /// hex), what a restored target reports on `complete`.
    #[schema(example = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")]
    pub digest: String,
    /// BLAKE3 of the manifest file's bytes (64 lowercase hex): a restore
    /// checks the manifest it downloads against it.
    pub manifest_digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ImageEvent {
    #[serde(rename = "image.ready")]
    Ready {
        id: Uuid,
        /// Boxed: the layout makes it far larger than a deletion.
        #[serde(flatten)]
        details: Box<ImageDetails>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// A restore session of it was created (in the same append as the
    /// session's creation): the image's stream orders restores and its
    /// deletion, so no restore can begin on an image being deleted.
    #[serde(rename = "image.restore_created")]
    RestoreCreated {
        session_id: Uuid,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// `DELETE /images/{id}` accepted: no new restore, the name stays
    /// claimed until the sweep removed the files.
    #[serde(rename = "image.cleanup_started")]
    CleanupStarted {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// A sweep could not remove the files (`reason`: the backend cannot be
    /// reached from the controller, an I/O error); it is retried later.
    #[serde(rename = "image.cleanup_failed")]
    CleanupFailed {
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The files are gone (or, in logs older than the cleanup, the image was
    /// deleted at once) and the name is free.
    #[serde(rename = "image.deleted")]
    Deleted {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

impl DomainEvent for ImageEvent {}

/// The folded state of one image.
#[derive(Debug, Clone, Default)]
pub struct Image {
    pub details: Option<ImageDetails>,
    pub ready_at: Option<OffsetDateTime>,
    pub deleted: bool,
    /// Set from `image.cleanup_started` until it is deleted.
    pub cleanup: Option<Cleanup>,
    /// Its restore sessions, oldest first (over or not: a session's end is
    /// on its own stream).
    pub restores: Vec<Uuid>,
}

/// An image's pending cleanup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleanup {
    pub since: OffsetDateTime,
    /// Why the last sweep failed, if one did.
    pub failure: Option<String>,
}

impl Aggregate for Image {
    type Event = ImageEvent;
    const CATEGORY: Category = Category::Image;

    fn apply(&mut self, event: &ImageEvent) {
        match event {
            ImageEvent::Ready { details, at, .. } => {
                self.details = Some(details.as_ref().clone());
                self.ready_at = Some(*at);
            }
            ImageEvent::RestoreCreated { session_id, .. } => self.restores.push(*session_id),
            ImageEvent::CleanupStarted { at } => self.cleanup = Some(Cleanup { since: *at, failure: None }),
            ImageEvent::CleanupFailed { reason, .. } => {
                if let Some(cleanup) = &mut self.cleanup {
                    cleanup.failure = Some(reason.clone());
                }
            }
            ImageEvent::Deleted { .. } => {
                self.deleted = true;
                self.cleanup = None;
            }
        }
    }
}

/// An image name is 1 to 100 of `A-Z a-z 0-9 . _ -`, not starting with a
/// dot: it becomes a path segment on every backend, so it must not be able
/// to name anything else (the agent holds its own input to the same rule).
pub fn check_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > 100 || name.starts_with('.') || !name.chars().all(allowed) {
        return Err(format!(
            "image name {name:?} must be 1 to 100 letters, digits, '.', '_' or '-', not starting with '.'"
        ));
    }
    Ok(())
}

/// The manifest's key of image `name` on its backend.
pub fn manifest_path(name: &str) -> String {
    format!("images/{name}/manifest.json")
}

/// The claim on image `name` of `backend` (names are unique per backend,
/// case-insensitively, as some backends' file systems are), held by `image`.
pub fn name_claim(backend: Uuid, name: &str, image: Uuid, action: ClaimAction) -> ClaimChange {
    ClaimChange {
        key: format!("image_name/{backend}/{}", name.to_lowercase()),
        owner: image.to_string(),
        action,
        field: "image_name",
        owner_kind: "image",
    }
}
