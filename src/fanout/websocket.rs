//! One WebSocket client: optional catch-up from the log, then live frames.
//!
//! Gap-free hand-over: the client subscribes to the hub first and learns the
//! position P the hub had published at that instant; it then reads the log
//! from its `from` position up to P and afterwards forwards only live frames
//! above the last position sent. Nothing is missed and nothing repeats.

use std::sync::Arc;
use std::time::Duration;

use async_broadcast::RecvError;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use deadpool_postgres::Pool;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{Frame, Hub, messages::to_message};

/// Live frames from the hub, and the position the log must be read up to
/// to fill the gap before them.
pub struct Subscription {
    live: async_broadcast::Receiver<Arc<Frame>>,
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
use crate::event_store::read::read_after;

/// A send that takes longer than this means the client is stalled.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const CATCH_UP_PAGE: i64 = 1_000;
/// Close code telling a client it fell behind and must resume with `?from=`.
pub const CLOSE_RESYNC: u16 = 4000;

pub struct Client {
    pub socket: WebSocket,
    pub pool: Pool,
    pub from: Option<i64>,
    pub shutdown: CancellationToken,
}

enum End {
    Gone,
    Resync,
    Shutdown,
}

impl Client {
    pub async fn serve(mut self, subscription: Subscription) {
        let Subscription { mut live, published } = subscription;
        let mut last = self.from.unwrap_or(published);
        let end = match self.catch_up(&mut last, published).await {
            Err(end) => end,
            Ok(()) => self.forward(&mut live, &mut last).await,
        };
        let close = match end {
            End::Gone => return,
            End::Resync => {
                let resync = json!({ "type": "resync", "position": last }).to_string();
                let _ = self.send(resync.into()).await;
                (CLOSE_RESYNC, "fell behind: reconnect with ?from=<position>")
            }
            End::Shutdown => (1001, "controller shutting down"),
        };
        let frame = CloseFrame { code: close.0, reason: close.1.into() };
        let _ = self.socket.send(Message::Close(Some(frame))).await;
    }

    /// Sends every message in the log after `last` up to `until`.
    async fn catch_up(&mut self, last: &mut i64, until: i64) -> Result<(), End> {
        while *last < until {
            let events = {
                let conn = self.pool.get().await.map_err(|_| End::Resync)?;
                read_after(&*conn, *last, CATCH_UP_PAGE).await.map_err(|_| End::Resync)?
            };
            if events.is_empty() {
                break;
            }
            for event in events.iter().take_while(|e| e.position <= until) {
                if let Some(frame) = to_message(event) {
                    self.send(Utf8Bytes::from(frame.json.as_ref())).await?;
                }
                *last = event.position;
            }
        }
        Ok(())
    }

    async fn forward(&mut self, live: &mut async_broadcast::Receiver<Arc<Frame>>, last: &mut i64) -> End {
        loop {
            tokio::select! {
                frame = live.recv() => match frame {
                    Ok(frame) if frame.position > *last => {
                        if let Err(end) = self.send(Utf8Bytes::from(frame.json.as_ref())).await {
                            return end;
                        }
                        *last = frame.position;
                    }
                    Ok(_) => {}
                    Err(RecvError::Overflowed(_)) => return End::Resync,
                    Err(RecvError::Closed) => return End::Shutdown,
                },
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) if is_ping(&text) => {
                        if let Err(end) = self.send(r#"{"type":"pong"}"#.into()).await {
                            return end;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return End::Gone,
                    Some(Ok(_)) => {}
                },
                _ = self.shutdown.cancelled() => return End::Shutdown,
            }
        }
    }

    async fn send(&mut self, text: Utf8Bytes) -> Result<(), End> {
        match tokio::time::timeout(SEND_TIMEOUT, self.socket.send(Message::Text(text))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => Err(End::Resync),
        }
    }
}

fn is_ping(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v["type"] == "ping")
}
