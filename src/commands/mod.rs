//! Command execution: load → decide → append.
//!
//! Decisions are pure and re-run on every attempt, so a command that lost an
//! optimistic-concurrency race is simply decided again on the fresh state;
//! after [`MAX_ATTEMPTS`] lost races the client gets a 409. The command is
//! answered once its events are committed; queries wait for the projections
//! (see `app::consistency`).

pub mod clone_sessions;
pub mod disks;
mod stream_locks;

pub use stream_locks::StreamLocks;

use uuid::Uuid;

use crate::app::App;
use crate::domain::Rejection;
use crate::domain::clone_session::CloneSession;
use crate::domain::disks::NodeDisks;
use crate::domain::node::Node;
use crate::domain::storage_backend::StorageBackend;
use crate::domain::unique_claim::{self, ClaimChange, UniqueClaim};
use crate::error::ApiError;
use crate::event_store::codec::encode;
use crate::event_store::{
    Aggregate, AggregateCache, AppendRequest, ExpectedVersion, Metadata, SecretOp, StoreError, StreamWrite,
};

const MAX_ATTEMPTS: usize = 5;

/// What a decision wants written.
pub struct Decision<E> {
    pub events: Vec<E>,
    pub claims: Vec<ClaimChange>,
    pub secrets: Vec<SecretOp>,
}

impl<E> From<Vec<E>> for Decision<E> {
    fn from(events: Vec<E>) -> Self {
        Self { events, claims: Vec::new(), secrets: Vec::new() }
    }
}

impl<E> From<(Vec<E>, Vec<ClaimChange>)> for Decision<E> {
    fn from((events, claims): (Vec<E>, Vec<ClaimChange>)) -> Self {
        Self { events, claims, secrets: Vec::new() }
    }
}

/// The aggregate's state after the command, and whether it wrote anything.
pub struct Executed<A> {
    pub state: A,
    pub wrote: bool,
    /// Log position of the last event written (0 when none was).
    pub last_position: i64,
    /// The stream's version `state` is at (after the events written, if any).
    pub version: i64,
}

/// The time a command happens, at PostgreSQL's precision (microseconds), so
/// a response built from the decision equals what the read model later shows.
pub fn now() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
}

/// The log position of `stream`'s event at `version` (0 for version 0): the
/// position of a view built from a state no command changed.
pub async fn position_at(app: &App, stream: &str, version: i64) -> Result<i64, ApiError> {
    let conn = app.pool.get().await?;
    let row =
        conn.query_opt("SELECT position FROM events WHERE stream = $1 AND version = $2", &[&stream, &version]).await?;
    Ok(row.map_or(0, |r| r.get(0)))
}

/// The hostname of node `id`, or `None` when it is not registered. Read from
/// the node's aggregate, which is current without waiting for the projections.
pub async fn registered_node(app: &App, id: Uuid) -> Result<Option<String>, ApiError> {
    let (node, _) = app.nodes.load(&app.pool, &Node::stream(id)).await?;
    Ok(node.details.map(|details| details.hostname))
}

/// Aggregates whose recent states the app caches.
pub trait Cached: Aggregate {
    fn cache(app: &App) -> &AggregateCache<Self>;
}

impl App {
    pub async fn execute<A, D>(
        &self,
        metadata: &Metadata,
        id: Uuid,
        mut decide: impl FnMut(&A) -> Result<D, Rejection>,
    ) -> Result<Executed<A>, ApiError>
    where
        A: Cached,
        D: Into<Decision<A::Event>>,
    {
        let stream = A::stream(id);
        let _turn = self.stream_locks.lock(&stream).await;
        for _ in 0..MAX_ATTEMPTS {
            let (mut state, version) = A::cache(self).load(&self.pool, &stream).await?;
            let decision: Decision<A::Event> = decide(&state)?.into();
            if decision.events.is_empty() && decision.claims.is_empty() {
                return Ok(Executed { state, wrote: false, last_position: 0, version });
            }
            let mut writes = vec![StreamWrite {
                stream: stream.clone(),
                expected: ExpectedVersion::Exact(version),
                events: decision.events.iter().map(encode).collect::<Result<_, _>>().map_err(StoreError::from)?,
            }];
            for claim in &decision.claims {
                writes.extend(self.claim_write(claim).await?);
            }
            let request = AppendRequest { writes, secrets: decision.secrets, metadata: metadata.clone() };
            match self.writer.append(request).await {
                Ok(appended) => {
                    for event in &decision.events {
                        state.apply(event);
                    }
                    A::cache(self).store(&stream, state.clone(), appended.versions[0]);
                    // Claims changed too; they are re-read when next needed.
                    for claim in &decision.claims {
                        self.claims.invalidate(&claim.stream());
                    }
                    return Ok(Executed {
                        state,
                        wrote: true,
                        last_position: appended.last_position,
                        version: appended.versions[0],
                    });
                }
                Err(StoreError::Conflict { stream: stale, .. }) => {
                    A::cache(self).invalidate(&stream);
                    self.claims.invalidate(&stale);
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(ApiError::Conflict(format!("{stream} kept changing under this command; retry the request")))
    }

    /// The write that applies a claim change, if it changes anything.
    async fn claim_write(&self, claim: &ClaimChange) -> Result<Option<StreamWrite>, ApiError> {
        let stream = claim.stream();
        let (state, version) = self.claims.load(&self.pool, &stream).await?;
        let events = unique_claim::decide(&state, claim).map_err(|rejection| match rejection {
            Rejection::Conflict(message) => ApiError::Conflict(format!("{}: {message}", claim.field)),
            other => other.into(),
        })?;
        if events.is_empty() {
            return Ok(None);
        }
        let events = events.iter().map(encode).collect::<Result<_, _>>().map_err(StoreError::from)?;
        Ok(Some(StreamWrite { stream, expected: ExpectedVersion::Exact(version), events }))
    }
}

impl Cached for CloneSession {
    fn cache(app: &App) -> &AggregateCache<Self> {
        &app.clone_sessions
    }
}

impl Cached for Node {
    fn cache(app: &App) -> &AggregateCache<Self> {
        &app.nodes
    }
}

impl Cached for NodeDisks {
    fn cache(app: &App) -> &AggregateCache<Self> {
        &app.node_disks
    }
}

impl Cached for StorageBackend {
    fn cache(app: &App) -> &AggregateCache<Self> {
        &app.storage_backends
    }
}

impl Cached for UniqueClaim {
    fn cache(app: &App) -> &AggregateCache<Self> {
        &app.claims
    }
}
