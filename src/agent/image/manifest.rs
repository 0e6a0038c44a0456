//! The image manifest: what a restore needs to rebuild a disk and check it.
//!
//! Stored as JSON at `images/<name>/manifest.json` (see the module layout in
//! [`super`]), written only after every chunk it names is stored. Shape
//! (version 1):
//!
//! ```json
//! {
//!   "format": "pureboot-image",
//!   "version": 1,
//!   "image": "ubuntu-golden",
//!   "size_bytes": 1073741824,
//!   "chunk_size_bytes": 4194304,
//!   "compression": "zstd",
//!   "digest": "<64 hex digits>",
//!   "chunks": [
//!     { "length": 4194304, "digest": "<64 hex digits>" },
//!     { "length": 4194304, "zero": true }
//!   ]
//! }
//! ```
//!
//! - `chunks` lists every chunk of the disk in order; chunk `i` covers bytes
//!   `i * chunk_size_bytes ..` for `length` bytes (only the last may be shorter).
//! - A data chunk's `digest` is the BLAKE3 of its uncompressed bytes and
//!   names its object `chunks/<first 2 hex digits>/<digest>.zst`.
//! - A `zero` chunk holds only zeros and has no object.
//! - `digest` is the disk's content digest: BLAKE3 over the 32-byte chunk
//!   digests in order (a zero chunk counts with the digest of its zeros), the
//!   same value a direct clone reports on `complete`
//!   ([`crate::agent::protocol::content_digest`]).

use serde::{Deserialize, Serialize};

use crate::agent::protocol::{Digest, content_digest, from_hex, to_hex};

/// The `format` value, so another JSON file is not taken for a manifest.
pub const FORMAT: &str = "pureboot-image";
/// The manifest version this agent writes and reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageManifest {
    pub format: String,
    pub version: u32,
    pub image: String,
    /// Bytes of the captured disk.
    pub size_bytes: u64,
    /// Bytes per chunk (the last chunk may be shorter).
    pub chunk_size_bytes: u64,
    /// How chunk objects are compressed: always `zstd` in version 1.
    pub compression: String,
    /// Hex content digest of the whole disk.
    pub digest: String,
    pub chunks: Vec<ChunkEntry>,
}

/// One chunk of the disk, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkEntry {
    /// Bytes of disk the chunk covers.
    pub length: u64,
    /// Hex BLAKE3 of the chunk's bytes; absent for a zero chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Only zeros: nothing is stored.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub zero: bool,
}

/// A manifest entry checked and decoded: what restore works from.
#[derive(Debug, Clone, Copy)]
pub enum Planned {
    Zero,
    Data(Digest),
}

impl ImageManifest {
    /// The manifest of a captured disk; `chunks` holds each chunk's digest
    /// (the digest of its zeros for a zero chunk) and whether it is zero.
    pub fn new(image: &str, size: u64, chunk_size: u64, chunks: &[(Digest, bool)]) -> Self {
        let digests: Vec<Digest> = chunks.iter().map(|(digest, _)| *digest).collect();
        let entries = chunks
            .iter()
            .enumerate()
            .map(|(index, (digest, zero))| ChunkEntry {
                length: span(size, chunk_size, index as u64).1,
                digest: (!zero).then(|| to_hex(digest)),
                zero: *zero,
            })
            .collect();
        Self {
            format: FORMAT.into(),
            version: VERSION,
            image: image.into(),
            size_bytes: size,
            chunk_size_bytes: chunk_size,
            compression: "zstd".into(),
            digest: content_digest(&digests),
            chunks: entries,
        }
    }

    /// Offset and length in bytes of chunk `index`.
    pub fn span(&self, index: u64) -> (u64, u64) {
        span(self.size_bytes, self.chunk_size_bytes, index)
    }

    /// Checks that the manifest is one this agent can restore and that it
    /// holds together (chunk count and lengths, digests, and the final digest
    /// over them, given `zero_digest(len)` for zero chunks), and decodes it.
    /// The error is one line naming the first fault.
    pub fn plan(&self, mut zero_digest: impl FnMut(u64) -> Digest) -> Result<Vec<Planned>, String> {
        let name = &self.image;
        if self.format != FORMAT || self.version != VERSION || self.compression != "zstd" {
            return Err(format!(
                "image {name}: manifest format {} version {} ({}) is not {FORMAT} version {VERSION} (zstd)",
                self.format, self.version, self.compression
            ));
        }
        if self.size_bytes == 0 || self.chunk_size_bytes == 0 {
            return Err(format!("image {name}: manifest gives a zero size or chunk size"));
        }
        let expected = self.size_bytes.div_ceil(self.chunk_size_bytes);
        if self.chunks.len() as u64 != expected {
            return Err(format!(
                "image {name}: manifest lists {} chunks, its size needs {expected}",
                self.chunks.len()
            ));
        }
        let mut planned = Vec::with_capacity(self.chunks.len());
        let mut digests = Vec::with_capacity(self.chunks.len());
        for (index, entry) in self.chunks.iter().enumerate() {
            let length = self.span(index as u64).1;
            let fault = |what: &str| format!("image {name}: manifest chunk {index} {what}");
            if entry.length != length {
                return Err(fault(&format!("has length {}, expected {length}", entry.length)));
            }
            match (&entry.digest, entry.zero) {
                (None, true) => {
                    planned.push(Planned::Zero);
                    digests.push(zero_digest(length));
                }
                (Some(hex), false) => {
                    let digest = from_hex(hex).ok_or_else(|| fault(&format!("has a bad digest {hex}")))?;
                    planned.push(Planned::Data(digest));
                    digests.push(digest);
                }
                _ => return Err(fault("must have either a digest or \"zero\": true")),
            }
        }
        let computed = content_digest(&digests);
        if computed != self.digest {
            return Err(format!(
                "image {name}: manifest digest {} does not match its chunks ({computed})",
                self.digest
            ));
        }
        Ok(planned)
    }
}

fn span(size: u64, chunk_size: u64, index: u64) -> (u64, u64) {
    let offset = index * chunk_size;
    (offset, chunk_size.min(size.saturating_sub(offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zeros(len: u64) -> Digest {
        *blake3::hash(&vec![0u8; len as usize]).as_bytes()
    }

    #[test]
    fn a_manifest_round_trips_and_any_tampering_is_named() {
        // Given a 10-byte disk in 4-byte chunks: data, zeros, data (2 bytes)
        let chunks =
            [(*blake3::hash(b"abcd").as_bytes(), false), (zeros(4), true), (*blake3::hash(b"ef").as_bytes(), false)];
        let manifest = ImageManifest::new("golden", 10, 4, &chunks);
        let json = serde_json::to_string(&manifest).expect("json");
        assert!(json.contains(r#"{"length":4,"zero":true}"#), "{json}");
        let back: ImageManifest = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, manifest);
        assert!(matches!(back.plan(zeros).as_deref(), Ok([Planned::Data(_), Planned::Zero, Planned::Data(_)])));

        // When a chunk is changed, the final digest no longer matches
        let mut swapped = manifest.clone();
        swapped.chunks.swap(0, 2);
        let error = swapped.plan(zeros).expect_err("lengths differ");
        assert_eq!(error, "image golden: manifest chunk 0 has length 2, expected 4");
        let mut forged = manifest.clone();
        forged.chunks[0].digest = Some(to_hex(blake3::hash(b"abce").as_bytes()));
        assert!(forged.plan(zeros).expect_err("forged").contains("does not match its chunks"));
        let mut newer = manifest;
        newer.version = 2;
        assert!(newer.plan(zeros).expect_err("newer").contains("version 2"));
    }
}
