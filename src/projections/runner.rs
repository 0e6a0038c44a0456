//! The live projection loop: wake on NOTIFY (or the local writer, or a poll
//! tick), read the next batch after the last position, hand it to the
//! WebSocket hub, apply it to every projection with its checkpoint in one
//! transaction, then announce the new position to waiting queries.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_postgres::Pool;
use futures::StreamExt;
use tokio::sync::{Notify, watch};
use tokio_postgres::{AsyncMessage, NoTls};
use tokio_util::sync::CancellationToken;

use super::{Projection, ProjectionError, all};
use crate::db::Db;
use crate::event_store::append::NOTIFY_CHANNEL;
use crate::event_store::read::read_after;
use crate::fanout::Hub;

/// Events applied per transaction.
const BATCH: i64 = 1_000;

/// How far the projections have got; shared with request handlers.
#[derive(Clone)]
pub struct Progress {
    position: watch::Receiver<i64>,
    failing: Arc<AtomicBool>,
}

impl Progress {
    pub fn position(&self) -> i64 {
        *self.position.borrow()
    }

    /// True while the last batch failed (the runner is retrying): readiness
    /// must not report "caught up" over a stalled projection.
    pub fn failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// Waits until the projections have applied `position`; false on timeout.
    pub async fn wait_for(&self, position: i64, timeout: Duration) -> bool {
        let mut rx = self.position.clone();
        tokio::time::timeout(timeout, rx.wait_for(|p| *p >= position)).await.is_ok_and(|r| r.is_ok())
    }
}

pub struct ProjectionRunner {
    failing: Arc<AtomicBool>,
    pool: Pool,
    projections: Vec<Box<dyn Projection>>,
    hub: Hub,
    position: watch::Sender<i64>,
}

impl ProjectionRunner {
    /// Starts the loop (and its LISTEN connection) from the lowest checkpoint.
    pub async fn start(
        pool: Pool,
        db_config: tokio_postgres::Config,
        hub: Hub,
        wake: Arc<Notify>,
        poll: Duration,
        shutdown: CancellationToken,
    ) -> Result<Progress, ProjectionError> {
        let start = {
            let conn = pool.get().await?;
            conn.query_one("SELECT COALESCE(min(position), 0) FROM projection_checkpoints", &[]).await?.get::<_, i64>(0)
        };
        hub.start_at(start);
        let (position, rx) = watch::channel(start);
        let failing = Arc::new(AtomicBool::new(false));
        let runner = Self { failing: failing.clone(), pool, projections: all(), hub, position };
        tokio::spawn(listen(db_config, wake.clone(), shutdown.clone()));
        tokio::spawn(runner.run(wake, poll, shutdown));
        Ok(Progress { position: rx, failing })
    }

    async fn run(self, wake: Arc<Notify>, poll: Duration, shutdown: CancellationToken) {
        let mut failures = 0u32;
        loop {
            let outcome = self.step().await;
            self.failing.store(outcome.is_err(), Ordering::Relaxed);
            match outcome {
                Ok(applied) if applied as i64 == BATCH => continue,
                Ok(_) => failures = 0,
                Err(err) => {
                    failures += 1;
                    tracing::warn!(error = %err, failures, "projection batch failed; retrying");
                    let backoff = Duration::from_millis(100 * 2u64.pow(failures.min(6)));
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => continue,
                        _ = shutdown.cancelled() => return,
                    }
                }
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    /// Applies one batch; returns how many events it read.
    async fn step(&self) -> Result<usize, ProjectionError> {
        let after = *self.position.borrow();
        let mut conn = self.pool.get().await?;
        let events = read_after(&*conn, after, BATCH).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(0);
        };
        // Committed events go to the WebSockets at once, before the query
        // tables have them: a client that reacts with a query waits for the
        // projections anyway (`app::consistency`), and a retried batch is not
        // published twice (the hub skips positions it has sent).
        self.hub.publish(&events);
        let tx = conn.transaction().await?;
        super::begin_fold(&tx).await?;
        let names: Vec<&str> = self.projections.iter().map(|p| p.name()).collect();
        // Locked in name order, so concurrent runners (other instances) queue
        // instead of deadlocking; each then skips what another already applied.
        let checkpoints: HashMap<String, i64> = tx
            .query(
                "SELECT name, position FROM projection_checkpoints WHERE name = ANY($1) ORDER BY name FOR UPDATE",
                &[&names],
            )
            .await?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        // The projections write disjoint tables, so their statements may share
        // the connection's pipeline; each projection's own stay in order.
        let applying = self.projections.iter().map(|projection| {
            let checkpoint = checkpoints.get(projection.name()).copied().unwrap_or(0);
            let fresh = &events[events.partition_point(|e| e.position <= checkpoint)..];
            projection.apply(&tx, fresh)
        });
        futures::future::try_join_all(applying).await?;
        tx.execute(
            "UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = ANY($1) AND position < $2",
            &[&names, &last],
        )
        .await?;
        tx.commit().await?;
        self.position.send_replace(last);
        Ok(events.len())
    }
}

/// Turns `NOTIFY pureboot_events` (appends by any instance) into wake-ups,
/// reconnecting after a lost connection. The poll tick covers any gap.
async fn listen(config: tokio_postgres::Config, wake: Arc<Notify>, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        if let Ok((client, mut connection)) = config.connect(NoTls).await {
            let notified = wake.clone();
            let driver = tokio::spawn(async move {
                let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(Ok(message)) = messages.next().await {
                    if let AsyncMessage::Notification(_) = message {
                        notified.notify_one();
                    }
                }
            });
            if client.batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}")).await.is_ok() {
                tokio::select! {
                    _ = driver => {}
                    _ = shutdown.cancelled() => return,
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}
