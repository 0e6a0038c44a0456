//! In-process serialisation of commands per stream.
//!
//! Optimistic concurrency alone keeps the log correct, but under group commit
//! N concurrent commands on one session would all decide on the same version
//! and N−1 of them would lose and retry, round after round. Taking a striped
//! lock per stream first makes them queue instead; conflicts then only arise
//! between controller instances, where the retry loop handles them.

use tokio::sync::{Mutex, MutexGuard};

const STRIPES: usize = 4096;

pub struct StreamLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for StreamLocks {
    fn default() -> Self {
        Self { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect() }
    }
}

impl StreamLocks {
    pub async fn lock(&self, stream: &str) -> MutexGuard<'_, ()> {
        self.stripes[stripe(stream)].lock().await
    }

    /// The turns of a command writing two streams: both stripes, the lower
    /// first (so two such commands cannot wait on each other), one when
    /// both streams fall on it.
    pub async fn lock_both(&self, a: &str, b: &str) -> (MutexGuard<'_, ()>, Option<MutexGuard<'_, ()>>) {
        let (low, high) = (stripe(a).min(stripe(b)), stripe(a).max(stripe(b)));
        let first = self.stripes[low].lock().await;
        let second = if high == low { None } else { Some(self.stripes[high].lock().await) };
        (first, second)
    }
}

/// FNV-1a: cheap and well spread for short keys.
fn stripe(stream: &str) -> usize {
    let hash = stream.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    (hash % STRIPES as u64) as usize
}
