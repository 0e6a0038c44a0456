//! The facts of a clone session's life. They carry what projections and the
//! WebSocket need (so consumers never re-derive state) and never a secret:
//! certificates are recorded by serial, fingerprint and validity only.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    CloneMode, ClonePlan, ResizeMode, Role, SourceCompleted, SourceEndpoint, StagedImage, StagingStatus, TransferPhase,
};
use crate::event_store::DomainEvent;

/// What the operator asked for; editable while pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSpec {
    pub name: Option<String>,
    pub clone_mode: CloneMode,
    pub source_node_id: Uuid,
    pub target_node_id: Option<Uuid>,
    pub source_device: String,
    pub target_device: String,
    pub staging_backend_id: Option<Uuid>,
    pub resize_mode: ResizeMode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCreated {
    pub id: Uuid,
    #[serde(flatten)]
    pub spec: SessionSpec,
    /// Staged sessions: the image the session captures or restores (see
    /// `staging.rs`); absent for direct sessions and staged ones created
    /// before images existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staged: Option<StagedImage>,
    pub created_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The new values of the fields a PATCH changed (absent = unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUpdated {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_node_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resize_mode: Option<ResizeMode>,
}

impl SessionUpdated {
    pub fn apply_to(&self, spec: &mut SessionSpec) {
        if let Some(name) = &self.name {
            spec.name = Some(name.clone());
        }
        if let Some(target) = self.target_node_id {
            spec.target_node_id = Some(target);
        }
        if let Some(device) = &self.target_device {
            spec.target_device = device.clone();
        }
        if let Some(mode) = self.resize_mode {
            spec.resize_mode = mode;
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A certificate the CA issued for one role (public facts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateIssued {
    pub role: Role,
    /// Hex serial number, as it appears in the CRL.
    pub serial: String,
    pub fingerprint_sha256: String,
    pub subject: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReported {
    pub role: Role,
    /// The byte count exactly as the node reported it (kept for audit).
    pub reported_bytes: i64,
    /// The session's progress after this report: never lower than before.
    pub bytes_transferred: i64,
    pub bytes_total: Option<i64>,
    pub transfer_rate_bps: Option<i64>,
    pub status: Option<TransferPhase>,
    /// Bytes the node actually sent or received over the network (absent in
    /// reports that predate it or do not give it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_on_wire: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CloneSessionEvent {
    #[serde(rename = "clone_session.created")]
    Created(SessionCreated),
    #[serde(rename = "clone_session.updated")]
    Updated(SessionUpdated),
    #[serde(rename = "clone_session.certificate_issued")]
    CertificateIssued(CertificateIssued),
    /// The session was started: by an operator (`POST …/start`,
    /// `requested`), or else by the source's first `source-ready`, emitted
    /// together with `SourceReady`. At most once per session.
    #[serde(rename = "clone_session.started")]
    Started {
        source_node_id: Uuid,
        target_node_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        requested: bool,
    },
    /// The resize plan was replaced (see [`super::plan`]).
    #[serde(rename = "clone_session.plan_set")]
    PlanSet(ClonePlan),
    #[serde(rename = "clone_session.source_ready")]
    SourceReady {
        #[serde(flatten)]
        endpoint: SourceEndpoint,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "clone_session.progress_reported")]
    ProgressReported(ProgressReported),
    #[serde(rename = "clone_session.completed")]
    Completed {
        duration_seconds: i64,
        bytes_transferred: i64,
        /// The target's content digest (BLAKE3 over the chunk digests), when
        /// an agent sent one: the audit trail of what landed on the disk.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        digest: Option<String>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "clone_session.failed")]
    Failed {
        error: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "clone_session.cancelled")]
    Cancelled {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// A staged session's staging area moved on (provisioned, uploading,
    /// downloading), as the node of `role` reported it.
    #[serde(rename = "clone_session.staging_changed")]
    StagingChanged {
        role: Role,
        staging_status: StagingStatus,
        /// The disk's size in bytes, when the report gave it (uploading).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size_bytes: Option<i64>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The source finished uploading: the image is stored whole (staging `ready`).
    #[serde(rename = "clone_session.source_completed")]
    SourceCompleted(SourceCompleted),
    #[serde(rename = "clone_session.deleted")]
    Deleted {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

impl DomainEvent for CloneSessionEvent {}
