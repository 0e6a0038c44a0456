//! Where images are stored: one small trait over keyed objects, and the
//! `--backend` value that picks an implementation.
//!
//! Keys are relative paths made by this module's callers only
//! (`chunks/ab/<digest>.zst`, `images/<name>/manifest.json`), never from
//! free text, so no key can leave the backend's root.
//!
//! Objects are whole values in memory: the largest is one compressed chunk
//! (at most the 64 MiB chunk limit plus zstd's few bytes of overhead) or a
//! manifest, and capture and restore stream the disk through them chunk by
//! chunk with a bounded number in flight.

use std::future::Future;

use super::dir::DirBackend;
use super::http::{HttpBackend, HttpOptions};

/// A store of objects by key. Implementations must make [`Backend::put`]
/// atomic: a key is either absent or holds the complete object, because a
/// chunk's key is its digest and a present key is taken as done.
pub trait Backend: Send + Sync {
    /// Stores `data` under `key`, replacing any object there.
    fn put(&self, key: &str, data: Vec<u8>) -> impl Future<Output = Result<(), String>> + Send;
    /// The object under `key`, or `None` when there is none.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, String>> + Send;
    /// Whether `key` holds an object.
    fn exists(&self, key: &str) -> impl Future<Output = Result<bool, String>> + Send;
    /// Removes the object under `key` or, for a key ending in `/`, that
    /// collection and everything in it; nothing there is no error. Only the
    /// controller's sweep of a deleted image calls it.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), String>> + Send;
}

/// The backends `--backend` can name.
pub enum AnyBackend {
    Dir(DirBackend),
    Http(HttpBackend),
}

impl AnyBackend {
    /// `dir:/path` (a directory, e.g. an NFS mount) or an `http://` /
    /// `https://` WebDAV URL, with the CA bundle and basic
    /// auth given in `http`.
    pub fn parse(spec: &str, http: &HttpOptions) -> Result<Self, String> {
        if let Some(path) = spec.strip_prefix("dir:") {
            return DirBackend::new(path).map(AnyBackend::Dir);
        }
        if spec.starts_with("http://") || spec.starts_with("https://") {
            return HttpBackend::new(spec, http).map(AnyBackend::Http);
        }
        Err(format!("--backend {spec} is neither dir:/path nor an http:// or https:// URL"))
    }
}

impl Backend for AnyBackend {
    async fn put(&self, key: &str, data: Vec<u8>) -> Result<(), String> {
        match self {
            AnyBackend::Dir(b) => b.put(key, data).await,
            AnyBackend::Http(b) => b.put(key, data).await,
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        match self {
            AnyBackend::Dir(b) => b.get(key).await,
            AnyBackend::Http(b) => b.get(key).await,
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, String> {
        match self {
            AnyBackend::Dir(b) => b.exists(key).await,
            AnyBackend::Http(b) => b.exists(key).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        match self {
            AnyBackend::Dir(b) => b.delete(key).await,
            AnyBackend::Http(b) => b.delete(key).await,
        }
    }
}
