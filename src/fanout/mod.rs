//! Live fan-out of committed events to WebSocket clients.
//!
//! The projection runner hands every applied batch to the [`Hub`], which maps
//! each event to its typed message ([`contract`], published in the OpenAPI),
//! serialises it once, and puts it on
//! a bounded broadcast queue. Each client reads the queue at its own pace; a
//! client that falls more than the queue's length behind is told to resync
//! (and resumes from its last position with `?from=`), so one stalled client
//! never delays the others and memory stays bounded.

pub mod contract;
mod hub;
pub mod messages;
pub mod websocket;

pub use hub::{Frame, Hub, Queued};
