//! The event log on PostgreSQL: append with optimistic concurrency, read in
//! position order, and the group-commit writer that batches appends.
//!
//! Streams are named `category:id` (`clone_session:6f1c…`, `node:…`); the
//! category is stored as a generated column so audit queries can filter on it.

pub mod aggregate;
pub mod append;
pub mod codec;
pub mod read;
mod secrets;
pub mod stream;
pub mod writer;

use serde_json::Value;
use time::OffsetDateTime;

pub use aggregate::{Aggregate, AggregateCache};
pub use codec::DomainEvent;
pub use stream::{Category, StreamIdError};
pub use writer::EventWriter;

/// Who caused an append and through which request; stored beside every event.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub actor: Option<String>,
    pub request_id: Option<String>,
    pub remote_addr: Option<String>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
}

/// An event ready to be appended: its type name, schema version and payload.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_type: String,
    pub schema_version: i32,
    pub payload: Value,
}

/// The version a writer believes a stream is at. Version = number of events
/// in the stream, so a stream that does not exist yet is at version 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    Exact(i64),
    Any,
}

/// Events for one stream, guarded by the version the writer decided on.
#[derive(Debug, Clone)]
pub struct StreamWrite {
    pub stream: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}

/// A change to the `secrets` table made atomically with the events.
#[derive(Debug, Clone)]
pub enum SecretOp {
    Put { owner: String, kind: String, value: Vec<u8> },
    Delete { owner: String, kind: String },
    Rename { owner: String, kind: String, to: String },
    DeleteOwner { owner: String },
}

/// One atomic unit: all of its stream writes and secret operations commit
/// together or not at all.
#[derive(Debug, Clone, Default)]
pub struct AppendRequest {
    pub writes: Vec<StreamWrite>,
    pub secrets: Vec<SecretOp>,
    pub metadata: Metadata,
}

impl AppendRequest {
    pub fn single(write: StreamWrite, metadata: Metadata) -> Self {
        Self { writes: vec![write], secrets: Vec::new(), metadata }
    }
}

/// What an accepted append produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Position of the last event written by this request (0 when it wrote none).
    pub last_position: i64,
    /// The new version of each stream, in the order of `AppendRequest::writes`.
    pub versions: Vec<i64>,
}

/// An event as stored in the log.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    pub position: i64,
    pub stream: String,
    pub version: i64,
    pub event_type: String,
    pub schema_version: i32,
    pub payload: Value,
    pub actor: Option<String>,
    pub request_id: Option<String>,
    pub remote_addr: Option<String>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    pub recorded_at: OffsetDateTime,
}

impl RecordedEvent {
    /// `event` as a fold sees it at `position` (also its version), without
    /// metadata, recorded at the epoch: the one fixture of the unit tests.
    #[cfg(test)]
    pub fn fixture(position: i64, stream: String, event: NewEvent) -> Self {
        let NewEvent { event_type, schema_version, payload } = event;
        let recorded_at = OffsetDateTime::UNIX_EPOCH;
        let (actor, request_id, remote_addr, correlation_id, causation_id) = (None, None, None, None, None);
        Self {
            position,
            stream,
            version: position,
            event_type,
            schema_version,
            payload,
            actor,
            request_id,
            remote_addr,
            correlation_id,
            causation_id,
            recorded_at,
        }
    }

    /// The category of its stream; `None` for one this build does not know.
    pub fn category(&self) -> Option<Category> {
        stream::split(&self.stream).0
    }

    /// The UUID of the aggregate whose stream it is in.
    pub fn id(&self) -> Result<uuid::Uuid, StreamIdError> {
        stream::id(&self.stream)
    }

    /// Decodes the payload into the aggregate's event enum, upcasting old versions.
    pub fn decode<E: DomainEvent>(&self) -> Result<E, serde_json::Error> {
        codec::decode(&self.event_type, self.schema_version, self.payload.clone())
    }
}

/// Events one transaction committed, handed from the writer to this
/// instance's readers in memory (see `writer.rs`).
#[derive(Debug, Clone)]
pub struct CommittedBatch {
    /// The log's last committed position before the batch: every event with
    /// a position up to the batch's last is at most `after` or in `events`
    /// (appends are serialised by the append lock).
    pub after: i64,
    /// In position order.
    pub events: Vec<RecordedEvent>,
}

impl CommittedBatch {
    /// The last position the batch accounts for.
    pub fn last(&self) -> i64 {
        self.events.last().map_or(self.after, |e| e.position)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("stream {stream} is at version {actual}, the command expected {expected}")]
    Conflict { stream: String, expected: i64, actual: i64 },
    #[error("database error: {}", crate::db::describe(.0))]
    Database(#[from] tokio_postgres::Error),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("could not encode an event: {0}")]
    Encode(#[from] serde_json::Error),
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        StoreError::Unavailable(err.to_string())
    }
}
