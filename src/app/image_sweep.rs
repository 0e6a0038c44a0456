//! The image sweep: removes a deleted image's files from its backend.
//!
//! `DELETE /images/{id}` only records `image.cleanup_started`. The leading
//! controller (the projection leader, so one instance sweeps) looks every
//! `--image-sweep-interval-ms` for images in cleanup — also those left by a
//! controller that stopped mid-sweep — and for each:
//! 1. finds the backend from here: an nfs backend's export mounted at
//!    `<--storage-mount-root>/<backend id>` (http backends are not swept
//!    from the controller yet: their images stay in cleanup with that reason);
//! 2. ends the recorded uploads of capture sessions that are over, then
//!    starts the sweep on the backend's lease ([`crate::domain::storage_lease`]),
//!    refused while a capture there is not over (a capture skips chunks
//!    already present, so it may count on one this sweep would delete);
//! 3. reads the manifests of every other image on the backend (the files,
//!    not the read model, so an image just recorded counts), deletes each
//!    chunk of the image no other manifest names, then the manifest and the
//!    image's directory (chunks first: a sweep cut short finds the manifest
//!    again and finishes);
//! 4. records `image.deleted` (its name released) and the sweep's end.
//!
//! A failure at any step is recorded as `image.cleanup_failed {reason}`
//! (once per distinct reason) and the image is tried again after a backoff
//! growing from the interval to [`MAX_BACKOFF`]; it is never dropped.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use uuid::Uuid;

use super::App;
use crate::agent::image::chunk_key;
use crate::agent::image::manifest::ImageManifest;
use crate::agent::protocol::from_hex;
use crate::commands::images as command;
use crate::domain::image::{Image, manifest_path};
use crate::domain::storage_backend::{BackendType, StorageBackend};
use crate::error::ApiError;
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
        let root = mounted(app, backend).await?;
        command::end_finished_uploads(&cx, backend).await.map_err(|e| e.to_string())?;
        command::start_sweep(&cx, id, backend).await.map_err(|e| match e {
            ApiError::Conflict(reason) => reason,
            other => other.to_string(),
        })?;
        let name = details.name.clone();
        let removed = tokio::task::spawn_blocking(move || remove_files(&root, &name))
            .await
            .map_err(|e| format!("the sweep task failed: {e}"))??;
        tracing::info!(image = %id, name = details.name, chunks_removed = removed, "image files removed");
        command::finish_sweep(&cx, id, backend).await.map_err(|e| e.to_string())
    };
    let Err(reason) = attempt.await else { return Ok(()) };
    if let Err(error) = command::sweep_failed(&cx, id, backend, &reason).await {
        tracing::warn!(image = %id, %error, "cannot record the image cleanup's failure");
    }
    Err(reason)
}

/// Backend `backend`'s files as this controller reaches them: an nfs
/// backend's export mounted at `<storage mount root>/<id>`.
async fn mounted(app: &App, backend: Uuid) -> Result<PathBuf, String> {
    let (state, _) = app.commands().executor.load::<StorageBackend>(backend).await.map_err(|e| e.to_string())?;
    let details = state.details.ok_or_else(|| format!("storage backend {backend} was deleted"))?;
    let name = &details.name;
    if details.backend_type != BackendType::Nfs {
        let kind = crate::projections::fold::sessions::text(&details.backend_type);
        return Err(format!(
            "the controller cannot remove files from {kind} backend '{name}' yet (only nfs, through a mount)"
        ));
    }
    let root =
        app.config.storage_mount_root.as_ref().ok_or_else(|| {
            format!("no controller-side mount of nfs backend '{name}': --storage-mount-root is not set")
        })?;
    let path = root.join(backend.to_string());
    if !path.is_dir() {
        return Err(format!(
            "no controller-side mount of nfs backend '{name}': {} is not a directory (mount its export there)",
            path.display()
        ));
    }
    Ok(path)
}

/// Removes image `name`'s files under `root`: each of its chunks that no
/// other image's manifest names, then its manifest and directory. Returns
/// the chunks removed. Another manifest that cannot be read stops the sweep
/// (its chunks would be unknown).
fn remove_files(root: &Path, name: &str) -> Result<usize, String> {
    let manifest = root.join(manifest_path(name));
    let Some(ours) = read_manifest(&manifest)? else {
        // Already removed by an earlier sweep that was cut short.
        return remove_dir(&root.join("images").join(name)).map(|()| 0);
    };
    let mut shared = HashSet::new();
    let images = root.join("images");
    let entries = std::fs::read_dir(&images).map_err(|e| format!("cannot list {}: {e}", images.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", images.display()))?;
        if entry.file_name() == name {
            continue;
        }
        if let Some(other) = read_manifest(&entry.path().join("manifest.json"))? {
            shared.extend(chunk_keys(&other)?);
        }
    }
    let mut removed = 0;
    for key in chunk_keys(&ours)?.difference(&shared) {
        let path = root.join(key);
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", path.display())),
        }
    }
    std::fs::remove_file(&manifest).map_err(|e| format!("cannot remove {}: {e}", manifest.display()))?;
    remove_dir(&images.join(name))?;
    Ok(removed)
}

/// The manifest at `path`, `None` when there is none.
fn read_manifest(path: &Path) -> Result<Option<ImageManifest>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| format!("{} is not an image manifest: {e}", path.display()))
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

/// Removes the image's directory and what is left in it (the `.part` files
/// of a manifest upload cut short); absent is fine.
fn remove_dir(dir: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!("cannot remove {}: {e}", dir.display())),
        _ => Ok(()),
    }
}
