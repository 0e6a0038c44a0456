//! Projections fold the event log into query tables.
//!
//! Each projection owns some tables (SQL in `projections/*.sql`) and a
//! checkpoint in `projection_checkpoints`. The runner applies a batch of
//! events and advances the checkpoint in the same transaction, so a crash can
//! neither lose nor double-apply an event. The tables are disposable: the
//! definition (SQL text + fold version) is fingerprinted, and when it changes
//! the controller drops and rebuilds them from the log at start-up.
//!
//! A new projection is one file with one declaration, a `pub const DEF:
//! ProjectionDef` (name, tables, fold version, SQL in `projections/`, and a
//! fold built from the helpers in [`fold`]); it is listed in [`all`].

pub mod certificates;
pub mod clone_reports;
pub mod clone_sessions;
pub mod disk_info;
pub mod fold;
mod handoff;
pub mod images;
mod install;
mod lag;
mod leader;
pub mod nodes;
pub mod partition_operations;
mod runner;
pub mod storage_backends;

use deadpool_postgres::Transaction;
use futures::future::BoxFuture;

use crate::event_store::RecordedEvent;

pub use handoff::{Inbox, handoff};
pub use install::{InstallError, ensure_installed, rebuild, status};
pub use lag::{Lag, lag};
pub use runner::{Progress, ProjectionRunner};

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("database: {}", crate::db::describe(.0))]
    Database(#[from] tokio_postgres::Error),
    #[error("event {position} ({event_type}) could not be decoded: {source}")]
    Decode { position: i64, event_type: String, source: serde_json::Error },
    #[error("database unavailable: {0}")]
    Unavailable(#[from] deadpool_postgres::PoolError),
    #[error("event {position}: {source}")]
    StreamId { position: i64, source: crate::event_store::StreamIdError },
    #[error("this instance no longer holds the projection leader lock")]
    NotLeader,
}

impl ProjectionError {
    pub fn decode(event: &RecordedEvent, source: serde_json::Error) -> Self {
        Self::Decode { position: event.position, event_type: event.event_type.clone(), source }
    }

    /// The UUID of `event`'s aggregate; a malformed stream id stops the fold.
    pub fn id(event: &RecordedEvent) -> Result<uuid::Uuid, Self> {
        event.id().map_err(|source| Self::StreamId { position: event.position, source })
    }
}

pub type ApplyResult<'a> = BoxFuture<'a, Result<(), ProjectionError>>;

/// A fold: applies events (in position order) inside the runner's transaction.
pub type ApplyFn = for<'a> fn(&'a Transaction<'a>, &'a [RecordedEvent]) -> ApplyResult<'a>;

/// What a read model is, and its fold: each projection declares one, as its
/// `const DEF`.
#[derive(Debug)]
pub struct ProjectionDef {
    /// Its checkpoint's key in `projection_checkpoints`.
    pub name: &'static str,
    /// The `CREATE` statements of its tables (`include_str!` of `projections/<name>.sql`).
    /// A rebuild runs its one-line `CREATE INDEX` statements after the fold,
    /// so a fold must find rows by primary key or unique constraint.
    pub schema: &'static str,
    /// The tables `schema` creates, dropped before a rebuild.
    pub tables: &'static [&'static str],
    /// Bump when the fold changes meaning, so existing tables get rebuilt.
    pub version: u32,
    /// Its fold.
    pub apply: ApplyFn,
}

/// One read model: its declaration and its fold.
pub trait Projection: Send + Sync {
    /// Its `DEF`.
    fn def(&self) -> &'static ProjectionDef;
    /// Applies events (in position order) inside the runner's transaction.
    fn apply<'a>(&'a self, tx: &'a Transaction<'a>, events: &'a [RecordedEvent]) -> ApplyResult<'a>;
    /// `def().name`, the runner's key.
    fn name(&self) -> &'static str {
        self.def().name
    }
}

/// Every declaration is its own projection.
impl Projection for &'static ProjectionDef {
    fn def(&self) -> &'static ProjectionDef {
        self
    }
    fn apply<'a>(&'a self, tx: &'a Transaction<'a>, events: &'a [RecordedEvent]) -> ApplyResult<'a> {
        (self.apply)(tx, events)
    }
}

/// Starts a fold in `tx`. The folds' statements join a batch's row set to a
/// table by its key, and a nested loop over the key's index is always the
/// right plan for that; but the planner cannot size a JSON row set, and on a
/// table that grew since it was last analysed it picks a hash join over a
/// full scan — and keeps it in the connection's prepared statement. So hash
/// and merge joins are off for the fold's transaction only.
pub async fn begin_fold(tx: &Transaction<'_>) -> Result<(), ProjectionError> {
    tx.batch_execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off").await?;
    Ok(())
}

/// Every projection the controller maintains.
pub fn all() -> Vec<Box<dyn Projection>> {
    vec![
        Box::new(&nodes::DEF),
        Box::new(&storage_backends::DEF),
        Box::new(&clone_sessions::DEF),
        Box::new(&certificates::DEF),
        Box::new(&clone_reports::DEF),
        Box::new(&disk_info::DEF),
        Box::new(&partition_operations::DEF),
        Box::new(&images::DEF),
    ]
}

/// The fingerprint stored beside a projection's checkpoint.
pub fn definition(projection: &dyn Projection) -> String {
    let def = projection.def();
    let text = format!("{}\n--version {}", def.schema, def.version);
    crate::ca::hex(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
}
