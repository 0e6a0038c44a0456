//! Storage backends: where staged clones park a disk image.
//!
//! A backend's config is typed by its `type` ([`super::backend_config`]);
//! its credentials are sealed outside the log, so the events carry the
//! public fields and the names of the credentials that are set.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::backend_config::{self, ParsedConfig};
use super::record::Record;
use super::unique_claim::{ClaimAction, ClaimChange};
use super::{Rejection, check_text};
use crate::event_store::{Aggregate, Category, DomainEvent};

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
    /// The public fields only.
    pub config: Value,
    /// Names of the credentials that are set (their values are sealed in
    /// the `secrets` table, owner `storage_backend:<id>`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub credentials: BTreeSet<String>,
}

impl BackendDetails {
    fn claim(&self, id: Uuid, action: ClaimAction) -> ClaimChange {
        ClaimChange {
            key: format!("backend_name/{}", self.name.to_lowercase()),
            owner: id.to_string(),
            action,
            field: "name",
            owner_kind: "storage backend",
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
        /// Credentials given a new value or removed by this update (names only).
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        credentials_changed: BTreeSet<String>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "storage_backend.deleted")]
    Deleted {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

/// Version 2 keeps credentials out of `config`. Version 1 payloads may hold
/// them in clear: the log cannot be rewritten, but they are dropped when read,
/// so no read model, message or decision sees them again.
impl DomainEvent for BackendEvent {
    fn schema_version(_event_type: &str) -> i32 {
        2
    }

    fn upcast(_event_type: &str, from_version: i32, mut payload: Value) -> Value {
        if from_version < 2
            && let Some(config) = payload.get_mut("config")
        {
            backend_config::strip_credentials(config);
        }
        payload
    }
}

/// A storage backend's folded state.
pub type StorageBackend = Record<BackendDetails>;

impl Aggregate for StorageBackend {
    type Event = BackendEvent;
    const CATEGORY: Category = Category::StorageBackend;

    fn apply(&mut self, event: &BackendEvent) {
        match event {
            BackendEvent::Created { id, details, at } => self.created(*id, details, *at),
            BackendEvent::Updated { details, at, .. } => self.updated(details, *at),
            BackendEvent::Deleted { .. } => self.deleted(),
        }
    }
}

const NOT_FOUND: &str = "Storage backend not found";

/// Events, claim changes, and the credentials whose sealed values go.
pub type Decided = (Vec<BackendEvent>, Vec<ClaimChange>, BTreeSet<String>);

/// A backend as a request describes it, its config already parsed.
#[derive(Debug, Clone)]
pub struct BackendInput {
    pub name: String,
    pub backend_type: BackendType,
    pub config: ParsedConfig,
}

fn check_name(name: &str) -> Result<(), Rejection> {
    check_text("name", name, 255)
}

pub fn create(
    state: &StorageBackend,
    id: Uuid,
    input: BackendInput,
    now: OffsetDateTime,
) -> Result<Decided, Rejection> {
    if state.id.is_some() {
        return Err(Rejection::Conflict(format!("storage backend {id} already exists")));
    }
    check_name(&input.name)?;
    let details = BackendDetails {
        name: input.name,
        backend_type: input.backend_type,
        config: input.config.public,
        credentials: input.config.set,
    };
    let claim = details.claim(id, ClaimAction::Claim);
    Ok((vec![BackendEvent::Created { id, details, at: now }], vec![claim], BTreeSet::new()))
}

/// What a PATCH changes; `config` is parsed against the resulting type.
#[derive(Debug, Clone, Default)]
pub struct BackendPatch {
    pub name: Option<String>,
    pub backend_type: Option<BackendType>,
    pub config: Option<Value>,
}

/// A new `config` replaces the public fields. Credentials cannot be read
/// back to be sent again, so one left out is kept (while the type stays),
/// one given a value is replaced and one given `null` is removed; a change
/// of type removes the old type's credentials and needs a new config.
pub fn update(state: &StorageBackend, patch: BackendPatch, now: OffsetDateTime) -> Result<Decided, Rejection> {
    let (id, current) = state.existing(NOT_FOUND)?;
    let name = patch.name.unwrap_or_else(|| current.name.clone());
    check_name(&name)?;
    let backend_type = patch.backend_type.unwrap_or(current.backend_type);
    let retyped = backend_type != current.backend_type;
    let (config, credentials, given) = match &patch.config {
        Some(config) => {
            let parsed = backend_config::parse(backend_type, config)?;
            let kept = if retyped { BTreeSet::new() } else { &current.credentials - &parsed.cleared };
            (parsed.public, &kept | &parsed.set, parsed.set)
        }
        None if retyped => {
            return Err(Rejection::invalid("config", "a change of type needs the new type's config"));
        }
        None => (current.config.clone(), current.credentials.clone(), BTreeSet::new()),
    };
    let removed: BTreeSet<String> = &current.credentials - &credentials;
    let credentials_changed = &given | &removed;
    let details = BackendDetails { name, backend_type, config, credentials };
    if *current == details && credentials_changed.is_empty() {
        return Ok((vec![], vec![], BTreeSet::new()));
    }
    let mut claims = Vec::new();
    if current.name.to_lowercase() != details.name.to_lowercase() {
        claims.push(current.claim(id, ClaimAction::Release));
        claims.push(details.claim(id, ClaimAction::Claim));
    }
    Ok((vec![BackendEvent::Updated { details, credentials_changed, at: now }], claims, removed))
}

pub fn delete(state: &StorageBackend, now: OffsetDateTime) -> Result<Decided, Rejection> {
    let (id, current) = state.existing(NOT_FOUND)?;
    // Every secret of the backend goes with it (the event's own doing).
    Ok((vec![BackendEvent::Deleted { at: now }], vec![current.claim(id, ClaimAction::Release)], BTreeSet::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s3(name: &str, config: Value) -> BackendInput {
        let config = backend_config::parse(BackendType::S3, &config).expect("valid");
        BackendInput { name: name.into(), backend_type: BackendType::S3, config }
    }

    fn given(events: &[BackendEvent]) -> StorageBackend {
        let mut state = StorageBackend::default();
        events.iter().for_each(|e| state.apply(e));
        state
    }

    fn patch(config: Value) -> BackendPatch {
        BackendPatch { config: Some(config), ..Default::default() }
    }

    #[test]
    fn names_are_claimed_case_insensitively() {
        let (_, claims, _) = create(
            &StorageBackend::default(),
            Uuid::new_v4(),
            s3("Lab S3", json!({"bucket": "b"})),
            OffsetDateTime::UNIX_EPOCH,
        )
        .expect("ok");
        assert_eq!(claims[0].key, "backend_name/lab s3");
    }

    #[test]
    fn events_name_the_credentials_never_their_values() {
        let input = s3("x", json!({"bucket": "b", "secret_access_key": "s3cr3t-value"}));
        let (events, _, _) =
            create(&StorageBackend::default(), Uuid::new_v4(), input, OffsetDateTime::UNIX_EPOCH).expect("ok");
        let payload = serde_json::to_string(&events).expect("json");
        assert!(!payload.contains("s3cr3t-value"), "{payload}");
        assert!(payload.contains(r#""credentials":["secret_access_key"]"#), "{payload}");
    }

    #[test]
    fn a_patch_keeps_credentials_left_out_replaces_given_ones_and_removes_nulls() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let (events, ..) = create(
            &StorageBackend::default(),
            Uuid::new_v4(),
            s3("x", json!({"bucket": "b", "secret_access_key": "k"})),
            t,
        )
        .expect("ok");
        let state = given(&events);
        let (events, _, removed) = update(&state, patch(json!({"bucket": "c"})), t).expect("kept");
        assert!(removed.is_empty());
        assert!(matches!(&events[0], BackendEvent::Updated { details, credentials_changed, .. }
            if details.credentials.contains("secret_access_key") && credentials_changed.is_empty()));
        let (events, ..) = update(&state, patch(json!({"bucket": "b", "secret_access_key": "new"})), t).expect("new");
        assert!(
            matches!(&events[0], BackendEvent::Updated { credentials_changed, .. }
            if credentials_changed.contains("secret_access_key")),
            "a new value alone is an update"
        );
        let (_, _, removed) = update(&state, patch(json!({"bucket": "b", "secret_access_key": null})), t).expect("rm");
        assert!(removed.contains("secret_access_key"));
        let retype = BackendPatch { backend_type: Some(BackendType::Nfs), ..Default::default() };
        assert!(matches!(update(&state, retype, t), Err(Rejection::Invalid { .. })), "a new type needs its config");
    }

    #[test]
    fn version_1_payloads_lose_their_credentials_when_read() {
        let v1 = json!({"id": Uuid::nil(), "name": "x", "type": "s3", "at": "2026-01-01T00:00:00Z",
                        "config": {"bucket": "b", "secret_access_key": "old-secret"}});
        let event: BackendEvent = crate::event_store::codec::decode("storage_backend.created", 1, v1).expect("decodes");
        let BackendEvent::Created { details, .. } = event else { panic!("created") };
        assert_eq!(details.config, json!({"bucket": "b"}));
    }
}
