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

/// Every `type` name of `E`, in declaration order, as serde's derived
/// `Deserialize` knows them (the names it is handed for the tag), so a list
/// built from this cannot drift from the enum.
pub fn event_types<E: DomainEvent>() -> &'static [&'static str] {
    let names = std::cell::Cell::new(None);
    // The probe answers with an error once it has the names; that error is
    // expected and says nothing.
    let _ = E::deserialize(type_probe::Events(&names));
    names.get().unwrap_or_default()
}

/// A deserializer that offers an adjacently tagged enum a map whose `type`
/// value records the variant names the tag is read with.
mod type_probe {
    use std::cell::Cell;

    use serde::de::value::Error;
    use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};

    type Names = Cell<Option<&'static [&'static str]>>;

    pub struct Events<'a>(pub &'a Names);

    impl<'de> de::Deserializer<'de> for Events<'_> {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_map(Tag(self.0))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
        }
    }

    struct Tag<'a>(&'a Names);

    impl<'de> MapAccess<'de> for Tag<'_> {
        type Error = Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
            seed.deserialize("type".into_deserializer()).map(Some)
        }

        fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
            seed.deserialize(Variants(self.0))
        }
    }

    struct Variants<'a>(&'a Names);

    impl<'de> de::Deserializer<'de> for Variants<'_> {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(de::Error::custom("not an enum tag"))
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            variants: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            self.0.set(Some(variants));
            Err(de::Error::custom("names recorded"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
        }
    }
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
    fn event_types_are_the_tags_serde_writes() {
        assert_eq!(event_types::<Sample>(), ["sample.renamed"]);
        let written = encode(&Sample::Renamed { name: "a".into() }).expect("encodes").event_type;
        assert!(event_types::<Sample>().contains(&written.as_str()));
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
