//! Test scaffolding: a database of its own per test (cloned from a migrated
//! template), the real controller on port 0, and small HTTP/WebSocket helpers.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::Parser;
use futures::{SinkExt, StreamExt};
use pureboot::app::{App, serve};
use pureboot::auth::{OperatorRole, operator_tokens};
use pureboot::cli::{Cli, Command};
use pureboot::config::ServeConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A fresh database for one test.
pub struct TestDb {
    pub name: String,
    pub config: tokio_postgres::Config,
}

fn admin_config() -> tokio_postgres::Config {
    let url = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must point at a PostgreSQL server (run ./scripts/test, which starts one)");
    tokio_postgres::Config::from_str(&url).expect("DATABASE_URL parses")
}

impl TestDb {
    pub async fn new() -> Self {
        let admin = admin_config();
        let template = ensure_template(&admin).await;
        let name = format!("pbt_{}", Uuid::new_v4().simple());
        let client = pureboot::db::connect(&admin).await.expect("admin connection");
        // CREATE DATABASE … TEMPLATE fails while anyone else is copying the same template.
        for attempt in 0.. {
            match client.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}")).await {
                Ok(()) => break,
                Err(err) if attempt < 50 => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("creating {name}: {err}"),
            }
        }
        let mut config = admin.clone();
        config.dbname(&name);
        Self { name, config }
    }

    pub fn pool(&self) -> deadpool_postgres::Pool {
        pureboot::db::pool(self.config.clone(), 8).expect("pool")
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        pureboot::db::connect(&self.config).await.expect("test database connection")
    }
}

/// Builds (once per schema version, under a lock) the template every test
/// database is copied from: migrated, projections installed.
async fn ensure_template(admin: &tokio_postgres::Config) -> String {
    let fingerprint: String = pureboot::projections::all()
        .iter()
        .map(|p| pureboot::projections::definition(p.as_ref()))
        .chain(migration_texts())
        .collect();
    let digest = ring::digest::digest(&ring::digest::SHA256, fingerprint.as_bytes());
    let template = format!("pbt_template_{}", &pureboot::ca::hex(digest.as_ref())[..16]);
    let client = pureboot::db::connect(admin).await.expect("admin connection");
    client.execute("SELECT pg_advisory_lock(424242)", &[]).await.expect("template lock");
    let exists =
        client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template]).await.expect("query").is_some();
    if !exists {
        let building = format!("{template}_build");
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {building}")).await.expect("drop");
        client.batch_execute(&format!("CREATE DATABASE {building}")).await.expect("create");
        let mut config = admin.clone();
        config.dbname(&building);
        pureboot::db::migrate::run(&config).await.expect("migrations");
        let pool = pureboot::db::pool(config, 2).expect("pool");
        pureboot::projections::ensure_installed(&pool).await.expect("projections");
        pool.close();
        client
            .execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", &[&building])
            .await
            .expect("terminate");
        client.batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}")).await.expect("rename");
    }
    client.execute("SELECT pg_advisory_unlock(424242)", &[]).await.expect("unlock");
    template
}

fn migration_texts() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("migrations dir").flatten().map(|e| e.path()).collect();
    files.sort();
    files.iter().map(|f| std::fs::read_to_string(f).expect("migration")).collect()
}

/// The controller, serving on an ephemeral port against its own database.
// `allow`, not `expect`: these handles are for tests that reach into the
// running app or its data directory, and whether any test does so changes
// from branch to branch.
#[allow(dead_code)]
pub struct TestApp {
    pub db: TestDb,
    pub addr: std::net::SocketAddr,
    pub http: reqwest::Client,
    pub data_dir: PathBuf,
    /// Cancelling it shuts the controller down, as SIGTERM does.
    pub shutdown: CancellationToken,
    /// The server task; ends when shutdown has finished.
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Node tokens of the sessions this test created, by session id, and
    /// the `pbk_…` tokens of the nodes it registered, by node id.
    node_tokens: std::sync::Mutex<std::collections::HashMap<String, Value>>,
    /// Operator tokens made by [`TestApp::as_operator`], by role.
    operator_tokens: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// The admin token every test controller is started with.
pub const ADMIN_TOKEN: &str = "pbt-test-admin-token-0123456789abcdef0123456789";

pub fn serve_config(extra: &[&str]) -> ServeConfig {
    parse_serve(extra).1
}

/// The settings `pureboot serve EXTRA…` would run with (common ones too).
fn parse_serve(extra: &[&str]) -> (pureboot::config::CommonConfig, ServeConfig) {
    let mut args =
        vec!["pureboot", "serve", "--listen", "127.0.0.1:0", "--admin-token", ADMIN_TOKEN, "--kek-file", test_kek()];
    args.extend_from_slice(extra);
    let cli = Cli::try_parse_from(args).expect("serve arguments");
    match cli.command {
        Command::Serve(config) => (cli.common, config),
        _ => unreachable!("parsed a serve command"),
    }
}

/// A fresh directory under the system's temporary directory, named
/// `<prefix>-<10 hex digits>`, removed with everything in it when dropped
/// (when the test ends, pass or fail).
pub struct Scratch(PathBuf);

pub fn scratch_dir(prefix: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", &Uuid::new_v4().simple().to_string()[..10]));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    Scratch(dir)
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for Scratch {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

/// The key-encryption key every test controller shares (as instances of one
/// site do), so a second instance on a test's database opens its keys.
/// Written to a unique file and renamed into place: test processes race here.
pub fn test_kek() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        use std::os::unix::fs::OpenOptionsExt;
        let path = std::env::temp_dir().join("pbt-test-kek.key");
        if !path.exists() {
            let partial = std::env::temp_dir().join(format!("pbt-kek-{}", Uuid::new_v4().simple()));
            let mut file =
                std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&partial).expect("kek");
            std::io::Write::write_all(&mut file, &[7u8; 32]).expect("write kek");
            std::fs::rename(&partial, &path).expect("kek in place");
        }
        path.display().to_string()
    })
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(TestDb::new().await, &[]).await
    }

    /// Another controller instance on an existing database (or with options).
    pub async fn spawn_with(db: TestDb, extra: &[&str]) -> Self {
        let data_dir = std::env::temp_dir().join(format!("pbt-{}", Uuid::new_v4().simple()));
        Self::spawn_in(db, extra, data_dir).await
    }

    pub async fn spawn_in(db: TestDb, extra: &[&str], data_dir: PathBuf) -> Self {
        // The controller's warnings appear in a failing test's output.
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter(filter).try_init();
        let (common, config) = parse_serve(extra);
        let pool = pureboot::db::pool_with(db.config.clone(), 16, &common.db_timeouts).expect("pool");
        let shutdown = CancellationToken::new();
        let app =
            App::start(pool, db.config.clone(), config, &data_dir, shutdown.clone()).await.expect("controller starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(serve(app.clone(), listener));
        Self {
            db,
            addr,
            http: reqwest::Client::new(),
            data_dir,
            shutdown,
            server,
            node_tokens: Default::default(),
            operator_tokens: Default::default(),
        }
    }

    /// The master key sealing `secrets` (kept in the database, under the test KEK).
    pub async fn master_key(&self) -> pureboot::ca::SecretBox {
        let kek = pureboot::ca::SecretBox::load(std::path::Path::new(test_kek())).expect("test KEK");
        pureboot::ca::keys::master_key(&self.db.pool(), &kek).await.expect("master key")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/api/v1{path}", self.addr)
    }

    /// Requests as the admin operator (the token every test controller is
    /// started with): what [`TestApp::get`], [`TestApp::post`],
    /// [`TestApp::patch`] and [`TestApp::delete`] send.
    pub fn as_admin(&self) -> Caller<'_> {
        Caller { app: self, token: ADMIN_TOKEN.to_owned() }
    }

    /// Requests as an operator of `role`: the admin token, or a token named
    /// after the role (`viewer`, `operator`), made on first use.
    pub async fn as_operator(&self, role: OperatorRole) -> Caller<'_> {
        if role == OperatorRole::Admin {
            return self.as_admin();
        }
        let existing = self.operator_tokens.lock().expect("tokens").get(role.as_str()).cloned();
        let token = match existing {
            Some(token) => token,
            None => {
                let token =
                    operator_tokens::create(&self.db.pool(), role.as_str(), role).await.expect("operator token");
                self.operator_tokens.lock().expect("tokens").insert(role.as_str().to_owned(), token.clone());
                token
            }
        };
        Caller { app: self, token }
    }

    /// Requests as the node playing `role` (`source` or `target`) in clone
    /// session `session`, with the `pbn_…` token this test was given for it
    /// (at creation, or by the PATCH that moved the role). Panics when there
    /// is none, so a callback is never sent with another token by mistake.
    pub fn as_node(&self, session: &str, role: &str) -> Caller<'_> {
        let token = self.node_token(session, role);
        assert!(!token.is_empty(), "this test was given no {role} token for session {session}");
        Caller { app: self, token }
    }

    /// Requests as node `node` itself, with the `pbk_…` token this test got
    /// when it registered the node. Panics when there is none.
    pub fn as_node_key(&self, node: &str) -> Caller<'_> {
        let token = self.node_key(node);
        assert!(!token.is_empty(), "this test registered no node {node}");
        Caller { app: self, token }
    }

    /// A request with exactly this bearer token (or none). Every request
    /// remembers the node tokens its response hands out, for
    /// [`TestApp::as_node`] and [`TestApp::as_node_key`].
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let (status, response) = into_json(request.send().await.expect("request")).await;
        self.remember_tokens(&response);
        (status, response)
    }

    /// The node token of `role` for session `id` (created by this test).
    pub fn node_token(&self, id: &str, role: &str) -> String {
        let tokens = self.node_tokens.lock().expect("tokens");
        tokens.get(id).and_then(|t| t[role].as_str()).map(str::to_owned).unwrap_or_default()
    }

    /// The `pbk_…` token of node `id` (registered by this test).
    pub fn node_key(&self, id: &str) -> String {
        let tokens = self.node_tokens.lock().expect("tokens");
        tokens.get(id).and_then(Value::as_str).map(str::to_owned).unwrap_or_default()
    }

    /// Keeps the tokens a response hands out: a session's node tokens, a
    /// node's own token, a retargeted role's new token.
    fn remember_tokens(&self, response: &Value) {
        let data = &response["data"];
        let mut tokens = self.node_tokens.lock().expect("tokens");
        match (data["id"].as_str(), data.get("node_tokens"), data.get("node_token")) {
            // a session's tokens, or a node's own token
            (Some(id), Some(issued), _) | (Some(id), None, Some(issued @ Value::String(_))) => {
                tokens.insert(id.to_owned(), issued.clone());
            }
            // a retargeted session: the role's new token replaces its old one
            (Some(id), None, Some(issued)) => {
                if let (Some(role), Some(entry)) = (issued["role"].as_str(), tokens.get_mut(id)) {
                    entry[role] = issued["token"].clone();
                }
            }
            _ => {}
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.as_admin().get(path).await
    }

    /// Returns once the projections include everything committed so far: a
    /// query waits for that before it reads. For tests that then read the
    /// query tables directly.
    pub async fn settle(&self) {
        let (status, body) = self.get("/clone-sessions?limit=1").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.as_admin().post(path, body).await
    }

    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let request = self
            .http
            .post(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body(body);
        into_json(request.send().await.expect("POST")).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.as_admin().patch(path, body).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.as_admin().delete(path).await
    }

    /// Registers a node and returns its id.
    pub async fn node(&self, hostname: &str) -> String {
        let mac = format!("52:54:00:{:02x}:{:02x}:{:02x}", rand_byte(), rand_byte(), rand_byte());
        let (status, body) =
            self.post("/nodes", json!({"mac_address": mac, "hostname": hostname, "ip_address": "10.0.0.9"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"]["id"].as_str().expect("node id").to_owned()
    }

    /// Creates an NFS storage backend named `name`; returns its id.
    pub async fn nfs_backend(&self, name: &str) -> String {
        let config = json!({"server": "10.0.0.2", "export": "/srv/images"});
        let (status, body) =
            self.post("/storage/backends", json!({"name": name, "type": "nfs", "config": config})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"]["id"].as_str().expect("backend id").to_owned()
    }

    /// Creates a direct session between two new nodes; returns its id.
    pub async fn direct_session_id(&self) -> String {
        self.direct_session().await["id"].as_str().expect("id").to_owned()
    }

    /// Creates a direct session between two new nodes; returns the session.
    pub async fn direct_session(&self) -> Value {
        let source = self.node("source-node").await;
        let target = self.node("target-node").await;
        let (status, body) = self
            .post(
                "/clone-sessions",
                json!({"name": "lab", "clone_mode": "direct", "source_node_id": source, "target_node_id": target}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    }

    /// `source-ready` from session `id`'s source node.
    pub async fn source_ready(&self, id: &str, size: i64) -> (StatusCode, Value) {
        self.as_node(id, "source")
            .post(
                &format!("/clone-sessions/{id}/source-ready"),
                json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": size, "device": "/dev/sda"}),
            )
            .await
    }

    /// Progress from session `id`'s target node.
    pub async fn progress(&self, id: &str, bytes: i64) -> (StatusCode, Value) {
        self.as_node(id, "target").post(
            &format!("/clone-sessions/{id}/progress"),
            json!({"role": "target", "bytes_transferred": bytes, "transfer_rate_bps": 1000, "status": "transferring"}),
        )
        .await
    }

    pub async fn ws(&self, query: &str) -> Ws {
        let separator = if query.is_empty() { "?" } else { "&" };
        let url = format!("ws://{}/api/v1/ws{query}{separator}token={ADMIN_TOKEN}", self.addr);
        let (stream, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
        Ws { stream }
    }
}

/// Who a test request is sent as (see [`TestApp::as_admin`],
/// [`TestApp::as_operator`], [`TestApp::as_node`], [`TestApp::as_node_key`]).
pub struct Caller<'a> {
    app: &'a TestApp,
    token: String,
}

impl Caller<'_> {
    /// The bearer token this caller presents.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Sends the request with this caller's token.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.app.call(method, path, Some(&self.token), body).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

fn rand_byte() -> u8 {
    Uuid::new_v4().as_bytes()[0]
}

async fn into_json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON response ({status}): {text}"));
    (status, value)
}

pub struct Ws {
    pub stream: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl Ws {
    /// The next text message as JSON (panics after 10 s of silence).
    pub async fn next_json(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("a WebSocket message within 10 s")
                .expect("stream open")
                .expect("message");
            if let Message::Text(text) = message {
                let message: Value = serde_json::from_str(&text).expect("JSON message");
                assert_documented(&message);
                return message;
            }
        }
    }

    /// Messages until (and including) one of type `kind`.
    pub async fn until(&mut self, kind: &str) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let message = self.next_json().await;
            let done = message["type"] == kind;
            seen.push(message);
            if done {
                return seen;
            }
        }
    }

    pub async fn send_json(&mut self, value: Value) {
        self.stream.send(Message::Text(value.to_string().into())).await.expect("send");
    }
}

/// Every message a test receives is one the OpenAPI documents: it reads as
/// the typed `WsServerMessage` and writes back as the same JSON, so the
/// published contract cannot drift from what the socket sends.
fn assert_documented(message: &Value) {
    let typed: pureboot::fanout::contract::WsServerMessage = serde_json::from_value(message.clone())
        .unwrap_or_else(|err| panic!("{message} is not a documented WsServerMessage: {err}"));
    let written = serde_json::to_value(&typed).expect("serialises");
    assert_eq!(&written, message, "the typed message writes back differently");
}

/// The one value `sql` selects: the first column of its single row.
pub async fn scalar<T: for<'a> tokio_postgres::types::FromSql<'a>>(
    client: &tokio_postgres::Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> T {
    client.query_one(sql, params).await.unwrap_or_else(|e| panic!("{sql}: {e}")).get(0)
}

/// Every row of a table as JSON, ordered, for comparing read models.
pub async fn table_rows(client: &tokio_postgres::Client, table: &str) -> Vec<Value> {
    let sql = format!("SELECT j FROM (SELECT row_to_json(t)::jsonb AS j FROM {table} t) x ORDER BY j::text");
    let rows = client.query(&sql, &[]).await.expect("rows");
    rows.iter().map(|r| r.get(0)).collect()
}

/// Runs `request(app, n)` for every `n` at once, each in its own task, and
/// returns their results in `n`'s order.
pub async fn concurrently<T, Fut>(
    app: &std::sync::Arc<TestApp>,
    ns: impl IntoIterator<Item = i64>,
    request: impl Fn(std::sync::Arc<TestApp>, i64) -> Fut,
) -> Vec<T>
where
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = ns.into_iter().map(|n| tokio::spawn(request(app.clone(), n))).collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    results
}
