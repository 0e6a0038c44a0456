//! The fold helpers projections share. Two shapes, chosen by load:
//!
//! - per event, in position order: [`events_of`] (one stream category) and
//!   [`node_disks::facts`] (a node's disk stream and the node's deletion)
//!   give each event with its aggregate's id, decoded; the projection runs
//!   its statements for it ([`each`], [`node_disks::fold`]). Used where
//!   events are rare (registries, disks).
//! - set-based, [`sessions`]: clone-session events, most of the log under
//!   load, become a handful of statements per batch (profiled; see there).
//!
//! - in memory, [`bulk`]: a rebuild folds the session read models into their
//!   final rows and writes each table once.
//!
//! Either way a malformed stream id or an undecodable payload stops the
//! batch with a [`ProjectionError`]; the runner retries and reports it.

pub mod bulk;
pub mod node_disks;
pub mod sessions;

use std::future::Future;

use uuid::Uuid;

use super::ProjectionError;
use crate::event_store::{Category, DomainEvent, RecordedEvent};

/// An event of the batch with its aggregate's id and decoded payload.
pub type Decoded<'e, E> = (&'e RecordedEvent, Uuid, E);

/// The events of `category` in `events`, in order, each decoded as `E`.
pub fn events_of<E: DomainEvent>(
    events: &[RecordedEvent],
    category: Category,
) -> impl Iterator<Item = Result<Decoded<'_, E>, ProjectionError>> {
    events.iter().filter(move |event| event.category() == Some(category)).map(decode)
}

/// Runs `apply` for each event of `category` in `events`, in order.
pub async fn each<'e, E, A, AF>(
    events: &'e [RecordedEvent],
    category: Category,
    mut apply: A,
) -> Result<(), ProjectionError>
where
    E: DomainEvent,
    A: FnMut(&'e RecordedEvent, Uuid, E) -> AF,
    AF: Future<Output = Result<(), ProjectionError>>,
{
    for decoded in events_of(events, category) {
        let (event, id, decoded) = decoded?;
        apply(event, id, decoded).await?;
    }
    Ok(())
}

/// `event`'s aggregate id and payload.
pub fn decode<E: DomainEvent>(event: &RecordedEvent) -> Result<Decoded<'_, E>, ProjectionError> {
    let id = ProjectionError::id(event)?;
    let decoded = event.decode().map_err(|e| ProjectionError::decode(event, e))?;
    Ok((event, id, decoded))
}
