//! Connecting to PostgreSQL: the configured server, or an embedded private
//! cluster when `DATABASE_URL` is unset; migrations at start-up.

pub mod embedded;
pub mod migrate;
mod statements;

pub use statements::{Db, Params};

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use tokio_postgres::NoTls;

use crate::config::CommonConfig;
use embedded::EmbeddedPostgres;

/// A connected database, plus the embedded cluster when we started one.
pub struct Database {
    pub pool: Pool,
    pub config: tokio_postgres::Config,
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Uses `DATABASE_URL`, or creates/starts the embedded cluster.
    pub async fn open(common: &CommonConfig) -> anyhow::Result<Self> {
        let (url, embedded) = match &common.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let cluster = EmbeddedPostgres::new(common.data_dir.join("postgres"))?;
                let url = cluster.start(false).await?;
                tracing::info!(dir = %cluster.dir().display(), "started the embedded PostgreSQL cluster");
                (url, Some(cluster))
            }
        };
        let config = tokio_postgres::Config::from_str(&url)?;
        let pool = pool(config.clone(), common.db_pool_size)?;
        Ok(Self { pool, config, embedded })
    }

    /// Stops the embedded cluster if this process started it.
    pub fn close(self) {
        self.pool.close();
        if let Some(cluster) = self.embedded
            && let Err(err) = cluster.stop()
        {
            tracing::warn!(error = %err, "could not stop the embedded PostgreSQL cluster");
        }
    }
}

/// A pool whose waits are bounded, so a lost database turns into a prompt
/// 503 rather than a hung request.
pub fn pool(mut config: tokio_postgres::Config, size: usize) -> anyhow::Result<Pool> {
    config.connect_timeout(Duration::from_secs(5));
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    let timeouts = Timeouts {
        wait: Some(Duration::from_secs(5)),
        create: Some(Duration::from_secs(5)),
        recycle: Some(Duration::from_secs(5)),
    };
    Ok(Pool::builder(manager).max_size(size).timeouts(timeouts).runtime(Runtime::Tokio1).build()?)
}

/// A dedicated connection outside the pool (migrations, LISTEN).
pub async fn connect(config: &tokio_postgres::Config) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::debug!(error = %err, "dedicated database connection closed");
        }
    });
    Ok(client)
}

/// A database error with PostgreSQL's own message (the plain `Display` of
/// tokio-postgres says only "db error").
pub fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!(
            "{}: {}{}",
            db.code().code(),
            db.message(),
            db.detail().map(|d| format!(" ({d})")).unwrap_or_default()
        ),
        None => err.to_string(),
    }
}
