//! The `dir:` backend: objects are files under a directory, which is what an
//! NFS export is once the node has mounted it.
//!
//! A put writes `.<name>.part-<random>` beside the final file, flushes it to
//! stable storage, then renames it over the key. `rename(2)` replaces the
//! name in one step (also on NFS, where the server performs it), so a reader
//! sees the whole object or none; a put cut short leaves only a `.part` file,
//! never a partial object under the key.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::backend::Backend;
use super::blocking;

pub struct DirBackend {
    root: PathBuf,
}

impl DirBackend {
    /// The backend rooted at `path`, which must be an existing directory
    /// (a mount point that is missing should not be silently created).
    pub fn new(path: &str) -> Result<Self, String> {
        let root = PathBuf::from(path);
        if !root.is_dir() {
            return Err(format!("backend directory {path} does not exist (is the export mounted?)"));
        }
        Ok(Self { root })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }
}

impl Backend for DirBackend {
    async fn put(&self, key: &str, data: Vec<u8>) -> Result<(), String> {
        let path = self.path(key);
        blocking(move || write_atomically(&path, &data)).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let path = self.path(key);
        blocking(move || match std::fs::read(&path) {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        })
        .await
    }

    async fn exists(&self, key: &str) -> Result<bool, String> {
        let path = self.path(key);
        blocking(move || match std::fs::metadata(&path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(format!("cannot look at {}: {e}", path.display())),
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        let path = self.path(key);
        let collection = key.ends_with('/');
        blocking(move || {
            let removed = if collection { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            match removed {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(format!("cannot remove {}: {e}", path.display()))
                }
                _ => Ok(()),
            }
        })
        .await
    }
}

fn write_atomically(path: &Path, data: &[u8]) -> Result<(), String> {
    let failed = |what: &str, e: std::io::Error| format!("cannot {what} {}: {e}", path.display());
    let parent = path.parent().ok_or_else(|| format!("{} has no directory", path.display()))?;
    std::fs::create_dir_all(parent).map_err(|e| failed("create the directory of", e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let part = parent.join(format!(".{name}.part-{}", uuid::Uuid::new_v4().simple()));
    let written = std::fs::File::create(&part)
        .and_then(|mut file| file.write_all(data).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&part, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&part);
        return Err(failed("store", e));
    }
    Ok(())
}
