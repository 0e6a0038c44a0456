//! Group commit: one task owns the append path and commits every request that
//! queued up while the previous transaction was in flight in a single
//! transaction. Under load this turns N fsyncs into one without adding latency
//! when idle (a lone request is committed at once).

use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{Notify, mpsc, oneshot};

use super::{AppendRequest, Appended, StoreError, append::append_batch};
use crate::metrics::AppendMetrics;

/// Most requests committed in one transaction.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// Handle to the group-commit task; cheap to clone.
#[derive(Clone)]
pub struct EventWriter {
    queue: mpsc::Sender<(AppendRequest, Reply)>,
}

impl EventWriter {
    /// Starts the writer. `committed` is notified after every commit so the
    /// local projection runner can pick the new events up without waiting for
    /// NOTIFY to round-trip through the database; `metrics` counts commits.
    pub fn spawn(pool: Pool, committed: Arc<Notify>, metrics: AppendMetrics) -> Self {
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

async fn run(
    pool: Pool,
    mut rx: mpsc::Receiver<(AppendRequest, Reply)>,
    committed: Arc<Notify>,
    metrics: AppendMetrics,
) {
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
            Ok(outcomes) => {
                committed.notify_one();
                metrics.committed(requests.len(), outcomes.iter().filter(|o| o.is_ok()).count());
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            // PostgreSQL refused something in the batch: commit each request
            // on its own, so only the one at fault fails.
            Err(StoreError::Database(err)) if err.as_db_error().is_some() && requests.len() > 1 => {
                tracing::warn!(error = %crate::db::describe(&err), batch = requests.len(), "append batch refused; retrying one by one");
                for (request, reply) in requests.into_iter().zip(replies) {
                    let outcome = commit(&pool, std::slice::from_ref(&request)).await;
                    committed.notify_one();
                    metrics.committed(1, usize::from(outcome.as_ref().is_ok_and(|o| o.iter().all(Result::is_ok))));
                    let _ =
                        reply
                            .send(outcome.and_then(|mut o| {
                                o.pop().unwrap_or(Err(StoreError::Unavailable("no outcome".into())))
                            }));
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

async fn commit(pool: &Pool, requests: &[AppendRequest]) -> Result<Vec<Result<Appended, StoreError>>, StoreError> {
    let mut conn = pool.get().await?;
    let tx = conn.transaction().await?;
    let outcomes = append_batch(&tx, requests).await?;
    tx.commit().await?;
    Ok(outcomes)
}
