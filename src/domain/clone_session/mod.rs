//! Clone sessions: one disk copied from a source node to a target node
//! (direct) or through a storage backend (staged).
//!
//! # State machine
//! ```text
//!   pending ──source-ready──▶ source_ready ──progress──▶ cloning ──complete──▶ completed
//!      │                           │  └──────complete──────────────┘   │
//!      └─────────failed────────────┴───────────failed──────────────────┴─▶ failed
//!                                              cloning ──DELETE──▶ cancelled
//! ```
//! Staged sessions go from `pending` to `cloning` when their upload or
//! download starts, with their own `staging_status` (see [`staging`]).
//! A pending session is started once: by `POST …/start` (which checks its
//! plan; required for `shrink_source`, see [`decide_plan`]) or else by the
//! first source-ready. `completed`, `failed` and `cancelled` are terminal. DELETE on any session
//! that is not cloning removes it from the query tables (its history stays in
//! the log); every later command on it answers 404.

pub mod analyze;
mod decide;
mod decide_plan;
mod events;
#[cfg(test)]
mod fixtures;
mod guard;
pub mod plan;
mod staging;
#[cfg(test)]
mod test_disks;

pub use decide::*;
pub use decide_plan::*;
pub use events::*;
pub use guard::*;
pub use plan::{ClonePlan, SessionDisks};
pub use staging::*;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::event_store::{Aggregate, Category};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum CloneStatus {
    #[default]
    Pending,
    SourceReady,
    Cloning,
    Completed,
    Failed,
    Cancelled,
}

impl CloneStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CloneStatus::Pending => "pending",
            CloneStatus::SourceReady => "source_ready",
            CloneStatus::Cloning => "cloning",
            CloneStatus::Completed => "completed",
            CloneStatus::Failed => "failed",
            CloneStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, CloneStatus::Completed | CloneStatus::Failed | CloneStatus::Cancelled)
    }
}

impl std::fmt::Display for CloneStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum CloneMode {
    #[default]
    Staged,
    Direct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMode {
    #[default]
    None,
    ShrinkSource,
    GrowTarget,
}

impl ResizeMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ResizeMode::None => "none",
            ResizeMode::ShrinkSource => "shrink_source",
            ResizeMode::GrowTarget => "grow_target",
        }
    }
}

/// Where a staged clone's staging area is (design: staged flow; the
/// transitions are in [`staging`]). Null for direct sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StagingStatus {
    Pending,
    Provisioned,
    Uploading,
    Ready,
    Downloading,
    Cleanup,
    Deleted,
}

impl StagingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StagingStatus::Pending => "pending",
            StagingStatus::Provisioned => "provisioned",
            StagingStatus::Uploading => "uploading",
            StagingStatus::Ready => "ready",
            StagingStatus::Downloading => "downloading",
            StagingStatus::Cleanup => "cleanup",
            StagingStatus::Deleted => "deleted",
        }
    }
}

/// Which side of a direct clone a node plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Source,
    Target,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Target => "target",
        }
    }

    /// The role's slot in per-role arrays.
    pub fn index(self) -> usize {
        match self {
            Role::Source => 0,
            Role::Target => 1,
        }
    }
}

/// What a node is doing while it reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferPhase {
    Transferring,
    Verifying,
    Resizing,
}

/// Where the source serves its disk, as it reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEndpoint {
    pub ip: String,
    pub port: u16,
    pub size_bytes: i64,
    pub device: String,
}

/// The folded state of one session.
#[derive(Debug, Clone, Default)]
pub struct CloneSession {
    /// `None` until created; the spec of the session as last updated.
    pub spec: Option<SessionSpec>,
    /// Who created it and when (for views built from the state).
    pub created_by: Option<String>,
    pub created_at: Option<OffsetDateTime>,
    pub deleted: bool,
    pub status: CloneStatus,
    pub source: Option<SourceEndpoint>,
    pub started_at: Option<OffsetDateTime>,
    pub bytes_transferred: i64,
    pub error: Option<String>,
    /// The current certificate of each role.
    pub certificates: Vec<CertificateIssued>,
    /// How many certificates each role has been issued (source, target),
    /// replaced ones included: bounds re-signing (see [`reissue`]).
    pub issued: [u32; 2],
    /// Seconds from source-ready to completion, once completed.
    pub duration_seconds: Option<i64>,
    /// Staged sessions: the image captured or restored, and its staging.
    pub staged: Option<StagedImage>,
    pub staging_status: Option<StagingStatus>,
    /// Bytes of the staged disk: from the upload's start, or the image's.
    pub staging_size: Option<i64>,
    /// What the source stored, once its upload completed.
    pub captured: Option<SourceCompleted>,
    /// Started (by an operator, or by the first source-ready): settings
    /// and plan are fixed from then on.
    pub started: bool,
    /// The resize plan (empty until one is set).
    pub plan: ClonePlan,
}

impl CloneSession {
    pub fn bytes_total(&self) -> Option<i64> {
        self.source.as_ref().map(|s| s.size_bytes).or(self.staging_size)
    }
}

/// `transferred / total` as a percentage rounded to one decimal.
pub fn progress_percent(transferred: i64, total: Option<i64>) -> f64 {
    match total {
        Some(total) if total > 0 => ((transferred as f64 / total as f64) * 1000.0).round() / 10.0,
        _ => 0.0,
    }
}

impl Aggregate for CloneSession {
    type Event = CloneSessionEvent;
    const CATEGORY: Category = Category::CloneSession;

    fn apply(&mut self, event: &CloneSessionEvent) {
        use CloneSessionEvent as E;
        match event {
            E::Created(created) => {
                self.spec = Some(created.spec.clone());
                self.created_by = created.created_by.clone();
                self.created_at = Some(created.at);
                self.staged = created.staged.clone();
                self.staging_status = self.staged.as_ref().map(StagedImage::initial_status);
                if let Some(StagedImage::Restore { size_bytes, .. }) = &self.staged {
                    self.staging_size = Some(*size_bytes);
                }
            }
            E::Updated(update) => {
                if let Some(spec) = &mut self.spec {
                    update.apply_to(spec);
                }
                // A new target node starts its own allowance of certificates.
                if update.target_node_id.is_some() {
                    self.issued[Role::Target.index()] = 0;
                }
            }
            E::CertificateIssued(cert) => {
                self.certificates.retain(|c| c.role != cert.role);
                self.certificates.push(cert.clone());
                self.issued[cert.role.index()] += 1;
            }
            E::Started { .. } => self.started = true,
            E::PlanSet(plan) => self.plan = plan.clone(),
            E::SourceReady { endpoint, at } => {
                self.status = CloneStatus::SourceReady;
                self.source = Some(endpoint.clone());
                self.started_at = Some(*at);
            }
            E::ProgressReported(p) => {
                self.status = CloneStatus::Cloning;
                self.bytes_transferred = p.bytes_transferred;
            }
            E::Completed { bytes_transferred, duration_seconds, .. } => {
                self.status = CloneStatus::Completed;
                self.bytes_transferred = *bytes_transferred;
                self.duration_seconds = Some(*duration_seconds);
            }
            E::Failed { error, .. } => {
                self.status = CloneStatus::Failed;
                self.error = Some(error.clone());
            }
            E::Cancelled { .. } => self.status = CloneStatus::Cancelled,
            E::StagingChanged { staging_status, size_bytes, at, .. } => {
                self.staging_status = Some(*staging_status);
                self.staging_size = size_bytes.or(self.staging_size);
                if self.status == CloneStatus::Pending && starts_transfer(*staging_status) {
                    self.status = CloneStatus::Cloning;
                    self.started_at = Some(*at);
                }
            }
            E::SourceCompleted(done) => {
                self.staging_status = Some(StagingStatus::Ready);
                self.staging_size = Some(done.stored.size_bytes);
                self.captured = Some(done.clone());
            }
            E::Deleted { .. } => self.deleted = true,
        }
    }
}
