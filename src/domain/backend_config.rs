//! The configuration of each storage-backend type: a closed set of fields
//! (unknown keys are refused), each a bounded string, and the split between
//! public fields and credentials.
//!
//! Credentials (`chap_password`, `secret_access_key`, `password`) never enter
//! the event log or a response: they are sealed in the `secrets` table and
//! the events record only which of them are set (or changed). The OpenAPI
//! marks them write-only; responses say `has_<field>: true` instead.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::Rejection;
use super::storage_backend::BackendType;

/// The longest value of any config field, in characters: enough for a URL or
/// an IQN with room to spare, small enough that a config stays a few KiB.
pub const VALUE_MAX: usize = 1024;

/// Every credential field of every type; their values are sealed before the
/// decision, whatever type the backend turns out to have.
pub const ALL_CREDENTIALS: [&str; 3] = ["chap_password", "secret_access_key", "password"];

/// An NFS export to stage images in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NfsConfig {
    #[schema(example = "10.0.0.2")]
    pub server: String,
    #[schema(example = "/srv/images")]
    pub export: String,
    /// Mount options, e.g. `vers=4.2`.
    pub options: Option<String>,
}

/// An iSCSI target whose LUNs hold staged images.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IscsiConfig {
    /// `host[:port]` of the portal.
    #[schema(example = "10.0.0.3:3260")]
    pub portal: String,
    #[schema(example = "iqn.2024-01.lab:images")]
    pub target: String,
    pub chap_username: Option<String>,
    /// Write-only; sealed, never returned (see `has_chap_password`).
    #[schema(write_only)]
    pub chap_password: Option<String>,
}

/// An S3-compatible bucket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    #[schema(example = "pureboot-images")]
    pub bucket: String,
    /// For S3-compatible stores; AWS when absent.
    #[schema(example = "https://minio.lab:9000")]
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Key prefix for the images.
    pub prefix: Option<String>,
    pub access_key_id: Option<String>,
    /// Write-only; sealed, never returned (see `has_secret_access_key`).
    #[schema(write_only)]
    pub secret_access_key: Option<String>,
}

/// An HTTP(S) server that stores and serves images.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    #[schema(example = "https://images.lab/upload/")]
    pub url: String,
    pub username: Option<String>,
    /// Write-only; sealed, never returned (see `has_password`).
    #[schema(write_only)]
    pub password: Option<String>,
}

/// A backend's `config`, one shape per `type` (documentation of the request;
/// the type field decides which applies).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum BackendConfigSchema {
    Nfs(NfsConfig),
    Iscsi(IscsiConfig),
    S3(S3Config),
    Http(HttpConfig),
}

/// The credential fields of a type.
pub fn credential_fields(backend_type: BackendType) -> &'static [&'static str] {
    match backend_type {
        BackendType::Nfs => &[],
        BackendType::Iscsi => &["chap_password"],
        BackendType::S3 => &["secret_access_key"],
        BackendType::Http => &["password"],
    }
}

/// A request's config, checked against its type.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedConfig {
    /// The public fields (nulls left out): what the log and responses hold.
    pub public: Value,
    /// Credentials given a value (their values are sealed, not kept here).
    pub set: BTreeSet<String>,
    /// Credentials given as `null`: to be removed.
    pub cleared: BTreeSet<String>,
}

pub fn parse(backend_type: BackendType, config: &Value) -> Result<ParsedConfig, Rejection> {
    let Some(fields) = config.as_object() else {
        return Err(Rejection::invalid("config", "must be a JSON object"));
    };
    let type_name = type_name(backend_type);
    let checked = match backend_type {
        BackendType::Nfs => check::<NfsConfig>(config),
        BackendType::Iscsi => check::<IscsiConfig>(config),
        BackendType::S3 => check::<S3Config>(config),
        BackendType::Http => check::<HttpConfig>(config),
    };
    checked.map_err(|err| Rejection::invalid("config", format!("not a valid {type_name} configuration: {err}")))?;
    for (key, value) in fields {
        if let Some(text) = value.as_str()
            && text.chars().count() > VALUE_MAX
        {
            return Err(Rejection::invalid(
                &format!("config.{key}"),
                format!("must be at most {VALUE_MAX} characters"),
            ));
        }
    }
    let credentials = credential_fields(backend_type);
    let mut public = Map::new();
    let (mut set, mut cleared) = (BTreeSet::new(), BTreeSet::new());
    for (key, value) in fields {
        match (credentials.contains(&key.as_str()), value.is_null()) {
            (true, true) => cleared.insert(key.clone()),
            (true, false) => set.insert(key.clone()),
            (false, true) => false,
            (false, false) => public.insert(key.clone(), value.clone()).is_none(),
        };
    }
    Ok(ParsedConfig { public: Value::Object(public), set, cleared })
}

/// Deserialises into the type's struct only to check it: unknown keys,
/// missing required fields and wrong types (nesting included) are refused.
fn check<T: DeserializeOwned>(config: &Value) -> Result<(), serde_json::Error> {
    T::deserialize(config).map(drop)
}

fn type_name(backend_type: BackendType) -> &'static str {
    match backend_type {
        BackendType::Nfs => "nfs",
        BackendType::Iscsi => "iscsi",
        BackendType::S3 => "s3",
        BackendType::Http => "http",
    }
}

/// The credential values of a request config, by field: what is sealed.
pub fn credential_values(config: Option<&Value>) -> BTreeMap<&'static str, &str> {
    let Some(fields) = config.and_then(Value::as_object) else { return BTreeMap::new() };
    ALL_CREDENTIALS.into_iter().filter_map(|name| Some((name, fields.get(name)?.as_str()?))).collect()
}

/// Removes credential fields from a config written before they were kept out
/// of the log (schema version 1 of the backend events).
pub fn strip_credentials(config: &mut Value) {
    if let Some(fields) = config.as_object_mut() {
        for name in ALL_CREDENTIALS {
            fields.remove(name);
        }
    }
}

/// What a response shows: the public fields plus `has_<credential>` for each
/// credential of the type.
pub fn shown(backend_type: BackendType, public: &Value, set: &BTreeSet<String>) -> Value {
    let mut shown = public.as_object().cloned().unwrap_or_default();
    for name in credential_fields(backend_type) {
        shown.insert(format!("has_{name}"), Value::Bool(set.contains(*name)));
    }
    Value::Object(shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_are_split_from_the_public_fields() {
        let parsed = parse(
            BackendType::S3,
            &json!({"bucket": "b", "region": null, "access_key_id": "AKIA", "secret_access_key": "s3cr3t"}),
        )
        .expect("valid");
        assert_eq!(parsed.public, json!({"bucket": "b", "access_key_id": "AKIA"}));
        assert_eq!(parsed.set, BTreeSet::from(["secret_access_key".to_owned()]));
        let cleared = parse(BackendType::S3, &json!({"bucket": "b", "secret_access_key": null})).expect("valid");
        assert_eq!(cleared.cleared, BTreeSet::from(["secret_access_key".to_owned()]));
    }

    #[test]
    fn unknown_keys_missing_fields_nesting_and_long_values_are_refused() {
        for (backend_type, config, field) in [
            (BackendType::Nfs, json!({"server": "s", "export": "/e", "secret": "x"}), "config"),
            (BackendType::Nfs, json!({"server": "s"}), "config"),
            (BackendType::S3, json!({"bucket": {"a": {"b": 1}}}), "config"),
            (BackendType::Http, json!({"url": "x".repeat(VALUE_MAX + 1)}), "config.url"),
            (BackendType::Iscsi, json!([1]), "config"),
        ] {
            let err = parse(backend_type, &config).expect_err("refused");
            assert!(matches!(&err, Rejection::Invalid { field: f, .. } if f == field), "{err}");
        }
        let err = parse(BackendType::Nfs, &json!({"server": "s", "export": "/e", "secret": "x"})).expect_err("no");
        assert!(err.to_string().contains("unknown field `secret`"), "names the key: {err}");
    }

    #[test]
    fn responses_say_which_credentials_are_set() {
        let set = BTreeSet::from(["password".to_owned()]);
        assert_eq!(shown(BackendType::Http, &json!({"url": "u"}), &set), json!({"url": "u", "has_password": true}));
    }
}
