//! Read-your-writes, paid by readers.
//!
//! A command answers once its events are committed to the log: that is when
//! they are durable, and a node posting progress never reads the query
//! tables. A query first asks the log for its head and waits (bounded) until
//! the projections have applied it, so it sees every change acknowledged
//! before it began — on this instance or any other. The wait is nothing when
//! no write is in flight, and one projection cycle when one is.

use deadpool_postgres::Object;

use super::App;
use crate::error::ApiError;
use crate::event_store::read::head;

impl App {
    /// A connection whose read models include every event committed before
    /// this call. The connection is not held while waiting: the projection
    /// runner needs the same pool to catch up.
    pub async fn read_model(&self) -> Result<Object, ApiError> {
        let conn = self.pool.get().await?;
        let committed = head(&*conn).await?;
        if self.progress.position() >= committed {
            return Ok(conn);
        }
        drop(conn);
        self.await_projections(committed).await;
        Ok(self.pool.get().await?)
    }

    /// Waits (bounded) until the projections reach `position`.
    pub async fn await_projections(&self, position: i64) {
        if !self.progress.wait_for(position, self.read_your_writes_timeout).await {
            tracing::warn!(position, "projections did not catch up in time; answering from what they have");
        }
    }
}
