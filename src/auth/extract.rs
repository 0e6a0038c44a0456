//! `Auth<R>`: an extractor that authenticates the operator token and checks
//! its role against the endpoint's requirement, yielding the request context
//! (with the token's name as the actor recorded in the log).

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::{OperatorIdentity, OperatorRole};
use crate::api::context::RequestContext;
use crate::app::App;
use crate::error::ApiError;

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

impl App {
    /// The operator behind `token`, or 401.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<OperatorIdentity, ApiError> {
        let token =
            token.ok_or_else(|| ApiError::Unauthorized("missing bearer token (Authorization: Bearer …)".into()))?;
        let conn = self.pool.get().await?;
        self.tokens
            .verify(&*conn, token)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("invalid or revoked token".into()))
    }
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
        let identity = app.authenticate(bearer(&parts.headers)).await?;
        require(&identity, R::ROLE)?;
        let mut ctx = RequestContext::from_request_parts(parts, app).await?;
        ctx.actor = Some(format!("operator:{}", identity.name));
        Ok(Self { ctx, identity, _requirement: PhantomData })
    }
}

/// Authorises a node callback on `session`: a session token whose role is in
/// `roles`, or (when `operators` is set) an operator token with that role.
/// A retired token (its session ended) passes only when `retired_ok`.
/// Returns the request context with the caller recorded as actor.
pub async fn session_caller(
    app: &App,
    headers: &HeaderMap,
    mut ctx: RequestContext,
    session: uuid::Uuid,
    roles: &[crate::domain::clone_session::Role],
    operators: Option<OperatorRole>,
    retired_ok: bool,
) -> Result<RequestContext, ApiError> {
    let token = bearer(headers);
    if let (Some(needed), Some(t)) = (operators, token)
        && (t.starts_with("pbo_") || !t.starts_with("pbn_"))
    {
        let identity = app.authenticate(Some(t)).await?;
        require(&identity, needed)?;
        ctx.actor = Some(format!("operator:{}", identity.name));
        return Ok(ctx);
    }
    let token = token.ok_or_else(|| ApiError::Unauthorized("missing node token (Authorization: Bearer …)".into()))?;
    let conn = app.pool.get().await?;
    let (role, liveness) = if retired_ok {
        app.session_tokens.verify(&*conn, token, session).await?
    } else {
        super::node_tokens::verify_session_token(&*conn, token, session).await?
    };
    if liveness == super::node_tokens::Liveness::Retired && !retired_ok {
        return Err(ApiError::Unauthorized("node token expired: the clone session has ended".into()));
    }
    if !roles.contains(&role) {
        return Err(ApiError::Forbidden(format!("a {} token may not do this", role.as_str())));
    }
    ctx.actor = Some(format!("node:{}", role.as_str()));
    Ok(ctx)
}

/// Authorises a node's own call (disk reports, partition-operation updates)
/// with its `pbk_…` token; records the node as the actor.
pub async fn node_caller(
    app: &App,
    headers: &HeaderMap,
    mut ctx: RequestContext,
    node: uuid::Uuid,
) -> Result<RequestContext, ApiError> {
    let token =
        bearer(headers).ok_or_else(|| ApiError::Unauthorized("missing node token (Authorization: Bearer …)".into()))?;
    let conn = app.pool.get().await?;
    super::node_tokens::verify_node_token(&*conn, token, node).await?;
    ctx.actor = Some(format!("node:{node}"));
    Ok(ctx)
}
