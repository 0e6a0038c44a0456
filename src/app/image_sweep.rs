//! The image sweep: removes a deleted image's files from its backend.
//!
//! `DELETE /images/{id}` only records `image.cleanup_started`. The leading
//! controller (the projection leader, so one instance sweeps) looks every
//! `--image-sweep-interval-ms` for images in cleanup — also those left by a
//! controller that stopped mid-sweep — and for each:
//! 1. reaches the backend from here: an nfs backend's export mounted at
//!    `<--storage-mount-root>/<backend id>`, an http (WebDAV) backend at its
//!    URL with its unsealed user and password (the agents' own backend code);
//! 2. ends the recorded uploads of capture sessions that are over, then
//!    starts the sweep on the backend's lease ([`crate::domain::storage_lease`]),
//!    refused while a capture there is not over (a capture skips chunks
//!    already present, so it may count on one this sweep would delete);
//! 3. reads the manifests of every other image on the backend (nfs: every
//!    `images/*/manifest.json` there; http, which cannot list: the images the
//!    read model holds on that backend, once it has caught up with the log,
//!    so every image whose capture ended before the sweep started counts),
//!    deletes each chunk of the image no other manifest names, then the
//!    manifest and the image's directory (chunks first: a sweep cut short
//!    finds the manifest again and finishes);
//! 4. records `image.deleted` (its name released) and the sweep's end.
//!
//! A failure at any step is recorded as `image.cleanup_failed {reason}`
//! (once per distinct reason) and the image is tried again after a backoff
//! growing from the interval to [`MAX_BACKOFF`]; it is never dropped.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use uuid::Uuid;

use super::App;
use crate::agent::image::http::HttpOptions;
use crate::agent::image::manifest::ImageManifest;
use crate::agent::image::{AnyBackend, Backend, chunk_key};
use crate::agent::protocol::from_hex;
use crate::commands::images as command;
use crate::commands::storage_backends::credential;
use crate::domain::image::{Image, manifest_path};
use crate::domain::storage_backend::{BackendType, StorageBackend};
use crate::error::ApiError;
use crate::event_store::read::head;
use crate::projections::images as view;

/// The longest wait between two attempts at one image.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Starts the sweep loop; it ends when `app.background` is cancelled (or
/// the app is dropped: the loop holds it weakly).
pub fn spawn(app: &Arc<App>) {
    let interval = Duration::from_millis(app.config.image_sweep_interval_ms);
    let stop = app.background.clone();
    let app = Arc::downgrade(app);
    tokio::spawn(async move {
        let mut waits = Waits::default();
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
            let Some(app) = app.upgrade() else { return };
            if app.progress.leader() {
                sweep_due(&app, &mut waits, interval).await;
            }
        }
    });
}

/// Per image: when it may be tried again, and the backoff that says so.
#[derive(Default)]
struct Waits(HashMap<Uuid, (Instant, Box<dyn Iterator<Item = Duration> + Send>)>);

async fn sweep_due(app: &App, waits: &mut Waits, interval: Duration) {
    let pending = match app.pool.get().await {
        Ok(conn) => view::in_cleanup(&**conn).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let pending = match pending {
        Ok(pending) => pending,
        Err(error) => return tracing::warn!(%error, "cannot list the images in cleanup"),
    };
    let listed: HashSet<Uuid> = pending.iter().map(|(id, _)| *id).collect();
    waits.0.retain(|id, _| listed.contains(id));
    for (image, backend) in pending {
        if waits.0.get(&image).is_some_and(|(at, _)| *at > Instant::now()) {
            continue;
        }
        match sweep(app, image, backend).await {
            Ok(()) => {
                waits.0.remove(&image);
            }
            Err(reason) => {
                tracing::warn!(%image, %backend, %reason, "image cleanup failed; retried later");
                let (at, backoff) = waits.0.entry(image).or_insert_with(|| (Instant::now(), backoff(interval)));
                *at = Instant::now() + backoff.next().unwrap_or(MAX_BACKOFF);
            }
        }
    }
}

fn backoff(interval: Duration) -> Box<dyn Iterator<Item = Duration> + Send> {
    Box::new(
        ExponentialBuilder::default()
            .with_min_delay(interval)
            .with_max_delay(MAX_BACKOFF)
            .with_jitter()
            .without_max_times()
            .build(),
    )
}

/// One attempt at image `id` on `backend`; a failure is recorded on the
/// image before it is returned.
async fn sweep(app: &App, id: Uuid, backend: Uuid) -> Result<(), String> {
    let cx = app.commands();
    let (image, _) = cx.executor.load::<Image>(id).await.map_err(|e| e.to_string())?;
    let Some(details) = image.details.filter(|_| image.cleanup.is_some() && !image.deleted) else {
        return Ok(());
    };
    let attempt = async {
        let store = reach(app, backend).await?;
        command::end_finished_uploads(&cx, backend).await.map_err(|e| e.to_string())?;
        command::start_sweep(&cx, id, backend).await.map_err(|e| match e {
            ApiError::Conflict(reason) => reason,
            other => other.to_string(),
        })?;
        let others = other_manifests(app, &store, backend, &details.name).await?;
        let leading = || app.progress.leader();
        let removed = remove_files(&store.backend, &details.name, &others, leading).await?;
        tracing::info!(image = %id, name = details.name, chunks_removed = removed, "image files removed");
        command::finish_sweep(&cx, id, backend).await.map_err(|e| e.to_string())
    };
    let Err(reason) = attempt.await else { return Ok(()) };
    // A controller that lost the lead records nothing: the new leader may
    // already be sweeping this image under the same lease entry.
    if !app.progress.leader() {
        return Err(reason);
    }
    if let Err(error) = command::sweep_failed(&cx, id, backend, &reason).await {
        tracing::warn!(image = %id, %error, "cannot record the image cleanup's failure");
    }
    Err(reason)
}

/// A backend as this controller reaches it.
struct Store {
    backend: AnyBackend,
    /// nfs: where the export is mounted (its images can be listed).
    mount: Option<PathBuf>,
}

/// Backend `backend` from here: an nfs backend's export mounted at
/// `<storage mount root>/<id>`, an http one at its URL with its credentials.
async fn reach(app: &App, backend: Uuid) -> Result<Store, String> {
    let cx = app.commands();
    let (state, _) = cx.executor.load::<StorageBackend>(backend).await.map_err(|e| e.to_string())?;
    let details = state.details.ok_or_else(|| format!("storage backend {backend} was deleted"))?;
    let name = &details.name;
    let field = |key: &str| details.config.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    match details.backend_type {
        BackendType::Nfs => {
            let root = app.config.storage_mount_root.as_ref().ok_or_else(|| {
                format!("no controller-side mount of nfs backend '{name}': --storage-mount-root is not set")
            })?;
            let path = root.join(backend.to_string());
            if !path.is_dir() {
                return Err(format!(
                    "no controller-side mount of nfs backend '{name}': {} is not a directory (mount its export there)",
                    path.display()
                ));
            }
            let store = AnyBackend::parse(&format!("dir:{}", path.display()), &HttpOptions::default())?;
            Ok(Store { backend: store, mount: Some(path) })
        }
        BackendType::Http => {
            let url = field("url").ok_or_else(|| format!("http backend '{name}' has no url"))?;
            let conn = app.pool.get().await.map_err(|e| e.to_string())?;
            let password = credential(&cx, &**conn, backend, "password").await.map_err(|e| e.to_string())?;
            let options = HttpOptions { ca_file: None, basic_auth: field("username").zip(password) };
            Ok(Store { backend: AnyBackend::parse(&url, &options)?, mount: None })
        }
        other => {
            let kind = crate::projections::fold::sessions::text(&other);
            Err(format!("the controller cannot remove files from {kind} backend '{name}'"))
        }
    }
}

/// The manifest keys of the images on `backend` other than `name`.
async fn other_manifests(app: &App, store: &Store, backend: Uuid, name: &str) -> Result<Vec<String>, String> {
    if let Some(mount) = &store.mount {
        let images = mount.join("images");
        let entries = match std::fs::read_dir(&images) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("cannot list {}: {e}", images.display())),
        };
        let mut keys = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", images.display()))?;
            let other = entry.file_name().to_string_lossy().into_owned();
            if other != name {
                keys.push(manifest_path(&other));
            }
        }
        return Ok(keys);
    }
    // The read model, once it holds every event committed before now (the
    // sweep's start among them): a capture's image is recorded in the same
    // append as its session's end, which the sweep waited for.
    let conn = app.pool.get().await.map_err(|e| e.to_string())?;
    let committed = head(&**conn).await.map_err(|e| e.to_string())?;
    drop(conn);
    if !app.progress.wait_for(committed, app.read_your_writes_timeout).await {
        return Err("the read model has not caught up with the log; the images on the backend are unknown".into());
    }
    let conn = app.pool.get().await.map_err(|e| e.to_string())?;
    let others = view::on_backend(&**conn, backend).await.map_err(|e| e.to_string())?;
    Ok(others.iter().filter(|other| *other != name).map(|other| manifest_path(other)).collect())
}

/// Removes image `name`'s files from `store`: each of its chunks that no
/// manifest of `others` names, then its manifest and collection. Returns the
/// chunks removed. Another manifest that cannot be read stops the sweep
/// (its chunks would be unknown), and so does `leading` turning false before
/// a deletion (another controller took the lead and sweeps from then on).
async fn remove_files(
    store: &AnyBackend,
    name: &str,
    others: &[String],
    leading: impl Fn() -> bool,
) -> Result<usize, String> {
    let manifest = manifest_path(name);
    let collection = format!("images/{name}/");
    let Some(ours) = read_manifest(store, &manifest).await? else {
        // Already removed by an earlier sweep that was cut short.
        return store.delete(&collection).await.map(|()| 0);
    };
    let mut shared = HashSet::new();
    for other in others {
        if let Some(other) = read_manifest(store, other).await? {
            shared.extend(chunk_keys(&other)?);
        }
    }
    let mut removed = 0;
    for key in chunk_keys(&ours)?.difference(&shared) {
        if !leading() {
            return Err("this controller is no longer the leader; the new one sweeps".into());
        }
        store.delete(key).await?;
        removed += 1;
    }
    store.delete(&manifest).await?;
    store.delete(&collection).await?;
    Ok(removed)
}

/// The manifest under `key`, `None` when there is none.
async fn read_manifest(store: &AnyBackend, key: &str) -> Result<Option<ImageManifest>, String> {
    let Some(bytes) = store.get(key).await? else { return Ok(None) };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| format!("{key} is not an image manifest: {e}"))
}

/// The keys of `manifest`'s stored chunks; a digest that is not 64 hex
/// digits is refused, so no key leaves the chunk directories.
fn chunk_keys(manifest: &ImageManifest) -> Result<HashSet<String>, String> {
    manifest
        .chunks
        .iter()
        .filter(|c| !c.zero)
        .filter_map(|c| c.digest.as_deref())
        .map(|hex| {
            from_hex(hex)
                .map(|d| chunk_key(&d))
                .ok_or_else(|| format!("image {}: chunk digest {hex:?} is not 64 hex digits", manifest.image))
        })
        .collect()
}
