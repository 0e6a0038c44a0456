//! The one way a command reaches the log: load → decide → append, retried
//! on a lost optimistic-concurrency race.

use backon::{BackoffBuilder, ExponentialBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use deadpool_postgres::Pool;

use super::StreamLocks;
use crate::domain::Rejection;
use crate::domain::clone_session::CloneSession;
use crate::domain::disks::NodeDisks;
use crate::domain::image::Image;
use crate::domain::node::Node;
use crate::domain::storage_backend::StorageBackend;
use crate::domain::storage_lease::StorageLease;
use crate::domain::unique_claim::{self, ClaimChange, UniqueClaim};
use crate::error::ApiError;
use crate::event_store::codec::encode;
use crate::event_store::{
    Aggregate, AggregateCache, AppendRequest, EventWriter, ExpectedVersion, Metadata, SecretOp, StoreError, StreamWrite,
};

/// Lost races before the client gets a 409.
const MAX_ATTEMPTS: usize = 8;

/// The pause after a lost race, before deciding again: exponential from
/// 1 ms to 50 ms with jitter (backon's schedule), so commands racing on one
/// stream from several controllers spread out instead of colliding again.
fn race_backoff() -> impl Iterator<Item = std::time::Duration> {
    ExponentialBuilder::default()
        .with_min_delay(std::time::Duration::from_millis(1))
        .with_max_delay(std::time::Duration::from_millis(50))
        .with_jitter()
        .with_max_times(MAX_ATTEMPTS - 1)
        .build()
}

/// What a decision wants written: events on the command's stream, claims on
/// unique values, and secret rows, all in one transaction.
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
    /// The time the accepted decision was made with.
    pub at: OffsetDateTime,
}

/// Runs commands: owns the append path, the aggregate caches and the
/// per-stream turns. Every command of every aggregate goes through
/// [`Executor::execute`], which is also the only place that reads the clock.
pub struct Executor {
    pool: Pool,
    /// The group-commit append path; the only way events enter the log.
    writer: EventWriter,
    /// Commands on one stream take turns within this process.
    locks: StreamLocks,
    clone_sessions: AggregateCache<CloneSession>,
    nodes: AggregateCache<Node>,
    node_disks: AggregateCache<NodeDisks>,
    storage_backends: AggregateCache<StorageBackend>,
    images: AggregateCache<Image>,
    storage_leases: AggregateCache<StorageLease>,
    claims: AggregateCache<UniqueClaim>,
}

/// Aggregates the executor caches (every aggregate a command decides on).
pub trait Cached: Aggregate {
    fn cache(executor: &Executor) -> &AggregateCache<Self>;
}

impl Executor {
    pub fn new(pool: Pool, writer: EventWriter) -> Self {
        Self {
            pool,
            writer,
            locks: StreamLocks::default(),
            clone_sessions: AggregateCache::default(),
            nodes: AggregateCache::default(),
            node_disks: AggregateCache::default(),
            storage_backends: AggregateCache::default(),
            images: AggregateCache::default(),
            storage_leases: AggregateCache::default(),
            claims: AggregateCache::default(),
        }
    }

    /// The current state of aggregate `id` and its version: what the next
    /// command would decide on, without waiting for the projections.
    pub async fn load<A: Cached>(&self, id: Uuid) -> Result<(A, i64), ApiError> {
        Ok(A::cache(self).load(&self.pool, &A::stream(id)).await?)
    }

    /// Decides on aggregate `id` and appends what was decided.
    ///
    /// `decide` is pure and is given the time of the attempt: a decision
    /// retried after losing a race to another command is decided again on
    /// the fresh state and stamped after that command, so event times follow
    /// log order. Lost races are retried after a short jittered pause
    /// ([`race_backoff`]); after [`MAX_ATTEMPTS`] the answer is a 409. A
    /// decision that writes nothing leaves the log untouched.
    pub async fn execute<A, D>(
        &self,
        metadata: &Metadata,
        id: Uuid,
        mut decide: impl FnMut(&A, OffsetDateTime) -> Result<D, Rejection>,
    ) -> Result<Executed<A>, ApiError>
    where
        A: Cached,
        D: Into<Decision<A::Event>>,
    {
        self.execute_with::<A, A>(metadata, id, None, |state, _, now| Ok((decide(state, now)?.into(), Vec::new())))
            .await
    }

    /// [`Executor::execute`] deciding on two aggregates at once: `id` and
    /// its `partner` (none: a default state, never written). Both streams
    /// are written in one append, each guarded by the version decided on, so
    /// a rule spanning the two (an image is not deleted while a restore of it
    /// is created) holds against concurrent commands: one of two racing
    /// commands loses, is decided again on the fresh states, and is accepted
    /// or refused. Both streams take their in-process turns, so commands on
    /// one partner (many restores of one image) queue rather than race.
    pub async fn execute_with<A, B>(
        &self,
        metadata: &Metadata,
        id: Uuid,
        partner: Option<Uuid>,
        mut decide: impl FnMut(&A, &B, OffsetDateTime) -> Result<(Decision<A::Event>, Vec<B::Event>), Rejection>,
    ) -> Result<Executed<A>, ApiError>
    where
        A: Cached,
        B: Cached,
    {
        let stream = A::stream(id);
        let partner = partner.map(B::stream);
        let _turns = match &partner {
            Some(partner) => self.locks.lock_both(&stream, partner).await,
            None => (self.locks.lock(&stream).await, None),
        };
        let mut pauses = race_backoff();
        loop {
            let (mut state, version) = A::cache(self).load(&self.pool, &stream).await?;
            let (mut other, other_version) = match &partner {
                Some(partner) => B::cache(self).load(&self.pool, partner).await?,
                None => (B::default(), 0),
            };
            let at = now();
            let (decision, other_events) = decide(&state, &other, at)?;
            let partner_write = partner.as_ref().filter(|_| !other_events.is_empty());
            if decision.events.is_empty()
                && decision.claims.is_empty()
                && decision.secrets.is_empty()
                && partner_write.is_none()
            {
                return Ok(Executed { state, wrote: false, last_position: 0, version, at });
            }
            // Claims and the partner are written first, so the command's own
            // events end the transaction: `last_position` is then its
            // stream's last event, the position a view built from its state carries.
            let mut writes = Vec::new();
            for claim in &decision.claims {
                writes.extend(self.claim_write(claim).await?);
            }
            if let Some(partner) = partner_write {
                writes.push(StreamWrite {
                    stream: partner.clone(),
                    expected: ExpectedVersion::Exact(other_version),
                    events: other_events.iter().map(encode).collect::<Result<_, _>>().map_err(StoreError::from)?,
                });
            }
            // The stream's version guards secret-only decisions too (a token
            // rotated for a node deleted meanwhile is decided again).
            let own = writes.len();
            writes.push(StreamWrite {
                stream: stream.clone(),
                expected: ExpectedVersion::Exact(version),
                events: decision.events.iter().map(encode).collect::<Result<_, _>>().map_err(StoreError::from)?,
            });
            let request = AppendRequest { writes, secrets: decision.secrets, metadata: metadata.clone() };
            match self.writer.append(request).await {
                Ok(appended) => {
                    for event in &decision.events {
                        state.apply(event);
                    }
                    A::cache(self).store(&stream, state.clone(), appended.versions[own]);
                    if let Some(partner) = partner_write {
                        other_events.iter().for_each(|event| other.apply(event));
                        B::cache(self).store(partner, other, appended.versions[own - 1]);
                    }
                    // Claims changed too; they are re-read when next needed.
                    for claim in &decision.claims {
                        self.claims.invalidate(&claim.stream());
                    }
                    return Ok(Executed {
                        state,
                        wrote: true,
                        last_position: appended.last_position,
                        version: appended.versions[own],
                        at,
                    });
                }
                Err(StoreError::Conflict { stream: stale, .. }) => {
                    A::cache(self).invalidate(&stream);
                    B::cache(self).invalidate(&stale);
                    self.claims.invalidate(&stale);
                    let Some(pause) = pauses.next() else { break };
                    tokio::time::sleep(pause).await;
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(ApiError::Conflict(format!("{stream} kept changing under this command; retry the request")))
    }

    /// The log position of aggregate `id`'s event at `version` (0 for
    /// version 0): the position of a view built from a state no command changed.
    pub async fn position_at<A: Cached>(&self, id: Uuid, version: i64) -> Result<i64, ApiError> {
        let stream = A::stream(id);
        let conn = self.pool.get().await?;
        let row = conn
            .query_opt("SELECT position FROM events WHERE stream = $1 AND version = $2", &[&stream, &version])
            .await?;
        Ok(row.map_or(0, |r| r.get(0)))
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

/// The time a command happens, at PostgreSQL's precision (microseconds), so
/// a response built from the decision equals what the read model later shows.
fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
}

/// Each aggregate's cache is the executor field named beside it.
macro_rules! cached {
    ($($aggregate:ty => $field:ident),* $(,)?) => {$(
        impl Cached for $aggregate {
            fn cache(executor: &Executor) -> &AggregateCache<Self> {
                &executor.$field
            }
        }
    )*};
}

cached! {
    CloneSession => clone_sessions,
    Node => nodes,
    NodeDisks => node_disks,
    StorageBackend => storage_backends,
    Image => images,
    StorageLease => storage_leases,
    UniqueClaim => claims,
}
