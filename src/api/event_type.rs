//! The OpenAPI schema `EventType`: every event `type` the log holds, read
//! from the domain's event enums ([`event_types`]), so the documented list
//! cannot drift from them. The handlers keep the names as strings: an
//! unknown name in the audit filter simply matches nothing.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::auth::operator_tokens::TokenEvent;
use crate::domain::clone_session::CloneSessionEvent;
use crate::domain::disks::DiskEvent;
use crate::domain::image::ImageEvent;
use crate::domain::node::NodeEvent;
use crate::domain::storage_backend::BackendEvent;
use crate::domain::storage_lease::StorageLeaseEvent;
use crate::domain::unique_claim::ClaimEvent;
use crate::event_store::codec::event_types;

/// Every event type, each once, grouped by aggregate.
pub fn all() -> Vec<&'static str> {
    [
        event_types::<CloneSessionEvent>(),
        event_types::<NodeEvent>(),
        event_types::<DiskEvent>(),
        event_types::<BackendEvent>(),
        event_types::<ClaimEvent>(),
        event_types::<TokenEvent>(),
        event_types::<ImageEvent>(),
        event_types::<StorageLeaseEvent>(),
    ]
    .concat()
}

/// An event's `type`: `<category>.<what happened>`.
pub struct EventType;

impl PartialSchema for EventType {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An event's `type`: `<category>.<what happened>`."))
            .enum_values(Some(all()))
            .into()
    }
}

impl ToSchema for EventType {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_store::Category;

    #[test]
    fn every_event_type_is_listed_once_under_a_known_category() {
        let types = all();
        assert!(types.contains(&"clone_session.created") && types.contains(&"node.registered"), "{types:?}");
        for (i, name) in types.iter().enumerate() {
            assert!(!types[..i].contains(name), "{name} listed twice");
            let category = name.split_once('.').map(|(category, _)| category).unwrap_or_default();
            assert!(Category::parse(category).is_some(), "{name}: unknown category");
        }
    }
}
