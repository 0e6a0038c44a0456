//! A storage backend's lease: who writes to or sweeps its shared chunks.
//!
//! Chunks are shared by every image on a backend (a capture skips the chunks
//! already present), so a sweep deleting a removed image's chunks must not
//! run while a capture could be counting on one of them. One stream per
//! backend (`storage_lease:<backend id>`) orders the two: a capture session
//! records its upload in its creation's append, a sweep records its start
//! before touching a file, and each is refused (409 with the reason) while
//! the other is recorded. An upload ends when its session is over; the sweep
//! records that before it starts (a session's end is final), so no session
//! command needs a third stream.
//!
//! ```text
//!   idle ──capture session created──▶ uploading (sessions…) ──all over──▶ idle
//!   idle ──sweep_started {image}──▶ sweeping ──sweep_ended {image}──▶ idle
//! ```

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Rejection;
use crate::event_store::{Aggregate, Category, DomainEvent};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum StorageLeaseEvent {
    /// Capture session `session_id` may upload to the backend.
    #[serde(rename = "storage_lease.upload_started")]
    UploadStarted {
        session_id: Uuid,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// Session `session_id` is over: it uploads nothing more.
    #[serde(rename = "storage_lease.upload_ended")]
    UploadEnded {
        session_id: Uuid,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The sweep of deleted image `image_id` may remove files.
    #[serde(rename = "storage_lease.sweep_started")]
    SweepStarted {
        image_id: Uuid,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The sweep of `image_id` ended (its files are gone, or it failed).
    #[serde(rename = "storage_lease.sweep_ended")]
    SweepEnded {
        image_id: Uuid,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

impl DomainEvent for StorageLeaseEvent {}

/// The folded lease of one backend.
#[derive(Debug, Clone, Default)]
pub struct StorageLease {
    /// Capture sessions whose upload is recorded and not ended, oldest first.
    pub uploads: Vec<Uuid>,
    /// The image whose sweep runs, if one does.
    pub sweep: Option<Uuid>,
}

impl Aggregate for StorageLease {
    type Event = StorageLeaseEvent;
    const CATEGORY: Category = Category::StorageLease;

    fn apply(&mut self, event: &StorageLeaseEvent) {
        match event {
            StorageLeaseEvent::UploadStarted { session_id, .. } => self.uploads.push(*session_id),
            StorageLeaseEvent::UploadEnded { session_id, .. } => self.uploads.retain(|s| s != session_id),
            StorageLeaseEvent::SweepStarted { image_id, .. } => self.sweep = Some(*image_id),
            StorageLeaseEvent::SweepEnded { .. } => self.sweep = None,
        }
    }
}

/// Capture session `session` will upload to backend `backend`: refused
/// (409) while a sweep runs there; recorded once.
pub fn start_upload(
    state: &StorageLease,
    backend: Uuid,
    session: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<StorageLeaseEvent>, Rejection> {
    if let Some(image) = state.sweep {
        return Err(Rejection::Conflict(format!(
            "storage backend {backend} is being swept of deleted image {image}'s files; \
             create the capture session again once that is done (seconds to minutes)"
        )));
    }
    if state.uploads.contains(&session) {
        return Ok(vec![]);
    }
    Ok(vec![StorageLeaseEvent::UploadStarted { session_id: session, at: now }])
}

/// Session `session` is over: its upload ends (no event if none is recorded).
pub fn end_upload(state: &StorageLease, session: Uuid, now: OffsetDateTime) -> Vec<StorageLeaseEvent> {
    if state.uploads.contains(&session) {
        vec![StorageLeaseEvent::UploadEnded { session_id: session, at: now }]
    } else {
        vec![]
    }
}

/// The sweep of image `image` starts on backend `backend`: refused (409
/// naming them) while uploads are recorded or another image's sweep runs;
/// a sweep of the same image that was cut short (a restart) resumes with no event.
pub fn start_sweep(
    state: &StorageLease,
    backend: Uuid,
    image: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<StorageLeaseEvent>, Rejection> {
    match state.sweep {
        Some(running) if running == image => return Ok(vec![]),
        Some(running) => {
            return Err(Rejection::Conflict(format!(
                "storage backend {backend} is being swept of image {running}'s files"
            )));
        }
        None => {}
    }
    if !state.uploads.is_empty() {
        let sessions: Vec<String> = state.uploads.iter().map(Uuid::to_string).collect();
        return Err(Rejection::Conflict(format!(
            "capture session(s) {} may be uploading to storage backend {backend}; the sweep waits until they are over",
            sessions.join(", ")
        )));
    }
    Ok(vec![StorageLeaseEvent::SweepStarted { image_id: image, at: now }])
}

/// The sweep of image `image` ended (no event unless it is the one running).
pub fn end_sweep(state: &StorageLease, image: Uuid, now: OffsetDateTime) -> Vec<StorageLeaseEvent> {
    if state.sweep == Some(image) { vec![StorageLeaseEvent::SweepEnded { image_id: image, at: now }] } else { vec![] }
}

#[cfg(test)]
mod tests;
