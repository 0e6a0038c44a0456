//! The controller behind a real PgBouncer in transaction mode (issue #16):
//! the pool goes through it, while the connections that keep session state
//! (the leader lock, LISTEN) go straight to PostgreSQL through
//! `PUREBOOT_DATABASE_DIRECT_URL`. Debian's pgbouncer (`scripts/test`
//! installs it); without it the test fails with that advice, unless
//! `PUREBOOT_SKIP_PGBOUNCER=1` asks to skip it.
//!
//! Debian 12 ships PgBouncer 1.18, which does not carry prepared statements
//! across server connections (1.21's `max_prepared_statements` does, see
//! README): one server connection per pool stands in for that here. It is
//! still transaction pooling — the controller's sixteen pooled connections
//! share that one server connection between transactions — and it makes the
//! pooler's backend a single, known process the assertions can name.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use tokio_postgres::SimpleQueryMessage;
use tokio_tungstenite::tungstenite::Message;

use crate::cluster_harness::Cluster;
use crate::projections::{connection_string, free_port, host};
use crate::support::{ADMIN_TOKEN, TestDb};

/// PgBouncer in transaction mode in front of the test server, on a free
/// loopback port.
struct PgBouncer {
    child: Child,
    port: u16,
}

impl PgBouncer {
    fn start(db: &TestDb, dir: &Path) -> Option<Self> {
        let Some(binary) = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].into_iter().find(|p| Path::new(p).exists())
        else {
            let skip = std::env::var("PUREBOOT_SKIP_PGBOUNCER").is_ok_and(|v| v == "1");
            assert!(skip, "pgbouncer is needed (Debian: apt-get install pgbouncer), or set PUREBOOT_SKIP_PGBOUNCER=1");
            eprintln!("SKIPPED: pgbouncer is not installed; the pooler bypass was NOT tested");
            return None;
        };
        std::fs::create_dir_all(dir).expect("pgbouncer dir");
        let user = db.config.get_user().unwrap_or("postgres");
        let password = db.config.get_password().map(|p| format!(" password={}", String::from_utf8_lossy(p)));
        let port = free_port();
        let server_port = db.config.get_ports().first().copied().unwrap_or(5432);
        let ini = format!(
            "[databases]\n* = host={} port={server_port}{}\n\
             [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {auth}\npool_mode = transaction\ndefault_pool_size = 1\n\
             ignore_startup_parameters = options\n",
            host(db),
            password.unwrap_or_default(),
            auth = dir.join("users.txt").display(),
        );
        std::fs::write(dir.join("pgbouncer.ini"), ini).expect("pgbouncer.ini");
        std::fs::write(dir.join("users.txt"), format!("\"{user}\" \"\"\n")).expect("users.txt");
        let log = std::fs::File::create(dir.join("pgbouncer.log")).expect("log");
        let mut command = Command::new(binary);
        command.arg(dir.join("pgbouncer.ini")).stdout(Stdio::null()).stderr(log);
        // PgBouncer refuses to run as root.
        if running_as_root() {
            command.uid(65534).gid(65534);
        }
        let mut child = command.spawn().expect("start pgbouncer");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Self { child, port });
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(dir.join("pgbouncer.log")).unwrap_or_default();
                panic!("pgbouncer exited ({status}): {log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        panic!("pgbouncer did not listen on port {port}");
    }

    /// A connection string for `db` through the pooler.
    fn url(&self, db: &TestDb) -> String {
        format!(
            "host=127.0.0.1 port={} user={} dbname={}",
            self.port,
            db.config.get_user().unwrap_or("postgres"),
            db.name
        )
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn running_as_root() -> bool {
    std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("/proc/self")) == 0
}

/// The backend process id behind one pooled transaction: with one server
/// connection per pool, the one every pooled connection shares. Simple
/// protocol: a prepared statement named here could clash with the
/// controller's on that shared connection.
async fn pooled_backend(bouncer: &PgBouncer, db: &TestDb) -> i32 {
    let config: tokio_postgres::Config = bouncer.url(db).parse().expect("pooler URL");
    let client = pureboot::db::connect(&config).await.expect("through the pooler");
    let rows = client.simple_query("SELECT pg_backend_pid()").await.expect("pid");
    let pid = rows.iter().find_map(|message| match message {
        SimpleQueryMessage::Row(row) => row.get(0).and_then(|p| p.parse().ok()),
        _ => None,
    });
    pid.unwrap_or_else(|| panic!("no pid: {rows:?}"))
}

/// The backends of the leader lock and of LISTEN, and every other client
/// backend of the database but the asking one (waiting up to 5 s for the
/// closed start-up connections to leave).
async fn backends(db: &TestDb) -> (Vec<i32>, Vec<i32>, Vec<i32>) {
    let client = db.client().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let row = client
            .query_one(
                "WITH lock AS (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                   AND classid = x'50425052'::int::oid AND objid = 1::oid AND objsubid = 2), \
                 listen AS (SELECT pid FROM pg_stat_activity \
                   WHERE datname = current_database() AND query LIKE 'LISTEN %') \
                 SELECT array(SELECT pid FROM lock), array(SELECT pid FROM listen), \
                   array(SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                     AND backend_type = 'client backend' AND pid <> pg_backend_pid() \
                     AND pid NOT IN (SELECT pid FROM lock UNION ALL SELECT pid FROM listen))",
                &[],
            )
            .await
            .expect("backends");
        let found: (Vec<i32>, Vec<i32>, Vec<i32>) = (row.get(0), row.get(1), row.get(2));
        if found.2.len() <= 1 || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_transaction_pooling_pgbouncer_the_lock_and_listen_go_direct() {
    // Given a controller whose pool goes through PgBouncer in transaction
    // mode and whose lock and LISTEN connections go straight to PostgreSQL
    let db = TestDb::new().await;
    let dir = std::env::temp_dir().join(format!("pbt-pgbouncer-{}", uuid::Uuid::new_v4().simple()));
    let Some(bouncer) = PgBouncer::start(&db, &dir) else { return };
    let (pooled, direct) = (bouncer.url(&db), connection_string(&db));
    let cluster = Cluster::start_with(1, db, &|command| {
        command.env("DATABASE_URL", &pooled).env("PUREBOOT_DATABASE_DIRECT_URL", &direct);
    })
    .await;

    // Then it leads the projections
    cluster.leader(&[0], Duration::from_secs(10)).await;

    // and the lock and LISTEN are held by backends of their own, while every
    // pooled statement runs on the pooler's one server connection
    let shared = pooled_backend(&bouncer, &cluster.db).await;
    let (lock, listen, others) = backends(&cluster.db).await;
    assert_eq!(lock.len(), 1, "one session holds the leader lock: {lock:?}");
    assert_eq!(listen.len(), 1, "one LISTEN connection: {listen:?}");
    assert!(lock[0] != shared && listen[0] != shared, "lock {lock:?}, LISTEN {listen:?}, pooler's {shared}");
    assert_eq!(others, vec![shared], "the pool's statements reach PostgreSQL only through the pooler");

    // When a session is created and reported on, with a WebSocket open
    let url = format!("ws://127.0.0.1:{}/api/v1/ws?token={ADMIN_TOKEN}", cluster.instances[0].port);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("WebSocket");
    let session = cluster.transferring_session(0).await;
    assert_eq!(cluster.progress(0, &session.id, &session.target, 42).await, Some(StatusCode::OK));

    // Then it reads back, and the WebSocket streams the report
    let (status, seen) = cluster.get(0, &format!("/clone-sessions/{}", session.id)).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["data"]["bytes_transferred"], 42, "{seen}");
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a message").expect("open");
        let Message::Text(text) = message.expect("frame") else { continue };
        let message: Value = serde_json::from_str(&text).expect("JSON");
        if message["type"] == "clone.progress" {
            assert_eq!(message["data"]["session_id"], session.id.as_str(), "{message}");
            break;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_direct_url_reaching_another_database_is_refused_at_start() {
    // Given two databases on one server
    let (db, other) = (TestDb::new().await, TestDb::new().await);

    // When the controller's direct URL names the other one
    let output = Command::new(env!("CARGO_BIN_EXE_pureboot"))
        .arg("migrate")
        .env("DATABASE_URL", connection_string(&db))
        .env("PUREBOOT_DATABASE_DIRECT_URL", connection_string(&other))
        .env("PUREBOOT_LOG_LEVEL", "warn")
        .output()
        .expect("runs");

    // Then it refuses, naming both
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "refused: {stderr}");
    assert!(stderr.contains("PUREBOOT_DATABASE_DIRECT_URL must reach the database DATABASE_URL does"), "{stderr}");
    assert!(stderr.contains(&other.name) && stderr.contains(&db.name), "{stderr}");
}
