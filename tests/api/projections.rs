//! Read models: rebuilds match the live tables, checkpoints survive crashes,
//! queries wait for the projections (read-your-writes), definitions rebuild.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, TestDb, scalar, table_rows};

const TABLES: [&str; 10] = [
    "nodes",
    "storage_backends",
    "clone_sessions",
    "clone_session_counts",
    "session_certificates",
    "ended_sessions",
    "clone_reports",
    "disk_info",
    "disk_scans",
    "partition_operations",
];

/// Drives sessions through every outcome, plus registry changes.
async fn workload(app: &TestApp) {
    let backend_id = app.nfs_backend("nfs-a").await;
    for round in 0..4 {
        let session = app.direct_session().await;
        let id = session["id"].as_str().expect("id");
        app.source_ready(id, 1_000).await;
        app.progress(id, 100 * (round + 1)).await;
        match round {
            0 => assert_eq!(
                app.as_node(id, "target").post(&format!("/clone-sessions/{id}/complete"), json!({})).await.0,
                StatusCode::OK
            ),
            1 => assert_eq!(
                app.as_node(id, "target").post(&format!("/clone-sessions/{id}/failed?error=disk"), json!({})).await.0,
                StatusCode::OK
            ),
            2 => assert_eq!(app.delete(&format!("/clone-sessions/{id}")).await.0, StatusCode::OK),
            _ => {}
        }
    }
    let staged_source = app.node("staged-source").await;
    let (status, staged) = app
        .post(
            "/clone-sessions",
            json!({"source_node_id": staged_source, "staging_backend_id": backend_id, "clone_mode": "staged"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{staged}");
    let pending = app.direct_session().await;
    app.patch(&format!("/clone-sessions/{}", pending["id"].as_str().expect("id")), json!({"name": "renamed"})).await;
    let doomed = app.direct_session().await;
    app.delete(&format!("/clone-sessions/{}", doomed["id"].as_str().expect("id"))).await;
    app.patch(&format!("/nodes/{staged_source}"), json!({"hostname": "renamed-host"})).await;
    crate::disks::workload(app).await;
}

pub async fn snapshot(db: &TestDb) -> Vec<Vec<serde_json::Value>> {
    let client = db.client().await;
    let mut tables = Vec::new();
    for table in TABLES {
        tables.push(table_rows(&client, table).await);
    }
    tables
}

#[tokio::test(flavor = "multi_thread")]
async fn rebuilt_tables_equal_the_live_ones_row_for_row() {
    let app = TestApp::spawn().await;
    workload(&app).await;
    app.settle().await;
    let live = snapshot(&app.db).await;
    assert!(live[2].len() >= 5, "the workload left sessions to compare");

    let rebuilt = pureboot::projections::rebuild(&app.db.pool(), None).await.expect("rebuild");
    assert_eq!(rebuilt.len(), pureboot::projections::all().len());
    assert!(!live[6].is_empty() && !live[8].is_empty(), "the workload left disks and operations to compare");
    assert_eq!(snapshot(&app.db).await, live);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_definition_is_rebuilt_at_start_up() {
    let app = TestApp::spawn().await;
    workload(&app).await;
    app.settle().await;
    let live = snapshot(&app.db).await;
    let client = app.db.client().await;
    // Simulate an older definition whose table content is wrong.
    client
        .batch_execute(
            "UPDATE projection_checkpoints SET definition = 'old' WHERE name = 'clone_sessions';
             DELETE FROM clone_sessions;",
        )
        .await
        .expect("tamper");
    let db = TestDb { name: app.db.name.clone(), config: app.db.config.clone() };
    let _restarted = TestApp::spawn_with(db, &[]).await;
    assert_eq!(snapshot(&app.db).await, live);
}

/// A POST answered by one instance is visible to a GET on another instance
/// immediately: the GET waits until the projections include everything
/// committed before it.
#[tokio::test(flavor = "multi_thread")]
async fn a_change_is_readable_on_any_instance_as_soon_as_the_command_returns() {
    let first = TestApp::spawn().await;
    let db = TestDb { name: first.db.name.clone(), config: first.db.config.clone() };
    let second = TestApp::spawn_with(db, &[]).await;
    for _ in 0..5 {
        let session = first.direct_session().await;
        let id = session["id"].as_str().expect("id");
        let (status, seen) = second.get(&format!("/clone-sessions/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{seen}");
        first.source_ready(id, 4_000).await;
        first.progress(id, 1_000).await;
        let (_, seen) = second.get(&format!("/clone-sessions/{id}")).await;
        assert_eq!(seen["data"]["status"], "cloning");
        assert_eq!(seen["data"]["progress_percent"], 25.0);
    }
}

/// A `DATABASE_URL` for the test's database, for a controller process.
pub fn connection_string(db: &TestDb) -> String {
    format!(
        "host={} port={} user={} dbname={}",
        host(db),
        db.config.get_ports().first().copied().unwrap_or(5432),
        db.config.get_user().unwrap_or("postgres"),
        db.name
    )
}

fn spawn_binary(db: &TestDb, data_dir: &std::path::Path, port: u16) -> Child {
    let url = connection_string(db);
    Command::new(env!("CARGO_BIN_EXE_pureboot"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", url)
        .env("PUREBOOT_ADMIN_TOKEN", crate::support::ADMIN_TOKEN)
        .env("PUREBOOT_DATA_DIR", data_dir)
        .env("PUREBOOT_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("controller binary starts")
}

/// The host of the test server: a name, or the directory of its Unix socket.
pub fn host(db: &TestDb) -> String {
    match db.config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "127.0.0.1".into(),
    }
}

async fn wait_ready(http: &reqwest::Client, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/api/v1/ready")).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("controller did not become ready");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Given a controller process under progress load, when it is killed with
/// SIGKILL and restarted (three times), then every acknowledged report is in
/// the log and the projections equal a fresh rebuild.
#[tokio::test(flavor = "multi_thread")]
async fn killing_the_controller_loses_no_acknowledged_event_and_checkpoints_stay_exact() {
    let db = TestDb::new().await;
    let scratch = crate::support::scratch_dir("pbt-crash");
    let data_dir = scratch.join("data");
    let http = reqwest::Client::new();
    let port = free_port();
    let mut child = spawn_binary(&db, &data_dir, port);
    wait_ready(&http, port).await;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let mut ids = Vec::new();
    for i in 0..3 {
        // An operator's POST; its JSON answer.
        let post = |path: &str, body: serde_json::Value| {
            let sent = http.post(format!("{base}{path}")).bearer_auth(crate::support::ADMIN_TOKEN).json(&body).send();
            async move { sent.await.expect("post").json::<serde_json::Value>().await.expect("json") }
        };
        let source = post("/nodes", json!({"mac_address": format!("52:54:00:aa:00:{i:02x}"), "hostname": "s"})).await;
        let target = post("/nodes", json!({"mac_address": format!("52:54:00:bb:00:{i:02x}"), "hostname": "t"})).await;
        let session = post(
            "/clone-sessions",
            json!({
                "clone_mode": "direct", "source_node_id": source["data"]["id"], "target_node_id": target["data"]["id"]
            }),
        )
        .await;
        let id = session["data"]["id"].as_str().expect("id").to_owned();
        let tokens = &session["data"]["node_tokens"];
        http.post(format!("{base}/clone-sessions/{id}/source-ready"))
            .bearer_auth(tokens["source"].as_str().expect("source token"))
            .json(&json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": 1_000_000_000_i64, "device": "/dev/sda"}))
            .send()
            .await
            .expect("ready");
        ids.push((id, tokens["target"].as_str().expect("target token").to_owned()));
    }

    let mut acknowledged = 0usize;
    let mut bytes = 0i64;
    // Three rounds in CI; PUREBOOT_CRASH_ROUNDS=5 for the run in BENCHMARKS.md.
    let rounds: usize = std::env::var("PUREBOOT_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    for _round in 0..rounds {
        let load = {
            let (http, base, ids) = (http.clone(), base.clone(), ids.clone());
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for n in 0.. {
                    let (id, token) = &ids[n % ids.len()];
                    let body = json!({"role": "target", "bytes_transferred": n as i64 + 1});
                    let request = http.post(format!("{base}/clone-sessions/{id}/progress")).bearer_auth(token);
                    match request.json(&body).send().await {
                        Ok(r) if r.status().is_success() => acked.push(n),
                        _ => return acked,
                    }
                }
                acked
            })
        };
        tokio::time::sleep(Duration::from_millis(700)).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let acked = load.await.expect("load task");
        acknowledged += acked.len();
        bytes = bytes.max(acked.last().map_or(0, |n| *n as i64 + 1));
        child = spawn_binary(&db, &data_dir, port);
        wait_ready(&http, port).await;
    }

    let client = db.client().await;
    let logged: i64 =
        scalar(&client, "SELECT count(*) FROM events WHERE event_type = 'clone_session.progress_reported'", &[]).await;
    assert!(acknowledged > 0, "the load made progress");
    assert!(logged as usize >= acknowledged, "{logged} logged < {acknowledged} acknowledged");

    // The live tables (after crashes and catch-up) equal a fresh rebuild.
    wait_caught_up(&client).await;
    let live = snapshot(&db).await;
    child.kill().expect("stop");
    child.wait().expect("reaped");
    pureboot::projections::rebuild(&db.pool(), None).await.expect("rebuild");
    assert_eq!(snapshot(&db).await, live);
    assert!(bytes > 0);
}

/// Waits until every projection's checkpoint has reached the head of the log.
pub async fn wait_caught_up(client: &tokio_postgres::Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let row = client
            .query_one(
                "SELECT (SELECT COALESCE(max(position), 0) FROM events),
                        (SELECT min(position) FROM projection_checkpoints)",
                &[],
            )
            .await
            .expect("positions");
        if row.get::<_, i64>(0) == row.get::<_, i64>(1) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("projections did not catch up");
}
