//! Bodies of the staged-session endpoints. `Serialize` and `Deserialize`
//! both: the node agent sends and reads these very types.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::clone_session::{CloneStatus, Role, StagingStatus};
use crate::domain::storage_backend::BackendType;

/// Which way the image moves for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StagingDirection {
    /// The source uploads its disk as the image.
    Capture,
    /// The target writes the image onto its disk.
    Restore,
}

/// Where and how a node reaches the image (`GET …/staging-info`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"session_id": "0b8d6c5e-8a57-4a0f-9a4e-1f1d2b6c7e01", "direction": "capture",
    "image_id": "5c2f0a9b-3c1d-4e6f-8a7b-9c0d1e2f3a4b", "image_name": "ubuntu-golden",
    "path": "images/ubuntu-golden/manifest.json", "staging_status": "pending",
    "backend": {"id": "7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6", "type": "nfs",
        "config": {"server": "10.0.0.2", "export": "/srv/images"}}}))]
pub struct StagingInfo {
    pub session_id: Uuid,
    pub direction: StagingDirection,
    pub image_id: Uuid,
    /// The image's name: its directory on the backend (`images/<name>/`).
    pub image_name: String,
    /// The manifest's key on the backend; chunks are under `chunks/`.
    pub path: String,
    pub staging_status: StagingStatus,
    pub backend: StagingBackend,
    /// Restore, once the image is stored: its size in bytes.
    pub size_bytes: Option<i64>,
    /// Restore: the content digest the restored disk must read back as.
    pub digest: Option<String>,
    /// Restore: the BLAKE3 of the manifest file the node must find.
    pub manifest_digest: Option<String>,
}

/// The backend as a node needs it: its public config and, for `http`, the
/// basic-auth password (shown only to the session's live node tokens).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StagingBackend {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub backend_type: BackendType,
    /// `nfs`: `server`, `export`, `options` (the node mounts the export, or
    /// finds it mounted); `http`: `url` (a WebDAV collection), `username`.
    #[schema(value_type = Object)]
    pub config: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// A session's staging as it stands (`GET …/staging-status`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StagingState {
    pub session_id: Uuid,
    pub status: CloneStatus,
    pub staging_status: StagingStatus,
    pub image_id: Uuid,
    /// Bytes of the disk, once known.
    pub bytes_total: Option<i64>,
    pub error_message: Option<String>,
}

/// A node's staging report (`POST …/staging-status`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"role": "source", "status": "uploading", "size_bytes": 1073741824}))]
pub struct StagingUpdate {
    pub role: Role,
    /// Source: `provisioned` (the backend is reachable and the image's place
    /// is free), then `uploading`; target: `downloading`.
    pub status: StagingStatus,
    /// Bytes of the disk; required with `uploading`.
    #[schema(minimum = 1)]
    pub size_bytes: Option<i64>,
}

/// `POST …/source-complete`: the image is stored whole.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"size_bytes": 1073741824, "chunk_size_bytes": 4194304, "chunks": 256,
    "digest": "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
    "manifest_digest": "0f2e9c5b0c1d7a3e4b6f8a9d2c1e0b3a5f7d9e8c6b4a2f1e0d3c5b7a9e8f6d4c", "bytes_uploaded": 52428800}))]
pub struct SourceComplete {
    /// Bytes of the captured disk.
    #[schema(minimum = 1)]
    pub size_bytes: i64,
    #[schema(minimum = 1)]
    pub chunk_size_bytes: i64,
    /// Chunks in the manifest: `size_bytes / chunk_size_bytes`, rounded up.
    pub chunks: i64,
    /// BLAKE3 (hex) over the chunk digests in order: the disk's content digest.
    pub digest: String,
    /// BLAKE3 (hex) of the manifest file as stored.
    pub manifest_digest: String,
    /// Compressed bytes this capture uploaded (chunks already on the backend are skipped).
    #[schema(minimum = 0)]
    pub bytes_uploaded: Option<i64>,
}

/// The answer to a staging report or `source-complete`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StagingAck {
    pub status: CloneStatus,
    pub staging_status: StagingStatus,
}
