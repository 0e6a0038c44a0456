//! Request bodies of the clone-session endpoints (the spec's schemas).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::clone_session::{CloneMode, ResizeMode, Role, TransferPhase};

fn default_device() -> String {
    "/dev/sda".into()
}

fn default_port() -> u16 {
    9999
}

/// `CloneSessionCreate`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "swap rack1-node07 disk", "clone_mode": "direct",
    "source_node_id": "0b8d6c5e-8a57-4a0f-9a4e-1f1d2b6c7e01", "target_node_id": "5c2f0a9b-3c1d-4e6f-8a7b-9c0d1e2f3a4b",
    "source_device": "/dev/sda", "target_device": "/dev/sda", "resize_mode": "none"}))]
pub struct CloneSessionCreate {
    /// Optional, at most 255 characters.
    pub name: Option<String>,
    /// Required unless `image_id` is given (a restore's source is the image's).
    pub source_node_id: Option<Uuid>,
    /// Required for `direct` mode.
    pub target_node_id: Option<Uuid>,
    #[serde(default = "default_device")]
    #[schema(default = "/dev/sda")]
    pub source_device: String,
    #[serde(default = "default_device")]
    #[schema(default = "/dev/sda")]
    pub target_device: String,
    #[serde(default)]
    #[schema(default = "staged")]
    pub clone_mode: CloneMode,
    /// Required for `staged` mode.
    pub staging_backend_id: Option<Uuid>,
    #[serde(default)]
    #[schema(default = "none")]
    pub resize_mode: ResizeMode,
    /// Staged mode: restore this ready image (`GET /images`) onto
    /// `target_node_id`, instead of capturing the source. One session per
    /// target: create one for each machine the image goes to.
    pub image_id: Option<Uuid>,
    /// Staged capture: the new image's name (1–100 of `A-Z a-z 0-9 . _ -`,
    /// unique per backend); `image-<id>` when absent.
    #[schema(example = "ubuntu-golden")]
    pub image_name: Option<String>,
}

/// `CloneSessionUpdate`: allowed only while the session is pending.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CloneSessionUpdate {
    pub name: Option<String>,
    pub target_node_id: Option<Uuid>,
    pub target_device: Option<String>,
    pub resize_mode: Option<ResizeMode>,
}

/// `CloneSourceReady`: the source serves its disk at ip:port.
/// (`Serialize` too: the node agent sends this very type.)
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": 500107862016_i64, "device": "/dev/sda"}))]
pub struct CloneSourceReady {
    pub ip: String,
    #[serde(default = "default_port")]
    #[schema(default = 9999)]
    pub port: u16,
    pub size_bytes: i64,
    pub device: String,
}

/// `CloneProgressUpdate`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"role": "target", "bytes_transferred": 1073741824, "transfer_rate_bps": 104857600,
    "status": "transferring"}))]
pub struct CloneProgressUpdate {
    pub role: Role,
    /// Bytes copied so far (≥ 0).
    #[schema(minimum = 0)]
    pub bytes_transferred: i64,
    #[schema(minimum = 0)]
    pub transfer_rate_bps: Option<i64>,
    pub status: Option<TransferPhase>,
    /// Bytes actually sent over the network so far (optional, an extension
    /// of the spec): below `bytes_transferred` when empty chunks were skipped
    /// or a resumed target already held most of the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub bytes_on_wire: Option<i64>,
}

/// Optional body of `POST …/complete` (an extension of the spec: an empty
/// body still works).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CloneCompletion {
    /// BLAKE3 (hex) over the concatenated BLAKE3 digests of every chunk, in
    /// order: which content landed on the target, recorded in the completed event.
    #[schema(example = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")]
    pub digest: Option<String>,
}

/// Body form of `POST …/failed` (the query parameter `error` also works).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct CloneFailure {
    #[schema(example = "read error on /dev/sda at sector 1234")]
    pub error: Option<String>,
}

/// `?error=` of `POST …/failed`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FailureQuery {
    /// The failure reason (or send `{"error": ...}` as the body).
    pub error: Option<String>,
}

/// `?role=source|target`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleQuery {
    /// `source` or `target`.
    pub role: Option<String>,
}

/// `CloneCertBundle`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloneCertBundle {
    pub cert_pem: String,
    pub key_pem: String,
    pub ca_pem: String,
}

/// Status after a callback.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackStatus {
    #[schema(value_type = crate::domain::clone_session::CloneStatus, example = "source_ready")]
    pub status: String,
}

/// Reply to a progress report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressAck {
    #[schema(example = 42.5)]
    pub progress_percent: f64,
}

/// Reply to `complete`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionAck {
    #[schema(value_type = crate::domain::clone_session::CloneStatus, example = "completed")]
    pub status: String,
    pub duration_seconds: i64,
}
