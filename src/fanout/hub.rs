use std::sync::{Arc, Mutex};

use async_broadcast::{InactiveReceiver, Receiver, Sender, TrySendError};
use axum::extract::ws::Utf8Bytes;

use super::messages::to_message;
use crate::event_store::{CommittedBatch, RecordedEvent};

/// Messages a client may fall behind by before it is asked to resync.
const QUEUE: usize = 8_192;

/// One event's WebSocket message, its data serialised once; each client
/// adds its own `prev_position` (see [`Frame::message`]).
#[derive(Debug)]
pub struct Frame {
    pub position: i64,
    /// The message's `type`, e.g. `clone.progress` ([`WsEventData::kind`](super::contract::WsEventData::kind)).
    pub kind: &'static str,
    /// The message's `data` (the variant's struct in [`super::contract`]), serialised.
    pub data: Box<serde_json::value::RawValue>,
    /// When the event was recorded (RFC 3339).
    pub timestamp: String,
}

/// A frame on the live queue, its whole message serialised once and shared
/// by every client whose previous message was the frame queued before it
/// (`follows`): every client that keeps up. Any other serialises its own.
#[derive(Debug)]
pub struct Queued {
    pub frame: Frame,
    /// The `prev_position` of `text`.
    pub follows: i64,
    /// The message as sent.
    pub text: Utf8Bytes,
}

impl Queued {
    fn after(frame: Frame, follows: i64) -> Option<Self> {
        let text = serde_json::to_string(&frame.message(follows))
            .map_err(|err| tracing::warn!(position = frame.position, error = %err, "event skipped by fan-out"))
            .ok()?;
        Some(Self { frame, follows, text: text.into() })
    }
}

#[derive(Clone)]
pub struct Hub {
    sender: Sender<Arc<Queued>>,
    /// Keeps the channel open while no client is connected.
    _keep_open: InactiveReceiver<Arc<Queued>>,
    /// Guarded so that subscribing and reading it are atomic with respect
    /// to publishing.
    published: Arc<Mutex<Published>>,
}

#[derive(Default)]
struct Published {
    /// Highest position handed to the queue.
    position: i64,
    /// Position of the last frame queued (what the next one follows).
    framed: i64,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        let (mut sender, receiver) = async_broadcast::broadcast(QUEUE);
        sender.set_overflow(true);
        sender.set_await_active(false);
        Self { sender, _keep_open: receiver.deactivate(), published: Arc::default() }
    }

    /// Sets the position live fan-out starts after (the projections' checkpoint).
    pub fn start_at(&self, position: i64) {
        self.lock().position = position;
    }

    /// Publishes a batch of committed events, in order, skipping any already sent.
    pub fn publish(&self, events: &[RecordedEvent]) {
        let mut published = self.lock();
        self.send_after(&mut published, events);
    }

    /// Publishes a batch the local writer has just committed, unless events
    /// before it are still unsent (another instance wrote them): those reach
    /// the hub from the log first, through [`Hub::publish`], and this batch
    /// with them. Returns whether it was published.
    pub fn offer(&self, batch: &CommittedBatch) -> bool {
        let mut published = self.lock();
        if batch.after > published.position {
            return false;
        }
        self.send_after(&mut published, &batch.events);
        true
    }

    fn send_after(&self, published: &mut Published, events: &[RecordedEvent]) {
        let after = published.position;
        let Some(last) = events.last().filter(|e| e.position > after).map(|e| e.position) else { return };
        // With no client connected there is nobody to build messages for;
        // a client that connects later fills its gap from the log.
        if self.sender.receiver_count() > 0 {
            for event in events.iter().filter(|e| e.position > after) {
                if let Some(queued) = to_message(event).and_then(|frame| Queued::after(frame, published.framed)) {
                    published.framed = queued.frame.position;
                    match self.sender.try_broadcast(Arc::new(queued)) {
                        Ok(_) | Err(TrySendError::Inactive(_)) => {}
                        Err(err) => tracing::warn!(error = %err, "fan-out queue refused a message"),
                    }
                }
            }
        }
        published.position = last;
    }

    /// A receiver for everything published from now on, and the position up
    /// to which the log must be read to fill the gap before it.
    pub fn subscribe(&self) -> (Receiver<Arc<Queued>>, i64) {
        let published = self.lock();
        (self.sender.new_receiver(), published.position)
    }

    pub fn clients(&self) -> usize {
        self.sender.receiver_count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Published> {
        self.published.lock().unwrap_or_else(|p| p.into_inner())
    }
}
