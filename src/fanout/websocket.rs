//! One WebSocket client: optional catch-up from the log, then live frames,
//! while the client's own frames are read all along.
//!
//! Gap-free hand-over: the client subscribes to the hub first and learns the
//! position P the hub had published at that instant; it then reads the log
//! from its `from` position up to P and afterwards forwards only live frames
//! above the last position sent. Nothing is missed and nothing repeats, and
//! each message's `prev_position` lets the client check that for itself.
//!
//! Every per-connection resource is bounded: each send (the close included)
//! has a deadline, and a client that misses it is dropped without further
//! ado; the kernel's send buffer is capped where connections are accepted
//! (`app::server`). Reading runs concurrently with sending, backlog replay
//! included, so a client's close is answered with a close frame and a
//! WebSocket ping with a pong at any time.
//!
//! The token a client connected with is re-checked all along: a revoked
//! token closes its sockets (code 4001) within the same few seconds in which
//! it stops working for new requests.

use std::sync::Arc;
use std::time::Duration;

use async_broadcast::{RecvError, TryRecvError};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use deadpool_postgres::Pool;
use futures::future::BoxFuture;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::contract::WsControlMessage;
use super::messages::{Outgoing, to_message};
use super::{Frame, Hub, Queued};
use crate::event_store::read::read_after;

/// Live frames from the hub, and the position the log must be read up to
/// to fill the gap before them.
pub struct Subscription {
    live: async_broadcast::Receiver<Arc<Queued>>,
    published: i64,
}

impl Subscription {
    /// Subscribe before completing the WebSocket handshake, so a client that
    /// sees the connection open can rely on every later event reaching it.
    pub fn to(hub: &Hub) -> Self {
        let (live, published) = hub.subscribe();
        Self { live, published }
    }
}

const CATCH_UP_PAGE: i64 = 1_000;
/// Close code telling a client it fell behind and must resume with `?from=`.
pub const CLOSE_RESYNC: u16 = 4000;
/// Close code telling a client its token was revoked: reconnecting with it
/// is refused (401); it needs a new token.
pub const CLOSE_TOKEN_REVOKED: u16 = 4001;
/// `{"type":"ping"}`s awaiting their pong; more are dropped unanswered (a
/// client sending pings faster than it reads pongs gains nothing by it).
const PONGS_PENDING: usize = 4;

pub struct Client {
    pub socket: WebSocket,
    pub pool: Pool,
    pub from: Option<i64>,
    pub shutdown: CancellationToken,
    /// Deadline of each send, the close frame included.
    pub send_timeout: Duration,
    /// Re-checks the token the client connected with, every `recheck_every`:
    /// a token revoked after the handshake must not keep a socket open.
    pub credential: CredentialCheck,
    pub recheck_every: Duration,
}

/// Whether the credential a socket was opened with still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    Valid,
    /// Revoked (or otherwise no longer accepted): the socket is closed.
    Revoked,
    /// Could not be checked (the database is away): the socket stays open
    /// and the next check decides; new requests get 503 meanwhile.
    Unknown,
}

/// Asks whether the socket's credential still holds (see [`Validity`]).
pub type CredentialCheck = Box<dyn FnMut() -> BoxFuture<'static, Validity> + Send>;

enum End {
    /// The connection failed or the client vanished: nothing more to send.
    Gone,
    /// A send missed its deadline: the client does not read; drop it.
    Stalled,
    /// The client sent a close frame: answer it.
    ClientClosed,
    /// The client fell behind the hub's queue: tell it where to resume.
    Resync,
    /// The client's token was revoked.
    Revoked,
    Shutdown,
}

/// How a connection ended, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Told to resync: it fell behind the hub's queue.
    Resync,
    /// Dropped: a send missed its deadline.
    Dropped,
    /// Closed by the client, a revoked token, shutdown, or a failed connection.
    Closed,
}

impl Client {
    pub async fn serve(self, subscription: Subscription) -> Ending {
        let Client { socket, pool, from, shutdown, send_timeout, credential, recheck_every } = self;
        let Subscription { mut live, published } = subscription;
        let (sink, mut incoming) = socket.split();
        let (ping, pongs) = mpsc::channel(PONGS_PENDING);
        let start = from.unwrap_or(published);
        let mut writer = Writer { sink, pool, send_timeout, pongs, last: start, delivered: start };
        let end = tokio::select! {
            end = writer.run(&mut live, published) => end,
            end = read(&mut incoming, ping) => end,
            end = watch_credential(credential, recheck_every) => end,
            _ = shutdown.cancelled() => End::Shutdown,
        };
        drop(live);
        let ending = match end {
            End::Resync => Ending::Resync,
            End::Stalled => Ending::Dropped,
            _ => Ending::Closed,
        };
        writer.finish(end, incoming).await;
        ending
    }
}

/// Reads the client's frames until it closes or fails. Text pings are passed
/// to the writer; WebSocket pings and a close are answered by the protocol
/// layer when the socket is next read or written.
async fn read(incoming: &mut SplitStream<WebSocket>, ping: mpsc::Sender<()>) -> End {
    while let Some(message) = incoming.next().await {
        match message {
            Ok(Message::Text(text)) if is_ping(&text) => {
                let _ = ping.try_send(());
            }
            Ok(Message::Close(_)) => return End::ClientClosed,
            Ok(_) => {}
            Err(_) => return End::Gone,
        }
    }
    End::Gone
}

/// Returns once the credential no longer holds; checks every `every`.
async fn watch_credential(mut check: CredentialCheck, every: Duration) -> End {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if check().await == Validity::Revoked {
            return End::Revoked;
        }
    }
}

struct Writer {
    sink: SplitSink<WebSocket, Message>,
    pool: Pool,
    send_timeout: Duration,
    pongs: mpsc::Receiver<()>,
    /// Every event up to here was sent or is not for clients.
    last: i64,
    /// The `prev_position` of the next message.
    delivered: i64,
}

impl Writer {
    async fn run(&mut self, live: &mut async_broadcast::Receiver<Arc<Queued>>, published: i64) -> End {
        match self.catch_up(published).await {
            Ok(()) => self.forward(live).await,
            Err(end) => end,
        }
    }

    /// Sends every message in the log after `last` up to `until`.
    async fn catch_up(&mut self, until: i64) -> Result<(), End> {
        while self.last < until {
            let events = {
                let conn = self.pool.get().await.map_err(|_| End::Resync)?;
                read_after(&*conn, self.last, CATCH_UP_PAGE).await.map_err(|_| End::Resync)?
            };
            if events.is_empty() {
                break;
            }
            for event in events.iter().take_while(|e| e.position <= until) {
                while self.pongs.try_recv().is_ok() {
                    self.send(&Outgoing::Control(WsControlMessage::Pong)).await?;
                }
                match to_message(event) {
                    Some(frame) => self.event(&frame).await?,
                    None => self.last = event.position,
                }
            }
            self.flush().await?;
            if events.last().is_some_and(|e| e.position > until) {
                break;
            }
        }
        Ok(())
    }

    async fn forward(&mut self, live: &mut async_broadcast::Receiver<Arc<Queued>>) -> End {
        loop {
            let sent = tokio::select! {
                frame = live.recv() => match frame {
                    Ok(frame) => self.burst(frame, live).await,
                    Err(RecvError::Overflowed(_)) => Err(End::Resync),
                    Err(RecvError::Closed) => Err(End::Shutdown),
                },
                pong = self.pongs.recv() => match pong {
                    Some(()) => self.send(&Outgoing::Control(WsControlMessage::Pong)).await,
                    None => Err(End::Gone),
                },
            };
            if let Err(end) = sent {
                return end;
            }
        }
    }

    /// Sends `first` and every frame already queued behind it, then flushes
    /// once: a burst costs one write to the socket, not one per message (a
    /// client woken late, on busy cores, finds several waiting). Frames fed
    /// before a resync or shutdown are flushed with the message that ends
    /// the connection.
    async fn burst(
        &mut self,
        first: Arc<Queued>,
        live: &mut async_broadcast::Receiver<Arc<Queued>>,
    ) -> Result<(), End> {
        let mut queued = first;
        loop {
            if queued.frame.position > self.last {
                self.live(&queued).await?;
            }
            queued = match live.try_recv() {
                Ok(next) => next,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Overflowed(_)) => return Err(End::Resync),
                Err(TryRecvError::Closed) => return Err(End::Shutdown),
            };
        }
        self.flush().await
    }

    /// Queues a live message on the socket, unflushed: the shared bytes
    /// when this client's previous message is the one they follow.
    async fn live(&mut self, queued: &Queued) -> Result<(), End> {
        let text = if self.delivered == queued.follows {
            queued.text.clone()
        } else {
            text(&queued.frame.message(self.delivered))?
        };
        self.feed_event(queued.frame.position, text).await
    }

    /// Queues a message read from the log on the socket, unflushed.
    async fn event(&mut self, frame: &Frame) -> Result<(), End> {
        let text = text(&frame.message(self.delivered))?;
        self.feed_event(frame.position, text).await
    }

    async fn feed_event(&mut self, position: i64, text: Utf8Bytes) -> Result<(), End> {
        within(self.send_timeout, self.sink.feed(Message::Text(text))).await?;
        self.delivered = position;
        self.last = position;
        Ok(())
    }

    async fn send(&mut self, message: &Outgoing<'_>) -> Result<(), End> {
        self.send_frame(Message::Text(text(message)?)).await
    }

    async fn flush(&mut self) -> Result<(), End> {
        within(self.send_timeout, self.sink.flush()).await
    }

    async fn send_frame(&mut self, message: Message) -> Result<(), End> {
        within(self.send_timeout, self.sink.send(message)).await
    }

    /// Ends the connection as `end` requires, each step within the send
    /// deadline; the socket is dropped (closing TCP) on return.
    async fn finish(mut self, end: End, mut incoming: SplitStream<WebSocket>) {
        let close = match end {
            End::Gone | End::Stalled => return,
            End::ClientClosed => {
                // The protocol layer has queued the answering close frame:
                // closing the sink flushes it.
                let _ = tokio::time::timeout(self.send_timeout, self.sink.close()).await;
                return;
            }
            End::Resync => {
                let resync = Outgoing::Control(WsControlMessage::Resync { position: self.last });
                if self.send(&resync).await.is_err() {
                    return;
                }
                (CLOSE_RESYNC, "fell behind: reconnect with ?from=<position>")
            }
            End::Revoked => (CLOSE_TOKEN_REVOKED, "token revoked"),
            End::Shutdown => (1001, "controller shutting down"),
        };
        let frame = CloseFrame { code: close.0, reason: close.1.into() };
        if self.send_frame(Message::Close(Some(frame))).await.is_ok() {
            // Wait (bounded) for the client's answering close, as the
            // protocol asks, so it sees a clean close rather than a reset.
            let _ = tokio::time::timeout(self.send_timeout, async { while incoming.next().await.is_some() {} }).await;
        }
    }
}

fn text(message: &Outgoing<'_>) -> Result<Utf8Bytes, End> {
    Ok(serde_json::to_string(message).map_err(|_| End::Gone)?.into())
}

/// Runs one step on the socket within the send deadline.
async fn within(deadline: Duration, step: impl Future<Output = Result<(), axum::Error>>) -> Result<(), End> {
    match tokio::time::timeout(deadline, step).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Gone),
        Err(_) => Err(End::Stalled),
    }
}

fn is_ping(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v["type"] == "ping")
}
