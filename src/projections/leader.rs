//! Projection leadership: exactly one instance applies the projections.
//!
//! The leader holds a session-level advisory lock on a dedicated connection
//! outside the pool (a pooled connection could be recycled with the lock, and
//! a transaction-pooling PgBouncer would hand the session to someone else).
//! PostgreSQL releases the lock when that session ends — the process died,
//! the connection dropped, or `pg_terminate_backend` — and a standby, trying
//! every [`RETRY`], takes over. Every batch a leader applies first checks,
//! inside its transaction, that its lock session still holds the lock (the
//! fence): a leader that lost it can commit nothing more, and a batch that
//! raced the loss is serialised by the checkpoint row locks, which the next
//! leader then reads (see `runner::apply`).

use std::time::Duration;

use tokio_postgres::{Client, NoTls};
use tokio_util::sync::CancellationToken;

/// The leader lock's two-part key, `pg_try_advisory_lock(int4, int4)`: "PBPR"
/// (PureBoot projection runner), 1. Listed in `pg_locks` as `classid`,
/// `objid` with `objsubid = 2`.
const LOCK_CLASS: i32 = 0x5042_5052;
const LOCK_ID: i32 = 1;

/// How often a standby asks for the lock: the bound on a take-over once the
/// old leader's session is gone.
pub const RETRY: Duration = Duration::from_millis(500);

/// A query answering whether the session of backend `$1` (an `int4`) holds the lock.
pub fn fence_sql() -> String {
    format!(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = {LOCK_CLASS}::oid \
         AND objid = {LOCK_ID}::oid AND objsubid = 2 AND pid = $1 AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
    )
}

/// The dedicated connection a candidate asks for the lock on, kept between
/// attempts; `lost` is cancelled when the connection ends.
pub struct LockSession {
    client: Client,
    lost: CancellationToken,
    /// The backend process id of the session (what `pg_locks.pid` shows).
    pub pid: i32,
    /// True once this session holds the lock.
    pub holds: bool,
}

impl LockSession {
    pub async fn open(config: &tokio_postgres::Config) -> Result<Self, tokio_postgres::Error> {
        let (client, connection) = config.connect(NoTls).await?;
        let lost = CancellationToken::new();
        let ended = lost.clone();
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "projection leader lock connection closed");
            }
            ended.cancel();
        });
        let pid = client.query_one("SELECT pg_backend_pid()", &[]).await?.get(0);
        Ok(Self { client, lost, pid, holds: false })
    }

    /// False once the connection has ended (and with it any lock it held).
    pub fn alive(&self) -> bool {
        !self.lost.is_cancelled()
    }

    /// Cancelled when the connection ends.
    pub fn lost(&self) -> CancellationToken {
        self.lost.clone()
    }

    /// Asks for the lock without waiting; true when this session holds it.
    pub async fn try_lock(&mut self) -> Result<bool, tokio_postgres::Error> {
        if !self.holds {
            let row = self.client.query_one("SELECT pg_try_advisory_lock($1, $2)", &[&LOCK_CLASS, &LOCK_ID]).await?;
            self.holds = row.get(0);
        }
        Ok(self.holds)
    }
}
