//! `clone-target`: pulls the source's disk onto this node's disk.
//!
//! 1. **Transfer.** Every chunk is settled by one request over one of
//!    `--streams` TLS connections: the target first digests what its disk
//!    already holds there (a hole costs nothing) and sends that digest as
//!    `If-None-Match`, so a restarted target (after a crash or a reboot,
//!    with no state kept) fetches only what is missing or wrong. A body is
//!    checked against the source's digest on arrival before it is written
//!    with a positioned write; zero chunks become holes (image files) or zeros.
//! 2. **Verifying.** Everything is flushed and dropped from the page cache,
//!    then read back from the disk and compared with the source's digests;
//!    mismatched chunks are fetched again (at most three rounds).
//! 3. **Resizing** (only with `resize_mode = grow_target`): the last
//!    partition and its filesystem grow to fill a larger disk
//!    ([`fill_disk`](super::apply::grow::fill_disk)). With `shrink_source`
//!    the GPT backup the source served behind its last partition moves to
//!    this disk's end ([`fix_backup`](super::shrink::fix_backup)).
//! 4. **Complete** with the content digest (BLAKE3 over the chunk digests).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use futures::{StreamExt, TryStreamExt};
use reqwest::StatusCode;
use reqwest::header::IF_NONE_MATCH;
use tokio_util::sync::CancellationToken;

use super::AgentError;
use super::config::{AgentConfig, Role};
use super::controller::Controller;
use super::disk::Disk;
use super::enrol::enrol;
use super::outbox::Outbox;
use super::progress::Reporter;
use super::protocol::{DIGEST_HEADER, Digest, Manifest, content_digest, from_hex, to_hex};
use super::tls::{client_config, peer_name};
use super::watch::{Watch, source_address};
use super::{finish, prepare};
use crate::api::clone_sessions::schemas::CloneCompletion;

/// Verify-and-repair rounds before the disk is declared unable to keep data.
const VERIFY_ROUNDS: usize = 3;

pub async fn run(config: AgentConfig) -> Result<(), AgentError> {
    if super::image::session::is_staged(&super::controller::Controller::new(&config)?).await? {
        return super::image::session::run(config).await;
    }
    let (controller, outbox) = prepare(&config)?;
    let watch = Watch::spawn(controller.clone());
    let result = tokio::select! {
        result = clone(&config, &controller, &outbox, &watch) => result,
        () = watch.ended.cancelled() => Err(watch.ended_error()),
    };
    finish(result, &outbox, config.callback_deadline).await
}

/// The session's resize mode (none, shrink_source, grow_target), read when
/// the copy is verified (an operator may change it until the start).
/// Retried for 30 s: skipping a requested resize for want of an answer
/// would leave the disk half done.
pub(crate) async fn resize_mode(controller: &Controller) -> Result<String, AgentError> {
    let mut last_error = String::new();
    for _ in 0..30 {
        match controller.session_state().await {
            Ok(Some(state)) => return Ok(state.resize_mode.unwrap_or_default()),
            Ok(None) => return Err(AgentError::Ended("the session was deleted".into())),
            Err(error) => last_error = error,
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(AgentError::Failed(format!("cannot read the session's resize mode: {last_error}")))
}

/// Fetches chunks from the source and writes them.
struct Fetcher {
    http: reqwest::Client,
    base: String,
    disk: Arc<Disk>,
    manifest: Manifest,
    reporter: Reporter,
    limit: Option<RateLimit>,
}

/// Why a chunk request did not settle the chunk.
enum Miss {
    /// Worth another try (connection lost, source restarting, damaged body).
    Retry(String),
    /// No point retrying (certificate refused, protocol violation).
    Fatal(String),
}

async fn clone(
    config: &AgentConfig,
    controller: &Controller,
    outbox: &Outbox,
    watch: &Watch,
) -> Result<(), AgentError> {
    let identity = enrol(controller, Role::Target, &config.ca_sha256).await?;
    let (ip, port) = source_address(controller, watch).await?;
    let ip: IpAddr = ip.parse().map_err(|_| AgentError::Failed(format!("the source announced a bad IP: {ip}")))?;
    let crl = controller.crl().await.ok();
    let name = peer_name(config.session, "source");
    let tls = client_config(&identity, crl.as_deref()).map_err(AgentError::Failed)?;
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .resolve(&name, SocketAddr::new(ip, port))
        .http1_only()
        .pool_max_idle_per_host(config.streams)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| AgentError::Failed(format!("cannot build the TLS client: {e}")))?;
    let base = format!("https://{name}:{port}");
    let manifest = fetch_manifest(&http, &base, ip, port).await?;
    if manifest.session != config.session {
        return Err(AgentError::Failed(format!("the source at {ip}:{port} serves session {}", manifest.session)));
    }
    let disk = Arc::new(Disk::open_target(&config.device, manifest.size).map_err(AgentError::Failed)?);
    let reporter = Reporter::new(outbox.clone(), Role::Target, manifest.size);
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    reporter.spawn(config.progress_interval, stop.clone());
    let limit = config.max_rate.map(|rate| RateLimit { start: Instant::now(), rate });
    let fetcher = Arc::new(Fetcher { http, base, disk, manifest, reporter, limit });
    tracing::info!(size = fetcher.manifest.size, chunks = fetcher.manifest.chunks(), %ip, port, "cloning");

    let all: Vec<u64> = (0..fetcher.manifest.chunks()).collect();
    let mut expected = vec![[0u8; 32]; all.len()];
    for (index, digest) in fetcher.settle_all(&all, true, config.streams).await? {
        expected[index as usize] = digest;
    }
    flush(&fetcher.disk).await?;
    if config.hold_before_verify {
        hold(&config.state_dir).await;
    }

    fetcher.reporter.verifying();
    let mut suspects = all;
    let mut repaired = Vec::new();
    for round in 1..=VERIFY_ROUNDS + 1 {
        let bad = fetcher.verify(&suspects, &expected, config.streams).await?;
        if bad.is_empty() {
            break;
        }
        if round > VERIFY_ROUNDS {
            return Err(AgentError::Failed(format!(
                "chunks {bad:?} of {} still differ from the source after {VERIFY_ROUNDS} repairs: \
                    the disk does not keep what is written",
                fetcher.disk.path.display()
            )));
        }
        tracing::warn!(chunks = ?bad, "verification found chunks that differ from the source; fetching them again");
        for (index, digest) in fetcher.settle_all(&bad, false, config.streams).await? {
            expected[index as usize] = digest;
        }
        flush(&fetcher.disk).await?;
        repaired.extend(bad.iter().copied());
        suspects = bad;
    }

    let digest = content_digest(&expected);
    let disk = config.device.to_str().unwrap_or_default();
    match resize_mode(controller).await?.as_str() {
        "grow_target" => {
            fetcher.reporter.resizing();
            super::apply::grow::fill_disk(disk).await.map_err(|e| {
                AgentError::Failed(format!("the clone is verified, but growing its last partition failed: {e}"))
            })?;
        }
        // The source served its table's end: the GPT backup moves to this disk's end.
        "shrink_source" => super::shrink::fix_backup(disk).await.map_err(|e| {
            AgentError::Failed(format!(
                "the clone is verified, but moving the GPT backup to the disk's end failed: {e}"
            ))
        })?,
        _ => {}
    }
    stop.cancel();
    fetcher.reporter.report(None);
    let completion = CloneCompletion { digest: Some(digest.clone()) };
    outbox.push("/complete", serde_json::to_value(&completion).map_err(|e| AgentError::Failed(e.to_string()))?);
    let wire = fetcher.reporter.counters.wire();
    tracing::info!(%digest, bytes_on_wire = wire, repaired = ?repaired, "the clone is complete and verified");
    println!(
        "{}",
        serde_json::json!({ "event": "done", "role": "target", "digest": digest, "bytes_on_wire": wire,
                             "chunks": expected.len(), "repaired": repaired })
    );
    Ok(())
}

async fn fetch_manifest(http: &reqwest::Client, base: &str, ip: IpAddr, port: u16) -> Result<Manifest, AgentError> {
    let attempt = || async {
        let response = http.get(format!("{base}/manifest")).send().await.map_err(|e| classify(&e, ip, port))?;
        if !response.status().is_success() {
            return Err(Miss::Retry(format!("the source answered {} to /manifest", response.status())));
        }
        response.json::<Manifest>().await.map_err(|e| Miss::Retry(format!("unreadable manifest: {e}")))
    };
    attempt.retry(retry_policy()).when(|miss| matches!(miss, Miss::Retry(_))).await.map_err(Miss::into_error)
}

impl Fetcher {
    /// Settles `indices`, `streams` at a time; the source's digest of each.
    async fn settle_all(
        self: &Arc<Self>,
        indices: &[u64],
        compare: bool,
        streams: usize,
    ) -> Result<Vec<(u64, Digest)>, AgentError> {
        futures::stream::iter(indices.iter().copied())
            .map(|index| {
                let fetcher = self.clone();
                async move { fetcher.settle(index, compare).await.map(|digest| (index, digest)) }
            })
            .buffer_unordered(streams)
            .try_collect()
            .await
    }

    /// Makes chunk `index` on the disk equal the source's; returns its digest.
    /// With `compare`, what the disk holds is offered first (`If-None-Match`).
    async fn settle(&self, index: u64, compare: bool) -> Result<Digest, AgentError> {
        let (offset, len) = self.manifest.span(index);
        let local = if compare { self.read_local(offset, len).await.ok() } else { None };
        let attempt = || async {
            let mut request = self.http.get(format!("{}/chunks/{index}", self.base));
            if let Some((digest, _)) = local {
                request = request.header(IF_NONE_MATCH, format!("\"{}\"", to_hex(&digest)));
            }
            let response = request.send().await.map_err(|e| classify(&e, IpAddr::from([0, 0, 0, 0]), 0))?;
            let status = response.status();
            let digest = response
                .headers()
                .get(DIGEST_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(from_hex)
                .ok_or_else(|| Miss::Retry(format!("chunk {index}: answer {status} without a digest")));
            match status {
                StatusCode::NOT_MODIFIED => {
                    self.reporter.counters.add(len, 0);
                    Ok(digest?)
                }
                StatusCode::NO_CONTENT => {
                    if !local.is_some_and(|(_, zero)| zero) {
                        self.blocking_disk(move |disk| disk.clear_chunk(offset, len)).await?;
                    }
                    self.reporter.counters.add(len, 0);
                    Ok(digest?)
                }
                StatusCode::OK => {
                    let digest = digest?;
                    let body = response.bytes().await.map_err(|e| Miss::Retry(format!("chunk {index}: {e}")))?;
                    self.reporter.counters.add(0, body.len() as u64);
                    self.throttle().await;
                    if body.len() as u64 != len || *blake3::hash(&body).as_bytes() != digest {
                        return Err(Miss::Retry(format!("chunk {index} arrived damaged (digest mismatch)")));
                    }
                    self.blocking_disk(move |disk| disk.write_chunk(offset, &body)).await?;
                    self.reporter.counters.add(len, 0);
                    Ok(digest)
                }
                StatusCode::INTERNAL_SERVER_ERROR => {
                    let reason = response.text().await.unwrap_or_default();
                    Err(Miss::Retry(format!("the source cannot read chunk {index}: {reason}")))
                }
                other => Err(Miss::Fatal(format!("the source answered {other} for chunk {index}"))),
            }
        };
        attempt
            .retry(retry_policy())
            .when(|miss| matches!(miss, Miss::Retry(_)))
            .notify(|miss, after| {
                let (Miss::Retry(reason) | Miss::Fatal(reason)) = miss;
                tracing::warn!(%reason, ?after, "retrying");
            })
            .await
            .map_err(Miss::into_error)
    }

    /// The digest of what the disk holds at a chunk, and whether it is all zeros.
    async fn read_local(&self, offset: u64, len: u64) -> Result<(Digest, bool), String> {
        let disk = self.disk.clone();
        match tokio::task::spawn_blocking(move || disk.read_chunk(offset, len)).await {
            Ok(Ok(chunk)) => Ok((chunk.digest, chunk.zero)),
            Ok(Err(error)) => Err(error),
            Err(error) => Err(error.to_string()),
        }
    }

    async fn blocking_disk(&self, work: impl FnOnce(&Disk) -> Result<(), String> + Send + 'static) -> Result<(), Miss> {
        let disk = self.disk.clone();
        match tokio::task::spawn_blocking(move || work(&disk)).await {
            Ok(result) => result.map_err(Miss::Fatal),
            Err(error) => Err(Miss::Fatal(error.to_string())),
        }
    }

    /// Reads `indices` back from the disk; those whose digest differs from `expected`.
    async fn verify(
        self: &Arc<Self>,
        indices: &[u64],
        expected: &[Digest],
        streams: usize,
    ) -> Result<Vec<u64>, AgentError> {
        let checked: Vec<(u64, bool)> = futures::stream::iter(indices.iter().copied())
            .map(|index| {
                let fetcher = self.clone();
                let want = expected[index as usize];
                async move {
                    let (offset, len) = fetcher.manifest.span(index);
                    let found = fetcher.read_local(offset, len).await.map_err(AgentError::Failed)?;
                    fetcher.reporter.counters.add(len, 0);
                    Ok::<_, AgentError>((index, found.0 == want))
                }
            })
            .buffer_unordered(streams)
            .try_collect()
            .await?;
        let mut bad: Vec<u64> = checked.into_iter().filter(|(_, ok)| !ok).map(|(index, _)| index).collect();
        bad.sort_unstable();
        Ok(bad)
    }

    async fn throttle(&self) {
        if let Some(limit) = &self.limit {
            let due = limit.start + Duration::from_secs_f64(self.reporter.counters.wire() as f64 / limit.rate);
            tokio::time::sleep_until(due.into()).await;
        }
    }
}

/// At most `rate` bytes per second on average since `start`.
struct RateLimit {
    start: Instant,
    rate: f64,
}

impl Miss {
    fn into_error(self) -> AgentError {
        match self {
            Miss::Retry(reason) | Miss::Fatal(reason) => AgentError::Failed(reason),
        }
    }
}

/// Tries for about five minutes (0.2 s doubling to 3 s between tries), long
/// enough for a source node to restart its agent.
fn retry_policy() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(3))
        .with_max_times(100)
}

/// A refused certificate is final (retrying cannot change it); anything
/// else on the way to the source may be a restart in progress.
fn classify(error: &reqwest::Error, ip: IpAddr, port: u16) -> Miss {
    let detail = format!("{error:?}");
    let at = if port == 0 { String::new() } else { format!(" at {ip}:{port}") };
    if detail.contains("InvalidCertificate")
        || detail.contains("AlertReceived")
        || detail.contains("NoCertificatesPresented")
    {
        Miss::Fatal(format!(
            "certificate refused{at}: the server is not this session's source, or it refused ours ({})",
            tls_reason(&detail)
        ))
    } else {
        let mut chain = error.to_string();
        let mut cause = std::error::Error::source(error);
        while let Some(inner) = cause {
            chain = format!("{chain}: {inner}");
            cause = inner.source();
        }
        Miss::Retry(format!("cannot reach the source{at}: {chain}"))
    }
}

/// The rustls error inside a debug dump, e.g. `InvalidCertificate(NotValidForName)`.
fn tls_reason(detail: &str) -> String {
    ["InvalidCertificate", "AlertReceived", "NoCertificatesPresented"]
        .iter()
        .find_map(|key| {
            let start = detail.find(key)?;
            let rest = &detail[start..];
            let end = rest.find(')').map_or(rest.len(), |e| e + 1);
            Some(rest[..end].to_owned())
        })
        .unwrap_or_default()
}

async fn flush(disk: &Arc<Disk>) -> Result<(), AgentError> {
    let disk = disk.clone();
    tokio::task::spawn_blocking(move || disk.flush_and_drop_cache())
        .await
        .map_err(|e| AgentError::Failed(e.to_string()))?
        .map_err(AgentError::Failed)
}

/// The `--hold-before-verify` pause: creates `verify.hold` and waits for its removal.
async fn hold(state_dir: &std::path::Path) {
    let marker = state_dir.join("verify.hold");
    if std::fs::write(&marker, b"remove this file to let the target verify\n").is_err() {
        return;
    }
    while marker.exists() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
