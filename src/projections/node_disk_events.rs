//! The events both disk read models fold: a node's disk stream, and the
//! node's deletion (which removes its rows; the history stays in the log).

use deadpool_postgres::Transaction;
use futures::future::BoxFuture;
use uuid::Uuid;

use super::ProjectionError;
use crate::domain::disks::DiskEvent;
use crate::domain::node::NodeEvent;
use crate::event_store::RecordedEvent;

/// How a disk read model applies one `node_disks` event.
pub type ApplyDiskEvent =
    for<'b> fn(&'b Transaction<'b>, &'b RecordedEvent, Uuid, DiskEvent) -> BoxFuture<'b, Result<(), ProjectionError>>;

/// How a disk read model forgets a deleted node.
pub type ForgetNode = for<'b> fn(&'b Transaction<'b>, Uuid) -> BoxFuture<'b, Result<(), ProjectionError>>;

pub async fn fold(
    tx: &Transaction<'_>,
    events: &[RecordedEvent],
    apply: ApplyDiskEvent,
    forget: ForgetNode,
) -> Result<(), ProjectionError> {
    for event in events {
        let node_id: Uuid = event.stream_id().parse().unwrap_or_default();
        match event.stream.split_once(':').map(|(category, _)| category) {
            Some("node_disks") => {
                let decoded = event.decode().map_err(|e| ProjectionError::decode(event, e))?;
                apply(tx, event, node_id, decoded).await?;
            }
            Some("node") => {
                let decoded: NodeEvent = event.decode().map_err(|e| ProjectionError::decode(event, e))?;
                if let NodeEvent::Deleted { .. } = decoded {
                    forget(tx, node_id).await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
