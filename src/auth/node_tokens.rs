//! Node tokens: bound to one session and role (`pbn_<session>_<role>_<secret>`)
//! or to one node (`pbk_<node>_<secret>`). Their hashes live in the `secrets`
//! table under the session's / node's stream, so ending a session (which
//! deletes that owner's secrets) kills its tokens in the same transaction.

use crate::db::Db;
use uuid::Uuid;

use super::{hash, random_secret, same_hash};
use crate::domain::clone_session::{CloneSession, Role};
use crate::domain::node::Node;
use crate::error::ApiError;
use crate::event_store::{Aggregate, SecretOp};

/// One token per role, returned once when the session is created.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SessionTokens {
    /// For the source node's boot parameters.
    pub source: String,
    /// For the target node's boot parameters.
    pub target: String,
}

fn session_kind(role: Role) -> String {
    format!("token:{}", role.as_str())
}

fn retired_kind(role: Role) -> String {
    format!("retired-token:{}", role.as_str())
}

/// Whether a session token is still live or its session has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Live,
    /// The session ended: the token may only learn that (replays are
    /// acknowledged or refused), never fetch keys or change anything.
    Retired,
}

/// The secret operations that retire a session's tokens when it ends.
pub fn retire_session_tokens(session: Uuid) -> Vec<SecretOp> {
    let owner = CloneSession::stream(session);
    [Role::Source, Role::Target]
        .into_iter()
        .map(|role| SecretOp::Rename { owner: owner.clone(), kind: session_kind(role), to: retired_kind(role) })
        .collect()
}

/// Fresh tokens for both roles of `session`, and the secret rows holding their hashes.
pub fn issue_session_tokens(session: Uuid) -> (SessionTokens, Vec<SecretOp>) {
    let (source, source_op) = issue_role_token(session, Role::Source);
    let (target, target_op) = issue_role_token(session, Role::Target);
    (SessionTokens { source, target }, vec![source_op, target_op])
}

/// A fresh token for one role and the secret row holding its hash. Written
/// over the role's current row, it retires the previous token at once (a
/// retargeted session: the old node's token answers 401 everywhere).
pub fn issue_role_token(session: Uuid, role: Role) -> (String, SecretOp) {
    let token = format!("pbn_{}_{}_{}", session.simple(), role.as_str(), random_secret());
    let op = SecretOp::Put { owner: CloneSession::stream(session), kind: session_kind(role), value: hash(&token) };
    (token, op)
}

/// A verified session token: the session it belongs to, its role, and
/// whether it is still live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionToken {
    pub session: Uuid,
    pub role: Role,
    pub liveness: Liveness,
}

/// The session, role and liveness of `token`, from the token alone (it names
/// its session): 401 when it is no session token at all. Whether it is the
/// token of the session a request is about is the caller's check (403).
pub async fn verify_session_token(client: &impl Db, token: &str) -> Result<SessionToken, ApiError> {
    let invalid = || ApiError::Unauthorized("invalid or expired node token".into());
    let rest = token.strip_prefix("pbn_").ok_or_else(invalid)?;
    let mut parts = rest.splitn(3, '_');
    let (Some(id), Some(role), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let session = Uuid::try_parse(id).map_err(|_| invalid())?;
    let role = match role {
        "source" => Role::Source,
        "target" => Role::Target,
        _ => return Err(invalid()),
    };
    let owner = CloneSession::stream(session);
    let digest = hash(token);
    let matches = |stored: Option<Vec<u8>>| stored.is_some_and(|h| same_hash(&h, &digest));
    let liveness = if matches(stored_hash(client, &owner, &session_kind(role)).await?) {
        Liveness::Live
    } else if matches(stored_hash(client, &owner, &retired_kind(role)).await?) {
        Liveness::Retired
    } else {
        return Err(invalid());
    };
    Ok(SessionToken { session, role, liveness })
}

/// A node's own token (disk reports, partition-operation updates) and its secret row.
pub fn issue_node_token(node: Uuid) -> (String, SecretOp) {
    let token = format!("pbk_{}_{}", node.simple(), random_secret());
    let op = SecretOp::Put { owner: Node::stream(node), kind: "token".into(), value: hash(&token) };
    (token, op)
}

/// The node whose live token `token` is, from the token alone (it names its
/// node); 401 otherwise. Whether it is the node a request is about is the
/// caller's check (403).
pub async fn verify_node_token(client: &impl Db, token: &str) -> Result<Uuid, ApiError> {
    let invalid = || ApiError::Unauthorized("invalid node token".into());
    let rest = token.strip_prefix("pbk_").ok_or_else(invalid)?;
    let (id, _) = rest.split_once('_').ok_or_else(invalid)?;
    let node = Uuid::try_parse(id).map_err(|_| invalid())?;
    let stored = stored_hash(client, &Node::stream(node), "token").await?;
    if !stored.is_some_and(|h| same_hash(&h, &hash(token))) {
        return Err(invalid());
    }
    Ok(node)
}

async fn stored_hash(client: &impl Db, owner: &str, kind: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let row = client.query_opt("SELECT value FROM secrets WHERE owner = $1 AND kind = $2", &[&owner, &kind]).await?;
    Ok(row.map(|r| r.get(0)))
}

/// [`verify_node_token`] with the node keys recently refused remembered, so
/// a client repeating a bad `pbk_` token costs no query each time (see
/// [`super::refused`]). Valid keys are always checked in the database: a
/// node's calls are rare, and a rotation then takes effect at once.
#[derive(Default)]
pub struct NodeKeyCheck {
    refused: super::refused::RecentlyRefused,
}

impl NodeKeyCheck {
    pub async fn verify(&self, client: &impl Db, token: &str) -> Result<Uuid, ApiError> {
        let digest = hash(token);
        if self.refused.contains(&digest) {
            return Err(ApiError::Unauthorized("invalid node token".into()));
        }
        match verify_node_token(client, token).await {
            Err(ApiError::Unauthorized(why)) => {
                self.refused.insert(digest);
                Err(ApiError::Unauthorized(why))
            }
            other => other,
        }
    }
}

/// Session tokens recently verified for callbacks. Progress reports arrive
/// many times a second per session; checking the token's hash in the database
/// each time would double the queries on the hot path. Entries live 5 s; the
/// certificate endpoints always ask the database.
#[derive(Default)]
pub struct SessionTokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<Vec<u8>, VerifiedToken>>,
    refused: super::refused::RecentlyRefused,
}

/// A verified token and when it was checked.
type VerifiedToken = (SessionToken, std::time::Instant);

const SESSION_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl SessionTokenCache {
    /// [`verify_session_token`], answered from the cache when checked in the last 5 s.
    pub async fn verify(&self, client: &impl Db, token: &str) -> Result<SessionToken, ApiError> {
        let digest = hash(token);
        let cached = {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            entries.get(&digest).filter(|(_, at)| at.elapsed() < SESSION_TOKEN_TTL).map(|(verified, _)| *verified)
        };
        if let Some(verified) = cached {
            return Ok(verified);
        }
        if self.refused.contains(&digest) {
            return Err(ApiError::Unauthorized("invalid or expired node token".into()));
        }
        let verified = match verify_session_token(client, token).await {
            Err(ApiError::Unauthorized(why)) => {
                self.refused.insert(digest);
                return Err(ApiError::Unauthorized(why));
            }
            other => other?,
        };
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > 50_000 {
            entries.clear();
        }
        entries.insert(digest, (verified, std::time::Instant::now()));
        Ok(verified)
    }

    /// Drops the cached tokens of one role of `session`, after its token was
    /// replaced, so this instance refuses the old token at once (other
    /// instances within the 5 s of their entries).
    pub fn forget(&self, session: Uuid, role: Role) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, (verified, _)| verified.session != session || verified.role != role);
    }
}
