//! The facts both disk read models fold: a node's disk stream, and the
//! node's deletion (which removes its rows; the history stays in the log).

use std::future::Future;

use uuid::Uuid;

use super::{Decoded, decode};
use crate::domain::disks::DiskEvent;
use crate::domain::node::NodeEvent;
use crate::event_store::{Category, RecordedEvent};
use crate::projections::ProjectionError;

/// What a disk read model folds, keyed by the node's id.
pub enum NodeDiskFact {
    Disk(DiskEvent),
    NodeDeleted,
}

/// The batch's disk events and node deletions, in order.
pub fn facts(events: &[RecordedEvent]) -> impl Iterator<Item = Result<Decoded<'_, NodeDiskFact>, ProjectionError>> {
    events.iter().filter_map(|event| match event.category() {
        Some(Category::NodeDisks) => {
            Some(decode::<DiskEvent>(event).map(|(event, node, disk)| (event, node, NodeDiskFact::Disk(disk))))
        }
        Some(Category::Node) => match decode::<NodeEvent>(event) {
            Ok((event, node, NodeEvent::Deleted { .. })) => Some(Ok((event, node, NodeDiskFact::NodeDeleted))),
            Ok(_) => None,
            Err(err) => Some(Err(err)),
        },
        _ => None,
    })
}

/// Folds the batch's facts in order: `disk` for each disk event, `forget`
/// for each deleted node.
pub async fn fold<'e, D, DF, F, FF>(
    events: &'e [RecordedEvent],
    mut disk: D,
    mut forget: F,
) -> Result<(), ProjectionError>
where
    D: FnMut(&'e RecordedEvent, Uuid, DiskEvent) -> DF,
    DF: Future<Output = Result<(), ProjectionError>>,
    F: FnMut(Uuid) -> FF,
    FF: Future<Output = Result<(), ProjectionError>>,
{
    for fact in facts(events) {
        match fact? {
            (event, node_id, NodeDiskFact::Disk(decoded)) => disk(event, node_id, decoded).await?,
            (_, node_id, NodeDiskFact::NodeDeleted) => forget(node_id).await?,
        }
    }
    Ok(())
}
