//! The source's HTTP interface, shared by both roles.
//!
//! - `GET /manifest` → [`Manifest`] (JSON).
//! - `GET /chunks/{index}` → `200` with the chunk's bytes, or `204` when the
//!   chunk holds only zeros (nothing is sent; the target leaves a hole or
//!   writes zeros). With `If-None-Match: "<digest>"` the answer is `304`
//!   when the target already holds that content, so a resumed target pays
//!   only for what it lacks. Every answer carries the chunk's BLAKE3 digest
//!   in [`DIGEST_HEADER`] (computed as the chunk is read).
//!
//! The session's content digest is BLAKE3 over the concatenation of the 32-byte
//! chunk digests, in chunk order ([`content_digest`]).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Hex BLAKE3 of the chunk's bytes.
pub const DIGEST_HEADER: &str = "x-pureboot-digest";

/// What the source serves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub session: Uuid,
    /// Bytes.
    pub size: u64,
    /// Bytes; the last chunk may be shorter.
    pub chunk_size: u64,
    pub device: String,
}

impl Manifest {
    pub fn chunks(&self) -> u64 {
        self.size.div_ceil(self.chunk_size)
    }

    /// Offset and length of chunk `index`.
    pub fn span(&self, index: u64) -> (u64, u64) {
        let offset = index * self.chunk_size;
        (offset, self.chunk_size.min(self.size.saturating_sub(offset)))
    }
}

pub type Digest = [u8; 32];

/// BLAKE3 over the concatenated chunk digests: one value naming the whole disk's content.
pub fn content_digest(chunks: &[Digest]) -> String {
    let mut hasher = blake3::Hasher::new();
    for digest in chunks {
        hasher.update(digest);
    }
    hasher.finalize().to_hex().to_string()
}

pub fn to_hex(digest: &Digest) -> String {
    blake3::Hash::from_bytes(*digest).to_hex().to_string()
}

pub fn from_hex(text: &str) -> Option<Digest> {
    blake3::Hash::from_hex(text.trim_matches('"')).ok().map(|h| *h.as_bytes())
}
