//! Tokens recently found invalid. Without this, every request with a bad
//! token costs a database query, so a client looping on garbage tokens turns
//! into a query per request; with it, one query per distinct token per
//! [`REFUSED_TTL`].
//!
//! Why it is safe: a token only ever goes from valid to invalid (revoked,
//! retired, replaced), never back, and a new token is a fresh random secret
//! nobody could have tried before it was issued — so remembering a refusal
//! never delays a valid token, and revocation does not depend on it. It is
//! kept apart from the caches of verified tokens and is bounded: when full of
//! live entries it stops remembering (those requests query as before) rather
//! than evicting anything, so a flood cannot push out useful entries.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a refusal is remembered.
pub const REFUSED_TTL: Duration = Duration::from_secs(5);

/// How many refusals are remembered at most.
pub const REFUSED_CAPACITY: usize = 10_000;

/// Digests of tokens refused in the last [`REFUSED_TTL`].
#[derive(Default)]
pub struct RecentlyRefused {
    entries: Mutex<HashMap<Vec<u8>, Instant>>,
}

impl RecentlyRefused {
    /// Whether the token with this digest was refused within the TTL.
    pub fn contains(&self, digest: &[u8]) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(digest).is_some_and(|at| at.elapsed() < REFUSED_TTL)
    }

    /// Remembers a refusal; when the set is full, expired entries make room
    /// first, and without room the refusal is not remembered.
    pub fn insert(&self, digest: Vec<u8>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= REFUSED_CAPACITY {
            entries.retain(|_, at| at.elapsed() < REFUSED_TTL);
            if entries.len() >= REFUSED_CAPACITY {
                return;
            }
        }
        entries.insert(digest, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_is_remembered_and_a_full_set_keeps_what_it_has() {
        let refused = RecentlyRefused::default();
        assert!(!refused.contains(b"a"));
        refused.insert(b"a".to_vec());
        assert!(refused.contains(b"a"));

        for n in 0..REFUSED_CAPACITY {
            refused.insert(n.to_be_bytes().to_vec());
        }
        // Full of live entries: the first is still there, a new one is not kept.
        assert!(refused.contains(b"a"));
        refused.insert(b"late".to_vec());
        assert!(!refused.contains(b"late"));
    }
}
