//! Several controller processes on one database (issue #16): one projection
//! leader, take-over when it dies or loses its lock connection, reads and
//! the live stream consistent on every instance, one shared CA and master key.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::cluster_harness::{Cluster, Session, spawn};
use crate::projections::{free_port, snapshot, wait_caught_up};
use crate::support::{ADMIN_TOKEN, TestDb, scalar};

const PROGRESS: &str = "clone_session.progress_reported";

/// The `reported_bytes` of every progress event of session `id`, in log order.
async fn logged_reports(db: &TestDb, id: &str) -> Vec<i64> {
    let client = db.client().await;
    let rows = client
        .query(
            "SELECT (payload->>'reported_bytes')::bigint FROM events WHERE stream = $1 AND event_type = $2 \
             ORDER BY position",
            &[&format!("clone_session:{id}"), &PROGRESS],
        )
        .await
        .expect("progress events");
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_instances_read_write_and_stream_as_one() {
    // Given three controllers on one database, one of them leading
    let cluster = Cluster::start(3).await;
    cluster.leader(&[0, 1, 2], Duration::from_secs(10)).await;
    let url = format!("ws://127.0.0.1:{}/api/v1/ws?token={ADMIN_TOKEN}", cluster.instances[2].port);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("WebSocket on C");

    // When a session is created on A, it is read on B at once
    let session = cluster.transferring_session(0).await;
    let (id, token) = (session.id, session.target);
    let (status, seen) = cluster.get(1, &format!("/clone-sessions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["data"]["id"], id.as_str());

    // and fifty progress reports on it, concurrently over A, B and C, all
    // succeed (a 409 says the session kept changing and wrote nothing: the
    // client retries, as the answer tells it to)
    let cluster = Arc::new(cluster);
    let reports = (1..=50).map(|n| {
        let (cluster, id, token) = (cluster.clone(), id.clone(), token.clone());
        async move {
            for _ in 0..10 {
                match cluster.progress(n as usize % 3, &id, &token, n).await {
                    Some(StatusCode::CONFLICT) => continue,
                    status => return status,
                }
            }
            Some(StatusCode::CONFLICT)
        }
    });
    let statuses = futures::future::join_all(reports).await;
    assert!(statuses.iter().all(|s| *s == Some(StatusCode::OK)), "{statuses:?}");

    // Then none is lost: each is in the log once, and B reads the furthest
    let mut logged = logged_reports(&cluster.db, &id).await;
    logged.sort_unstable();
    assert_eq!(logged, (1..=50).collect::<Vec<i64>>());
    let (_, seen) = cluster.get(1, &format!("/clone-sessions/{id}")).await;
    assert_eq!(seen["data"]["bytes_transferred"], 50, "{seen}");

    // and the WebSocket on C got what A and B wrote, in log order, once each
    let mut positions = Vec::new();
    let mut progress = 0;
    while progress < 50 {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a message").expect("open");
        let Message::Text(text) = message.expect("frame") else { continue };
        let message: Value = serde_json::from_str(&text).expect("JSON");
        if let Some(position) = message["position"].as_i64() {
            positions.push(position);
            progress += usize::from(message["type"] == "clone.progress");
        }
    }
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "log order, no repeat: {positions:?}");
    let client = cluster.db.client().await;
    let expected: Vec<i64> = client
        .query(
            "SELECT position FROM events WHERE stream = $1 AND event_type = $2 ORDER BY position",
            &[&format!("clone_session:{id}"), &PROGRESS],
        )
        .await
        .expect("positions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let streamed: BTreeSet<i64> = positions.iter().copied().collect();
    assert_eq!(expected.len(), 50);
    assert!(expected.iter().all(|p| streamed.contains(p)), "every report was streamed: {expected:?} {positions:?}");
}

/// Progress reports sent round-robin to `instances` until `stop`; returns
/// the acknowledged ones as (session, bytes).
fn progress_load(
    cluster: Arc<Cluster>,
    sessions: Vec<Session>,
    instances: Vec<usize>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<Vec<(String, i64)>> {
    tokio::spawn(async move {
        let mut acked = Vec::new();
        for n in 0.. {
            if stop.is_cancelled() {
                break;
            }
            let session = &sessions[n % sessions.len()];
            let bytes = n as i64 + 1;
            let through = instances[n % instances.len()];
            if cluster.progress(through, &session.id, &session.target, bytes).await == Some(StatusCode::OK) {
                acked.push((session.id.clone(), bytes));
            }
        }
        acked
    })
}

/// Waits until the projections have applied `position`; returns how long it took.
async fn applied(db: &TestDb, position: i64, within: Duration) -> Duration {
    let client = db.client().await;
    let start = Instant::now();
    while start.elapsed() < within {
        let row = client.query_one("SELECT min(position) FROM projection_checkpoints", &[]).await.expect("checkpoint");
        if row.get::<_, i64>(0) >= position {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("position {position} not applied within {within:?}");
}

async fn head(db: &TestDb) -> i64 {
    let client = db.client().await;
    scalar(&client, "SELECT COALESCE(max(position), 0) FROM events", &[]).await
}

/// Every acknowledged report is in the log; the live tables equal a rebuild
/// (an event applied twice or skipped would show as a difference).
async fn assert_exact(cluster: Cluster, acked: Vec<(String, i64)>) {
    assert!(!acked.is_empty(), "the load made progress");
    for id in acked.iter().map(|(id, _)| id).collect::<BTreeSet<_>>() {
        let logged: BTreeSet<i64> = logged_reports(&cluster.db, id).await.into_iter().collect();
        let missing: Vec<_> = acked.iter().filter(|(s, b)| s == id && !logged.contains(b)).collect();
        assert!(missing.is_empty(), "acknowledged but not in the log: {missing:?}");
    }
    let client = cluster.db.client().await;
    wait_caught_up(&client).await;
    let live = snapshot(&cluster.db).await;
    let Cluster { db, instances, .. } = cluster;
    drop(instances);
    pureboot::projections::rebuild(&db.pool(), None).await.expect("rebuild");
    assert_eq!(snapshot(&db).await, live, "the projections equal a rebuild");
}

/// Starts a progress load over all of `cluster`'s instances on three sessions.
async fn under_load(cluster: &Arc<Cluster>) -> (tokio::task::JoinHandle<Vec<(String, i64)>>, CancellationToken) {
    let mut sessions = Vec::new();
    for i in 0..cluster.instances.len() {
        sessions.push(cluster.transferring_session(i).await);
    }
    let stop = CancellationToken::new();
    let everyone = (0..cluster.instances.len()).collect();
    let load = progress_load(cluster.clone(), sessions, everyone, stop.clone());
    tokio::time::sleep(Duration::from_millis(700)).await;
    (load, stop)
}

/// Stops the load after `more` of it, and returns what it got acknowledged.
async fn finish(
    load: tokio::task::JoinHandle<Vec<(String, i64)>>,
    stop: CancellationToken,
    more: Duration,
) -> Vec<(String, i64)> {
    tokio::time::sleep(more).await;
    stop.cancel();
    load.await.expect("load task")
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_leader_under_load_hands_over_within_seconds_and_nothing_doubles() {
    // Given three controllers under a progress load spread over all three
    let cluster = Arc::new(Cluster::start(3).await);
    let leader = cluster.leader(&[0, 1, 2], Duration::from_secs(10)).await;
    let (load, stop) = under_load(&cluster).await;

    // When the leader is killed with SIGKILL
    cluster.kill(leader);
    let killed = Instant::now();
    let position = head(&cluster.db).await;

    // Then another instance applies what was committed, within 5 s
    applied(&cluster.db, position, Duration::from_secs(10)).await;
    let handover = killed.elapsed();
    assert!(handover < Duration::from_secs(5), "took over after {handover:?}");
    let survivors: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    cluster.leader(&survivors, Duration::from_secs(1)).await;
    eprintln!("leader killed; projections applied the head again after {handover:?}");

    // and every acknowledged report is in the log, nothing applied twice or skipped
    let acked = finish(load, stop, Duration::from_secs(1)).await;
    let cluster = Arc::try_unwrap(cluster).unwrap_or_else(|_| panic!("the load has finished"));
    assert_exact(cluster, acked).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn terminating_the_leader_lock_connection_moves_leadership_and_nothing_doubles() {
    // Given two controllers under a progress load
    let cluster = Arc::new(Cluster::start(2).await);
    let leader = cluster.leader(&[0, 1], Duration::from_secs(10)).await;
    let (load, stop) = under_load(&cluster).await;

    // When PostgreSQL terminates the leader's lock connection
    let client = cluster.db.client().await;
    let terminated: i64 = client
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND classid = x'50425052'::int::oid AND objid = 1::oid AND objsubid = 2 AND granted",
            &[],
        )
        .await
        .expect("terminate")
        .get(0);
    assert_eq!(terminated, 1, "one session holds the leader lock");
    let position = head(&cluster.db).await;

    // Then the other instance leads, and applies what was committed
    assert_eq!(cluster.leader(&[0, 1], Duration::from_secs(5)).await, 1 - leader, "leadership moved");
    applied(&cluster.db, position, Duration::from_secs(5)).await;

    // and nothing was lost, applied twice or skipped
    let acked = finish(load, stop, Duration::from_secs(1)).await;
    let cluster = Arc::try_unwrap(cluster).unwrap_or_else(|_| panic!("the load has finished"));
    assert_exact(cluster, acked).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_ca_and_one_master_key_for_every_instance_and_a_wrong_kek_refuses_to_start() {
    // Given three controllers started at once on a new database (racing to create the CA)
    let cluster = Cluster::start(3).await;
    let mut cas = BTreeSet::new();
    for i in 0..3 {
        let url = format!("http://127.0.0.1:{}/api/v1/ca/certificate", cluster.instances[i].port);
        cas.insert(cluster.http.get(url).send().await.expect("CA").text().await.expect("PEM"));
    }
    assert_eq!(cas.len(), 1, "one CA");
    let ca_pem = cas.pop_first().expect("the CA");
    let (_, ca) = x509_parser::pem::parse_x509_pem(ca_pem.as_bytes()).expect("CA PEM");
    let ca = ca.parse_x509().expect("CA DER");

    // When sessions are created on one instance (their keys sealed there)
    // and their certificates fetched from another
    for (made, read) in [(0, 1), (1, 2), (2, 0)] {
        let session = cluster.transferring_session(made).await;
        let client = cluster.db.client().await;
        let owner = format!("clone_session:{}", session.id);
        let sealed: i64 = scalar(&client, "SELECT count(*) FROM secrets WHERE owner = $1", &[&owner]).await;
        assert!(sealed > 0, "the session's keys are sealed in the database");
        let path = format!("/clone-sessions/{}/certs?role=source", session.id);
        let (status, body) = cluster.call(read, reqwest::Method::GET, &path, &session.source, Value::Null).await;

        // Then they open there, and chain to the one CA
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["data"]["key_pem"].as_str().is_some_and(|k| k.contains("PRIVATE KEY")), "{body}");
        let (_, cert) = x509_parser::pem::parse_x509_pem(body["data"]["cert_pem"].as_str().expect("cert").as_bytes())
            .expect("cert PEM");
        let cert = cert.parse_x509().expect("cert DER");
        cert.verify_signature(Some(ca.public_key())).expect("signed by the one CA");
    }

    // and an instance given another key-encryption key refuses to start, saying why in one line
    let scratch = crate::support::scratch_dir("pbt-other-kek");
    let other = scratch.join("kek");
    std::fs::write(&other, [9u8; 32]).expect("kek");
    std::fs::set_permissions(&other, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");
    let data_dir = scratch.join("data");
    let output = spawn(&cluster.db, &data_dir, free_port(), &other.display().to_string())
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "refused to start");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("pureboot: the key-encryption key"), "{stderr}");
    assert!(last.contains("PUREBOOT_KEK_FILE"), "{stderr}");
}
