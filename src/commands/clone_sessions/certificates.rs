//! A clone session's certificates: issued at creation (direct mode), for a
//! new target, or for a node's CSR. Certificates and sealed private keys are
//! secret rows of the session (owner `clone_session:{id}`, kinds
//! [`cert_kind`] and [`key_kind`]), written in the command's transaction.

use std::net::IpAddr;

use uuid::Uuid;

use crate::auth::node_tokens::issue_role_token;
use crate::commands::Context;
use crate::commands::Decision;
use crate::domain::Rejection;
use crate::domain::clone_session::{self as session, CloneMode, CloneSession, Role, SessionSpec};
use crate::domain::node::Node;
use crate::error::ApiError;
use crate::event_store::{Aggregate, Metadata, SecretOp};

/// Credentials for `target` taking over the target role of session `id`: a
/// new token, and in direct mode (with a CA) a certificate naming the node's
/// IP, with the secret rows that replace the old ones. Prepared before the
/// command so no signing happens inside its transaction; thrown away unless
/// the target really changes. Without a new private key (no CA), the old
/// one is deleted all the same.
pub(super) async fn for_new_target(
    cx: &Context<'_>,
    id: Uuid,
    target: Uuid,
) -> Result<(String, Option<session::CertificateIssued>, Vec<SecretOp>), ApiError> {
    let (state, _) = cx.executor.load::<CloneSession>(id).await?;
    let (token, token_op) = issue_role_token(id, Role::Target);
    let owner = CloneSession::stream(id);
    let mut secrets = vec![
        token_op,
        SecretOp::Delete { owner: owner.clone(), kind: cert_kind(Role::Target) },
        SecretOp::Delete { owner: owner.clone(), kind: key_kind(Role::Target) },
    ];
    let direct = state.spec.as_ref().is_some_and(|s| s.clone_mode == CloneMode::Direct);
    let Some(ca) = cx.ca.filter(|_| direct) else { return Ok((token, None, secrets)) };
    let issued =
        ca.issue(id, Role::Target, node_ip(cx, target).await?).map_err(|e| ApiError::Internal(e.to_string()))?;
    secrets.extend(certificate_secrets(cx, &owner, Role::Target, issued.cert_pem, issued.key_pem)?);
    Ok((token, Some(issued.facts), secrets))
}

/// Certificates for both roles of a direct session, as event facts plus the
/// secret rows (certificate PEM, sealed private key) kept outside the log.
pub(super) async fn issue(
    cx: &Context<'_>,
    id: Uuid,
    spec: &SessionSpec,
) -> Result<(Vec<session::CertificateIssued>, Vec<SecretOp>), ApiError> {
    let Some(ca) = cx.ca.filter(|_| spec.clone_mode == CloneMode::Direct) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let owner = CloneSession::stream(id);
    let mut facts = Vec::new();
    let mut secrets = Vec::new();
    for role in [Role::Source, Role::Target] {
        let san_ip = role_ip(cx, spec, role).await?;
        let issued = ca.issue(id, role, san_ip).map_err(|e| ApiError::Internal(e.to_string()))?;
        secrets.extend(certificate_secrets(cx, &owner, role, issued.cert_pem, issued.key_pem)?);
        facts.push(issued.facts);
    }
    Ok((facts, secrets))
}

/// The secret rows of a role's certificate: its PEM, and its private key
/// sealed (a put replaces the row, so a previous key is gone with it).
fn certificate_secrets(
    cx: &Context<'_>,
    owner: &str,
    role: Role,
    cert_pem: String,
    key_pem: Option<String>,
) -> Result<Vec<SecretOp>, ApiError> {
    let mut secrets =
        vec![SecretOp::Put { owner: owner.to_owned(), kind: cert_kind(role), value: cert_pem.into_bytes() }];
    if let Some(key) = key_pem {
        let kind = key_kind(role);
        let sealed = cx
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
async fn role_ip(cx: &Context<'_>, spec: &SessionSpec, role: Role) -> Result<Option<IpAddr>, ApiError> {
    let node = match role {
        Role::Source => Some(spec.source_node_id),
        Role::Target => spec.target_node_id,
    };
    match node {
        Some(node) => node_ip(cx, node).await,
        None => Ok(None),
    }
}

/// The registered IP of `node`, if it has a valid one.
async fn node_ip(cx: &Context<'_>, node: Uuid) -> Result<Option<IpAddr>, ApiError> {
    let (node, _) = cx.executor.load::<Node>(node).await?;
    Ok(node.details.and_then(|d| d.ip_address).and_then(|ip| ip.parse().ok()))
}

/// The secret row of `role`'s certificate (PEM).
pub fn cert_kind(role: Role) -> String {
    format!("cert:{}", role.as_str())
}

/// The secret row of `role`'s private key (sealed), while the controller holds one.
pub fn key_kind(role: Role) -> String {
    format!("key:{}", role.as_str())
}

/// Signs a node's CSR for `role`: the node keeps its private key. The new
/// certificate replaces the role's current one (which the CRL then lists),
/// and any private key the controller held for the role is destroyed.
pub async fn sign_csr(
    cx: &Context<'_>,
    metadata: &Metadata,
    id: Uuid,
    role: Role,
    csr_pem: &str,
) -> Result<(String, session::CertificateIssued), ApiError> {
    let ca = cx.ca.ok_or_else(|| ApiError::Unavailable("CA service not initialized".into()))?;
    let (state, _) = cx.executor.load::<CloneSession>(id).await?;
    session::may_reissue(&state, role)?;
    let spec = state.spec.ok_or_else(|| ApiError::NotFound("Clone session not found".into()))?;
    let san_ip = role_ip(cx, &spec, role).await?;
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
    cx.executor
        .execute::<CloneSession, _>(metadata, id, |state, _| {
            let events = session::reissue(state, facts.clone())?;
            Ok::<_, Rejection>(Decision { events, claims: Vec::new(), secrets: secrets.clone() })
        })
        .await?;
    Ok((issued.cert_pem, issued.facts))
}
