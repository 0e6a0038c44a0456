//! Loading aggregates from the log, with a cache of recent states.
//!
//! A command needs the aggregate's current state and version. Re-reading a
//! whole stream per request would make every progress report cost O(events
//! in the session); instead the cache keeps the last state and version this
//! process saw and decides on it without asking the database. The database
//! stays the authority: the append re-checks the version, and a conflict
//! (another instance wrote meanwhile) drops the cached state, so the retry
//! reads the events it missed. A stale cache can at worst cause a retried
//! decision, never a lost update.

use std::collections::HashMap;
use std::sync::Mutex;

use deadpool_postgres::Pool;

use super::{Category, DomainEvent, RecordedEvent, StoreError, read::read_stream};

/// A consistency boundary rebuilt by folding its events. `apply` holds no rules.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    type Event: DomainEvent + Send + Sync;
    /// The category of its streams.
    const CATEGORY: Category;
    fn apply(&mut self, event: &Self::Event);

    /// The stream of the instance `id` (`category:id`).
    fn stream(id: impl std::fmt::Display) -> String {
        Self::CATEGORY.stream(id)
    }
}

/// Most aggregates kept in one cache; when full it is simply cleared.
const CACHE_CAPACITY: usize = 20_000;

pub struct AggregateCache<A: Aggregate> {
    states: Mutex<HashMap<String, (A, i64)>>,
}

impl<A: Aggregate> Default for AggregateCache<A> {
    fn default() -> Self {
        Self { states: Mutex::new(HashMap::new()) }
    }
}

impl<A: Aggregate> AggregateCache<A> {
    /// The current state and version of `stream`; a connection is taken
    /// from `pool` only when the state is not cached.
    pub async fn load(&self, pool: &Pool, stream: &str) -> Result<(A, i64), StoreError> {
        if let Some(cached) = self.cached(stream) {
            return Ok(cached);
        }
        let (mut state, mut version) = (A::default(), 0);
        let newer = read_stream(&*pool.get().await?, stream, version).await?;
        for event in &newer {
            state.apply(&decode::<A>(event)?);
            version = event.version;
        }
        if !newer.is_empty() {
            self.store(stream, state.clone(), version);
        }
        Ok((state, version))
    }

    /// Records the state reached after a successful append.
    pub fn store(&self, stream: &str, state: A, version: i64) {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        if states.len() >= CACHE_CAPACITY && !states.contains_key(stream) {
            states.clear();
        }
        states.insert(stream.to_owned(), (state, version));
    }

    /// Forgets `stream` (after a version conflict: someone else wrote to it).
    pub fn invalidate(&self, stream: &str) {
        self.states.lock().unwrap_or_else(|p| p.into_inner()).remove(stream);
    }

    fn cached(&self, stream: &str) -> Option<(A, i64)> {
        self.states.lock().unwrap_or_else(|p| p.into_inner()).get(stream).cloned()
    }
}

fn decode<A: Aggregate>(event: &RecordedEvent) -> Result<A::Event, StoreError> {
    event.decode::<A::Event>().map_err(StoreError::Encode)
}
