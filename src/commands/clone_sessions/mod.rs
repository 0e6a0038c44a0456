//! Clone-session commands: the operator's (create, update, delete) and the
//! nodes' callbacks (source-ready, progress, complete, failed). Several need
//! more than the session's state: the referenced nodes and backend, the
//! certificates (see [`certificates`]), and the private keys and node tokens
//! kept (sealed or hashed) outside the log until the session ends.

mod certificates;
pub mod plan;
mod staging;

pub use certificates::{cert_kind, key_kind, sign_csr};
pub use staging::{ImageRequest, report_staging, source_complete};

use time::OffsetDateTime;
use uuid::Uuid;

use super::{Decision, nodes, storage_backends};
use crate::auth::node_tokens::{SessionTokens, issue_session_tokens, retire_session_tokens};
use crate::commands::Context;
use crate::domain::Rejection;
use crate::domain::clone_session::{
    self as session, CloneSession, CloneSessionEvent, ProgressReport, Role, SessionPatch, SessionSpec, SourceEndpoint,
};
use crate::domain::disks::Device;
use crate::domain::image::{self, Image};
use crate::domain::storage_lease::{self, StorageLease};
use crate::error::ApiError;
use crate::event_store::{Aggregate, Metadata, SecretOp};
use crate::projections::clone_sessions::{CloneSessionView, ReferencedNames};

/// Creates a session (with certificates in direct mode); returns its view and
/// the node tokens of both roles (their hashes are stored, never the tokens).
/// The view is built from what was decided, so the response does not wait
/// for the projections (a test holds it equal to the folded row).
///
/// A staged `image` request captures a new image or restores one (see
/// [`staging::prepare`]); a restore's source is the image.
pub async fn create(
    cx: &Context<'_>,
    metadata: &Metadata,
    mut spec: SessionSpec,
    image: ImageRequest,
) -> Result<(CloneSessionView, SessionTokens), ApiError> {
    let staged = staging::prepare(cx, &mut spec, image).await?;
    let spec = session::check_spec(spec)?;
    let names = check_references(cx, spec.source_node_id, spec.target_node_id, spec.staging_backend_id).await?;
    let mut sizes = plan::SessionScans::of(cx, &spec, staged.as_ref()).await?.sizes();
    if let Some(session::StagedImage::Restore { size_bytes, .. }) = &staged {
        sizes.source = Some(*size_bytes);
    }
    session::check_fits(&spec, sizes)?;
    let id = Uuid::new_v4();
    let (certificates, mut secrets) = certificates::issue(cx, id, &spec).await?;
    let (tokens, token_secrets) = issue_session_tokens(id);
    secrets.extend(token_secrets);
    let decide_session = |state: &CloneSession, now| {
        let (actor, certificates) = (metadata.actor.clone(), certificates.clone());
        let events = match &staged {
            Some(image) => session::create_staged(state, id, spec.clone(), image.clone(), actor, now)?,
            None => session::create(state, id, spec.clone(), actor, certificates, now)?,
        };
        let claims = session::session_claims(state, id, &events);
        Ok::<_, Rejection>(Decision { events, claims, secrets: secrets.clone() })
    };
    let executed = match (&staged, spec.staging_backend_id) {
        // A capture records its upload on its backend's lease in the same
        // append: refused while a sweep of deleted images' files runs there,
        // and no sweep starts until the session is over.
        (Some(session::StagedImage::Capture { .. }), Some(backend)) => {
            cx.executor
                .execute_with::<CloneSession, StorageLease>(metadata, id, Some(backend), |state, lease, now| {
                    let decision = decide_session(state, now)?;
                    Ok((decision, storage_lease::start_upload(lease, backend, id, now)?))
                })
                .await?
        }
        // A restore is recorded on its image's stream in the same append, so
        // it and the image's deletion cannot both commit.
        _ => {
            let restored = staged.as_ref().filter(|s| matches!(s, session::StagedImage::Restore { .. }));
            cx.executor
                .execute_with::<CloneSession, Image>(
                    metadata,
                    id,
                    restored.map(|s| s.image_id()),
                    |state, image, now| {
                        let decision = decide_session(state, now)?;
                        let image_events = match restored {
                            Some(restored) => image::add_restore(image, restored.image_id(), id, now)?,
                            None => Vec::new(),
                        };
                        Ok((decision, image_events))
                    },
                )
                .await?
        }
    };
    let created = session::SessionCreated { id, spec, staged, created_by: metadata.actor.clone(), at: executed.at };
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
    cx: &Context<'_>,
    metadata: &Metadata,
    id: Uuid,
    patch: SessionPatch,
) -> Result<(CloneSessionView, Option<RoleToken>), ApiError> {
    let mut credentials = None;
    if let Some(target) = patch.target_node_id {
        check_references(cx, target, None, None)
            .await
            .map_err(|_| ApiError::NotFound("Target node not found".into()))?;
        credentials = Some(certificates::for_new_target(cx, id, target).await?);
    }
    let sizes = patched_sizes(cx, id, &patch).await?;
    let mut retargeted = false;
    let executed = cx
        .executor
        .execute::<CloneSession, _>(metadata, id, |state, _| {
            let (certificate, secrets) = match &credentials {
                Some((_, certificate, secrets)) => (certificate.clone(), secrets.clone()),
                None => (None, Vec::new()),
            };
            let events = session::update(state, patch.clone(), certificate)?;
            check_patched_fit(state, &events, sizes)?;
            retargeted =
                events.iter().any(|e| matches!(e, CloneSessionEvent::Updated(u) if u.target_node_id.is_some()));
            let secrets = if retargeted { secrets } else { Vec::new() };
            let claims = session::session_claims(state, id, &events);
            Ok::<_, Rejection>(Decision { events, claims, secrets })
        })
        .await?;
    let token = match credentials.filter(|_| retargeted && executed.wrote) {
        Some((token, _, _)) => {
            cx.session_tokens.forget(id, Role::Target);
            Some(RoleToken { role: Role::Target, token })
        }
        None => None,
    };
    let position = if executed.wrote {
        executed.last_position
    } else {
        cx.executor.position_at::<CloneSession>(id, executed.version).await?
    };
    let names = current_names(cx, executed.state.spec.as_ref()).await?;
    let view = CloneSessionView::pending(id, &executed.state, names, position)
        .ok_or_else(|| ApiError::Internal(format!("clone session {id} is not pending after an accepted update")))?;
    Ok((view, token))
}

/// The disk sizes a PATCH would leave the session with (its disks' latest
/// scans), read before the command decides; `None` when the session does
/// not exist (the decision then answers 404).
async fn patched_sizes(
    cx: &Context<'_>,
    id: Uuid,
    patch: &SessionPatch,
) -> Result<Option<session::DiskSizes>, ApiError> {
    let (state, _) = cx.executor.load::<CloneSession>(id).await?;
    let Some(mut spec) = state.spec else { return Ok(None) };
    spec.target_node_id = patch.target_node_id.or(spec.target_node_id);
    if let Some(device) = &patch.target_device {
        // The canonical form scans are keyed by (`sdb` → `/dev/sdb`); the
        // decision refuses a bad path.
        spec.target_device = Device::parse(device).map_or_else(|_| device.clone(), |d| d.as_str().to_owned());
    }
    Ok(Some(plan::SessionScans::of(cx, &spec, state.staged.as_ref()).await?.sizes()))
}

/// A PATCH that changes the target or the resize mode is held to the
/// creation guard's size rule again ([`session::check_fits`]).
fn check_patched_fit(
    state: &CloneSession,
    events: &[CloneSessionEvent],
    sizes: Option<session::DiskSizes>,
) -> Result<(), Rejection> {
    let (Some(spec), Some(sizes)) = (&state.spec, sizes) else { return Ok(()) };
    let Some(CloneSessionEvent::Updated(update)) = events.first() else { return Ok(()) };
    if update.target_node_id.is_none() && update.target_device.is_none() && update.resize_mode.is_none() {
        return Ok(());
    }
    let mut next = spec.clone();
    update.apply_to(&mut next);
    session::check_fits(&next, sizes)
}

/// The current names of what `spec` refers to; a deleted node or backend has none.
async fn current_names(cx: &Context<'_>, spec: Option<&SessionSpec>) -> Result<ReferencedNames, ApiError> {
    let Some(spec) = spec else { return Ok(ReferencedNames { source: None, target: None, backend: None }) };
    let source = nodes::registered(cx, spec.source_node_id).await?;
    let target = match spec.target_node_id {
        Some(target) => nodes::registered(cx, target).await?,
        None => None,
    };
    let backend = match spec.staging_backend_id {
        Some(backend) => storage_backends::existing(cx, backend).await?,
        None => None,
    };
    Ok(ReferencedNames { source, target, backend })
}

/// The source serves its disk: pending → source_ready.
pub async fn source_ready(
    cx: &Context<'_>,
    metadata: &Metadata,
    id: Uuid,
    endpoint: SourceEndpoint,
) -> Result<CloneSession, ApiError> {
    run(cx, metadata, id, |state, now| session::source_ready(state, endpoint.clone(), now)).await
}

/// A node's progress; the first one moves source_ready → cloning.
pub async fn progress(
    cx: &Context<'_>,
    metadata: &Metadata,
    id: Uuid,
    report: ProgressReport,
) -> Result<CloneSession, ApiError> {
    run(cx, metadata, id, |state, _| session::progress(state, report.clone())).await
}

/// The copy finished, with the target's digest if the node sent one.
pub async fn complete(
    cx: &Context<'_>,
    metadata: &Metadata,
    id: Uuid,
    digest: Option<String>,
) -> Result<CloneSession, ApiError> {
    run(cx, metadata, id, |state, now| session::complete(state, digest.clone(), now)).await
}

/// The copy failed for `error`.
pub async fn fail(cx: &Context<'_>, metadata: &Metadata, id: Uuid, error: String) -> Result<CloneSession, ApiError> {
    run(cx, metadata, id, |state, now| session::fail(state, error.clone(), now)).await
}

/// Cancels a cloning session, or deletes any other.
pub async fn delete(cx: &Context<'_>, metadata: &Metadata, id: Uuid) -> Result<CloneSession, ApiError> {
    run(cx, metadata, id, session::delete).await
}

/// Runs a session command; when it ends the session, the session's keys are
/// destroyed in the same transaction.
pub(super) async fn run(
    cx: &Context<'_>,
    metadata: &Metadata,
    id: Uuid,
    decide: impl Fn(&CloneSession, OffsetDateTime) -> Result<Vec<CloneSessionEvent>, Rejection>,
) -> Result<CloneSession, ApiError> {
    let executed = cx
        .executor
        .execute::<CloneSession, _>(metadata, id, |state, now| {
            let events = decide(state, now)?;
            let secrets = end_of_session_secrets(id, &events);
            let claims = session::session_claims(state, id, &events);
            Ok::<_, Rejection>(Decision { events, claims, secrets })
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
    cx: &Context<'_>,
    source: Uuid,
    target: Option<Uuid>,
    backend: Option<Uuid>,
) -> Result<ReferencedNames, ApiError> {
    let source =
        nodes::registered(cx, source).await?.ok_or_else(|| ApiError::NotFound("Source node not found".into()))?;
    let target = match target {
        Some(target) => Some(
            nodes::registered(cx, target).await?.ok_or_else(|| ApiError::NotFound("Target node not found".into()))?,
        ),
        None => None,
    };
    let backend = match backend {
        Some(backend) => Some(
            storage_backends::existing(cx, backend)
                .await?
                .ok_or_else(|| ApiError::NotFound("Storage backend not found".into()))?,
        ),
        None => None,
    };
    Ok(ReferencedNames { source: Some(source), target, backend })
}
