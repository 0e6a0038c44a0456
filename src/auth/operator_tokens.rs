//! Operator tokens: `pbo_<id>_<secret>`, stored as SHA-256 hashes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::Db;
use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{OperatorIdentity, OperatorRole, hash, random_secret, same_hash};
use crate::event_store::append::append_batch;
use crate::event_store::codec::encode;
use crate::event_store::{AppendRequest, Category, DomainEvent, ExpectedVersion, Metadata, StoreError, StreamWrite};

/// Name of the admin token created (or taken from `PUREBOOT_ADMIN_TOKEN`) on first start.
pub const BOOTSTRAP_NAME: &str = "bootstrap-admin";

/// How long a verified token is trusted without asking the database again.
/// A revocation therefore takes effect within this time on every instance.
const CACHE_TTL: Duration = Duration::from_secs(5);

/// Audit facts about tokens (never the token or its hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum TokenEvent {
    #[serde(rename = "api_token.created")]
    Created { name: String, role: OperatorRole },
    #[serde(rename = "api_token.revoked")]
    Revoked { name: String },
}

impl DomainEvent for TokenEvent {}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("a token named '{0}' already exists")]
    NameTaken(String),
    #[error("PUREBOOT_ADMIN_TOKEN must be at least 32 characters")]
    WeakToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for TokenError {
    fn from(err: tokio_postgres::Error) -> Self {
        TokenError::Store(err.into())
    }
}

impl From<deadpool_postgres::PoolError> for TokenError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        TokenError::Store(err.into())
    }
}

/// Creates a token; returns it (the only time it is ever shown).
pub async fn create(pool: &Pool, name: &str, role: OperatorRole) -> Result<String, TokenError> {
    let id = Uuid::new_v4();
    let token = format!("pbo_{}_{}", id.simple(), random_secret());
    store(pool, id, name, role, &token).await?;
    Ok(token)
}

async fn store(pool: &Pool, id: Uuid, name: &str, role: OperatorRole, token: &str) -> Result<(), TokenError> {
    let mut conn = pool.get().await?;
    let tx = conn.transaction().await?;
    let inserted = tx
        .execute(
            "INSERT INTO api_tokens (id, name, role, token_hash) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
            &[&id, &name, &role.as_str(), &hash(token)],
        )
        .await?;
    if inserted == 0 {
        return Err(TokenError::NameTaken(name.to_owned()));
    }
    audit(&tx, id, TokenEvent::Created { name: name.to_owned(), role }).await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes the token called `name`; false when there is no such live token.
pub async fn revoke(pool: &Pool, name: &str) -> Result<bool, TokenError> {
    let mut conn = pool.get().await?;
    let tx = conn.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING id",
            &[&name],
        )
        .await?;
    let Some(row) = row else { return Ok(false) };
    audit(&tx, row.get(0), TokenEvent::Revoked { name: name.to_owned() }).await?;
    tx.commit().await?;
    Ok(true)
}

async fn audit(tx: &tokio_postgres::Transaction<'_>, id: Uuid, event: TokenEvent) -> Result<(), TokenError> {
    let write = StreamWrite {
        stream: Category::ApiToken.stream(id),
        expected: ExpectedVersion::Any,
        events: vec![encode(&event).map_err(StoreError::from)?],
    };
    let metadata = Metadata { actor: Some("cli".into()), ..Metadata::default() };
    append_batch(tx, &[AppendRequest::single(write, metadata)]).await?;
    Ok(())
}

/// Name, role and whether revoked, for `pureboot token list`.
pub async fn list(pool: &Pool) -> Result<Vec<(String, String, bool)>, TokenError> {
    let conn = pool.get().await?;
    let rows = conn.query("SELECT name, role, revoked_at IS NOT NULL FROM api_tokens ORDER BY created_at", &[]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

/// On first start: makes sure a live admin token exists. Uses `given`
/// (`PUREBOOT_ADMIN_TOKEN`) when set, else generates one and returns it so
/// the caller can print it once.
pub async fn ensure_admin(pool: &Pool, given: Option<&str>) -> Result<Option<String>, TokenError> {
    let conn = pool.get().await?;
    let existing = conn
        .query_opt("SELECT token_hash FROM api_tokens WHERE name = $1 AND revoked_at IS NULL", &[&BOOTSTRAP_NAME])
        .await?;
    let any_admin = conn.query_opt("SELECT 1 FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL", &[]).await?;
    drop(conn);
    match (given, existing) {
        (Some(token), _) if token.len() < 32 => Err(TokenError::WeakToken),
        (Some(token), Some(row)) if same_hash(&row.get::<_, Vec<u8>>(0), &hash(token)) => Ok(None),
        (Some(token), Some(_)) => {
            revoke(pool, BOOTSTRAP_NAME).await?;
            retire_revoked_bootstrap(pool).await?;
            store(pool, Uuid::new_v4(), BOOTSTRAP_NAME, OperatorRole::Admin, token).await.map(|_| None)
        }
        (Some(token), None) => {
            store(pool, Uuid::new_v4(), BOOTSTRAP_NAME, OperatorRole::Admin, token).await.map(|_| None)
        }
        (None, _) if any_admin.is_some() => Ok(None),
        (None, _) => {
            retire_revoked_bootstrap(pool).await?;
            create(pool, BOOTSTRAP_NAME, OperatorRole::Admin).await.map(Some)
        }
    }
}

/// Moves a revoked bootstrap token out of the way of a new one (names are unique).
async fn retire_revoked_bootstrap(pool: &Pool) -> Result<(), TokenError> {
    let conn = pool.get().await?;
    conn.execute(
        "UPDATE api_tokens SET name = name || '-revoked-' || id WHERE name = $1 AND revoked_at IS NOT NULL",
        &[&BOOTSTRAP_NAME],
    )
    .await?;
    Ok(())
}

/// Verified tokens, remembered briefly (see [`CACHE_TTL`]).
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<Vec<u8>, (OperatorIdentity, Instant)>>,
    refused: super::refused::RecentlyRefused,
}

impl TokenCache {
    /// The identity behind `token`, or `None` when it is unknown or revoked.
    pub async fn verify(&self, client: &impl Db, token: &str) -> Result<Option<OperatorIdentity>, StoreError> {
        self.verify_within(client, token, CACHE_TTL).await
    }

    /// [`TokenCache::verify`], trusting a cached answer only when it is
    /// younger than `max_age` (at most [`CACHE_TTL`]). Open WebSockets
    /// re-check their token this way: sockets sharing a token share one query
    /// per `max_age`, and a revocation reaches them within `max_age` plus
    /// their re-check interval.
    pub async fn verify_within(
        &self,
        client: &impl Db,
        token: &str,
        max_age: Duration,
    ) -> Result<Option<OperatorIdentity>, StoreError> {
        let digest = hash(token);
        if let Some(identity) = self.fresh(&digest, max_age.min(CACHE_TTL)) {
            return Ok(Some(identity));
        }
        if self.refused.contains(&digest) {
            return Ok(None);
        }
        let row = match parse_id(token) {
            Some(id) => {
                client
                    .query_opt(
                        "SELECT name, role, token_hash FROM api_tokens WHERE id = $1 AND revoked_at IS NULL",
                        &[&id],
                    )
                    .await?
            }
            None => {
                client
                    .query_opt(
                        "SELECT name, role, token_hash FROM api_tokens WHERE name = $1 AND revoked_at IS NULL",
                        &[&BOOTSTRAP_NAME],
                    )
                    .await?
            }
        };
        let identity = row
            .filter(|r| same_hash(&r.get::<_, Vec<u8>>(2), &digest))
            .and_then(|r| Some(OperatorIdentity { name: r.get(0), role: OperatorRole::parse(r.get(1))? }));
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match &identity {
            Some(identity) => {
                if entries.len() > 10_000 {
                    entries.clear();
                }
                entries.insert(digest, (identity.clone(), Instant::now()));
            }
            // Revoked since it was cached (a socket's re-check found out):
            // new requests on this instance are refused from now on too.
            None => {
                entries.remove(&digest);
                self.refused.insert(digest);
            }
        }
        Ok(identity)
    }

    fn fresh(&self, digest: &[u8], max_age: Duration) -> Option<OperatorIdentity> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(digest).filter(|(_, at)| at.elapsed() < max_age).map(|(identity, _)| identity.clone())
    }
}

/// The id embedded in a `pbo_<id>_<secret>` token.
fn parse_id(token: &str) -> Option<Uuid> {
    let rest = token.strip_prefix("pbo_")?;
    let (id, _) = rest.split_once('_')?;
    Uuid::try_parse(id).ok()
}
