//! The disk, read and written in chunks at fixed offsets (positioned I/O,
//! so a chunk written twice lands in the same place: writes are idempotent).
//!
//! Chunks holding no data are recognised without sending them: in image
//! files by `SEEK_DATA` (a chunk inside a hole is not even read), anywhere
//! by an all-zero check. On an image-file target such chunks become holes
//! again (`fallocate(PUNCH_HOLE)`), so a sparse source stays sparse; on a
//! block device zeros are written.
//!
//! Verification reads bypass the page cache by dropping it first
//! (`fsync`, then `posix_fadvise(DONTNEED)`): after that the kernel must read
//! the device again. O_DIRECT would need aligned buffers and fails on some
//! filesystems (tmpfs); the fadvise route gives the same guarantee for data
//! already flushed.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustix::fs::{Advice, FallocateFlags};

use super::protocol::Digest;

pub struct Disk {
    file: File,
    pub path: PathBuf,
    /// Bytes the clone covers.
    pub size: u64,
    /// An image file (holes possible) rather than a block device.
    regular: bool,
    zero_digests: Mutex<HashMap<u64, Digest>>,
}

/// One chunk as found on the disk.
pub struct Chunk {
    /// Only zeros (the bytes are not kept).
    pub zero: bool,
    pub digest: Digest,
    /// The bytes, unless `zero`.
    pub data: Vec<u8>,
}

impl Disk {
    /// The source disk, read-only; its size is the clone's size.
    pub fn open_source(path: &Path) -> Result<Self, String> {
        let mut file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let size = file.seek(SeekFrom::End(0)).map_err(|e| format!("cannot size {}: {e}", path.display()))?;
        if size == 0 {
            return Err(format!("{} is empty: nothing to clone", path.display()));
        }
        Self::wrap(file, path, size)
    }

    /// The same disk, of which only the first `len` bytes are cloned.
    pub fn prefix(mut self, len: u64) -> Self {
        self.size = self.size.min(len);
        self
    }

    /// The target disk, opened for writing. An image file is created or set
    /// to exactly `size`; a block device must be at least that large.
    pub fn open_target(path: &Path, size: u64) -> Result<Self, String> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(!path.exists() || path.is_file())
            .truncate(false)
            .open(path)
            .map_err(|e| format!("cannot open {} for writing: {e}", path.display()))?;
        let meta = file.metadata().map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
        if meta.is_file() {
            if meta.len() != size {
                file.set_len(size).map_err(|e| format!("cannot size {} to {size} bytes: {e}", path.display()))?;
            }
        } else {
            let available = file.seek(SeekFrom::End(0)).map_err(|e| format!("cannot size {}: {e}", path.display()))?;
            if available < size {
                return Err(format!(
                    "target disk smaller than source: {} has {available} bytes < {size}",
                    path.display()
                ));
            }
        }
        Self::wrap(file, path, size)
    }

    fn wrap(file: File, path: &Path, size: u64) -> Result<Self, String> {
        let regular = file.metadata().map_err(|e| format!("cannot stat {}: {e}", path.display()))?.is_file();
        Ok(Self { file, path: path.to_owned(), size, regular, zero_digests: Mutex::default() })
    }

    /// Reads `len` bytes at `offset` and digests them (holes are not read).
    pub fn read_chunk(&self, offset: u64, len: u64) -> Result<Chunk, String> {
        let failed = |e: std::io::Error| format!("read error on {} at byte {offset}: {e}", self.path.display());
        if self.regular {
            let now = self.file.metadata().map_err(failed)?.len();
            if now < offset + len {
                return Err(format!(
                    "read error on {} at byte {}: the image is now {now} bytes, shorter than the {} announced",
                    self.path.display(),
                    now.max(offset),
                    self.size
                ));
            }
            if self.is_hole(offset, len) {
                return Ok(self.zero_chunk(len));
            }
        }
        let mut data = vec![0u8; usize::try_from(len).map_err(|_| "chunk too large".to_owned())?];
        self.file.read_exact_at(&mut data, offset).map_err(failed)?;
        if is_zero(&data) {
            return Ok(self.zero_chunk(len));
        }
        let digest = *blake3::hash(&data).as_bytes();
        Ok(Chunk { zero: false, digest, data })
    }

    /// No data anywhere in `offset..offset + len` (only image files can say).
    fn is_hole(&self, offset: u64, len: u64) -> bool {
        match rustix::fs::seek(&self.file, rustix::fs::SeekFrom::Data(offset)) {
            Ok(next_data) => next_data >= offset + len,
            Err(rustix::io::Errno::NXIO) => true,
            Err(_) => false,
        }
    }

    fn zero_chunk(&self, len: u64) -> Chunk {
        Chunk { zero: true, digest: self.zero_digest(len), data: Vec::new() }
    }

    /// BLAKE3 of `len` zero bytes (cached: there are at most two lengths).
    pub fn zero_digest(&self, len: u64) -> Digest {
        let mut cache = self.zero_digests.lock().unwrap_or_else(|p| p.into_inner());
        *cache.entry(len).or_insert_with(|| zero_digest(len))
    }

    pub fn write_chunk(&self, offset: u64, data: &[u8]) -> Result<(), String> {
        self.file
            .write_all_at(data, offset)
            .map_err(|e| format!("write error on {} at byte {offset}: {e}", self.path.display()))
    }

    /// Makes `offset..offset + len` read as zeros: a hole in an image file, zeros on a device.
    pub fn clear_chunk(&self, offset: u64, len: u64) -> Result<(), String> {
        if self.regular {
            let flags = FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE;
            if rustix::fs::fallocate(&self.file, flags, offset, len).is_ok() {
                return Ok(());
            }
        }
        let zeros = vec![0u8; usize::try_from(len).map_err(|_| "chunk too large".to_owned())?];
        self.write_chunk(offset, &zeros)
    }

    /// Flushes everything written to stable storage and drops it from the
    /// page cache, so the next reads come from the device.
    pub fn flush_and_drop_cache(&self) -> Result<(), String> {
        self.file.sync_all().map_err(|e| format!("flush of {} failed: {e}", self.path.display()))?;
        // Advisory: a kernel that ignores it only makes the check weaker, not wrong.
        let _ = rustix::fs::fadvise(&self.file, 0, None, Advice::DontNeed);
        Ok(())
    }
}

/// BLAKE3 of `len` zero bytes, hashed 64 KiB at a time.
pub fn zero_digest(len: u64) -> Digest {
    let mut hasher = blake3::Hasher::new();
    let block = [0u8; 65536];
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        hasher.update(&block[..n]);
        left -= n as u64;
    }
    *hasher.finalize().as_bytes()
}

/// True when every byte is zero (compared a machine word at a time).
fn is_zero(data: &[u8]) -> bool {
    let (words, rest) = data.split_at(data.len() - data.len() % 8);
    words.chunks_exact(8).all(|w| u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) == 0)
        && rest.iter().all(|b| *b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_and_zero_runs_are_zero_chunks_and_data_is_digested() {
        let dir = std::env::temp_dir().join(format!("pba-disk-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("img");
        let file = File::create(&path).expect("create");
        file.set_len(3 << 20).expect("sparse");
        file.write_all_at(b"hello", (1 << 20) + 7).expect("write");
        file.write_all_at(&[0u8; 4096], 2 << 20).expect("written zeros");
        let disk = Disk::open_source(&path).expect("open");
        let hole = disk.read_chunk(0, 1 << 20).expect("hole");
        assert!(hole.zero && hole.digest == *blake3::hash(&vec![0u8; 1 << 20]).as_bytes());
        let data = disk.read_chunk(1 << 20, 1 << 20).expect("data");
        assert!(!data.zero && data.digest == *blake3::hash(&data.data).as_bytes());
        assert!(disk.read_chunk(2 << 20, 1 << 20).expect("zeros").zero);
        assert!(matches!(disk.read_chunk(3 << 20, 1 << 20), Err(e) if e.contains("shorter than")), "past the end");
        std::fs::remove_dir_all(dir).expect("cleanup");
    }
}
