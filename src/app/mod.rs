//! The running controller: shared state, start-up order, HTTP server.

mod connections;
mod consistency;
pub mod image_sweep;
mod server;

pub use server::{router, serve};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;

use crate::auth::node_tokens::{NodeKeyCheck, SessionTokenCache};
use crate::auth::operator_tokens::{self, TokenCache};
use crate::ca::keys::{self, SharedKeys};
use crate::ca::{CertificateAuthority, CrlCache, SecretBox};
use crate::commands::{self, Executor};
use crate::config::ServeConfig;
use crate::db::migrate;
use crate::event_store::EventWriter;
use crate::fanout::Hub;
use crate::metrics::Metrics;
use crate::projections::clone_sessions::PageCache;
use crate::projections::{self, Progress, ProjectionRunner};

/// Key of the advisory lock instances take turns through start-up with
/// (7431 serialises migrations, 7432 projection installs).
const STARTUP_LOCK: i64 = 7433;

/// Everything a request handler may need. Shared as `Arc<App>`.
pub struct App {
    /// Connections for queries (through [`App::read_model`]), token checks
    /// and the event writer.
    pub pool: Pool,
    /// Runs every command: the append path, the aggregate caches and the
    /// per-stream turns. Handlers call `commands::<aggregate>::…` with
    /// [`App::commands`], which go through it.
    pub executor: Executor,
    /// How far the projections have got (for read-your-writes and readiness).
    pub progress: Progress,
    /// Live WebSocket fan-out.
    pub hub: Hub,
    /// What `GET /metrics` reports.
    pub metrics: Metrics,
    /// `None` when the CA is disabled (`PUREBOOT_CA_ENABLED=false`).
    pub ca: Option<CertificateAuthority>,
    /// Seals private keys and credentials stored in the database.
    pub secrets: SecretBox,
    /// The last signed CRL, until the next revocation.
    pub crl: CrlCache,
    /// Serialised session list pages of the current projection position.
    pub session_pages: PageCache,
    /// Recently verified operator tokens.
    pub tokens: TokenCache,
    /// Recently verified session (node) tokens, for callbacks.
    pub session_tokens: SessionTokenCache,
    /// Node keys (`pbk_…`) recently refused.
    pub node_keys: NodeKeyCheck,
    /// How long a query waits for the projections to reach the log's head
    /// before answering from what they have
    /// (`PUREBOOT_READ_YOUR_WRITES_TIMEOUT_MS`).
    pub read_your_writes_timeout: Duration,
    /// The settings the controller was started with.
    pub config: ServeConfig,
    /// Cancelled on SIGTERM/SIGINT: the server stops accepting and WebSockets close.
    pub shutdown: CancellationToken,
    /// Cancelled by [`serve`] once the requests in flight at shutdown have
    /// finished (or the grace period ran out): the background tasks they may
    /// wait on (the projection runner) stop only then.
    pub background: CancellationToken,
}

impl App {
    /// What the commands may use of the app (see [`commands::Context`]).
    pub fn commands(&self) -> commands::Context<'_> {
        commands::Context {
            executor: &self.executor,
            ca: self.ca.as_ref(),
            secrets: &self.secrets,
            session_tokens: &self.session_tokens,
        }
    }

    /// Migrates, installs projections, loads the shared keys (master key, CA)
    /// and starts the background tasks (writer, projection runner). Refuses
    /// to start on a bad CA, a bad key file or a key-encryption key that does
    /// not open the keys in the database. `direct` is for the connections
    /// that keep session state (locks, LISTEN), never through a pooler.
    pub async fn start(
        pool: Pool,
        direct: tokio_postgres::Config,
        config: ServeConfig,
        data_dir: &Path,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        migrate::run(&direct).await?;
        // Instances starting together take turns through the steps that
        // write shared state (rebuilt projections, the keys, the first admin
        // token); the lock goes with the connection, dropped after them.
        let turn = crate::db::connect(&direct).await?;
        turn.execute("SELECT pg_advisory_lock($1)", &[&STARTUP_LOCK]).await?;
        projections::ensure_installed(&pool).await?;
        let (kek, kek_source) = keys::load_kek(config.cluster.kek_file.as_deref(), data_dir)?;
        let SharedKeys { secrets, ca } =
            keys::load(&pool, &kek, &kek_source, &config.ca.settings(data_dir), data_dir).await?;
        if let Some(token) =
            operator_tokens::ensure_admin(&pool, config.admin_token.as_ref().map(ExposeSecret::expose_secret)).await?
        {
            // Printed once, on stdout, never through the log.
            println!("Created the first admin API token (shown only now; keep it safe):\n{token}");
        }
        drop(turn);
        let hub = Hub::new();
        let metrics = Metrics::default();
        let (committed, inbox) = projections::handoff(hub.clone());
        let writer = EventWriter::spawn(pool.clone(), committed, metrics.append.clone());
        let poll = Duration::from_millis(config.projection_poll_ms);
        let background = CancellationToken::new();
        let progress =
            ProjectionRunner::start(pool.clone(), direct, hub.clone(), inbox, poll, background.clone()).await?;
        let app = Arc::new(Self {
            executor: Executor::new(pool.clone(), writer),
            pool,
            progress,
            hub,
            metrics,
            ca,
            secrets,
            crl: CrlCache::default(),
            session_pages: PageCache::default(),
            tokens: TokenCache::default(),
            session_tokens: SessionTokenCache::default(),
            node_keys: NodeKeyCheck::default(),
            read_your_writes_timeout: config.read_your_writes_timeout(),
            config,
            shutdown,
            background,
        });
        image_sweep::spawn(&app);
        Ok(app)
    }
}
