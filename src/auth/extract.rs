//! `Auth<R>`: an extractor that authenticates the operator token and checks
//! its role against the endpoint's requirement, yielding the request context
//! (with the token's name as the actor recorded in the log).

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::{OperatorIdentity, OperatorRole};
use crate::app::App;
use crate::domain::clone_session::Role;
use crate::error::ApiError;
use crate::request::{RequestContext, path_id};

/// The least role an endpoint needs.
pub trait Requirement {
    const ROLE: OperatorRole;
}

/// Read-only access.
pub struct Viewer;
/// Clone sessions and disks.
pub struct Operator;
/// Everything, including the node and storage registries.
pub struct Admin;

impl Requirement for Viewer {
    const ROLE: OperatorRole = OperatorRole::Viewer;
}
impl Requirement for Operator {
    const ROLE: OperatorRole = OperatorRole::Operator;
}
impl Requirement for Admin {
    const ROLE: OperatorRole = OperatorRole::Admin;
}

pub struct Auth<R> {
    pub ctx: RequestContext,
    pub identity: OperatorIdentity,
    _requirement: PhantomData<R>,
}

/// The token of `Authorization: Bearer <token>`, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The operator behind `token`: 401 when it is missing or no live token at
/// all, 403 when it is a live node token (valid, but not for this route).
pub async fn authenticate(app: &App, token: Option<&str>) -> Result<OperatorIdentity, ApiError> {
    let token = token.ok_or_else(|| ApiError::Unauthorized("missing bearer token (Authorization: Bearer …)".into()))?;
    let conn = app.pool.get().await?;
    if let Some(identity) = app.tokens.verify(&*conn, token).await? {
        return Ok(identity);
    }
    if (token.starts_with("pbn_") || token.starts_with("pbk_")) && live_elsewhere(app, token).await? {
        return Err(ApiError::Forbidden("a node token may not do this; it needs an operator token".into()));
    }
    Err(ApiError::Unauthorized("invalid or revoked token".into()))
}

/// Whether `token` is a live credential of any class (operator, session node
/// or node token). A route that does not take the token's class answers 403
/// for a live one ("valid, but not here") and 401 for anything else; retired
/// session tokens count as dead here. Only asked after the route's own check
/// failed, so valid requests pay nothing for it.
async fn live_elsewhere(app: &App, token: &str) -> Result<bool, ApiError> {
    let conn = app.pool.get().await?;
    Ok(if token.starts_with("pbn_") {
        super::node_tokens::verify_session_token(&*conn, token)
            .await
            .is_ok_and(|t| t.liveness == super::node_tokens::Liveness::Live)
    } else if token.starts_with("pbk_") {
        app.node_keys.verify(&*conn, token).await.is_ok()
    } else {
        app.tokens.verify(&*conn, token).await?.is_some()
    })
}

/// 403 unless `identity` holds at least `needed`.
pub fn require(identity: &OperatorIdentity, needed: OperatorRole) -> Result<(), ApiError> {
    if identity.role < needed {
        return Err(ApiError::Forbidden(format!(
            "the {} role may not do this; it needs {}",
            identity.role.as_str(),
            needed.as_str()
        )));
    }
    Ok(())
}

impl<R: Requirement> FromRequestParts<Arc<App>> for Auth<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let identity = authenticate(app, bearer(&parts.headers)).await?;
        require(&identity, R::ROLE)?;
        let mut ctx = RequestContext::from_request_parts(parts, app).await?;
        ctx.actor = Some(format!("operator:{}", identity.name));
        Ok(Self { ctx, identity, _requirement: PhantomData })
    }
}

/// Which callers a node-facing clone-session route accepts besides the
/// session's own node tokens.
pub trait SessionPolicy {
    /// Operators of at least this role may act too.
    const OPERATORS: Option<OperatorRole>;
    /// Whether a retired token (its session ended) passes. Callbacks are
    /// replayed after the end and must be answered; keys are never handed out.
    /// A route that refuses retired tokens checks them in the database, not
    /// the 5-second cache, so a token dies the moment its session ends.
    const RETIRED_OK: bool;
}

/// Clone progress from the nodes (`source-ready`, `progress`).
pub struct Callback;
/// `complete` / `failed`: either node, or an operator settling a stuck session.
pub struct Settle;
/// Certificates and CSRs: a live node token only.
pub struct Keys;
/// Reading the session (`GET /clone-sessions/{id}`): viewers, and the
/// session's agents, which learn the source's address and watch for a cancel
/// this way, also after the end (to see how it ended).
pub struct Watch;

impl SessionPolicy for Callback {
    const OPERATORS: Option<OperatorRole> = None;
    const RETIRED_OK: bool = true;
}
impl SessionPolicy for Settle {
    const OPERATORS: Option<OperatorRole> = Some(OperatorRole::Operator);
    const RETIRED_OK: bool = true;
}
impl SessionPolicy for Watch {
    const OPERATORS: Option<OperatorRole> = Some(OperatorRole::Viewer);
    const RETIRED_OK: bool = true;
}
impl SessionPolicy for Keys {
    const OPERATORS: Option<OperatorRole> = None;
    const RETIRED_OK: bool = false;
}

/// The caller of a route under `/clone-sessions/{id}/…` that nodes call,
/// authenticated before anything else of the request is read: the token
/// first (401; 403 for a live operator or `pbk_` token where the route takes
/// none), then the `{id}` of the path (400), then whether the token belongs
/// to that session (a live token of another: 403; a retired one: 401). Only then do the query and body extractors
/// run, so an unauthenticated request learns nothing about what it sent.
/// The role a route needs may depend on the body (`progress`), so it is
/// checked by [`SessionAuth::as_role`] in the handler.
pub struct SessionAuth<P> {
    /// The session of the path.
    pub session: uuid::Uuid,
    /// The node token's role; `None` for an operator.
    role: Option<Role>,
    ctx: RequestContext,
    _policy: PhantomData<P>,
}

impl<P: SessionPolicy + Send + Sync> FromRequestParts<Arc<App>> for SessionAuth<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let mut ctx = RequestContext::from_request_parts(parts, app).await?;
        let token = bearer(&parts.headers);
        if let (Some(needed), Some(t)) = (P::OPERATORS, token)
            && !t.starts_with("pbn_")
        {
            let identity = authenticate(app, Some(t)).await?;
            require(&identity, needed)?;
            ctx.actor = Some(format!("operator:{}", identity.name));
            let session = path_id(parts, app, "id").await?;
            return Ok(Self { session, role: None, ctx, _policy: PhantomData });
        }
        let token =
            token.ok_or_else(|| ApiError::Unauthorized("missing node token (Authorization: Bearer …)".into()))?;
        if !token.starts_with("pbn_") && live_elsewhere(app, token).await? {
            return Err(ApiError::Forbidden("this route takes the clone session's node token".into()));
        }
        let conn = app.pool.get().await?;
        let verified = if P::RETIRED_OK {
            app.session_tokens.verify(&*conn, token).await?
        } else {
            super::node_tokens::verify_session_token(&*conn, token).await?
        };
        let session = path_id(parts, app, "id").await?;
        // A retired token only replays callbacks to its own ended session;
        // anywhere else it is as dead as a forged one.
        if verified.liveness == super::node_tokens::Liveness::Retired && (!P::RETIRED_OK || verified.session != session)
        {
            return Err(ApiError::Unauthorized("node token expired: the clone session has ended".into()));
        }
        if verified.session != session {
            return Err(ApiError::Forbidden("this node token belongs to another clone session".into()));
        }
        ctx.actor = Some(format!("node:{}", verified.role.as_str()));
        Ok(Self { session, role: Some(verified.role), ctx, _policy: PhantomData })
    }
}

impl<P> SessionAuth<P> {
    /// The node token's role; `None` for an operator.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// The request context for acting in one of `roles`: 403 for a node token
    /// of another role (operators, where the route admits them, pass).
    pub fn as_role(self, roles: &[Role]) -> Result<RequestContext, ApiError> {
        match self.role {
            Some(role) if !roles.contains(&role) => {
                Err(ApiError::Forbidden(format!("a {} token may not do this", role.as_str())))
            }
            _ => Ok(self.ctx),
        }
    }
}

/// A node's own call under `/nodes/{id}/…` (disk reports, partition
/// operations) with its `pbk_…` token, authenticated before anything else of
/// the request is read: the token (401), the `{id}` of the path (400), then
/// whether it is that node's token (403). Records the node as the actor.
pub struct NodeAuth {
    /// The node of the path.
    pub node: uuid::Uuid,
    pub ctx: RequestContext,
}

impl FromRequestParts<Arc<App>> for NodeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let mut ctx = RequestContext::from_request_parts(parts, app).await?;
        let token = bearer(&parts.headers)
            .ok_or_else(|| ApiError::Unauthorized("missing node token (Authorization: Bearer …)".into()))?;
        if !token.starts_with("pbk_") && live_elsewhere(app, token).await? {
            return Err(ApiError::Forbidden("this route takes the node's own token (pbk_…)".into()));
        }
        let conn = app.pool.get().await?;
        let verified = app.node_keys.verify(&*conn, token).await?;
        let node = path_id(parts, app, "id").await?;
        if verified != node {
            return Err(ApiError::Forbidden("this node token belongs to another node".into()));
        }
        ctx.actor = Some(format!("node:{node}"));
        Ok(Self { node, ctx })
    }
}
