//! Capture: a disk (block device or image file) to a backend as an image.
//!
//! Chunks are read and digested by [`Disk`] (holes and zero runs cost
//! nothing and are not stored). A data chunk whose key the backend already
//! holds is skipped: that is both deduplication and the resume of an
//! interrupted capture. The rest are compressed (zstd) and uploaded,
//! `streams` at a time. The manifest is written last, and only if none is
//! there yet: an image, once complete, is never replaced.
//!
//! The disk must not change while it is read (capture from the deploy
//! environment, with its filesystems unmounted). Dropping the future stops
//! the capture; running it again resumes it.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::backend::Backend;
use super::manifest::ImageManifest;
use super::{blocking, check_name, chunk_key, manifest_key};
use crate::agent::disk::Disk;
use crate::agent::protocol::Digest;

/// zstd's default level: fast enough to keep up with a disk on one core,
/// and within a few percent of the higher levels on disk contents.
const LEVEL: i32 = zstd::DEFAULT_COMPRESSION_LEVEL;

#[derive(Debug, Clone, Copy)]
pub struct CaptureOptions {
    /// Bytes per chunk (the direct clone's default is 4 MiB).
    pub chunk_size: u64,
    /// Chunks read, compressed and uploaded at the same time.
    pub streams: usize,
}

/// Where a capture stands, passed to the progress callback after every chunk
/// and returned at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CaptureFigures {
    /// Bytes of the disk.
    pub size_bytes: u64,
    /// Bytes of the disk handled so far (holes count without being read).
    pub bytes_read: u64,
    pub chunks_total: u64,
    /// Chunks compressed and uploaded.
    pub chunks_uploaded: u64,
    /// Data chunks the backend already held (or this capture had already taken).
    pub chunks_skipped: u64,
    /// Holes and all-zero chunks (not stored).
    pub chunks_zero: u64,
    /// Compressed bytes sent to the backend for chunks (the manifest not included).
    pub bytes_uploaded: u64,
}

/// A finished capture.
#[derive(Debug, Clone)]
pub struct Captured {
    pub figures: CaptureFigures,
    pub manifest: ImageManifest,
    /// Where the manifest was stored on the backend.
    pub manifest_key: String,
}

/// Captures `device` as image `image` on `backend`.
///
/// Errors (one line each): a bad image name, an image of that name already
/// complete on the backend, an unreadable disk, a backend failure.
pub async fn capture<B: Backend>(
    backend: &B,
    image: &str,
    device: &Path,
    options: CaptureOptions,
    progress: impl Fn(&CaptureFigures) + Sync,
) -> Result<Captured, String> {
    check_name(image)?;
    let key = manifest_key(image);
    if backend.exists(&key).await? {
        return Err(format!(
            "image {image} already exists on the backend; images are never replaced, choose another name"
        ));
    }
    let disk = Arc::new(Disk::open_source(device)?);
    let chunks = disk.size.div_ceil(options.chunk_size);
    let figures = Mutex::new(CaptureFigures { size_bytes: disk.size, chunks_total: chunks, ..Default::default() });
    let taken = Mutex::new(HashSet::<Digest>::new());
    let step = |index: u64| {
        let disk = disk.clone();
        let (figures, taken, progress) = (&figures, &taken, &progress);
        async move {
            let offset = index * options.chunk_size;
            let len = options.chunk_size.min(disk.size - offset);
            let chunk = blocking(move || disk.read_chunk(offset, len)).await?;
            let mut sent = None;
            if !chunk.zero {
                let key = chunk_key(&chunk.digest);
                let first = taken.lock().unwrap_or_else(|p| p.into_inner()).insert(chunk.digest);
                if first && !backend.exists(&key).await? {
                    let data = chunk.data;
                    let packed = blocking(move || {
                        zstd::bulk::compress(&data, LEVEL).map_err(|e| format!("cannot compress chunk {index}: {e}"))
                    })
                    .await?;
                    sent = Some(packed.len() as u64);
                    backend.put(&key, packed).await?;
                }
            }
            let snapshot = {
                let mut f = figures.lock().unwrap_or_else(|p| p.into_inner());
                f.bytes_read += len;
                match (chunk.zero, sent) {
                    (true, _) => f.chunks_zero += 1,
                    (false, Some(bytes)) => {
                        f.chunks_uploaded += 1;
                        f.bytes_uploaded += bytes;
                    }
                    (false, None) => f.chunks_skipped += 1,
                }
                *f
            };
            progress(&snapshot);
            Ok::<_, String>((chunk.digest, chunk.zero))
        }
    };
    let digests: Vec<(Digest, bool)> =
        futures::stream::iter(0..chunks).map(step).buffered(options.streams.max(1)).try_collect().await?;
    let manifest = ImageManifest::new(image, disk.size, options.chunk_size, &digests);
    let json = serde_json::to_vec(&manifest).map_err(|e| format!("cannot encode the manifest: {e}"))?;
    backend.put(&key, json).await?;
    let figures = *figures.lock().unwrap_or_else(|p| p.into_inner());
    Ok(Captured { figures, manifest, manifest_key: key })
}
