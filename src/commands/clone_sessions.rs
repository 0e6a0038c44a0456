//! Clone-session commands that need more than one aggregate's state: checking
//! the referenced nodes and backend, issuing certificates, and keeping private
//! keys (sealed) outside the log until the session ends.

use std::net::IpAddr;

use uuid::Uuid;

use super::Decision;
use crate::app::App;
use crate::auth::node_tokens::{SessionTokens, issue_role_token, issue_session_tokens, retire_session_tokens};
use crate::domain::Rejection;
use crate::domain::clone_session::{
    self as session, CloneMode, CloneSession, CloneSessionEvent, Role, SessionPatch, SessionSpec,
};
use crate::domain::node::Node;
use crate::domain::storage_backend::StorageBackend;
use crate::error::ApiError;
use crate::event_store::Aggregate;
use crate::event_store::{Metadata, SecretOp};
use crate::projections::clone_sessions::{self, CloneSessionView, ReferencedNames};

/// Creates a session (with certificates in direct mode); returns its view and
/// the node tokens of both roles (their hashes are stored, never the tokens).
/// The view is built from what was decided, so the response does not wait
/// for the projections (a test holds it equal to the folded row).
pub async fn create(
    app: &App,
    metadata: &Metadata,
    spec: SessionSpec,
) -> Result<(CloneSessionView, SessionTokens), ApiError> {
    let spec = session::check_spec(spec)?;
    let names = check_references(app, spec.source_node_id, spec.target_node_id, spec.staging_backend_id).await?;
    let id = Uuid::new_v4();
    let (certificates, mut secrets) = issue_certificates(app, id, &spec).await?;
    let (tokens, token_secrets) = issue_session_tokens(id);
    secrets.extend(token_secrets);
    let now = super::now();
    let executed = app
        .execute::<CloneSession, _>(metadata, id, |state| {
            let events = session::create(state, id, spec.clone(), metadata.actor.clone(), certificates.clone(), now)?;
            Ok::<_, Rejection>(Decision { events, claims: Vec::new(), secrets: secrets.clone() })
        })
        .await?;
    let created = session::SessionCreated { id, spec, created_by: metadata.actor.clone(), at: now };
    Ok((CloneSessionView::created(&created, &certificates, names, executed.last_position), tokens))
}

/// The new credentials of a role whose node changed, shown only in the
/// PATCH response that changed it.
pub struct RoleToken {
    pub role: Role,
    pub token: String,
}

/// Changes a pending session; returns its view right after this change,
/// built from the state the command left (not read back from the query
/// table, where a concurrent change may already show).
///
/// A new target node takes the role over: in the same transaction the old
/// target's token is replaced by a new one (returned here, once), and in
/// direct mode a certificate is issued for the new node, superseding the old
/// one (which the CRL then lists) and replacing its sealed key. Only the
/// target can move: the source is fixed at creation.
pub async fn update(
    app: &App,
    metadata: &Metadata,
    id: Uuid,
    patch: SessionPatch,
) -> Result<(CloneSessionView, Option<RoleToken>), ApiError> {
    let mut credentials = None;
    if let Some(target) = patch.target_node_id {
        check_references(app, target, None, None)
            .await
            .map_err(|_| ApiError::NotFound("Target node not found".into()))?;
        credentials = Some(retarget_credentials(app, id, target).await?);
    }
    let mut retargeted = false;
    let executed = app
        .execute::<CloneSession, _>(metadata, id, |state| {
            let (certificate, secrets) = match &credentials {
                Some((_, certificate, secrets)) => (certificate.clone(), secrets.clone()),
                None => (None, Vec::new()),
            };
            let events = session::update(state, patch.clone(), certificate)?;
            retargeted =
                events.iter().any(|e| matches!(e, CloneSessionEvent::Updated(u) if u.target_node_id.is_some()));
            let secrets = if retargeted { secrets } else { Vec::new() };
            Ok::<_, Rejection>(Decision { events, claims: Vec::new(), secrets })
        })
        .await?;
    let token = match credentials.filter(|_| retargeted && executed.wrote) {
        Some((token, _, _)) => {
            app.session_tokens.forget(id, Role::Target);
            Some(RoleToken { role: Role::Target, token })
        }
        None => None,
    };
    let position = if executed.wrote {
        executed.last_position
    } else {
        super::position_at(app, &CloneSession::stream(id), executed.version).await?
    };
    let names = current_names(app, executed.state.spec.as_ref()).await?;
    let view = CloneSessionView::pending(id, &executed.state, names, position)
        .ok_or_else(|| ApiError::Internal(format!("clone session {id} is not pending after an accepted update")))?;
    Ok((view, token))
}

/// Credentials for `target` taking over the target role of session `id`: a
/// new token, and in direct mode (with a CA) a certificate naming the node's
/// IP, with the secret rows that replace the old ones. Prepared before the
/// command so no signing happens inside its transaction; thrown away unless
/// the target really changes. Without a new private key (no CA), the old
/// one is deleted all the same.
async fn retarget_credentials(
    app: &App,
    id: Uuid,
    target: Uuid,
) -> Result<(String, Option<session::CertificateIssued>, Vec<SecretOp>), ApiError> {
    let (state, _) = app.clone_sessions.load(&app.pool, &CloneSession::stream(id)).await?;
    let (token, token_op) = issue_role_token(id, Role::Target);
    let owner = CloneSession::stream(id);
    let mut secrets = vec![
        token_op,
        SecretOp::Delete { owner: owner.clone(), kind: cert_kind(Role::Target) },
        SecretOp::Delete { owner: owner.clone(), kind: key_kind(Role::Target) },
    ];
    let direct = state.spec.as_ref().is_some_and(|s| s.clone_mode == CloneMode::Direct);
    let Some(ca) = app.ca.as_ref().filter(|_| direct) else { return Ok((token, None, secrets)) };
    let issued =
        ca.issue(id, Role::Target, node_ip(app, target).await?).map_err(|e| ApiError::Internal(e.to_string()))?;
    secrets.extend(certificate_secrets(app, &owner, Role::Target, issued.cert_pem, issued.key_pem)?);
    Ok((token, Some(issued.facts), secrets))
}

/// The current names of what `spec` refers to; a deleted node or backend has none.
async fn current_names(app: &App, spec: Option<&SessionSpec>) -> Result<ReferencedNames, ApiError> {
    let Some(spec) = spec else { return Ok(ReferencedNames { source: None, target: None, backend: None }) };
    let source = super::registered_node(app, spec.source_node_id).await?;
    let target = match spec.target_node_id {
        Some(target) => super::registered_node(app, target).await?,
        None => None,
    };
    let backend = match spec.staging_backend_id {
        Some(backend) => {
            let (state, _) = app.storage_backends.load(&app.pool, &StorageBackend::stream(backend)).await?;
            state.details.map(|details| details.name)
        }
        None => None,
    };
    Ok(ReferencedNames { source, target, backend })
}

/// Runs a session command; when it ends the session, the session's keys are
/// destroyed in the same transaction.
pub async fn run(
    app: &App,
    metadata: &Metadata,
    id: Uuid,
    decide: impl Fn(&CloneSession) -> Result<Vec<CloneSessionEvent>, Rejection>,
) -> Result<CloneSession, ApiError> {
    let executed = app
        .execute::<CloneSession, _>(metadata, id, |state| {
            let events = decide(state)?;
            let secrets = end_of_session_secrets(id, &events);
            Ok::<_, Rejection>(Decision { events, claims: Vec::new(), secrets })
        })
        .await?;
    Ok(executed.state)
}

/// When a session ends its private keys and certificates are destroyed and
/// its node tokens retired; when it is deleted, every secret of it goes.
fn end_of_session_secrets(id: Uuid, events: &[CloneSessionEvent]) -> Vec<SecretOp> {
    use CloneSessionEvent as E;
    let owner = CloneSession::stream(id);
    if events.iter().any(|e| matches!(e, E::Deleted { .. })) {
        return vec![SecretOp::DeleteOwner { owner }];
    }
    if !events.iter().any(|e| matches!(e, E::Completed { .. } | E::Failed { .. } | E::Cancelled { .. })) {
        return Vec::new();
    }
    let mut ops: Vec<SecretOp> = [Role::Source, Role::Target]
        .into_iter()
        .flat_map(|role| [cert_kind(role), key_kind(role)])
        .map(|kind| SecretOp::Delete { owner: owner.clone(), kind })
        .collect();
    ops.extend(retire_session_tokens(id));
    ops
}

/// Checks the referenced node(s) and backend exist — on their aggregates,
/// which are current without waiting for the projections — and returns
/// their names.
async fn check_references(
    app: &App,
    source: Uuid,
    target: Option<Uuid>,
    backend: Option<Uuid>,
) -> Result<ReferencedNames, ApiError> {
    let source =
        super::registered_node(app, source).await?.ok_or_else(|| ApiError::NotFound("Source node not found".into()))?;
    let target = match target {
        Some(target) => Some(
            super::registered_node(app, target)
                .await?
                .ok_or_else(|| ApiError::NotFound("Target node not found".into()))?,
        ),
        None => None,
    };
    let backend = match backend {
        Some(backend) => {
            let (state, _) = app.storage_backends.load(&app.pool, &StorageBackend::stream(backend)).await?;
            Some(state.details.ok_or_else(|| ApiError::NotFound("Storage backend not found".into()))?.name)
        }
        None => None,
    };
    Ok(ReferencedNames { source: Some(source), target, backend })
}

/// Certificates for both roles of a direct session, as event facts plus the
/// secret rows (certificate PEM, sealed private key) kept outside the log.
async fn issue_certificates(
    app: &App,
    id: Uuid,
    spec: &SessionSpec,
) -> Result<(Vec<session::CertificateIssued>, Vec<SecretOp>), ApiError> {
    let Some(ca) = app.ca.as_ref().filter(|_| spec.clone_mode == CloneMode::Direct) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let owner = CloneSession::stream(id);
    let mut facts = Vec::new();
    let mut secrets = Vec::new();
    for role in [Role::Source, Role::Target] {
        let san_ip = role_ip(app, spec, role).await?;
        let issued = ca.issue(id, role, san_ip).map_err(|e| ApiError::Internal(e.to_string()))?;
        secrets.extend(certificate_secrets(app, &owner, role, issued.cert_pem, issued.key_pem)?);
        facts.push(issued.facts);
    }
    Ok((facts, secrets))
}

/// The secret rows of a role's certificate: its PEM, and its private key
/// sealed (a put replaces the row, so a previous key is gone with it).
fn certificate_secrets(
    app: &App,
    owner: &str,
    role: Role,
    cert_pem: String,
    key_pem: Option<String>,
) -> Result<Vec<SecretOp>, ApiError> {
    let mut secrets =
        vec![SecretOp::Put { owner: owner.to_owned(), kind: cert_kind(role), value: cert_pem.into_bytes() }];
    if let Some(key) = key_pem {
        let kind = key_kind(role);
        let sealed = app
            .secrets
            .seal(&format!("{owner}/{kind}"), key.as_bytes())
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        secrets.push(SecretOp::Put { owner: owner.to_owned(), kind, value: sealed });
    }
    Ok(secrets)
}

/// The IP a role's certificate names beside its CN: the registered IP of
/// the node playing the role, read from the node's aggregate (current without
/// waiting for the projections). Both ways of issuing (at creation and for a
/// CSR) ask here, so both certificates name the same addresses; a node with
/// no registered IP gets the CN alone.
async fn role_ip(app: &App, spec: &SessionSpec, role: Role) -> Result<Option<IpAddr>, ApiError> {
    let node = match role {
        Role::Source => Some(spec.source_node_id),
        Role::Target => spec.target_node_id,
    };
    match node {
        Some(node) => node_ip(app, node).await,
        None => Ok(None),
    }
}

/// The registered IP of `node`, if it has a valid one.
async fn node_ip(app: &App, node: Uuid) -> Result<Option<IpAddr>, ApiError> {
    let (node, _) = app.nodes.load(&app.pool, &Node::stream(node)).await?;
    Ok(node.details.and_then(|d| d.ip_address).and_then(|ip| ip.parse().ok()))
}

fn cert_kind(role: Role) -> String {
    format!("cert:{}", role.as_str())
}

fn key_kind(role: Role) -> String {
    format!("key:{}", role.as_str())
}

/// The spec's certificate bundle for one role.
pub struct CertBundle {
    pub cert_pem: String,
    pub key_pem: String,
    pub ca_pem: String,
}

pub async fn certificate_bundle(app: &App, id: Uuid, role: Role) -> Result<CertBundle, ApiError> {
    let conn = app.read_model().await?;
    let view =
        clone_sessions::get(&*conn, id).await?.ok_or_else(|| ApiError::NotFound("Clone session not found".into()))?;
    if view.clone_mode != "direct" {
        return Err(ApiError::BadRequest("Certificates only available for direct mode sessions".into()));
    }
    let ca = app.ca.as_ref().ok_or_else(|| ApiError::Unavailable("CA service not initialized".into()))?;
    let owner = CloneSession::stream(id);
    let rows = conn
        .query(
            "SELECT kind, value FROM secrets WHERE owner = $1 AND kind = ANY($2)",
            &[&owner, &vec![cert_kind(role), key_kind(role)]],
        )
        .await?;
    let find = |kind: String| rows.iter().find(|r| r.get::<_, &str>(0) == kind).map(|r| r.get::<_, Vec<u8>>(1));
    let (Some(cert), Some(sealed)) = (find(cert_kind(role)), find(key_kind(role))) else {
        return Err(ApiError::NotFound(format!("Certificates not found for {}", role.as_str())));
    };
    let key = app
        .secrets
        .open(&format!("{owner}/{}", key_kind(role)), &sealed)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(CertBundle {
        cert_pem: String::from_utf8_lossy(&cert).into_owned(),
        key_pem: String::from_utf8_lossy(&key).into_owned(),
        ca_pem: ca.ca_pem().to_owned(),
    })
}

/// Signs a node's CSR for `role`: the node keeps its private key. The new
/// certificate replaces the role's current one (which the CRL then lists),
/// and any private key the controller held for the role is destroyed.
pub async fn sign_csr(
    app: &App,
    metadata: &Metadata,
    id: Uuid,
    role: Role,
    csr_pem: &str,
) -> Result<(String, session::CertificateIssued), ApiError> {
    let ca = app.ca.as_ref().ok_or_else(|| ApiError::Unavailable("CA service not initialized".into()))?;
    let (state, _) = app.clone_sessions.load(&app.pool, &CloneSession::stream(id)).await?;
    session::may_reissue(&state, role)?;
    let spec = state.spec.ok_or_else(|| ApiError::NotFound("Clone session not found".into()))?;
    let san_ip = role_ip(app, &spec, role).await?;
    let issued = ca.issue_for_csr(id, role, csr_pem, san_ip).map_err(|err| match err {
        crate::ca::CaError::Csr(message) => ApiError::invalid("csr_pem", message),
        other => ApiError::Internal(other.to_string()),
    })?;
    let owner = CloneSession::stream(id);
    let secrets = vec![
        SecretOp::Put { owner: owner.clone(), kind: cert_kind(role), value: issued.cert_pem.clone().into_bytes() },
        SecretOp::Delete { owner, kind: key_kind(role) },
    ];
    let facts = issued.facts.clone();
    app.execute::<CloneSession, _>(metadata, id, |state| {
        let events = session::reissue(state, facts.clone())?;
        Ok::<_, Rejection>(Decision { events, claims: Vec::new(), secrets: secrets.clone() })
    })
    .await?;
    Ok((issued.cert_pem, issued.facts))
}
