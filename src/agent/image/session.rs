//! The image engine in a staged clone session: `clone-source` captures the
//! disk as the session's image, `clone-target` restores it, both with the
//! session's node token and the same callbacks, progress and exit codes as a
//! direct clone.
//!
//! - **Source (capture):** `GET staging-info` (the backend and the image's
//!   name) → `staging-status` `provisioned` → `uploading` (with the disk's
//!   size) → [`capture`] with progress → `source-complete` (size, chunk
//!   count, content digest, the manifest file's BLAKE3, bytes uploaded). A
//!   manifest already stored under the image's name (the name is this
//!   session's alone) means an earlier run finished: it is reported again
//!   instead of captured again; an unfinished one resumes chunk by chunk.
//! - **Target (restore):** waits until the image is `ready`, `GET
//!   staging-info` (with the digests recorded at capture), checks the
//!   manifest file against its recorded BLAKE3, `staging-status`
//!   `downloading`, [`restore`] (transfer, then the `verifying` phase), grows
//!   the last partition with `resize_mode = grow_target`, then `complete`
//!   with the digest read back. A missing or corrupt chunk fails the target
//!   with the chunk named.
//!
//! Backends: `nfs` is a directory where the deploy environment mounted the
//! export (`--backend-mount`); `http` is the WebDAV URL with the backend's
//! basic-auth credentials from `staging-info`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::backend::{AnyBackend, Backend};
use super::http::HttpOptions;
use super::restore::Phase;
use super::{CaptureOptions, capture, restore};
use crate::agent::config::{AgentConfig, Role};
use crate::agent::controller::{Controller, error_text};
use crate::agent::disk::Disk;
use crate::agent::outbox::Outbox;
use crate::agent::progress::Reporter;
use crate::agent::watch::Watch;
use crate::agent::{AgentError, finish, prepare};
use crate::api::clone_sessions::schemas::CloneCompletion;
use crate::api::clone_sessions::staging_schemas::{SourceComplete, StagingInfo, StagingState, StagingUpdate};
use crate::domain::clone_session::StagingStatus;
use crate::domain::storage_backend::BackendType;

/// Whether the session is staged (asked before a role starts; retried for
/// 30 s, as the controller may be starting too).
pub async fn is_staged(controller: &Controller) -> Result<bool, AgentError> {
    let mut last_error = String::new();
    for _ in 0..30 {
        match controller.session_state().await {
            Ok(Some(state)) => return Ok(state.clone_mode.as_deref() == Some("staged")),
            Ok(None) => return Err(AgentError::Ended("the session was deleted".into())),
            Err(error) => last_error = error,
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(AgentError::Failed(format!("cannot read the session: {last_error}")))
}

/// Runs `config.role`'s side of a staged session until it is done or the
/// session ends elsewhere.
pub async fn run(config: AgentConfig) -> Result<(), AgentError> {
    let (controller, outbox) = prepare(&config)?;
    let watch = Watch::spawn(controller.clone());
    let work = async {
        match config.role {
            Role::Source => upload(&config, &controller, &outbox).await,
            Role::Target => download(&config, &controller, &outbox, &watch).await,
        }
    };
    let result = tokio::select! {
        result = work => result,
        () = watch.ended.cancelled() => Err(watch.ended_error()),
    };
    finish(result, &outbox, config.callback_deadline).await
}

async fn upload(config: &AgentConfig, controller: &Controller, outbox: &Outbox) -> Result<(), AgentError> {
    let info: StagingInfo = get(controller, "/staging-info").await?;
    let backend = open_backend(config, &info)?;
    let name = info.image_name.as_str();
    staging(outbox, Role::Source, StagingStatus::Provisioned, None)?;
    let size = Disk::open_source(&config.device).map_err(AgentError::Failed)?.size;
    staging(outbox, Role::Source, StagingStatus::Uploading, Some(size))?;
    let reporter = Reporter::new(outbox.clone(), Role::Source, size);
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    reporter.spawn(config.progress_interval, stop.clone());
    let options = CaptureOptions { chunk_size: config.chunk_size, streams: config.streams };
    let (manifest, figures) = if backend.exists(&info.path).await.map_err(AgentError::Failed)? {
        tracing::info!(image = name, "the image is already stored (an earlier run finished); reporting it");
        (read_manifest(&backend, &info.path).await?.1, None)
    } else {
        let counters = reporter.counters.clone();
        let done = capture(&backend, name, &config.device, options, |f| {
            counters.logical.store(f.bytes_read, Ordering::Relaxed);
            counters.wire.store(f.bytes_uploaded, Ordering::Relaxed);
        })
        .await
        .map_err(AgentError::Failed)?;
        (done.manifest, Some(done.figures))
    };
    // The digest of the manifest as stored, read back: what restores check.
    let (manifest_digest, _) = read_manifest(&backend, &info.path).await?;
    stop.cancel();
    reporter.report(None);
    let whole = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let report = SourceComplete {
        size_bytes: whole(manifest.size_bytes),
        chunk_size_bytes: whole(manifest.chunk_size_bytes),
        chunks: whole(manifest.chunks.len() as u64),
        digest: manifest.digest.clone(),
        manifest_digest,
        bytes_uploaded: Some(whole(figures.map_or(0, |f| f.bytes_uploaded))),
    };
    outbox.push("/source-complete", to_json(&report)?);
    println!(
        "{}",
        serde_json::json!({ "event": "done", "role": "source", "mode": "capture", "image": name,
                             "digest": manifest.digest, "figures": figures })
    );
    Ok(())
}

async fn download(
    config: &AgentConfig,
    controller: &Controller,
    outbox: &Outbox,
    watch: &Watch,
) -> Result<(), AgentError> {
    until_ready(controller, watch).await?;
    let info: StagingInfo = get(controller, "/staging-info").await?;
    let backend = open_backend(config, &info)?;
    let name = info.image_name.as_str();
    let (found, _) = read_manifest(&backend, &info.path).await?;
    if info.manifest_digest.as_deref() != Some(found.as_str()) {
        return Err(AgentError::Failed(format!(
            "the manifest of image {name} on the backend hashes to {found}, but the controller recorded {}",
            info.manifest_digest.as_deref().unwrap_or("none")
        )));
    }
    let size = info.size_bytes.and_then(|s| u64::try_from(s).ok()).unwrap_or_default();
    staging(outbox, Role::Target, StagingStatus::Downloading, Some(size))?;
    let reporter = Reporter::new(outbox.clone(), Role::Target, size);
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    reporter.spawn(config.progress_interval, stop.clone());
    let verifying = Arc::new(AtomicBool::new(false));
    let done = restore(&backend, name, &config.device, config.streams, |f| {
        if f.phase == Phase::Verifying && !verifying.swap(true, Ordering::Relaxed) {
            reporter.verifying();
        }
        let settled = if f.phase == Phase::Verifying { f.bytes_verified } else { f.bytes_written };
        reporter.counters.logical.store(settled, Ordering::Relaxed);
        reporter.counters.wire.store(f.bytes_downloaded, Ordering::Relaxed);
    })
    .await
    .map_err(AgentError::Failed)?;
    if info.digest.as_deref() != Some(done.digest.as_str()) {
        return Err(AgentError::Failed(format!(
            "the disk reads back as {}, but image {name} was recorded with digest {}",
            done.digest,
            info.digest.as_deref().unwrap_or("none")
        )));
    }
    if crate::agent::target::resize_mode(controller).await? == "grow_target" {
        reporter.resizing();
        let disk = config.device.to_str().unwrap_or_default();
        crate::agent::apply::grow::fill_disk(disk).await.map_err(|e| {
            AgentError::Failed(format!("the restore is verified, but growing its last partition failed: {e}"))
        })?;
    }
    stop.cancel();
    reporter.report(None);
    outbox.push("/complete", to_json(&CloneCompletion { digest: Some(done.digest.clone()) })?);
    println!(
        "{}",
        serde_json::json!({ "event": "done", "role": "target", "mode": "restore", "image": name,
                             "digest": done.digest, "figures": done.figures })
    );
    Ok(())
}

/// Waits until the session's image is stored (a capture's target waits for
/// the upload; a restore's image is ready from the start).
async fn until_ready(controller: &Controller, watch: &Watch) -> Result<(), AgentError> {
    let mut said = false;
    loop {
        match get::<StagingState>(controller, "/staging-status").await {
            Ok(state) if matches!(state.staging_status, StagingStatus::Ready | StagingStatus::Downloading) => {
                return Ok(());
            }
            Ok(_) if !said => {
                tracing::info!("waiting for the image to be stored");
                said = true;
            }
            Ok(_) => {}
            Err(AgentError::Failed(error)) => tracing::debug!(%error, "cannot read the staging status now"),
            Err(other) => return Err(other),
        }
        tokio::select! {
            () = watch.ended.cancelled() => return Err(watch.ended_error()),
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// The backend `info` names: an `nfs` export as the directory it is mounted
/// on here, an `http` WebDAV URL with the backend's credentials.
fn open_backend(config: &AgentConfig, info: &StagingInfo) -> Result<AnyBackend, AgentError> {
    let field = |name: &str| info.backend.config.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let spec = match info.backend.backend_type {
        BackendType::Nfs => {
            let mount = config.backend_mount.as_ref().ok_or_else(|| {
                AgentError::Config(format!(
                    "the image goes to the nfs export {}:{}: mount it and give its directory with --backend-mount \
                     (or pureboot.backend_mount=)",
                    field("server").unwrap_or_default(),
                    field("export").unwrap_or_default()
                ))
            })?;
            format!("dir:{}", mount.display())
        }
        BackendType::Http => field("url").ok_or_else(|| AgentError::Failed("the http backend has no url".into()))?,
        other => return Err(AgentError::Failed(format!("this agent cannot use {other:?} backends"))),
    };
    let basic_auth = field("username").zip(info.backend.password.clone());
    AnyBackend::parse(&spec, &HttpOptions { ca_file: None, basic_auth }).map_err(AgentError::Failed)
}

/// The manifest stored at `path`: the BLAKE3 of its bytes (hex) and its content.
async fn read_manifest(
    backend: &AnyBackend,
    path: &str,
) -> Result<(String, super::manifest::ImageManifest), AgentError> {
    let bytes = backend
        .get(path)
        .await
        .map_err(AgentError::Failed)?
        .ok_or_else(|| AgentError::Failed(format!("no manifest at {path} on the backend")))?;
    let manifest =
        serde_json::from_slice(&bytes).map_err(|e| AgentError::Failed(format!("{path} is not a manifest: {e}")))?;
    Ok((blake3::hash(&bytes).to_hex().to_string(), manifest))
}

fn staging(outbox: &Outbox, role: Role, status: StagingStatus, size: Option<u64>) -> Result<(), AgentError> {
    let size_bytes = size.map(|s| i64::try_from(s).unwrap_or(i64::MAX));
    outbox.push("/staging-status", to_json(&StagingUpdate { role, status, size_bytes })?);
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, AgentError> {
    serde_json::to_value(value).map_err(|e| AgentError::Failed(e.to_string()))
}

/// `GET` below the session, its `data`; retried for 30 s while the
/// controller is unreachable or answers 5xx.
async fn get<T: DeserializeOwned>(controller: &Controller, path: &str) -> Result<T, AgentError> {
    let mut last = String::new();
    for _ in 0..30 {
        match controller.session_call(Method::GET, path, None).await {
            Ok((StatusCode::OK, body)) => {
                return serde_json::from_value(body["data"].clone())
                    .map_err(|e| AgentError::Failed(format!("unexpected answer to GET {path}: {e}")));
            }
            Ok((status, body)) if status.is_client_error() => {
                return Err(AgentError::Failed(format!("GET {path} answered {status}: {}", error_text(&body))));
            }
            Ok((status, body)) => last = format!("{status}: {}", error_text(&body)),
            Err(e) => last = format!("controller unreachable: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(AgentError::Failed(format!("GET {path} failed: {last}")))
}
