//! Storage backend commands. Credentials never enter the log: each is sealed
//! (AES-256-GCM, bound to the backend and the field) into a secret row
//! written with the events; the events only name which ones are set.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use uuid::Uuid;

use super::Decision;
use crate::commands::Context;
use crate::domain::Rejection;
use crate::domain::backend_config;
use crate::domain::storage_backend::{self as backend, BackendEvent, BackendInput, BackendPatch, StorageBackend};
use crate::error::ApiError;
use crate::event_store::{Aggregate, Metadata, SecretOp};
use crate::projections::storage_backends::StorageBackendView;

/// Creates a backend from its input and the request's raw `config` (whose
/// credential values are sealed); returns it as created.
pub async fn create(
    cx: &Context<'_>,
    metadata: &Metadata,
    input: BackendInput,
    config: &Value,
) -> Result<StorageBackendView, ApiError> {
    let id = Uuid::new_v4();
    let sealed = seal_credentials(cx, id, Some(config))?;
    let executed = cx
        .executor
        .execute::<StorageBackend, _>(metadata, id, |state, now| {
            Ok::<_, Rejection>(decision(id, backend::create(state, id, input.clone(), now)?, &sealed))
        })
        .await?;
    view_of(&executed.state)
}

/// Changes a backend; returns it as this change left it.
pub async fn update(
    cx: &Context<'_>,
    metadata: &Metadata,
    id: Uuid,
    patch: BackendPatch,
) -> Result<StorageBackendView, ApiError> {
    let sealed = seal_credentials(cx, id, patch.config.as_ref())?;
    let executed = cx
        .executor
        .execute::<StorageBackend, _>(metadata, id, |state, now| {
            Ok::<_, Rejection>(decision(id, backend::update(state, patch.clone(), now)?, &sealed))
        })
        .await?;
    view_of(&executed.state)
}

/// Deletes a backend and every secret of it.
pub async fn delete(cx: &Context<'_>, metadata: &Metadata, id: Uuid) -> Result<(), ApiError> {
    cx.executor
        .execute::<StorageBackend, _>(metadata, id, |state, now| {
            Ok::<_, Rejection>(decision(id, backend::delete(state, now)?, &BTreeMap::new()))
        })
        .await?;
    Ok(())
}

/// The name of backend `id`, or `None` when there is none. Read from its
/// aggregate, which is current without waiting for the projections.
pub async fn existing(cx: &Context<'_>, id: Uuid) -> Result<Option<String>, ApiError> {
    let (state, _) = cx.executor.load::<StorageBackend>(id).await?;
    Ok(state.details.map(|details| details.name))
}

/// Credential `name` of backend `id`, unsealed, or `None` when it is not
/// set: for the node agents that need it (staging-info), never an operator.
pub async fn credential(
    cx: &Context<'_>,
    client: &impl crate::db::Db,
    id: Uuid,
    name: &str,
) -> Result<Option<String>, ApiError> {
    let owner = StorageBackend::stream(id);
    let kind = credential_kind(name);
    let row = client.query_opt("SELECT value FROM secrets WHERE owner = $1 AND kind = $2", &[&owner, &kind]).await?;
    let Some(row) = row else { return Ok(None) };
    let sealed: Vec<u8> = row.get(0);
    let value = cx.secrets.open(&format!("{owner}/{kind}"), &sealed).map_err(|e| ApiError::Internal(e.to_string()))?;
    String::from_utf8(value).map(Some).map_err(|e| ApiError::Internal(format!("credential {name}: {e}")))
}

/// The backend as the command left it (never a later command's change).
fn view_of(backend: &StorageBackend) -> Result<StorageBackendView, ApiError> {
    StorageBackendView::of(backend).ok_or_else(|| ApiError::Internal("a storage command left no backend".into()))
}

/// The request's credential values, sealed before the decision: which of
/// them the backend's type accepts is decided on the current state, inside
/// the command.
fn seal_credentials(cx: &Context<'_>, id: Uuid, config: Option<&Value>) -> Result<BTreeMap<String, Vec<u8>>, ApiError> {
    let owner = StorageBackend::stream(id);
    backend_config::credential_values(config)
        .into_iter()
        .map(|(name, value)| {
            let kind = credential_kind(name);
            let sealed = cx.secrets.seal(&format!("{owner}/{kind}"), value.as_bytes());
            Ok((name.to_owned(), sealed.map_err(|e| ApiError::Internal(e.to_string()))?))
        })
        .collect()
}

fn credential_kind(name: &str) -> String {
    format!("credential:{name}")
}

/// The decision with its secret operations: the sealed value of every
/// credential the events say was set, a delete for each one removed, and
/// every secret of a deleted backend.
fn decision(
    id: Uuid,
    (events, claims, removed): backend::Decided,
    sealed: &BTreeMap<String, Vec<u8>>,
) -> Decision<BackendEvent> {
    let owner = StorageBackend::stream(id);
    let mut secrets = Vec::new();
    for event in &events {
        let given: BTreeSet<&String> = match event {
            BackendEvent::Created { details, .. } => details.credentials.iter().collect(),
            BackendEvent::Updated { details, credentials_changed, .. } => {
                details.credentials.intersection(credentials_changed).collect()
            }
            BackendEvent::Deleted { .. } => {
                secrets.push(SecretOp::DeleteOwner { owner: owner.clone() });
                continue;
            }
        };
        secrets.extend(given.into_iter().filter_map(|name| {
            let value = sealed.get(name)?.clone();
            Some(SecretOp::Put { owner: owner.clone(), kind: credential_kind(name), value })
        }));
    }
    secrets.extend(removed.iter().map(|name| SecretOp::Delete { owner: owner.clone(), kind: credential_kind(name) }));
    Decision { events, claims, secrets }
}
