//! Several controller processes (the real binary) on one test database,
//! sharing the test key-encryption key, each with its own data directory and
//! port: what a site runs behind its load balancer.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::projections::{connection_string, free_port};
use crate::support::{ADMIN_TOKEN, TestDb, test_kek};

pub struct Instance {
    /// Behind a lock so a test can kill it while a load shares the cluster.
    child: std::sync::Mutex<Child>,
    pub port: u16,
    /// Where it serves `/metrics` without a token (`PUREBOOT_METRICS_LISTEN`).
    pub metrics_port: u16,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|p| p.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A session and its two node tokens.
#[derive(Clone)]
pub struct Session {
    pub id: String,
    pub source: String,
    pub target: String,
}

pub struct Cluster {
    pub db: TestDb,
    pub http: reqwest::Client,
    pub instances: Vec<Instance>,
}

/// Starts `pureboot serve` on `port` against `db` with the KEK in `kek`.
pub fn spawn(db: &TestDb, data_dir: &std::path::Path, port: u16, kek: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pureboot"));
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", connection_string(db))
        .env("PUREBOOT_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("PUREBOOT_DATA_DIR", data_dir)
        .env("PUREBOOT_KEK_FILE", kek)
        .env("PUREBOOT_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(log_file(port));
    command
}

/// Where the instance on `port` logs (warnings and errors), for a failing test's message.
fn log_path(port: u16) -> PathBuf {
    std::env::temp_dir().join(format!("pbt-cluster-{port}.log"))
}

fn log_file(port: u16) -> Stdio {
    std::fs::File::create(log_path(port)).map_or_else(|_| Stdio::null(), Stdio::from)
}

impl Cluster {
    /// `n` instances started at once (so their first starts race) on a fresh database.
    pub async fn start(n: usize) -> Self {
        Self::start_with(n, TestDb::new().await, &|_| {}).await
    }

    /// `n` instances on `db`, each command adjusted by `configure` first
    /// (e.g. to reach the database another way).
    pub async fn start_with(n: usize, db: TestDb, configure: &dyn Fn(&mut Command)) -> Self {
        let instances = (0..n).map(|_| Self::launch(&db, configure)).collect();
        let mut cluster = Self { db, http: reqwest::Client::new(), instances };
        for i in 0..n {
            // A port picked free can be taken by another test's process
            // before this one binds it: such an instance starts again on
            // other ports (a few times at most).
            for _ in 0..3 {
                if !cluster.lost_its_port(i).await {
                    break;
                }
                cluster.instances[i] = Self::launch(&cluster.db, configure);
            }
            cluster.wait_ready(i).await;
        }
        cluster
    }

    /// One instance on fresh free ports and a fresh data directory.
    fn launch(db: &TestDb, configure: &dyn Fn(&mut Command)) -> Instance {
        let data_dir = std::env::temp_dir().join(format!("pbt-cluster-{}", uuid::Uuid::new_v4().simple()));
        let (port, metrics_port) = (free_port(), free_port());
        let mut command = spawn(db, &data_dir, port, test_kek());
        command.env("PUREBOOT_METRICS_LISTEN", format!("127.0.0.1:{metrics_port}"));
        configure(&mut command);
        let child = command.spawn().expect("controller binary starts");
        Instance { child: std::sync::Mutex::new(child), port, metrics_port }
    }

    /// Whether instance `i` exited within 30 s because one of its ports was
    /// taken (false once it answers, or on any other ending).
    async fn lost_its_port(&self, i: usize) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.ready(i).await.is_some() {
                return false;
            }
            let exited = self.instances[i].child.lock().unwrap_or_else(|p| p.into_inner()).try_wait();
            if let Ok(Some(_)) = exited {
                let log = std::fs::read_to_string(log_path(self.instances[i].port)).unwrap_or_default();
                return log.contains("cannot listen");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    pub fn url(&self, i: usize, path: &str) -> String {
        format!("http://127.0.0.1:{}/api/v1{path}", self.instances[i].port)
    }

    async fn wait_ready(&self, i: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.ready(i).await.is_some_and(|r| r["status"] == "ready") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(log_path(self.instances[i].port)).unwrap_or_default();
        panic!("instance {i} did not become ready: {:?}\n{log}", self.ready(i).await);
    }

    /// The readiness document of instance `i` (None when it does not answer).
    pub async fn ready(&self, i: usize) -> Option<Value> {
        let response = self.http.get(self.url(i, "/ready")).send().await.ok()?;
        response.json().await.ok()
    }

    /// The instances that say they lead, waiting (up to `within`) until exactly one does.
    pub async fn leader(&self, among: &[usize], within: Duration) -> usize {
        let deadline = Instant::now() + within;
        loop {
            let mut leaders = Vec::new();
            for &i in among {
                if self.ready(i).await.is_some_and(|r| r["role"] == "leader") {
                    leaders.push(i);
                }
            }
            match leaders.as_slice() {
                [one] => return *one,
                _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
                other => panic!("expected one leader among {among:?}, found {other:?}"),
            }
        }
    }

    /// SIGKILL: no shutdown, connections dropped by the kernel.
    pub fn kill(&self, i: usize) {
        let mut child = self.instances[i].child.lock().expect("child");
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }

    pub async fn call(
        &self,
        i: usize,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let response =
            self.http.request(method, self.url(i, path)).bearer_auth(token).json(&body).send().await.expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, i: usize, path: &str, body: Value) -> Value {
        let (status, body) = self.call(i, reqwest::Method::POST, path, ADMIN_TOKEN, body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    }

    pub async fn get(&self, i: usize, path: &str) -> (StatusCode, Value) {
        let response = self.http.get(self.url(i, path)).bearer_auth(ADMIN_TOKEN).send().await.expect("GET");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A direct session created through instance `i`, its source ready.
    pub async fn transferring_session(&self, i: usize) -> Session {
        let mut nodes = Vec::new();
        for name in ["source", "target"] {
            let id = uuid::Uuid::new_v4().as_bytes()[..3].iter().map(|b| format!(":{b:02x}")).collect::<String>();
            let node = json!({"mac_address": format!("52:54:00{id}"), "hostname": name, "ip_address": "10.0.0.9"});
            nodes.push(self.post(i, "/nodes", node).await["id"].clone());
        }
        let body = json!({"clone_mode": "direct", "source_node_id": nodes[0], "target_node_id": nodes[1]});
        let session = self.post(i, "/clone-sessions", body).await;
        let id = session["id"].as_str().expect("id").to_owned();
        let tokens = &session["node_tokens"];
        let ready = json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": 1_000_000_000_i64, "device": "/dev/sda"});
        let source = tokens["source"].as_str().expect("source token");
        let path = format!("/clone-sessions/{id}/source-ready");
        assert_eq!(self.call(i, reqwest::Method::POST, &path, source, ready).await.0, StatusCode::OK);
        Session { id, source: source.to_owned(), target: tokens["target"].as_str().expect("target token").to_owned() }
    }

    /// Reports progress `bytes` on session `id` through instance `i`: its
    /// status, or `None` when the instance did not answer (it was killed).
    pub async fn progress(&self, i: usize, id: &str, token: &str, bytes: i64) -> Option<StatusCode> {
        let body = json!({"role": "target", "bytes_transferred": bytes});
        let request = self.http.post(self.url(i, &format!("/clone-sessions/{id}/progress"))).bearer_auth(token);
        request.json(&body).send().await.ok().map(|r| r.status())
    }
}
