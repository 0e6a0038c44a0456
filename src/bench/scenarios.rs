//! The scenarios. Each runs C concurrent clients for a fixed time, records
//! every request's latency, and counts every failure.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::Mutex;

use super::client::{Api, Cloning};
use super::stats::Report;

/// Runs `work(client, n)` in `clients` loops for `seconds`; true = success.
async fn timed<F, Fut>(clients: usize, seconds: u64, work: F) -> (Vec<Duration>, u64, Duration)
where
    F: Fn(usize, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (work, errors) = (work.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                let at = Instant::now();
                if work(client, n).await {
                    samples.push(at.elapsed());
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.unwrap_or_default());
    }
    (samples, errors.load(Ordering::Relaxed), started.elapsed())
}

async fn ok(request: reqwest::RequestBuilder, body: &Value) -> bool {
    matches!(request.json(body).send().await, Ok(r) if r.status().is_success())
}

/// Each client creates sessions between its own two nodes, deleting each
/// one before the next: an active session holds its target node.
pub async fn create(api: &Api, clients: usize, seconds: u64) -> anyhow::Result<Report> {
    let mut pairs = Vec::with_capacity(clients);
    for _ in 0..clients {
        pairs.push(api.node_pair().await?);
    }
    let (pairs, api) = (Arc::new(pairs), api.clone());
    let (samples, errors, elapsed) = timed(clients, seconds, move |client, _| {
        let (pairs, api) = (pairs.clone(), api.clone());
        async move {
            let (source, target) = &pairs[client];
            let Ok(created) = api.post("/clone-sessions", &api.token, &Api::session_body(source, target)).await else {
                return false;
            };
            match created["data"]["id"].as_str() {
                Some(id) => api.delete(&format!("/clone-sessions/{id}")).await.is_ok(),
                None => false,
            }
        }
    })
    .await;
    let parameters = format!("{clients} clients, {seconds} s, each create followed by its delete");
    Ok(Report::new("create", parameters, samples, errors, elapsed))
}

/// `count` sessions in source_ready, made by 16 concurrent creators.
async fn cloning_sessions(api: &Api, count: usize) -> anyhow::Result<Vec<Cloning>> {
    let source = api.node().await?;
    let made = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for worker in 0..16 {
        let (api, made, source) = (api.clone(), made.clone(), source.clone());
        tasks.push(tokio::spawn(async move {
            for _ in (worker..count).step_by(16) {
                let session = api.cloning_session(&source, &api.node().await?).await?;
                made.lock().await.push(session);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(std::mem::take(&mut *made.lock().await))
}

/// Each client reports on its own sessions in turn (client c on c, c + C,
/// c + 2C, …), as agents do: one sender per session, so two reports on one
/// session never race (between controller instances they would conflict and
/// be retried). With fewer sessions than clients, some share.
pub async fn progress(api: &Api, clients: usize, sessions: usize, seconds: u64) -> anyhow::Result<Report> {
    let sessions = Arc::new(cloning_sessions(api, sessions).await?);
    let (http, base) = (api.http.clone(), api.base.clone());
    let count = sessions.len();
    let own = (count / clients).max(1);
    let (samples, errors, elapsed) = timed(clients, seconds, move |client, n| {
        let (http, base, sessions) = (http.clone(), base.clone(), sessions.clone());
        async move {
            let session = &sessions[(client + (n as usize % own) * clients) % count];
            let body = json!({
                "role": "target", "bytes_transferred": n + 1, "transfer_rate_bps": 1_000_000, "status": "transferring"
            });
            let url = format!("{base}/clone-sessions/{}/progress", session.id);
            ok(http.post(url).bearer_auth(&session.target_token), &body).await
        }
    })
    .await;
    let parameters = format!("{clients} clients, {count} sessions, {seconds} s");
    Ok(Report::new("progress", parameters, samples, errors, elapsed))
}

pub async fn list(api: &Api, clients: usize, sessions: usize, seconds: u64) -> anyhow::Result<Report> {
    let existing = total_sessions(api).await?;
    if existing < sessions {
        let source = api.node().await?;
        let remaining = Arc::new(AtomicU64::new((sessions - existing) as u64));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (api, source, remaining) = (api.clone(), source.clone(), remaining.clone());
            tasks.push(tokio::spawn(async move {
                while remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |r| r.checked_sub(1)).is_ok() {
                    // One target node per session: an active session holds its target.
                    let body = Api::session_body(&source, &api.node().await?);
                    api.post("/clone-sessions", &api.token, &body).await?;
                }
                anyhow::Ok(())
            }));
        }
        for task in tasks {
            task.await??;
        }
    }
    let present = total_sessions(api).await?;
    let url = format!("{}/clone-sessions?limit=50", api.base);
    let (http, token) = (api.http.clone(), api.token.clone());
    let (samples, errors, elapsed) = timed(clients, seconds, move |_, _| {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        async move {
            match http.get(url).bearer_auth(token).send().await {
                Ok(response) if response.status().is_success() => response.bytes().await.is_ok(),
                _ => false,
            }
        }
    })
    .await;
    let parameters = format!("{clients} clients, {present} sessions present, {seconds} s");
    Ok(Report::new("list", parameters, samples, errors, elapsed))
}

async fn total_sessions(api: &Api) -> anyhow::Result<usize> {
    let response = api.http.get(format!("{}/clone-sessions?limit=1", api.base)).bearer_auth(&api.token).send().await?;
    let body: Value = response.json().await?;
    Ok(body["total"].as_u64().context("total")? as usize)
}

/// The two fields a listener reads of each message; the rest is skipped
/// unparsed. The load tool shares the controller's cores, and parsing every
/// message whole into a `Value` cost it more CPU than the controller spent
/// sending them (BENCHMARKS.md, round four).
#[derive(serde::Deserialize)]
struct Probe<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    timestamp: Option<std::borrow::Cow<'a, str>>,
}

/// One WebSocket client's record: latencies of clone.progress messages.
async fn listen(
    url: String,
    connected: Arc<tokio::sync::Semaphore>,
    stop: Arc<tokio::sync::Notify>,
) -> anyhow::Result<Vec<Duration>> {
    let connection = tokio_tungstenite::connect_async(url).await;
    connected.add_permits(1);
    let (mut socket, _) = connection?;
    let mut samples = Vec::new();
    loop {
        tokio::select! {
            message = socket.next() => {
                let Some(Ok(message)) = message else { break };
                let Ok(text) = message.to_text() else { continue };
                let Ok(probe) = serde_json::from_str::<Probe<'_>>(text) else { continue };
                if probe.kind == "clone.progress" {
                    let sent = probe.timestamp.and_then(|t| OffsetDateTime::parse(&t, &Rfc3339).ok());
                    if let Some(sent) = sent {
                        let latency = (OffsetDateTime::now_utc() - sent).max(time::Duration::ZERO);
                        samples.push(Duration::from_secs_f64(latency.as_seconds_f64()));
                    }
                }
            }
            _ = stop.notified() => break,
        }
    }
    Ok(samples)
}

pub async fn fanout(api: &Api, clients: usize, rate: u64, seconds: u64, stalled: bool) -> anyhow::Result<Report> {
    let sessions = cloning_sessions(api, 20).await?;
    let ws_url = format!("{}/ws?token={}", api.base.replacen("http", "ws", 1), api.token);
    let stop = Arc::new(tokio::sync::Notify::new());
    let connected = Arc::new(tokio::sync::Semaphore::new(0));
    let mut listeners = Vec::new();
    for _ in 0..clients {
        listeners.push(tokio::spawn(listen(ws_url.clone(), connected.clone(), stop.clone())));
    }
    // Every client is connected (the server subscribes before the handshake
    // completes) before the first event is sent, so all should see all.
    let _all = connected.acquire_many(clients as u32).await?;
    // A client that connects and never reads: the server must not wait for it.
    let _stalled = if stalled { Some(tokio_tungstenite::connect_async(ws_url.clone()).await?) } else { None };
    tokio::time::sleep(Duration::from_secs(1)).await;

    let posted = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    // One sender per session, as an agent reports its own session: each
    // posts at rate / sessions, in turn, the senders' ticks spread evenly.
    let every = Duration::from_secs_f64(sessions.len() as f64 / rate as f64);
    let count = sessions.len() as u32;
    let mut senders = Vec::new();
    for (i, session) in sessions.into_iter().enumerate() {
        let (api, posted, failed) = (api.clone(), posted.clone(), failed.clone());
        senders.push(tokio::spawn(async move {
            tokio::time::sleep(every * i as u32 / count).await;
            let mut ticker = tokio::time::interval(every);
            let mut n = 0u64;
            while started.elapsed() < Duration::from_secs(seconds) {
                ticker.tick().await;
                n += 1;
                let body = json!({"role": "target", "bytes_transferred": n, "status": "transferring"});
                let path = format!("/clone-sessions/{}/progress", session.id);
                match api.post(&path, &session.target_token, &body).await {
                    Ok(_) => posted.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for sender in senders {
        let _ = sender.await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.notify_waiters();
    let mut samples = Vec::new();
    let mut short_clients = 0;
    let posted = posted.load(Ordering::Relaxed);
    for listener in listeners {
        let received = listener.await.map_err(anyhow::Error::from).and_then(|r| r).unwrap_or_default();
        if (received.len() as u64) < posted {
            short_clients += 1;
        }
        samples.extend(received);
    }
    let expected = posted * clients as u64;
    let delivered = samples.len() as u64;
    let parameters =
        format!("{clients} clients{}, {rate} events/s, {seconds} s", if stalled { " + 1 stalled" } else { "" });
    let mut report = Report::new("fanout", parameters, samples, failed.load(Ordering::Relaxed), started.elapsed());
    report.per_second = posted as f64 / report.seconds;
    report.notes.push(format!(
        "delivered {delivered} of {expected} messages ({:.2} %); {short_clients} clients missed some; \
         latency = append (recorded_at) → receipt",
        100.0 * delivered as f64 / expected.max(1) as f64
    ));
    Ok(report)
}

pub async fn rebuild(database_url: &str) -> anyhow::Result<Report> {
    let config: tokio_postgres::Config = database_url.parse()?;
    let pool = crate::db::pool(config, 2)?;
    let events = {
        let conn = pool.get().await?;
        crate::event_store::read::head(&*conn).await?
    };
    let started = Instant::now();
    let rebuilt = crate::projections::rebuild(&pool, None).await?;
    let elapsed = started.elapsed();
    let mut report =
        Report::new("rebuild", format!("{events} events, {} projections", rebuilt.len()), vec![elapsed], 0, elapsed);
    report.per_second = events as f64 / elapsed.as_secs_f64();
    report.notes.push(format!("{events} events folded into every projection in {:.2} s", elapsed.as_secs_f64()));
    Ok(report)
}
