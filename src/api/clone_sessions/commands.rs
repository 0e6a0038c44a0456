//! Creating, changing and deleting clone sessions (operator role).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde::Serialize;
use utoipa::ToSchema;

use super::schemas::{CloneSessionCreate, CloneSessionUpdate};
use crate::api::envelope::ApiResponse;
use crate::api::extract::{ApiJson, IdPath};
use crate::app::App;
use crate::auth::node_tokens::SessionTokens;
use crate::auth::{Auth, Operator};
use crate::commands::clone_sessions::{self as command, ImageRequest};
use crate::domain::clone_session::{CloneMode, CloneStatus, Role, SessionPatch, SessionSpec};
use crate::error::{ApiError, ErrorBody};
use crate::projections::clone_sessions::CloneSessionView;

/// A new session plus the node token of each role, shown only in this
/// response: they go into the source's and target's boot parameters.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloneSessionCreated {
    #[serde(flatten)]
    pub session: CloneSessionView,
    pub node_tokens: SessionTokens,
    /// Direct mode: the kernel command line parameters that start each
    /// role's `pureboot-agent` (shown only now, as they hold the tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_parameters: Option<AgentParameters>,
}

/// `pureboot.*` kernel parameters for each role's node agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentParameters {
    #[schema(
        example = "pureboot.url=http://10.0.0.1:8080 pureboot.session=… pureboot.role=source pureboot.token=pbn_… \
                   pureboot.ca_sha256=… pureboot.device=/dev/sda"
    )]
    pub source: String,
    pub target: String,
}

impl AgentParameters {
    /// `url`: how the nodes reach this controller (as the operator's request did).
    fn new(session: &CloneSessionView, tokens: &SessionTokens, url: &str, ca_pem: &str) -> Option<Self> {
        Some(Self {
            source: agent_line(session, Role::Source, &tokens.source, url, ca_pem)?,
            target: agent_line(session, Role::Target, &tokens.target, url, ca_pem)?,
        })
    }
}

/// The kernel command line that starts `role`'s agent with `token`.
fn agent_line(session: &CloneSessionView, role: Role, token: &str, url: &str, ca_pem: &str) -> Option<String> {
    let ca = pem::parse(ca_pem).ok()?;
    let fingerprint = crate::ca::hex(ring::digest::digest(&ring::digest::SHA256, ca.contents()).as_ref());
    let device = match role {
        Role::Source => &session.source_device,
        Role::Target => &session.target_device,
    };
    Some(format!(
        "pureboot.url={url} pureboot.session={} pureboot.role={} pureboot.token={token} \
         pureboot.ca_sha256={fingerprint} pureboot.device={device}",
        session.id,
        role.as_str()
    ))
}

/// A session after a PATCH; when the PATCH moved the target to another node,
/// also the new target's token (shown only now: the old one is dead).
#[derive(Debug, Serialize, ToSchema)]
pub struct CloneSessionUpdated {
    #[serde(flatten)]
    pub session: CloneSessionView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_token: Option<NodeTokenIssued>,
}

/// A role's new node token, replacing the one its previous node held.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeTokenIssued {
    pub role: Role,
    pub token: String,
    /// Direct mode: the kernel command line that starts the role's agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_parameters: Option<String>,
}

/// Where a direct session's agents reach this controller and the CA
/// certificate (PEM) they trust; `None` for a staged session, without a CA,
/// or when the request named no host.
fn agent_endpoint<'a>(app: &'a App, session: &CloneSessionView, headers: &HeaderMap) -> Option<(String, &'a str)> {
    match (session.clone_mode.as_str(), request_url(headers), app.ca.as_ref()) {
        ("direct", Some(url), Some(ca)) => Some((url, ca.ca_pem())),
        _ => None,
    }
}

/// The controller's URL as the request reached it (`X-Forwarded-Proto` and
/// `Host` honoured, for a controller behind a TLS proxy).
fn request_url(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let scheme = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
    Some(format!("{scheme}://{host}"))
}

/// The outcome of a DELETE.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CloneDeleteOutcome)]
pub struct DeleteOutcome {
    pub id: uuid::Uuid,
    /// `cancelled` (the session was cloning) or `deleted`.
    #[schema(example = "deleted")]
    pub outcome: String,
}

/// Create a clone session. Direct mode issues the source and target
/// certificates. Staged mode captures the source's disk as a new image on
/// `staging_backend_id` (and, with a target, restores it there), or with
/// `image_id` restores an existing image onto `target_node_id`.
#[utoipa::path(
    operation_id = "create_clone_session", post, path = "/clone-sessions", tag = "clone-sessions",
    request_body = CloneSessionCreate,
    security(("bearer" = ["operator"])),
    responses(
        (status = 200, description = "Created; `node_tokens` are shown only now",
            body = ApiResponse<CloneSessionCreated>),
        (status = 404, description = "Unknown source node, target node, storage backend or image", body = ErrorBody),
        (status = 409, description = "Unsafe to create: the target node is already the target of another active \
            (not completed, failed, cancelled or deleted) session, named in `detail`; or the target disk is smaller \
            than the source (sizes from the nodes' latest disk reports, both in `detail`) and `resize_mode` is not \
            `shrink_source` (a restore's source size is the image's). A size no report gives is not checked; or \
            the image name is taken on the backend; or `image_id` names an image that was deleted (also while this \
            request ran)", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "Invalid field (e.g. target_node_id required for direct mode); a staged \
            session on an s3 or iscsi backend (not supported yet)", body = ErrorBody)
    )
)]
pub async fn create(
    State(app): State<Arc<App>>,
    auth: Auth<Operator>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CloneSessionCreate>,
) -> Result<Json<ApiResponse<CloneSessionCreated>>, ApiError> {
    let image = match (body.clone_mode, body.image_id, body.image_name) {
        (_, Some(_), Some(_)) => {
            return Err(ApiError::invalid("image_name", "a restore (image_id) takes the image's name"));
        }
        (_, Some(image_id), None) => ImageRequest::Restore { image_id },
        (CloneMode::Staged, None, name) => ImageRequest::Capture { name },
        (CloneMode::Direct, None, Some(_)) => {
            return Err(ApiError::invalid("image_name", "an image is captured only in staged mode"));
        }
        (CloneMode::Direct, None, None) => ImageRequest::None,
    };
    let source_node_id = match (body.source_node_id, &image) {
        (Some(source), _) => source,
        // Filled in from the image.
        (None, ImageRequest::Restore { .. }) => uuid::Uuid::nil(),
        (None, _) => return Err(ApiError::invalid("source_node_id", "source_node_id is required")),
    };
    let spec = SessionSpec {
        name: body.name,
        clone_mode: body.clone_mode,
        source_node_id,
        target_node_id: body.target_node_id,
        source_device: body.source_device,
        target_device: body.target_device,
        staging_backend_id: body.staging_backend_id,
        resize_mode: body.resize_mode,
    };
    let (session, node_tokens) = command::create(&app.commands(), &auth.ctx.metadata(), spec, image).await?;
    let agent_parameters = agent_endpoint(&app, &session, &headers)
        .and_then(|(url, ca_pem)| AgentParameters::new(&session, &node_tokens, &url, ca_pem));
    let created = CloneSessionCreated { session, node_tokens, agent_parameters };
    Ok(ApiResponse::with_message(created, "Clone session created"))
}

/// Change a pending session. A new `target_node_id` retires the old
/// target's token and certificate and returns the new target's token once.
#[utoipa::path(
    operation_id = "update_clone_session", patch, path = "/clone-sessions/{id}", tag = "clone-sessions",
    params(("id" = Uuid, Path)),
    request_body = CloneSessionUpdate,
    security(("bearer" = ["operator"])),
    responses(
        (status = 200, description = "Updated; `node_token` only when the target node changed",
            body = ApiResponse<CloneSessionUpdated>),
        (status = 400, description = "Cannot update session in {status} status", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The new `target_node_id` is already the target of another active session, \
            named in `detail`", body = ErrorBody)
    )
)]
pub async fn update(
    State(app): State<Arc<App>>,
    auth: Auth<Operator>,
    headers: HeaderMap,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CloneSessionUpdate>,
) -> Result<Json<ApiResponse<CloneSessionUpdated>>, ApiError> {
    let patch = SessionPatch {
        name: body.name,
        target_node_id: body.target_node_id,
        target_device: body.target_device,
        resize_mode: body.resize_mode,
    };
    let (session, token) = command::update(&app.commands(), &auth.ctx.metadata(), id, patch).await?;
    let node_token = token.map(|t| {
        let agent_parameters = agent_endpoint(&app, &session, &headers)
            .and_then(|(url, ca_pem)| agent_line(&session, t.role, &t.token, &url, ca_pem));
        NodeTokenIssued { role: t.role, token: t.token, agent_parameters }
    });
    Ok(ApiResponse::with_message(CloneSessionUpdated { session, node_token }, "Clone session updated"))
}

/// Cancel a cloning session, or delete any other (its history stays in the log).
#[utoipa::path(
    operation_id = "delete_clone_session", delete, path = "/clone-sessions/{id}", tag = "clone-sessions",
    params(("id" = Uuid, Path)), security(("bearer" = ["operator"])),
    responses((status = 200, body = ApiResponse<DeleteOutcome>), (status = 404, body = ErrorBody))
)]
pub async fn delete(
    State(app): State<Arc<App>>,
    auth: Auth<Operator>,
    IdPath(id): IdPath,
) -> Result<Json<ApiResponse<DeleteOutcome>>, ApiError> {
    let state = command::delete(&app.commands(), &auth.ctx.metadata(), id).await?;
    let cancelled = state.status == CloneStatus::Cancelled && !state.deleted;
    let (outcome, message) =
        if cancelled { ("cancelled", "Clone session cancelled") } else { ("deleted", "Clone session deleted") };
    Ok(ApiResponse::with_message(DeleteOutcome { id, outcome: outcome.into() }, message))
}
