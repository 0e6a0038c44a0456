//! The live projection loop of every instance: take the batches the local
//! writer committed (or, for what memory cannot vouch for, read the log after
//! the last position: see [`super::handoff`]) and hand them to this
//! instance's WebSocket hub. The leader ([`super::leader`]) also
//! applies each batch to every projection with its checkpoint in one
//! transaction; standbys follow the shared checkpoint instead. Either way the
//! position waiting queries see is the one the projections have applied.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use deadpool_postgres::{Object, Pool};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::handoff::Inbox;
use super::leader::{self, LockSession};
use super::{Projection, ProjectionError, all};
use crate::db::Db;
use crate::event_store::RecordedEvent;
use crate::event_store::read::read_after;
use crate::fanout::Hub;

/// Events applied per transaction.
const BATCH: i64 = 1_000;

/// Notified by the leader when a batch commits, so standbys' waiting
/// queries are answered at once rather than at their next poll.
pub const APPLIED_CHANNEL: &str = "pureboot_applied";

/// How far the projections have got; shared with request handlers.
#[derive(Clone)]
pub struct Progress {
    position: watch::Receiver<i64>,
    failing: Arc<AtomicBool>,
    leader: Arc<AtomicBool>,
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

    /// True while this instance holds the leader lock and applies the projections.
    pub fn leader(&self) -> bool {
        self.leader.load(Ordering::Relaxed)
    }

    /// Waits until the projections have applied `position`; false on timeout.
    pub async fn wait_for(&self, position: i64, timeout: Duration) -> bool {
        let mut rx = self.position.clone();
        tokio::time::timeout(timeout, rx.wait_for(|p| *p >= position)).await.is_ok_and(|r| r.is_ok())
    }
}

pub struct ProjectionRunner {
    failing: Arc<AtomicBool>,
    leader: Arc<AtomicBool>,
    pool: Pool,
    db_config: tokio_postgres::Config,
    projections: Vec<Box<dyn Projection>>,
    hub: Hub,
    /// The position the projections have applied (by this or another instance).
    position: watch::Sender<i64>,
    /// The last position handed to the hub; ahead of `position` on a standby.
    fanned_out: i64,
    lock: Option<LockSession>,
    last_attempt: Option<Instant>,
    inbox: Inbox,
}

impl ProjectionRunner {
    /// Starts the loop (and its LISTEN connection) from the lowest checkpoint;
    /// `inbox` brings the local writer's batches ([`super::handoff`]).
    pub async fn start(
        pool: Pool,
        db_config: tokio_postgres::Config,
        hub: Hub,
        inbox: Inbox,
        poll: Duration,
        shutdown: CancellationToken,
    ) -> Result<Progress, ProjectionError> {
        let start = {
            let conn = pool.get().await?;
            checkpoint(&conn).await?
        };
        hub.start_at(start);
        let (position, rx) = watch::channel(start);
        let failing = Arc::new(AtomicBool::new(false));
        let leader = Arc::new(AtomicBool::new(false));
        let wake = Arc::new(Notify::new());
        inbox.listen(db_config.clone(), wake.clone(), shutdown.clone());
        let runner = Self {
            failing: failing.clone(),
            leader: leader.clone(),
            pool,
            db_config,
            projections: all(),
            hub,
            position,
            fanned_out: start,
            lock: None,
            last_attempt: None,
            inbox,
        };
        tokio::spawn(runner.run(wake, poll, shutdown));
        Ok(Progress { position: rx, failing, leader })
    }

    async fn run(mut self, wake: Arc<Notify>, poll: Duration, shutdown: CancellationToken) {
        let mut failures = 0u32;
        loop {
            self.campaign().await;
            let outcome = self.step().await;
            self.failing.store(outcome.is_err(), Ordering::Relaxed);
            match outcome {
                Ok(true) => continue,
                Ok(_) => failures = 0,
                Err(ProjectionError::NotLeader) => {
                    self.stand_down("the projection leader lock was lost; standing by");
                    continue;
                }
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
            // A standby wakes often enough to take over promptly.
            let tick = if self.is_leader() { poll } else { poll.min(leader::RETRY) };
            // A leader whose lock connection ends stops saying so at once,
            // not at its next batch or tick.
            let lost = self.lock.as_ref().filter(|_| self.is_leader()).map(LockSession::lost);
            let lost = async {
                match lost {
                    Some(lost) => lost.cancelled_owned().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                running = self.inbox.wait(&wake, tick, &shutdown) => if !running { return },
                _ = lost => {}
            }
        }
        // Dropping `self` closes the lock session: the lock is released at once.
    }

    fn is_leader(&self) -> bool {
        self.lock.as_ref().is_some_and(|l| l.holds && l.alive())
    }

    /// Keeps the leader lock, or asks for it (at most every [`leader::RETRY`]).
    async fn campaign(&mut self) {
        if self.lock.as_ref().is_some_and(|l| !l.alive()) {
            if self.leader.load(Ordering::Relaxed) {
                self.stand_down("lost the projection leader lock connection; standing by");
            }
            self.lock = None;
        }
        if self.is_leader() || self.last_attempt.is_some_and(|t| t.elapsed() < leader::RETRY) {
            return;
        }
        self.last_attempt = Some(Instant::now());
        if self.lock.is_none() {
            match LockSession::open(&self.db_config).await {
                Ok(session) => self.lock = Some(session),
                Err(err) => return tracing::debug!(error = %err, "cannot open the leader lock connection"),
            }
        }
        let Some(session) = self.lock.as_mut() else { return };
        match session.try_lock().await {
            Ok(true) => {
                self.leader.store(true, Ordering::Relaxed);
                tracing::info!(pid = session.pid, "this instance is now the projection leader");
            }
            Ok(false) => {}
            Err(err) => {
                tracing::debug!(error = %err, "asking for the leader lock failed");
                self.lock = None;
            }
        }
    }

    /// Stops leading. The next attempt waits four retries (2 s) where a
    /// standby waits one, so a healthy standby — which gets several chances
    /// even on a busy machine — takes over rather than the instance whose
    /// connection just failed.
    fn stand_down(&mut self, why: &str) {
        tracing::warn!("{why}");
        self.leader.store(false, Ordering::Relaxed);
        self.lock = None;
        self.last_attempt = Some(Instant::now() + 3 * leader::RETRY);
    }

    /// Fans out (and, as leader, applies) one batch; true when it moved and
    /// more is known to be waiting (a full read of the log, or batches held).
    async fn step(&mut self) -> Result<bool, ProjectionError> {
        let leading = self.is_leader();
        // The leader reads from what is applied, a standby from what it sent.
        let after = if leading { *self.position.borrow() } else { self.fanned_out };
        let mut conn = self.pool.get().await?;
        let (events, source) = match self.inbox.take(after, BATCH as usize) {
            Some(events) => (events, "memory"),
            None if self.inbox.must_read(after) => {
                let events = read_after(&*conn, after, BATCH).await?;
                self.inbox.read(events.len() as i64 == BATCH);
                (events, "log")
            }
            None => (Vec::new(), "none"),
        };
        let started = Instant::now();
        // Committed events go to the WebSockets at once, before the query
        // tables have them: a client that reacts with a query waits for the
        // projections anyway (`app::consistency`), and a batch read again is
        // not published twice (the hub skips positions it has sent).
        self.hub.publish(&events);
        if let Some(last) = events.last() {
            self.fanned_out = self.fanned_out.max(last.position);
        }
        let applied = match self.lock.as_ref().filter(|_| leading) {
            Some(session) if !events.is_empty() => self.apply(&mut conn, &events, session.pid).await?,
            Some(_) => after,
            None => checkpoint(&conn).await?,
        };
        self.position.send_if_modified(|p| {
            let moved = applied > *p;
            *p = (*p).max(applied);
            moved
        });
        if !events.is_empty() {
            let applied_us = started.elapsed().as_micros() as u64;
            tracing::debug!(source, events = events.len(), last = applied, applied_us, "projection batch");
        }
        Ok(!events.is_empty() && self.inbox.more())
    }

    /// Applies `events` with the checkpoints in one transaction, fenced by the
    /// leader lock of session `pid`; returns the new position.
    async fn apply(&self, conn: &mut Object, events: &[RecordedEvent], pid: i32) -> Result<i64, ProjectionError> {
        let last = events.last().map_or(0, |e| e.position);
        let tx = conn.transaction().await?;
        if !tx.query_one(&leader::fence_sql(), &[&pid]).await?.get::<_, bool>(0) {
            return Err(ProjectionError::NotLeader);
        }
        super::begin_fold(&tx).await?;
        let names: Vec<&str> = self.projections.iter().map(|p| p.name()).collect();
        // Locked in name order, so a batch that raced a change of leader
        // queues instead of deadlocking; the next one then skips what the
        // other already applied.
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
        tx.execute("SELECT pg_notify($1, $2)", &[&APPLIED_CHANNEL, &last.to_string()]).await?;
        tx.commit().await?;
        Ok(last)
    }
}

/// The position every projection has applied (the lowest checkpoint).
async fn checkpoint(conn: &Object) -> Result<i64, ProjectionError> {
    Ok(conn.query_one("SELECT COALESCE(min(position), 0) FROM projection_checkpoints", &[]).await?.get(0))
}
