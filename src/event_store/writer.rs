//! Group commit: one task owns the append path and commits every request that
//! queued up while the previous transaction was in flight in a single
//! transaction. Under load this turns N fsyncs into one without adding latency
//! when idle (a lone request is committed at once).
//!
//! Each committed transaction's events are handed on in memory, in commit
//! order ([`OnCommit`]), so this instance's readers (fan-out, projections)
//! need not read back what it has just written.

use std::time::Instant;

use deadpool_postgres::{Object, Pool};
use tokio::sync::{mpsc, oneshot};

use super::append::{Inserted, Outcomes, commit_batch};
use super::{AppendRequest, Appended, CommittedBatch, StoreError};
use crate::metrics::AppendMetrics;

/// Called with every committed transaction's events, in commit order, after
/// the requests were answered. It must not block: it runs on the writer task.
pub type OnCommit = Box<dyn Fn(CommittedBatch) + Send + Sync>;

/// Most requests committed in one transaction.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// Handle to the group-commit task; cheap to clone.
#[derive(Clone)]
pub struct EventWriter {
    queue: mpsc::Sender<(AppendRequest, Reply)>,
}

impl EventWriter {
    /// Starts the writer. `committed` receives every commit's events, so the
    /// local projection runner and fan-out get them without reading them back
    /// or waiting for NOTIFY to round-trip through the database; `metrics`
    /// counts commits.
    pub fn spawn(pool: Pool, committed: OnCommit, metrics: AppendMetrics) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, rx, committed, metrics));
        Self { queue }
    }

    pub async fn append(&self, request: AppendRequest) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((request, reply))
            .await
            .map_err(|_| StoreError::Unavailable("the event writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the event writer dropped the request".into()))?
    }
}

async fn run(pool: Pool, mut rx: mpsc::Receiver<(AppendRequest, Reply)>, committed: OnCommit, metrics: AppendMetrics) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        jobs.push(first);
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (requests, replies): (Vec<_>, Vec<_>) = jobs.drain(..).unzip();
        match commit(&pool, &requests).await {
            Ok((outcomes, inserted)) => {
                metrics.committed(requests.len(), outcomes.iter().filter(|o| o.is_ok()).count());
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
                committed(inserted.into_batch(requests));
            }
            // PostgreSQL refused something in the batch: commit each request
            // on its own, so only the one at fault fails.
            Err(StoreError::Database(err)) if err.as_db_error().is_some() && requests.len() > 1 => {
                tracing::warn!(error = %crate::db::describe(&err), batch = requests.len(), "append batch refused; retrying one by one");
                for (request, reply) in requests.into_iter().zip(replies) {
                    match commit(&pool, std::slice::from_ref(&request)).await {
                        Ok((mut outcomes, inserted)) => {
                            metrics.committed(1, usize::from(outcomes.iter().all(Result::is_ok)));
                            let _ =
                                reply.send(outcomes.pop().unwrap_or(Err(StoreError::Unavailable("no outcome".into()))));
                            committed(inserted.into_batch(vec![request]));
                        }
                        Err(err) => {
                            metrics.committed(1, 0);
                            let _ = reply.send(Err(err));
                        }
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, batch = requests.len(), "append batch failed");
                let shared = err.to_string();
                let mut first = Some(err);
                for reply in replies {
                    let error = first.take().unwrap_or_else(|| StoreError::Unavailable(shared.clone()));
                    let _ = reply.send(Err(error));
                }
            }
        }
    }
}

/// Commits `requests` in one transaction ([`commit_batch`]). At debug level
/// each batch logs its timeline (µs from the start: connection taken,
/// committed), the source of BENCHMARKS.md's.
async fn commit(pool: &Pool, requests: &[AppendRequest]) -> Result<(Outcomes, Inserted), StoreError> {
    let started = Instant::now();
    let us = || started.elapsed().as_micros() as u64;
    let conn = pool.get().await?;
    let connected = us();
    match commit_batch(&**conn, requests).await {
        Ok(appended) => {
            tracing::debug!(requests = requests.len(), connected, committed = us(), "append batch");
            Ok(appended)
        }
        Err(err) => {
            // It may be inside the failed transaction: never back to the pool.
            drop(Object::take(conn));
            Err(err.into())
        }
    }
}
