//! Restore: an image from a backend onto a disk, then checked.
//!
//! 1. **Transfer.** The manifest is read and checked ([`ImageManifest::plan`]),
//!    then every chunk is settled, `streams` at a time, as a direct clone's
//!    target does: what the disk already holds there is digested first (a
//!    hole costs nothing), so a chunk already right is not downloaded (a
//!    restore run again resumes). A zero chunk clears only what is not
//!    already zero (a hole in an image file, zeros on a device). A data chunk
//!    is downloaded, decompressed and checked against its digest before it
//!    is written; a missing or corrupt chunk fails the restore, naming it.
//! 2. **Verifying.** Everything is flushed and dropped from the page cache,
//!    read back and compared with the manifest's digests; chunks that differ
//!    are written again (at most three rounds). The content digest of what
//!    was read back must equal the manifest's.
//!
//! Dropping the future stops the restore; running it again resumes it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::backend::Backend;
use super::manifest::{ImageManifest, Planned};
use super::{blocking, check_name, chunk_key, manifest_key};
use crate::agent::disk::{Disk, zero_digest};
use crate::agent::protocol::{Digest, content_digest, to_hex};

/// Verify-and-repair rounds before the disk is declared unable to keep data.
const VERIFY_ROUNDS: usize = 3;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Transfer,
    Verifying,
}

/// Where a restore stands, passed to the progress callback after every
/// chunk and returned at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RestoreFigures {
    pub phase: Phase,
    /// Bytes of the image (and of the disk written).
    pub size_bytes: u64,
    pub chunks_total: u64,
    /// Bytes of the disk settled (repairs count again).
    pub bytes_written: u64,
    /// Bytes of the disk read back in the verifying phase (repairs count again).
    pub bytes_verified: u64,
    /// Chunks downloaded and written (repairs count again).
    pub chunks_downloaded: u64,
    /// Data chunks the disk already held.
    pub chunks_present: u64,
    /// Zero chunks (cleared where the disk was not already zero).
    pub chunks_zero: u64,
    /// Compressed bytes downloaded.
    pub bytes_downloaded: u64,
    /// Chunks written again after the verifying read found them different.
    pub chunks_repaired: u64,
}

/// A finished, verified restore.
#[derive(Debug, Clone)]
pub struct Restored {
    pub figures: RestoreFigures,
    /// The content digest read back from the disk (equal to the manifest's).
    pub digest: String,
}

struct Job<'a, B> {
    backend: &'a B,
    image: &'a str,
    disk: Arc<Disk>,
    manifest: ImageManifest,
    plan: Vec<Planned>,
    figures: Mutex<RestoreFigures>,
    progress: &'a (dyn Fn(&RestoreFigures) + Sync),
    streams: usize,
}

/// Restores image `image` from `backend` onto `device` (an image file is
/// created or sized to the image; a block device must be large enough).
///
/// Errors (one line each): no manifest (unknown image or unfinished
/// capture), a manifest that does not hold together, a missing or corrupt
/// chunk (`chunk <index> (<digest>) …`), a disk that cannot be written or
/// does not keep what is written, a backend failure.
pub async fn restore<B: Backend>(
    backend: &B,
    image: &str,
    device: &Path,
    streams: usize,
    progress: impl Fn(&RestoreFigures) + Sync,
) -> Result<Restored, String> {
    check_name(image)?;
    let key = manifest_key(image);
    let Some(json) = backend.get(&key).await? else {
        return Err(format!("image {image} is not on the backend, or its capture did not finish (no {key})"));
    };
    let manifest: ImageManifest =
        serde_json::from_slice(&json).map_err(|e| format!("image {image}: {key} is not a manifest: {e}"))?;
    if manifest.image != image {
        return Err(format!("image {image}: {key} describes image {}", manifest.image));
    }
    // Checked before the disk is touched: a bad manifest changes nothing.
    let mut zeros = HashMap::new();
    let plan = manifest.plan(|len| *zeros.entry(len).or_insert_with(|| zero_digest(len)))?;
    let disk = Arc::new(Disk::open_target(device, manifest.size_bytes)?);
    let figures =
        RestoreFigures { size_bytes: manifest.size_bytes, chunks_total: plan.len() as u64, ..Default::default() };
    let job = Job {
        backend,
        image,
        disk,
        manifest,
        plan,
        figures: Mutex::new(figures),
        progress: &progress,
        streams: streams.max(1),
    };
    let all: Vec<u64> = (0..job.plan.len() as u64).collect();
    job.each(&all, |index| job.settle(index, true)).await?;
    job.flush().await?;

    job.update(|f| f.phase = Phase::Verifying);
    let mut found: Vec<Digest> = job.each(&all, |index| job.read_back(index)).await?;
    for round in 1..=VERIFY_ROUNDS + 1 {
        let bad: Vec<u64> = all.iter().copied().filter(|&i| found[i as usize] != job.expected(i)).collect();
        if bad.is_empty() {
            break;
        }
        if round > VERIFY_ROUNDS {
            return Err(format!(
                "chunks {bad:?} of {} still differ from image {image} after {VERIFY_ROUNDS} repairs: \
                    the disk does not keep what is written",
                device.display()
            ));
        }
        tracing::warn!(chunks = ?bad, "verification found chunks that differ from the image; writing them again");
        job.each(&bad, |index| job.settle(index, false)).await?;
        job.flush().await?;
        job.update(|f| f.chunks_repaired += bad.len() as u64);
        for (index, digest) in bad.iter().zip(job.each(&bad, |index| job.read_back(index)).await?) {
            found[*index as usize] = digest;
        }
    }
    let digest = content_digest(&found);
    if digest != job.manifest.digest {
        return Err(format!(
            "image {image}: the disk reads back as {digest}, the manifest says {}",
            job.manifest.digest
        ));
    }
    let figures = *job.figures.lock().unwrap_or_else(|p| p.into_inner());
    Ok(Restored { figures, digest })
}

impl<B: Backend> Job<'_, B> {
    /// Runs `work` on each index, `streams` at a time; the results in order.
    async fn each<T, F, Fut>(&self, indices: &[u64], work: F) -> Result<Vec<T>, String>
    where
        F: Fn(u64) -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        futures::stream::iter(indices.iter().copied()).map(work).buffered(self.streams).try_collect().await
    }

    fn expected(&self, index: u64) -> Digest {
        match self.plan[index as usize] {
            Planned::Data(digest) => digest,
            Planned::Zero => self.disk.zero_digest(self.manifest.span(index).1),
        }
    }

    fn update(&self, change: impl FnOnce(&mut RestoreFigures)) {
        let snapshot = {
            let mut figures = self.figures.lock().unwrap_or_else(|p| p.into_inner());
            change(&mut figures);
            *figures
        };
        (self.progress)(&snapshot);
    }

    /// Makes chunk `index` on the disk equal the image's. With `compare`,
    /// what the disk holds is looked at first and kept when already right.
    async fn settle(&self, index: u64, compare: bool) -> Result<(), String> {
        let (offset, len) = self.manifest.span(index);
        let local = if compare { Some(self.read(offset, len).await?) } else { None };
        match self.plan[index as usize] {
            Planned::Zero => {
                if !local.is_some_and(|(_, zero)| zero) {
                    let disk = self.disk.clone();
                    blocking(move || disk.clear_chunk(offset, len)).await?;
                }
                self.update(|f| {
                    f.chunks_zero += u64::from(compare);
                    f.bytes_written += len;
                });
            }
            Planned::Data(digest) if local.is_some_and(|(held, _)| held == digest) => {
                self.update(|f| {
                    f.chunks_present += 1;
                    f.bytes_written += len;
                });
            }
            Planned::Data(digest) => {
                let (data, packed) = self.fetch(index, digest, len).await?;
                let disk = self.disk.clone();
                blocking(move || disk.write_chunk(offset, &data)).await?;
                self.update(|f| {
                    f.chunks_downloaded += 1;
                    f.bytes_downloaded += packed;
                    f.bytes_written += len;
                });
            }
        }
        Ok(())
    }

    /// Downloads, decompresses and checks one chunk; its bytes and the
    /// compressed size.
    async fn fetch(&self, index: u64, digest: Digest, len: u64) -> Result<(Vec<u8>, u64), String> {
        let key = chunk_key(&digest);
        let named = format!("chunk {index} ({}) of image {}", to_hex(&digest), self.image);
        let Some(packed) = self.backend.get(&key).await? else {
            return Err(format!("{named} is missing from the backend ({key})"));
        };
        let size = packed.len() as u64;
        let capacity = usize::try_from(len).map_err(|_| format!("{named} is too large"))?;
        let data = blocking(move || {
            let data = zstd::bulk::decompress(&packed, capacity).map_err(|e| format!("{named} is corrupt: {e}"))?;
            let found = blake3::hash(&data);
            if data.len() != capacity || *found.as_bytes() != digest {
                return Err(format!("{named} is corrupt: its {} bytes hash to {found}", data.len()));
            }
            Ok(data)
        })
        .await?;
        Ok((data, size))
    }

    /// The digest of chunk `index` as the disk holds it, counted as verified.
    async fn read_back(&self, index: u64) -> Result<Digest, String> {
        let (offset, len) = self.manifest.span(index);
        let (digest, _) = self.read(offset, len).await?;
        self.update(|f| f.bytes_verified += len);
        Ok(digest)
    }

    async fn read(&self, offset: u64, len: u64) -> Result<(Digest, bool), String> {
        let disk = self.disk.clone();
        blocking(move || disk.read_chunk(offset, len).map(|chunk| (chunk.digest, chunk.zero))).await
    }

    async fn flush(&self) -> Result<(), String> {
        let disk = self.disk.clone();
        blocking(move || disk.flush_and_drop_cache()).await
    }
}
