//! How new events reach the projection runner: the batches this instance's
//! writer commits arrive in memory ([`handoff`]); the log is read only for
//! what memory cannot vouch for — positions another instance wrote (a
//! batch's `after` is past what the runner has), a start-up catch-up, a
//! batch dropped because the inbox was full, or the poll tick's safety read.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{Notify, mpsc};
use tokio_postgres::{AsyncMessage, NoTls};
use tokio_util::sync::CancellationToken;

use super::runner::APPLIED_CHANNEL;
use crate::event_store::append::NOTIFY_CHANNEL;
use crate::event_store::writer::OnCommit;
use crate::event_store::{CommittedBatch, RecordedEvent};
use crate::fanout::Hub;

/// Committed batches held for the runner (each up to the writer's 512
/// requests); a writer that finds the inbox full drops the batch, and the
/// runner reads those positions from the log instead.
const INBOX: usize = 256;

/// The writer's side: every committed batch goes to this instance's
/// WebSockets at once (when nothing before it is unsent) and to the runner.
pub fn handoff(hub: Hub) -> (OnCommit, Inbox) {
    let (sender, receiver) = mpsc::channel(INBOX);
    let on_commit: OnCommit = Box::new(move |batch: CommittedBatch| {
        hub.offer(&batch);
        if sender.try_send(batch).is_err() {
            tracing::debug!("projection inbox full: the runner will read the batch from the log");
        }
    });
    (on_commit, Inbox { receiver: Some(receiver), pending: VecDeque::new(), announced: Arc::default(), read_due: true })
}

/// The runner's side: batches from the local writer, and what NOTIFY and
/// the poll tick say about the log.
pub struct Inbox {
    /// `None` once the writer is gone.
    receiver: Option<mpsc::Receiver<CommittedBatch>>,
    pending: VecDeque<CommittedBatch>,
    /// The highest position `NOTIFY pureboot_events` announced (any instance).
    announced: Arc<AtomicI64>,
    /// The poll tick (or start-up, or a full batch read) asks for a read of the log.
    read_due: bool,
}

impl Inbox {
    /// The next events after `after`, in position order, up to about `limit`
    /// (a committed batch is never split): from memory when the first waiting
    /// batch follows `after` directly, else `None` — the log must be read.
    pub fn take(&mut self, after: i64, limit: usize) -> Option<Vec<RecordedEvent>> {
        if let Some(receiver) = self.receiver.as_mut() {
            while self.pending.len() < INBOX
                && let Ok(batch) = receiver.try_recv()
            {
                self.pending.push_back(batch);
            }
        }
        self.pending.retain(|batch| batch.last() > after);
        if self.pending.front()?.after > after {
            return None;
        }
        let (mut events, mut last) = (Vec::new(), after);
        while let Some(batch) = self.pending.pop_front() {
            if batch.after > last || events.len() >= limit {
                self.pending.push_front(batch);
                break;
            }
            last = batch.last();
            events.extend(batch.events.into_iter().filter(|e| e.position > after));
        }
        Some(events)
    }

    /// Whether the log may hold events after `after` that memory has not
    /// brought: another instance's, or a gap before the first waiting batch.
    pub fn must_read(&self, after: i64) -> bool {
        self.read_due || !self.pending.is_empty() || self.announced.load(Ordering::Relaxed) > after
    }

    /// Whether a next step has something to do without waiting: batches are
    /// held, or the last read of the log was full.
    pub fn more(&self) -> bool {
        self.read_due || !self.pending.is_empty()
    }

    /// Records a read of the log; `full` (it returned a whole batch) keeps
    /// the next read due.
    pub fn read(&mut self, full: bool) {
        self.read_due = full;
    }

    /// Waits for a committed batch, a NOTIFY (`wake`), the tick, or shutdown
    /// (false).
    pub async fn wait(&mut self, wake: &Notify, tick: Duration, shutdown: &CancellationToken) -> bool {
        let batch = async {
            match self.receiver.as_mut() {
                Some(receiver) => receiver.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            batch = batch => match batch {
                Some(batch) => self.pending.push_back(batch),
                None => self.receiver = None,
            },
            _ = wake.notified() => {}
            _ = tokio::time::sleep(tick) => self.read_due = true,
            _ = shutdown.cancelled() => return false,
        }
        true
    }

    /// Starts the LISTEN connection feeding [`Inbox::must_read`] and `wake`.
    pub fn listen(&self, config: tokio_postgres::Config, wake: Arc<Notify>, shutdown: CancellationToken) {
        tokio::spawn(listen(config, self.announced.clone(), wake, shutdown));
    }
}

/// Turns `NOTIFY pureboot_events` (appends by any instance; the payload is
/// the new head) and `pureboot_applied` (the leader's batches) into
/// wake-ups, reconnecting after a lost connection. The poll tick covers any gap.
async fn listen(
    config: tokio_postgres::Config,
    announced: Arc<AtomicI64>,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        if let Ok((client, mut connection)) = config.connect(NoTls).await {
            let (notified, announced) = (wake.clone(), announced.clone());
            let driver = tokio::spawn(async move {
                let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(Ok(message)) = messages.next().await {
                    if let AsyncMessage::Notification(note) = message {
                        if note.channel() == NOTIFY_CHANNEL
                            && let Ok(head) = note.payload().parse()
                        {
                            announced.fetch_max(head, Ordering::Relaxed);
                        }
                        notified.notify_one();
                    }
                }
            });
            if client.batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}; LISTEN {APPLIED_CHANNEL}")).await.is_ok() {
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

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::event_store::NewEvent;

    fn event(position: i64) -> RecordedEvent {
        let event = NewEvent { event_type: "test.happened".into(), schema_version: 1, payload: Value::Null };
        RecordedEvent::fixture(position, "test:a".into(), event)
    }

    fn batch(after: i64, positions: std::ops::RangeInclusive<i64>) -> CommittedBatch {
        CommittedBatch { after, events: positions.map(event).collect() }
    }

    fn positions(events: Option<Vec<RecordedEvent>>) -> Option<Vec<i64>> {
        events.map(|events| events.iter().map(|e| e.position).collect())
    }

    /// An inbox past its start-up read, fed `batches` by the writer's side.
    fn inbox_with(batches: Vec<CommittedBatch>) -> Inbox {
        let (on_commit, mut inbox) = handoff(Hub::new());
        inbox.read(false);
        batches.into_iter().for_each(on_commit);
        inbox
    }

    #[test]
    fn batches_that_follow_on_are_taken_from_memory_merged_and_the_log_is_left_alone() {
        // 11–12 a rolled-back gap: the second batch's head before it is 10.
        let mut inbox = inbox_with(vec![batch(5, 6..=10), batch(10, 13..=14)]);
        assert_eq!(positions(inbox.take(5, 100)), Some(vec![6, 7, 8, 9, 10, 13, 14]));
        assert!(!inbox.must_read(14));
        assert_eq!(positions(inbox.take(14, 100)), None);
    }

    #[test]
    fn a_batch_after_positions_another_instance_wrote_waits_for_the_log() {
        let mut inbox = inbox_with(vec![batch(8, 9..=10)]);
        assert_eq!(positions(inbox.take(5, 100)), None, "6–8 are not in memory");
        assert!(inbox.must_read(5));
        // The log read brought 6–10: the batch is already applied and dropped.
        inbox.read(false);
        assert_eq!(positions(inbox.take(10, 100)), None);
        assert!(!inbox.must_read(10));
    }

    #[test]
    fn a_batch_is_never_split_and_the_limit_stops_before_the_next() {
        let mut inbox = inbox_with(vec![batch(0, 1..=3), batch(3, 4..=6), batch(6, 7..=7)]);
        assert_eq!(positions(inbox.take(0, 2)), Some(vec![1, 2, 3]));
        assert!(inbox.more());
        assert_eq!(positions(inbox.take(3, 4)), Some(vec![4, 5, 6, 7]));
        assert!(!inbox.more());
    }

    #[test]
    fn what_a_read_of_the_log_already_covered_is_skipped() {
        let mut inbox = inbox_with(vec![batch(0, 1..=4)]);
        assert_eq!(positions(inbox.take(2, 100)), Some(vec![3, 4]));
    }

    #[test]
    fn a_start_up_or_a_full_read_keeps_the_log_read_due() {
        let (_on_commit, mut inbox) = handoff(Hub::new());
        assert!(inbox.must_read(0), "start-up catches up from the log");
        inbox.read(true);
        assert!(inbox.must_read(1_000) && inbox.more());
        inbox.read(false);
        assert!(!inbox.must_read(1_000));
    }
}
