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

use anyhow::Context;

use crate::config::{CommonConfig, DbTimeouts};
use embedded::EmbeddedPostgres;

/// A connected database, plus the embedded cluster when we started one.
pub struct Database {
    pub pool: Pool,
    /// The settings of dedicated connections (migrations, the leader lock,
    /// LISTEN): `PUREBOOT_DATABASE_DIRECT_URL`, else `DATABASE_URL`.
    pub direct: tokio_postgres::Config,
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Uses `DATABASE_URL`, or creates/starts the embedded cluster.
    pub async fn open(common: &CommonConfig) -> anyhow::Result<Self> {
        let (url, embedded) = match &common.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let cluster = EmbeddedPostgres::new(common.data_dir.join("postgres")).map_err(embedded_failed)?;
                let url = cluster.start(false).await.map_err(embedded_failed)?;
                tracing::info!(dir = %cluster.dir().display(), "started the embedded PostgreSQL cluster");
                (url, Some(cluster))
            }
        };
        let mut config = parse(&url, "DATABASE_URL")?;
        bound_connection(&mut config, &common.db_timeouts);
        let pool = pool_with(config.clone(), common.db_pool_size, &common.db_timeouts)?;
        let direct = match &common.database_direct_url {
            None => config,
            Some(_) if embedded.is_some() => {
                anyhow::bail!("PUREBOOT_DATABASE_DIRECT_URL needs DATABASE_URL (the embedded cluster has no pooler)")
            }
            Some(url) => {
                let mut direct = parse(url, "PUREBOOT_DATABASE_DIRECT_URL")?;
                bound_connection(&mut direct, &common.db_timeouts);
                same_database(&pool, &direct).await?;
                direct
            }
        };
        Ok(Self { pool, direct, embedded })
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

fn parse(url: &str, name: &str) -> anyhow::Result<tokio_postgres::Config> {
    tokio_postgres::Config::from_str(url).with_context(|| {
        format!("{name} is not a PostgreSQL connection string (postgres://user@host/db or key=value pairs)")
    })
}

/// Refuses a direct URL that reaches another database, or the same name on
/// another server, than the pool: the leader's lock would then fence
/// nothing (`projections::leader` looks it up from pooled connections).
/// A server is told apart by its start time.
async fn same_database(pool: &Pool, direct: &tokio_postgres::Config) -> anyhow::Result<()> {
    const WHICH: &str = "SELECT current_database()::text || ' started ' || pg_postmaster_start_time()::text";
    let client = connect(direct)
        .await
        .map_err(|err| anyhow::anyhow!("cannot connect through PUREBOOT_DATABASE_DIRECT_URL ({})", describe(&err)))?;
    let direct: String = client.query_one(WHICH, &[]).await?.get(0);
    let pooled: String =
        pool.get().await.context("cannot connect through DATABASE_URL")?.query_one(WHICH, &[]).await?.get(0);
    anyhow::ensure!(
        direct == pooled,
        "PUREBOOT_DATABASE_DIRECT_URL must reach the database DATABASE_URL does: it reached {direct}, \
         DATABASE_URL reached {pooled}"
    );
    Ok(())
}

/// A pool with the default [`DbTimeouts`].
pub fn pool(config: tokio_postgres::Config, size: usize) -> anyhow::Result<Pool> {
    pool_with(config, size, &DbTimeouts::default())
}

/// A pool whose every wait is bounded, so a lost, locked or overloaded
/// database turns into a prompt 503 rather than a hung request: getting,
/// creating and checking a connection (client side), and each statement and
/// lock wait (PostgreSQL side, set at connection start-up so no code path
/// can forget them).
pub fn pool_with(mut config: tokio_postgres::Config, size: usize, timeouts: &DbTimeouts) -> anyhow::Result<Pool> {
    bound_connection(&mut config, timeouts);
    let options = format!(
        "{} -c statement_timeout={}s -c lock_timeout={}s",
        config.get_options().unwrap_or_default(),
        timeouts.statement_secs,
        timeouts.lock_secs
    );
    config.options(options.trim_start());
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    let wait = Some(timeouts.connect());
    let timeouts = Timeouts { wait, create: wait, recycle: wait };
    Ok(Pool::builder(manager).max_size(size).timeouts(timeouts).runtime(Runtime::Tokio1).build()?)
}

/// Bounds for every connection, pooled or dedicated (migrations, LISTEN):
/// opening it, and noticing a peer that vanished without closing (TCP
/// keepalives: probes after 10 s idle, every 5 s, 3 unanswered = dead).
/// Dedicated connections get no statement timeout: a migration may
/// legitimately run long, and LISTEN waits by design.
fn bound_connection(config: &mut tokio_postgres::Config, timeouts: &DbTimeouts) {
    config
        .connect_timeout(timeouts.connect())
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10))
        .keepalives_interval(Duration::from_secs(5))
        .keepalives_retries(3);
}

/// The embedded cluster's failure, with what the user can do about it.
fn embedded_failed(err: anyhow::Error) -> anyhow::Error {
    err.context("could not run the embedded PostgreSQL cluster (or set DATABASE_URL to use an existing server)")
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
        None => match std::error::Error::source(err) {
            Some(cause) => format!("{err}: {cause}"),
            None => err.to_string(),
        },
    }
}
