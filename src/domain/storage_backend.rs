//! Storage backends: where staged clones park a disk image.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::unique_claim::{ClaimAction, ClaimChange};
use super::{Rejection, check_text};
use crate::event_store::{Aggregate, DomainEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BackendType {
    Nfs,
    Iscsi,
    S3,
    Http,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendDetails {
    pub name: String,
    #[serde(rename = "type")]
    pub backend_type: BackendType,
    pub config: Value,
}

impl BackendDetails {
    fn claim(&self, id: Uuid, action: ClaimAction) -> ClaimChange {
        ClaimChange {
            key: format!("backend_name/{}", self.name.to_lowercase()),
            owner: id.to_string(),
            action,
            field: "name",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum BackendEvent {
    #[serde(rename = "storage_backend.created")]
    Created {
        id: Uuid,
        #[serde(flatten)]
        details: BackendDetails,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "storage_backend.updated")]
    Updated {
        #[serde(flatten)]
        details: BackendDetails,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "storage_backend.deleted")]
    Deleted {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

impl DomainEvent for BackendEvent {}

#[derive(Debug, Clone, Default)]
pub struct StorageBackend {
    pub id: Option<Uuid>,
    pub details: Option<BackendDetails>,
    /// When it was created and last changed (for views built from the state).
    pub created_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
}

impl Aggregate for StorageBackend {
    type Event = BackendEvent;
    const CATEGORY: &'static str = "storage_backend";

    fn apply(&mut self, event: &BackendEvent) {
        match event {
            BackendEvent::Created { id, details, at } => {
                self.id = Some(*id);
                self.details = Some(details.clone());
                self.created_at = Some(*at);
                self.updated_at = Some(*at);
            }
            BackendEvent::Updated { details, at } => {
                self.details = Some(details.clone());
                self.updated_at = Some(*at);
            }
            BackendEvent::Deleted { .. } => self.details = None,
        }
    }
}

pub type Decided = (Vec<BackendEvent>, Vec<ClaimChange>);

fn check(details: &BackendDetails) -> Result<(), Rejection> {
    check_text("name", &details.name, 255)?;
    if !details.config.is_object() {
        return Err(Rejection::invalid("config", "must be a JSON object"));
    }
    Ok(())
}

pub fn create(
    state: &StorageBackend,
    id: Uuid,
    details: BackendDetails,
    now: OffsetDateTime,
) -> Result<Decided, Rejection> {
    if state.id.is_some() {
        return Err(Rejection::Conflict(format!("storage backend {id} already exists")));
    }
    check(&details)?;
    let claim = details.claim(id, ClaimAction::Claim);
    Ok((vec![BackendEvent::Created { id, details, at: now }], vec![claim]))
}

pub fn update(state: &StorageBackend, details: BackendDetails, now: OffsetDateTime) -> Result<Decided, Rejection> {
    let (id, current) = existing(state)?;
    check(&details)?;
    if *current == details {
        return Ok((vec![], vec![]));
    }
    let mut claims = Vec::new();
    if current.name.to_lowercase() != details.name.to_lowercase() {
        claims.push(current.claim(id, ClaimAction::Release));
        claims.push(details.claim(id, ClaimAction::Claim));
    }
    Ok((vec![BackendEvent::Updated { details, at: now }], claims))
}

pub fn delete(state: &StorageBackend, now: OffsetDateTime) -> Result<Decided, Rejection> {
    let (id, current) = existing(state)?;
    Ok((vec![BackendEvent::Deleted { at: now }], vec![current.claim(id, ClaimAction::Release)]))
}

fn existing(state: &StorageBackend) -> Result<(Uuid, &BackendDetails), Rejection> {
    match (state.id, &state.details) {
        (Some(id), Some(details)) => Ok((id, details)),
        _ => Err(Rejection::NotFound("Storage backend not found".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn details(name: &str, config: Value) -> BackendDetails {
        BackendDetails { name: name.into(), backend_type: BackendType::Nfs, config }
    }

    #[test]
    fn names_are_claimed_case_insensitively() {
        let (_, claims) = create(
            &StorageBackend::default(),
            Uuid::new_v4(),
            details("Lab NFS", json!({})),
            OffsetDateTime::UNIX_EPOCH,
        )
        .expect("ok");
        assert_eq!(claims[0].key, "backend_name/lab nfs");
    }

    #[test]
    fn config_must_be_an_object() {
        let err =
            create(&StorageBackend::default(), Uuid::new_v4(), details("x", json!([1])), OffsetDateTime::UNIX_EPOCH)
                .expect_err("refused");
        assert!(matches!(err, Rejection::Invalid { field, .. } if field == "config"));
    }
}
