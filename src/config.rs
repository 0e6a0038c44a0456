//! Configuration: every setting is a CLI flag with a matching environment
//! variable (flags win). The README lists them all with their defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

use crate::ca::CaSettings;

/// Settings shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct CommonConfig {
    /// PostgreSQL to use. When unset, an embedded private cluster is created
    /// and started in `<data-dir>/postgres` (and stopped on exit).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// The same database as `DATABASE_URL`, reached without a connection
    /// pooler, for the connections that keep session state: the projection
    /// leader's advisory lock, LISTEN, migrations and the start-up lock. Set
    /// it when `DATABASE_URL` goes through a transaction-pooling PgBouncer;
    /// unset, those connections use `DATABASE_URL` too. A URL reaching
    /// another database or server is refused at start-up.
    #[arg(long, env = "PUREBOOT_DATABASE_DIRECT_URL", global = true, hide_env_values = true)]
    pub database_direct_url: Option<String>,
    /// Where the embedded cluster, the CA files and the master key live.
    #[arg(long, env = "PUREBOOT_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Log filter, e.g. `info` or `pureboot=debug,tower_http=info`.
    #[arg(long, env = "PUREBOOT_LOG_LEVEL", default_value = "info,tokio_postgres=warn", global = true)]
    pub log_level: String,
    #[arg(long, env = "PUREBOOT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,
    /// Connections in the database pool.
    #[arg(long, env = "PUREBOOT_DB_POOL_SIZE", default_value_t = 16, global = true)]
    pub db_pool_size: usize,
    #[command(flatten)]
    pub db_timeouts: DbTimeouts,
}

const DEFAULT_DB_STATEMENT_TIMEOUT_SECS: u64 = 30;
const DEFAULT_DB_LOCK_TIMEOUT_SECS: u64 = 10;
const DEFAULT_DB_CONNECT_TIMEOUT_SECS: u64 = 5;

/// Bounds on every database wait, so a slow, locked or unreachable database
/// turns into a prompt 503 rather than a hung request. In seconds.
#[derive(Debug, Clone, Copy, Args)]
pub struct DbTimeouts {
    /// PostgreSQL cancels a statement of a pooled connection that runs longer
    /// (`statement_timeout`; 0 turns it off).
    #[arg(
        long = "db-statement-timeout-secs",
        env = "PUREBOOT_DB_STATEMENT_TIMEOUT_SECS",
        default_value_t = DEFAULT_DB_STATEMENT_TIMEOUT_SECS,
        global = true
    )]
    pub statement_secs: u64,
    /// PostgreSQL gives up a lock a pooled connection waits for longer
    /// (`lock_timeout`, advisory locks included; 0 turns it off).
    #[arg(
        long = "db-lock-timeout-secs",
        env = "PUREBOOT_DB_LOCK_TIMEOUT_SECS",
        default_value_t = DEFAULT_DB_LOCK_TIMEOUT_SECS,
        global = true
    )]
    pub lock_secs: u64,
    /// Longest wait to open a connection (TCP and start-up) and to get, create
    /// or check a pooled one.
    #[arg(
        long = "db-connect-timeout-secs",
        env = "PUREBOOT_DB_CONNECT_TIMEOUT_SECS",
        default_value_t = DEFAULT_DB_CONNECT_TIMEOUT_SECS,
        global = true
    )]
    pub connect_secs: u64,
}

impl Default for DbTimeouts {
    fn default() -> Self {
        Self {
            statement_secs: DEFAULT_DB_STATEMENT_TIMEOUT_SECS,
            lock_secs: DEFAULT_DB_LOCK_TIMEOUT_SECS,
            connect_secs: DEFAULT_DB_CONNECT_TIMEOUT_SECS,
        }
    }
}

impl DbTimeouts {
    pub fn connect(&self) -> Duration {
        Duration::from_secs(self.connect_secs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// Settings of `pureboot serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[arg(long, env = "PUREBOOT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The built web UI, served at `/`.
    #[arg(long, env = "PUREBOOT_UI_DIR", default_value = "frontend/dist")]
    pub ui_dir: PathBuf,
    /// Longest a query waits for the projections to include every event
    /// committed before it (read-your-writes).
    #[arg(long, env = "PUREBOOT_READ_YOUR_WRITES_TIMEOUT_MS", default_value_t = 5000)]
    pub read_your_writes_timeout_ms: u64,
    /// Longest a request may take before it is answered 503; the bound that
    /// holds when the database stops answering altogether (frozen, or a
    /// network that drops packets), which its own timeouts cannot catch.
    /// Seconds; keep it above `PUREBOOT_DB_STATEMENT_TIMEOUT_SECS`.
    #[arg(long, env = "PUREBOOT_REQUEST_TIMEOUT_SECS", default_value_t = 40)]
    pub request_timeout_secs: u64,
    /// Longest `/api/v1/ready` waits for the database before answering 503
    /// (seconds).
    #[arg(long, env = "PUREBOOT_READY_TIMEOUT_SECS", default_value_t = 2)]
    pub ready_timeout_secs: u64,
    /// On SIGTERM/SIGINT: new connections are refused at once, and requests in
    /// flight get this long to finish before the rest are dropped (seconds).
    #[arg(long, env = "PUREBOOT_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Longest the server waits for a request's complete header (milliseconds),
    /// counted from when it starts waiting: the connection opened, or the
    /// previous response was sent (so it is also how long a kept-alive
    /// connection may idle). A client that sends nothing, or stops halfway
    /// through its header, is disconnected then; the body and the answer are
    /// bounded by `PUREBOOT_REQUEST_TIMEOUT_SECS`.
    #[arg(long, env = "PUREBOOT_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_ms: u64,
    /// Most connections open at once, WebSockets included. Further ones wait
    /// in the kernel's listen backlog, unanswered, until one closes; keep it
    /// below the process's file-descriptor limit (`ulimit -n`) minus the
    /// database pool.
    #[arg(long, env = "PUREBOOT_MAX_CONNECTIONS", default_value_t = 1024,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Largest accepted request body.
    #[arg(long, env = "PUREBOOT_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// How often projections poll the log when no notification arrives.
    #[arg(long, env = "PUREBOOT_PROJECTION_POLL_MS", default_value_t = 1000)]
    pub projection_poll_ms: u64,
    /// Longest one send to a WebSocket client may take (its close included):
    /// a client that does not read for this long is disconnected.
    #[arg(long, env = "PUREBOOT_WS_SEND_TIMEOUT_MS", default_value_t = 10_000)]
    pub ws_send_timeout_ms: u64,
    /// How often an open WebSocket re-checks its token (milliseconds): a
    /// socket whose token was revoked is closed (code 4001) within twice
    /// this (a check may use an answer up to this old, shared by the sockets
    /// of one token).
    #[arg(long, env = "PUREBOOT_WS_TOKEN_RECHECK_MS", default_value_t = 2_000)]
    pub ws_token_recheck_ms: u64,
    /// The first admin token (≥ 32 characters). When unset and no admin token
    /// exists, one is generated and printed once at start-up. Kept in a
    /// `SecretString`, so printing the configuration (`Debug`) shows
    /// `[REDACTED]` and the memory is zeroed when dropped.
    #[arg(long, env = "PUREBOOT_ADMIN_TOKEN", hide_env_values = true, value_parser = secret)]
    pub admin_token: Option<SecretString>,
    /// Where this controller finds each nfs backend's export mounted, to
    /// remove a deleted image's files: backend `<id>` at `<root>/<id>` (e.g.
    /// `/srv/pureboot-backends/6f1c…`). Unset, or a backend not mounted there:
    /// its deleted images stay in `cleanup` with that reason until it is.
    #[arg(long, env = "PUREBOOT_STORAGE_MOUNT_ROOT")]
    pub storage_mount_root: Option<PathBuf>,
    /// How often the leading controller looks for deleted images whose files
    /// to remove (milliseconds); a failed sweep is retried with exponential
    /// backoff from this up to five minutes.
    #[arg(long, env = "PUREBOOT_IMAGE_SWEEP_INTERVAL_MS", default_value_t = 5_000,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub image_sweep_interval_ms: u64,
    #[command(flatten)]
    pub ca: CaConfig,
    #[command(flatten)]
    pub cluster: ClusterConfig,
}

impl ServeConfig {
    pub fn read_your_writes_timeout(&self) -> Duration {
        Duration::from_millis(self.read_your_writes_timeout_ms)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn ready_timeout(&self) -> Duration {
        Duration::from_secs(self.ready_timeout_secs)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }
}

/// The spec's CA settings.
#[derive(Debug, Clone, Args)]
pub struct CaConfig {
    #[arg(long = "ca-enabled", env = "PUREBOOT_CA_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,
    /// Defaults to `<data-dir>/certs`.
    #[arg(long = "ca-cert-dir", env = "PUREBOOT_CA_CERT_DIR")]
    pub cert_dir: Option<PathBuf>,
    #[arg(long = "ca-validity-years", env = "PUREBOOT_CA_VALIDITY_YEARS", default_value_t = 10)]
    pub ca_validity_years: u32,
    #[arg(long = "session-cert-validity-hours", env = "PUREBOOT_SESSION_CERT_VALIDITY_HOURS", default_value_t = 24)]
    pub session_cert_validity_hours: u32,
    #[arg(long = "ca-key-algorithm", env = "PUREBOOT_CA_KEY_ALGORITHM", default_value = "ECDSA")]
    pub key_algorithm: String,
    #[arg(long = "ca-key-size", env = "PUREBOOT_CA_KEY_SIZE", default_value_t = 256)]
    pub key_size: u32,
}

impl CaConfig {
    pub fn settings(&self, data_dir: &std::path::Path) -> CaSettings {
        CaSettings {
            enabled: self.enabled,
            cert_dir: self.cert_dir.clone().unwrap_or_else(|| data_dir.join("certs")),
            ca_validity_years: self.ca_validity_years,
            session_cert_validity_hours: self.session_cert_validity_hours,
            key_algorithm: self.key_algorithm.clone(),
            key_size: self.key_size,
        }
    }
}

/// What several instances on one database share, and what operators scrape.
#[derive(Debug, Clone, Args)]
pub struct ClusterConfig {
    /// The key-encryption key (a file of 32 random bytes, mode 600) that
    /// seals the CA and master key in the database; every instance on one
    /// database needs the same. Defaults to `<data-dir>/kek.key`, generated
    /// on first start.
    #[arg(long, env = "PUREBOOT_KEK_FILE")]
    pub kek_file: Option<PathBuf>,
    /// Serve `GET /metrics` here too, without a token (e.g. `0.0.0.0:9100`,
    /// reachable by the Prometheus server only). On the main listener it
    /// always asks for an operator token.
    #[arg(long, env = "PUREBOOT_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

/// Reads a secret argument straight into a [`SecretString`].
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::ServeConfig;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        config: ServeConfig,
    }

    #[test]
    fn the_admin_token_never_shows_in_the_printed_configuration() {
        let token = "pbt-never-printed-0123456789abcdef0123456789";
        let serve = Serve::try_parse_from(["pureboot", "--admin-token", token]).expect("arguments");
        let printed = format!("{:?}", serve.config);
        assert!(printed.contains("admin_token") && !printed.contains(token), "{printed}");
    }
}
