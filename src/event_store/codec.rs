//! Encoding of domain events into the log and back, with an upcasting hook.
//!
//! Each aggregate's events are one serde enum, adjacently tagged
//! (`{"type": "clone_session.created", "data": {...}}`). The tag becomes the
//! `event_type` column and the content the `payload`. When a payload changes
//! shape, bump [`DomainEvent::schema_version`] for that type and teach
//! [`DomainEvent::upcast`] to lift the older payloads, so the log never needs
//! rewriting (it cannot be rewritten anyway: it is append-only).

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::NewEvent;

pub trait DomainEvent: Serialize + DeserializeOwned {
    /// The schema version new events of this type are written with.
    fn schema_version(_event_type: &str) -> i32 {
        1
    }

    /// Lifts a payload written with an older schema version to the current one.
    fn upcast(_event_type: &str, _from_version: i32, payload: Value) -> Value {
        payload
    }
}

pub fn encode<E: DomainEvent>(event: &E) -> Result<NewEvent, serde_json::Error> {
    let tagged = serde_json::to_value(event)?;
    let Value::Object(mut map) = tagged else {
        return Err(serde::ser::Error::custom("events must serialize to a tagged object"));
    };
    let event_type = match map.remove("type") {
        Some(Value::String(t)) => t,
        _ => {
            return Err(serde::ser::Error::custom("event without a string `type` tag"));
        }
    };
    let payload = map.remove("data").unwrap_or(Value::Object(Default::default()));
    Ok(NewEvent { schema_version: E::schema_version(&event_type), event_type, payload })
}

pub fn decode<E: DomainEvent>(event_type: &str, schema_version: i32, payload: Value) -> Result<E, serde_json::Error> {
    let current = E::schema_version(event_type);
    let payload = if schema_version < current { E::upcast(event_type, schema_version, payload) } else { payload };
    // As the sequence [tag, content], which serde reads for adjacently tagged
    // enums in one pass; a map would be sorted "data" first and buffered.
    serde_json::from_value(Value::Array(vec![Value::String(event_type.to_owned()), payload]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    /// A stand-in event whose `renamed` payload moved `old_name` to `name` in v2.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", content = "data")]
    enum Sample {
        #[serde(rename = "sample.renamed")]
        Renamed { name: String },
    }

    impl DomainEvent for Sample {
        fn schema_version(_: &str) -> i32 {
            2
        }
        fn upcast(_: &str, from: i32, mut payload: Value) -> Value {
            if from == 1
                && let Some(old) = payload.as_object_mut().and_then(|m| m.remove("old_name"))
            {
                payload["name"] = old;
            }
            payload
        }
    }

    #[test]
    fn encode_splits_tag_and_payload() {
        let new = encode(&Sample::Renamed { name: "a".into() }).expect("encodes");
        assert_eq!(new.event_type, "sample.renamed");
        assert_eq!(new.schema_version, 2);
        assert_eq!(new.payload, json!({"name": "a"}));
    }

    #[test]
    fn old_payloads_are_upcast_on_read() {
        let decoded: Sample = decode("sample.renamed", 1, json!({"old_name": "b"})).expect("upcasts");
        assert_eq!(decoded, Sample::Renamed { name: "b".into() });
    }

    #[test]
    fn current_payloads_are_read_as_is() {
        let decoded: Sample = decode("sample.renamed", 2, json!({"name": "c"})).expect("decodes");
        assert_eq!(decoded, Sample::Renamed { name: "c".into() });
    }
}
