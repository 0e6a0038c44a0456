//! `clone-source`: serves the disk to this session's target over TLS 1.3
//! (see [`super::protocol`] for the interface and [`super::tls`] for who
//! may connect), announces itself with `source-ready`, reports what it has
//! sent, and stops when the session ends.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::AgentError;
use super::config::{AgentConfig, Role};
use super::controller::Controller;
use super::disk::Disk;
use super::enrol::{Identity, enrol};
use super::outbox::Outbox;
use super::progress::{Counters, Reporter};
use super::protocol::{DIGEST_HEADER, Manifest, to_hex};
use super::tls::server_config;
use super::watch::Watch;
use super::{finish, prepare};
use crate::api::clone_sessions::schemas::CloneSourceReady;
use crate::domain::disks::Device;

pub async fn run(config: AgentConfig) -> Result<(), AgentError> {
    if super::image::session::is_staged(&Controller::new(&config)?).await? {
        return super::image::session::run(config).await;
    }
    let (controller, outbox) = prepare(&config)?;
    let result = serve(&config, &controller, &outbox).await;
    finish(result, &outbox, config.callback_deadline).await
}

struct Source {
    disk: Arc<Disk>,
    manifest: Manifest,
    counters: Arc<Counters>,
    /// Cancelled when the disk cannot be read; `failure` says why.
    broken: CancellationToken,
    failure: Mutex<Option<String>>,
}

impl Source {
    fn fail(&self, reason: String) {
        tracing::error!(%reason, "the source cannot go on");
        self.failure.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(reason);
        self.broken.cancel();
    }
}

async fn serve(config: &AgentConfig, controller: &Controller, outbox: &Outbox) -> Result<(), AgentError> {
    let served = super::shrink::prepare(controller, &config.device.to_string_lossy()).await?;
    let disk = Disk::open_source(&config.device).map_err(AgentError::Failed)?;
    let disk = Arc::new(match served {
        Some(len) => disk.prefix(len),
        None => disk,
    });
    let identity = enrol(controller, Role::Source, &config.ca_sha256).await?;
    let crl = controller.crl().await.map_err(|e| AgentError::Failed(format!("cannot fetch the CA's CRL: {e}")))?;
    let tls = Arc::new(RwLock::new(server_config(&identity, config.session, Some(&crl)).map_err(AgentError::Failed)?));
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| AgentError::Failed(format!("cannot listen on {}: {e}", config.listen)))?;
    let local = listener.local_addr().map_err(|e| AgentError::Failed(format!("no local address: {e}")))?;
    let ip = advertised_ip(config, local)?;
    let device = announced_device(config, controller).await?;
    let manifest =
        Manifest { session: config.session, size: disk.size, chunk_size: config.chunk_size, device: device.clone() };
    let reporter = Reporter::new(outbox.clone(), Role::Source, disk.size);
    let source = Arc::new(Source {
        disk,
        manifest,
        counters: reporter.counters.clone(),
        broken: CancellationToken::new(),
        failure: Mutex::default(),
    });
    let router = Router::new()
        .route("/manifest", get(manifest_handler))
        .route("/chunks/{index}", get(chunk_handler))
        .with_state(source.clone());

    let watch = Watch::spawn(controller.clone());
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    tokio::spawn(refresh_crl(
        controller.clone(),
        identity,
        config.session,
        tls.clone(),
        config.crl_refresh,
        stop.clone(),
    ));
    let ready = CloneSourceReady {
        ip: ip.to_string(),
        port: local.port(),
        size_bytes: i64::try_from(source.disk.size).unwrap_or(i64::MAX),
        device,
    };
    outbox.push("/source-ready", serde_json::to_value(&ready).map_err(|e| AgentError::Failed(e.to_string()))?);
    reporter.spawn(config.progress_interval, stop.clone());
    tracing::info!(%local, size = source.disk.size, "serving the disk");
    println!("{}", serde_json::json!({ "event": "listening", "addr": local.to_string() }));

    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = watch.ended.cancelled() => break,
            () = source.broken.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                continue;
            }
        };
        let acceptor = TlsAcceptor::from(tls.read().unwrap_or_else(|p| p.into_inner()).clone());
        let service = TowerToHyperService::new(router.clone());
        connections.spawn(async move {
            let stream = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    return tracing::warn!(%peer, %error, "refused a connection: certificate check failed");
                }
                Err(_) => return tracing::warn!(%peer, "refused a connection: handshake timed out"),
            };
            if let Err(error) =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await
            {
                tracing::debug!(%peer, %error, "connection ended");
            }
        });
        while connections.try_join_next().is_some() {}
    }
    connections.abort_all();
    reporter.report(None);
    if let Some(reason) = source.failure.lock().unwrap_or_else(|p| p.into_inner()).clone() {
        return Err(AgentError::Failed(reason));
    }
    match watch.ending() {
        Some(ending) if ending.status == "completed" => {
            if served.is_some() {
                super::shrink::restore_backup(&config.device.to_string_lossy()).await;
            }
            println!(
                "{}",
                serde_json::json!({ "event": "done", "role": "source", "bytes_on_wire": source.counters.wire() })
            );
            Ok(())
        }
        _ => Err(watch.ended_error()),
    }
}

/// Fetches the CRL again every `every` and swaps in a configuration that
/// uses it, so a certificate revoked meanwhile cannot open new connections.
async fn refresh_crl(
    controller: Controller,
    identity: Identity,
    session: uuid::Uuid,
    tls: Arc<RwLock<Arc<ServerConfig>>>,
    every: Duration,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match controller.crl().await.and_then(|crl| server_config(&identity, session, Some(&crl))) {
            Ok(config) => *tls.write().unwrap_or_else(|p| p.into_inner()) = config,
            Err(error) => tracing::warn!(%error, "cannot refresh the CRL; keeping the previous one"),
        }
    }
}

async fn manifest_handler(State(source): State<Arc<Source>>) -> Response {
    axum::Json(source.manifest.clone()).into_response()
}

async fn chunk_handler(State(source): State<Arc<Source>>, Path(index): Path<u64>, headers: HeaderMap) -> Response {
    if index >= source.manifest.chunks() {
        return (StatusCode::NOT_FOUND, format!("no chunk {index}")).into_response();
    }
    let (offset, len) = source.manifest.span(index);
    let disk = source.disk.clone();
    let chunk = match tokio::task::spawn_blocking(move || disk.read_chunk(offset, len)).await {
        Ok(Ok(chunk)) => chunk,
        Ok(Err(reason)) => {
            source.fail(reason.clone());
            return (StatusCode::INTERNAL_SERVER_ERROR, reason).into_response();
        }
        Err(error) => return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    };
    let digest = to_hex(&chunk.digest);
    let held = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tag| tag.trim_matches('"') == digest);
    let (status, body) = if held {
        (StatusCode::NOT_MODIFIED, Vec::new())
    } else if chunk.zero {
        (StatusCode::NO_CONTENT, Vec::new())
    } else {
        (StatusCode::OK, chunk.data)
    };
    source.counters.add(len, body.len() as u64);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    if let Ok(value) = digest.parse() {
        response.headers_mut().insert(DIGEST_HEADER, value);
    }
    response
}

/// The IP the target should connect to.
fn advertised_ip(config: &AgentConfig, local: SocketAddr) -> Result<IpAddr, AgentError> {
    if let Some(ip) = config.advertise_ip {
        return Ok(ip);
    }
    if !local.ip().is_unspecified() {
        return Ok(local.ip());
    }
    // The address this node uses towards the controller (no packet is sent).
    let url = reqwest::Url::parse(&config.url).map_err(|e| AgentError::Config(format!("--url: {e}")))?;
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|socket| socket.connect((host.as_str(), port)).map(|()| socket))
        .and_then(|socket| socket.local_addr())
        .map(|addr| addr.ip())
        .map_err(|e| AgentError::Config(format!("cannot tell which IP to announce ({e}); set --advertise-ip")))
}

/// The device named in `source-ready`, held by the controller to its
/// device-path rule (`/dev/…`): a block device as given; for an image file,
/// which is not a device, the device the session already names.
async fn announced_device(config: &AgentConfig, controller: &Controller) -> Result<String, AgentError> {
    if let Ok(device) = Device::parse_field("device", &config.device.display().to_string()) {
        return Ok(device.to_string());
    }
    match controller.session_state().await {
        Ok(Some(state)) => Ok(state.source_device),
        Ok(None) => Err(AgentError::Ended("the clone session no longer exists".into())),
        Err(e) => Err(AgentError::Failed(format!("cannot read the clone session: {e}"))),
    }
}
