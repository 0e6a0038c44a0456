//! The running controller: shared state, start-up order, HTTP server.

mod connections;
mod consistency;
mod server;

pub use server::{router, serve};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use secrecy::ExposeSecret;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::auth::node_tokens::SessionTokenCache;
use crate::auth::operator_tokens::{self, TokenCache};
use crate::ca::{CertificateAuthority, CrlCache, SecretBox};
use crate::commands::StreamLocks;
use crate::config::ServeConfig;
use crate::db::migrate;
use crate::domain::clone_session::CloneSession;
use crate::domain::disks::NodeDisks;
use crate::domain::node::Node;
use crate::domain::storage_backend::StorageBackend;
use crate::domain::unique_claim::UniqueClaim;
use crate::event_store::{AggregateCache, EventWriter};
use crate::fanout::Hub;
use crate::projections::clone_sessions::PageCache;
use crate::projections::{self, Progress, ProjectionRunner};

/// Everything a request handler may need. Shared as `Arc<App>`.
pub struct App {
    /// Connections for reads and for the writer.
    pub pool: Pool,
    /// The group-commit append path; the only way events enter the log.
    pub writer: EventWriter,
    /// How far the projections have got (for read-your-writes and readiness).
    pub progress: Progress,
    /// Live WebSocket fan-out.
    pub hub: Hub,
    /// `None` when the CA is disabled (`PUREBOOT_CA_ENABLED=false`).
    pub ca: Option<CertificateAuthority>,
    /// Seals private keys stored in the database.
    pub secrets: SecretBox,
    /// The last signed CRL, until the next revocation.
    pub crl: CrlCache,
    pub clone_sessions: AggregateCache<CloneSession>,
    /// Serialised session list pages of the current projection position.
    pub session_pages: PageCache,
    pub nodes: AggregateCache<Node>,
    pub node_disks: AggregateCache<NodeDisks>,
    pub storage_backends: AggregateCache<StorageBackend>,
    pub claims: AggregateCache<UniqueClaim>,
    /// Recently verified operator tokens.
    pub tokens: TokenCache,
    /// Recently verified session (node) tokens, for callbacks.
    pub session_tokens: SessionTokenCache,
    /// Commands on one stream take turns within this process.
    pub stream_locks: StreamLocks,
    pub read_your_writes_timeout: Duration,
    pub config: ServeConfig,
    /// Cancelled on SIGTERM/SIGINT: the server stops accepting and WebSockets close.
    pub shutdown: CancellationToken,
    /// Cancelled by [`serve`] once the requests in flight at shutdown have
    /// finished (or the grace period ran out): the background tasks they may
    /// wait on (the projection runner) stop only then.
    pub background: CancellationToken,
}

impl App {
    /// Migrates, installs projections, loads the CA and starts the background
    /// tasks (writer, projection runner). Refuses to start on a bad CA or key file.
    pub async fn start(
        pool: Pool,
        db_config: tokio_postgres::Config,
        config: ServeConfig,
        data_dir: &Path,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        migrate::run(&db_config).await?;
        projections::ensure_installed(&pool).await?;
        let ca_settings = config.ca.settings(data_dir);
        let ca = if ca_settings.enabled { Some(CertificateAuthority::load_or_create(&ca_settings)?) } else { None };
        let secrets = SecretBox::load_or_create(&data_dir.join("master.key"))?;
        if let Some(token) =
            operator_tokens::ensure_admin(&pool, config.admin_token.as_ref().map(ExposeSecret::expose_secret)).await?
        {
            // Printed once, on stdout, never through the log.
            println!("Created the first admin API token (shown only now; keep it safe):\n{token}");
        }
        let hub = Hub::new();
        let wake = Arc::new(Notify::new());
        let writer = EventWriter::spawn(pool.clone(), wake.clone());
        let poll = Duration::from_millis(config.projection_poll_ms);
        let background = CancellationToken::new();
        let progress =
            ProjectionRunner::start(pool.clone(), db_config, hub.clone(), wake, poll, background.clone()).await?;
        Ok(Arc::new(Self {
            pool,
            writer,
            progress,
            hub,
            ca,
            secrets,
            crl: CrlCache::default(),
            clone_sessions: AggregateCache::default(),
            session_pages: PageCache::default(),
            nodes: AggregateCache::default(),
            node_disks: AggregateCache::default(),
            storage_backends: AggregateCache::default(),
            claims: AggregateCache::default(),
            tokens: TokenCache::default(),
            session_tokens: SessionTokenCache::default(),
            stream_locks: StreamLocks::default(),
            read_your_writes_timeout: config.read_your_writes_timeout(),
            config,
            shutdown,
            background,
        }))
    }
}
