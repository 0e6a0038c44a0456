//! The image's rules: recorded once when its capture completes (a replayed
//! `source-complete` records nothing twice), its cleanup started only when
//! no session that is not over uses it, deleted (its name released) only
//! once the sweep removed its files.

use time::OffsetDateTime;
use uuid::Uuid;

use super::{Image, ImageDetails, ImageEvent, name_claim};
use crate::domain::Rejection;
use crate::domain::unique_claim::{ClaimAction, ClaimChange};

/// Records image `id` as ready with what its capture stored. The same
/// details again are acknowledged with no event.
pub fn record_ready(
    state: &Image,
    id: Uuid,
    details: ImageDetails,
    now: OffsetDateTime,
) -> Result<Vec<ImageEvent>, Rejection> {
    match &state.details {
        _ if state.deleted => Err(Rejection::Conflict(format!("image {id} was deleted"))),
        Some(recorded) if *recorded == details => Ok(vec![]),
        Some(recorded) => Err(Rejection::Conflict(format!(
            "image {id} is already recorded with digest {} ({} bytes); a different capture is refused",
            recorded.stored.digest, recorded.stored.size_bytes
        ))),
        None => Ok(vec![ImageEvent::Ready { id, details: Box::new(details), at: now }]),
    }
}

/// The image as a restore may use it: ready (not in cleanup, not deleted).
pub fn usable(state: &Image) -> Result<&ImageDetails, Rejection> {
    match &state.details {
        Some(details) if !state.deleted && state.cleanup.is_none() => Ok(details),
        _ => Err(Rejection::NotFound("Image not found".into())),
    }
}

/// The image as a new restore may use it: one deleted or being deleted is
/// refused with the reason (409), one never recorded is not found.
pub fn restorable(state: &Image, id: Uuid) -> Result<&ImageDetails, Rejection> {
    match &state.details {
        Some(details) if state.cleanup.is_some() => Err(Rejection::Conflict(format!(
            "image {} ({id}) is being deleted; it can no longer be restored",
            details.name
        ))),
        Some(details) if state.deleted => {
            Err(Rejection::Conflict(format!("image {} ({id}) was deleted; it can no longer be restored", details.name)))
        }
        _ => usable(state),
    }
}

/// Session `session_id` will restore image `id`: recorded on the image's
/// stream in the session's creation, so a deletion racing it is decided
/// again and sees it. A deleted image is refused (409), one never recorded 404.
pub fn add_restore(
    state: &Image,
    id: Uuid,
    session_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<ImageEvent>, Rejection> {
    restorable(state, id)?;
    if state.restores.contains(&session_id) {
        return Ok(vec![]);
    }
    Ok(vec![ImageEvent::RestoreCreated { session_id, at: now }])
}

/// The sessions that use image `state` and are not over: its capture
/// session and its restores, less `over` (sessions known to be completed,
/// failed, cancelled or deleted). An end is final, so `over` may be older
/// than `state`; a restore recorded after it was read counts as in use.
pub fn users(state: &Image, over: &[Uuid]) -> Vec<Uuid> {
    let capture = state.details.as_ref().map(|d| d.capture_session_id);
    capture.into_iter().chain(state.restores.iter().copied()).filter(|s| !over.contains(s)).collect()
}

/// Starts deleting the image (`DELETE /images/{id}`): it leaves `ready`
/// and the sweep will remove its files. Refused (409 naming them) while a
/// session that is not over uses it ([`users`] with `over`), since their
/// agents still read the image from the backend. Asked again while the
/// cleanup runs, acknowledged with no event; a deleted image is not found.
pub fn start_cleanup(state: &Image, over: &[Uuid], now: OffsetDateTime) -> Result<Vec<ImageEvent>, Rejection> {
    if state.cleanup.is_some() && !state.deleted {
        return Ok(vec![]);
    }
    let details = usable(state)?;
    let users = users(state, over);
    if !users.is_empty() {
        let names: Vec<String> = users.iter().map(Uuid::to_string).collect();
        return Err(Rejection::Conflict(format!(
            "image {} is in use by clone session(s) {} that are not over; wait for them or cancel them first",
            details.name,
            names.join(", ")
        )));
    }
    Ok(vec![ImageEvent::CleanupStarted { at: now }])
}

/// The sweep removed image `id`'s files: it is deleted and its name
/// released. Again once deleted: no event; an image not in cleanup: 409.
pub fn finish_cleanup(
    state: &Image,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<(Vec<ImageEvent>, Vec<ClaimChange>), Rejection> {
    match (&state.details, &state.cleanup) {
        _ if state.deleted => Ok((vec![], vec![])),
        (Some(details), Some(_)) => {
            let release = name_claim(details.backend_id, &details.name, id, ClaimAction::Release);
            Ok((vec![ImageEvent::Deleted { at: now }], vec![release]))
        }
        _ => Err(Rejection::Conflict(format!("image {id} is not being deleted"))),
    }
}

/// A sweep of image `id` failed with `reason`: recorded unless it is the
/// reason already recorded last (a retry failing the same way adds nothing).
/// An image not in cleanup: 409.
pub fn record_cleanup_failure(
    state: &Image,
    id: Uuid,
    reason: &str,
    now: OffsetDateTime,
) -> Result<Vec<ImageEvent>, Rejection> {
    match &state.cleanup {
        Some(cleanup) if cleanup.failure.as_deref() == Some(reason) => Ok(vec![]),
        Some(_) => Ok(vec![ImageEvent::CleanupFailed { reason: reason.to_owned(), at: now }]),
        None => Err(Rejection::Conflict(format!("image {id} is not being deleted"))),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
