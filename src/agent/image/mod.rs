//! Golden images: a disk captured once to a storage backend as compressed,
//! content-addressed chunks, and restored from there onto any number of
//! disks (the staged mode of the design; the controller's session wiring
//! calls [`capture`] and [`restore`] with a progress callback).
//!
//! # On the backend
//!
//! ```text
//! <root>/
//!   chunks/ab/abcdef0123….zst      one object per distinct chunk: zstd of its bytes,
//!                                  named by the BLAKE3 of the uncompressed bytes
//!   images/<name>/manifest.json    the image (see [`manifest`]); written last
//! ```
//!
//! The disk is cut and hashed exactly as a direct clone cuts it
//! ([`crate::agent::disk`]): fixed-size chunks, holes and all-zero chunks
//! recognised and not stored (the manifest marks them). Because a chunk is
//! stored under its digest, a chunk already present is not uploaded again:
//! identical chunks are stored once within an image and across the images
//! of a backend, and a capture that was interrupted resumes by skipping what
//! it already stored. Uploads are atomic (see [`dir`] and [`http`]), so a
//! present key always holds a whole chunk; an image without a manifest is an
//! unfinished capture and cannot be restored.
//!
//! # Layout
//! - [`manifest`]: the manifest's JSON format and its consistency checks.
//! - [`backend`]: the storage trait and `--backend` parsing; [`dir`] and [`http`] implement it.
//! - [`capture`] / [`restore`]: the two directions, with their progress figures.
//! - [`cli`]: `pureboot-agent capture` and `restore`, standalone.
//! - [`session`]: the same in a staged clone session, with the controller.

pub mod backend;
pub mod capture;
pub mod cli;
pub mod dir;
pub mod http;
pub mod manifest;
pub mod restore;
pub mod session;

pub use backend::{AnyBackend, Backend};
pub use capture::{CaptureFigures, CaptureOptions, Captured, capture};
pub use restore::{Phase, RestoreFigures, Restored, restore};

use super::protocol::{Digest, to_hex};

/// The key of a chunk's object: `chunks/<first two hex digits>/<hex digest>.zst`
/// (256 directories keep each one small).
pub fn chunk_key(digest: &Digest) -> String {
    let hex = to_hex(digest);
    format!("chunks/{}/{hex}.zst", &hex[..2])
}

/// The key of an image's manifest: `images/<name>/manifest.json`.
pub fn manifest_key(image: &str) -> String {
    format!("images/{image}/manifest.json")
}

/// The image-name rule, the controller's own (see [`crate::domain::image::check_name`]).
pub use crate::domain::image::check_name;

/// Runs blocking disk or file work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(work).await.map_err(|e| format!("disk task failed: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fan_out_by_digest() {
        let key = chunk_key(blake3::hash(b"x").as_bytes());
        assert!(key.starts_with(&format!("chunks/{}/", &blake3::hash(b"x").to_hex()[..2])) && key.ends_with(".zst"));
    }
}
