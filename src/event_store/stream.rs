//! Stream names: `category:id`. The category says which aggregate a stream
//! belongs to (and is stored as a generated column, for audit filters); the
//! id is the aggregate's UUID, or a unique claim's key.

use std::fmt;

use uuid::Uuid;

/// Every stream category of the log; the one place their names are spelled
/// (serde and the OpenAPI schema `StreamCategory` use the same names, for
/// the audit trail's filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = StreamCategory)]
pub enum Category {
    CloneSession,
    Node,
    /// A node's disks and partition operations, keyed by the node's id.
    NodeDisks,
    StorageBackend,
    /// A unique value's claim, keyed by `scope/value` (not a UUID).
    Unique,
    /// An operator API token's issue and revocation.
    ApiToken,
    /// A golden image captured by a staged session.
    Image,
    /// Who uploads to or sweeps a storage backend's chunks, keyed by the backend's id.
    StorageLease,
}

impl Category {
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::CloneSession => "clone_session",
            Category::Node => "node",
            Category::NodeDisks => "node_disks",
            Category::StorageBackend => "storage_backend",
            Category::Unique => "unique",
            Category::ApiToken => "api_token",
            Category::Image => "image",
            Category::StorageLease => "storage_lease",
        }
    }

    /// Every category, each once.
    pub const ALL: [Category; 8] = [
        Self::CloneSession,
        Self::Node,
        Self::NodeDisks,
        Self::StorageBackend,
        Self::Unique,
        Self::ApiToken,
        Self::Image,
        Self::StorageLease,
    ];

    /// The category named `name`, `None` for one this build does not know.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The stream of the aggregate instance `id` in this category.
    pub fn stream(self, id: impl fmt::Display) -> String {
        format!("{}:{id}", self.as_str())
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stream whose id part is not the UUID its category requires: a log
/// written by something other than this controller, never a nil UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream `{stream}` does not name an aggregate by UUID")]
pub struct StreamIdError {
    pub stream: String,
}

/// The category and id parts of `stream` (the id is empty without a `:`).
pub fn split(stream: &str) -> (Option<Category>, &str) {
    match stream.split_once(':') {
        Some((category, id)) => (Category::parse(category), id),
        None => (None, ""),
    }
}

/// The UUID of the aggregate `stream` names.
pub fn id(stream: &str) -> Result<Uuid, StreamIdError> {
    split(stream).1.parse().map_err(|_| StreamIdError { stream: stream.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_name_splits_back_into_its_category_and_id() {
        let node = Uuid::new_v4();
        let stream = Category::NodeDisks.stream(node);
        assert_eq!(split(&stream), (Some(Category::NodeDisks), node.to_string().as_str()));
        assert_eq!(id(&stream), Ok(node));
    }

    #[test]
    fn a_malformed_id_is_an_error_not_a_nil_uuid() {
        for stream in ["node:", "node:not-a-uuid", "node", "unique:mac/52:54:00:12:34:56"] {
            assert_eq!(id(stream), Err(StreamIdError { stream: stream.to_owned() }), "{stream}");
        }
    }

    #[test]
    fn unknown_categories_are_none() {
        assert_eq!(split("widget:1").0, None);
        assert_eq!(Category::parse("clone_session"), Some(Category::CloneSession));
    }
}
