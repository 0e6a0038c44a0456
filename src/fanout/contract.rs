//! The WebSocket's messages as types: one `data` struct per event `type`,
//! their union [`WsEventData`], and the envelopes the socket sends. These are
//! the types the fan-out serialises (each `data` once per event, see
//! [`super::Frame`]) and the schemas the OpenAPI publishes, so a client
//! generated from the OpenAPI knows every message.
//!
//! The names are the spec's (`clone.progress`, `node.created`, …). Beyond
//! them, `partition.scan_requested`, `partition.operation_removed` and
//! `partition.operations_applied` let a partition tool page keep its queue
//! current without polling; `clone.staging_status`, `clone.source_complete`,
//! `image.ready`, `image.cleanup_started`, `image.cleanup_failed` and `image.deleted` follow staged sessions
//! and images.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::clone_session::{Role, StagingStatus, TransferPhase};
use crate::domain::disks::operation::OperationKind;
use crate::domain::disks::scan::PartitionTable;

/// `clone.created`, `clone.updated`, `clone.cancelled`, `clone.deleted`:
/// which session changed (fetch it for the rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsSessionRef {
    pub session_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsCloneStarted {
    pub session_id: Uuid,
    pub source_node_id: Uuid,
    pub target_node_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsCloneSourceReady {
    pub session_id: Uuid,
    #[schema(example = "10.0.0.5")]
    pub source_ip: String,
    pub source_port: u16,
    /// Size of the source device, in bytes.
    pub size_bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsCloneProgress {
    pub session_id: Uuid,
    /// Bytes copied so far; never lower than in an earlier message.
    pub bytes_transferred: i64,
    pub bytes_total: Option<i64>,
    /// `bytes_transferred / bytes_total`, in percent, rounded to 0.1.
    pub progress_percent: f64,
    /// Bytes per second, as the node last measured it.
    pub transfer_rate_bps: Option<i64>,
    pub status: Option<TransferPhase>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsCloneCompleted {
    pub session_id: Uuid,
    /// Seconds from source-ready to completion.
    pub duration_seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsCloneFailed {
    pub session_id: Uuid,
    pub error: String,
}

/// `node.created`, `node.updated`, `node.deleted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsNodeRef {
    pub node_id: Uuid,
}

/// One disk of a scan report (a report of N disks sends N messages).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsScanComplete {
    pub node_id: Uuid,
    #[schema(example = "/dev/sda")]
    pub device: String,
    pub disk_id: Uuid,
    pub size_bytes: i64,
    pub partition_table: PartitionTable,
    pub partition_count: usize,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub scanned_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsScanRequested {
    pub node_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsOperationQueued {
    pub node_id: Uuid,
    pub device: String,
    pub operation_id: Uuid,
    pub operation: OperationKind,
    /// 1, 2, 3… per node and device, never reused.
    pub sequence: i32,
    /// The operation's parameters, as `queue_partition_operation` took them.
    #[schema(value_type = Object)]
    pub params: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsOperationRemoved {
    pub node_id: Uuid,
    pub device: String,
    pub operation_id: Uuid,
}

/// `apply`: these pending operations (in sequence order) are now the node's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsOperationsApplied {
    pub node_id: Uuid,
    pub device: String,
    pub operation_ids: Vec<Uuid>,
}

/// `partition.operation_started`, `partition.operation_complete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsOperationRef {
    pub node_id: Uuid,
    pub device: String,
    pub operation_id: Uuid,
    pub operation: OperationKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsOperationFailed {
    pub node_id: Uuid,
    pub device: String,
    pub operation_id: Uuid,
    pub operation: OperationKind,
    pub error: Option<String>,
    /// Operations queued after it that were handed out and are pending again.
    pub withdrawn: Vec<Uuid>,
}

/// `storage.backend_created`, `storage.backend_updated`, `storage.backend_deleted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsBackendRef {
    pub backend_id: Uuid,
}

/// `clone.staging_status`: a staged session's staging moved on
/// (`provisioned`, `uploading`, `downloading`), as the node of `role` said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsCloneStaging {
    pub session_id: Uuid,
    pub role: Role,
    pub staging_status: StagingStatus,
}

/// `clone.source_complete`: a staged session's source stored its disk whole
/// as image `image_id` (staging `ready`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsCloneSourceComplete {
    pub session_id: Uuid,
    pub image_id: Uuid,
    /// Bytes of the captured disk.
    pub size_bytes: i64,
    /// The disk's content digest (BLAKE3 over the chunk digests).
    pub digest: String,
}

/// `image.ready`: a capture finished and the image can be restored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsImageReady {
    pub image_id: Uuid,
    #[schema(example = "ubuntu-golden")]
    pub name: String,
    pub size_bytes: i64,
}

/// `image.cleanup_started` (a `DELETE` was accepted: the image is no
/// longer restorable and its files are being removed) and `image.deleted`
/// (its files are gone and its name is free).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsImageRef {
    pub image_id: Uuid,
}

/// `image.cleanup_failed`: a sweep of the image's files failed; it is retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WsImageCleanupFailed {
    pub image_id: Uuid,
    #[schema(example = "no controller-side mount of nfs backend 'lab': /srv/pureboot/<id> is not a directory")]
    pub reason: String,
}

/// Declares [`WsEventData`] from one list, so a message's `type` is spelled
/// once for its serde tag, its schema and [`WsEventData::kind`].
macro_rules! event_data {
    ($($name:tt => $variant:ident($data:ty),)*) => {
        /// An event message's `type` and `data`, told apart by `type`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
        #[serde(tag = "type", content = "data")]
        pub enum WsEventData {
            $(#[serde(rename = $name)] $variant($data),)*
        }

        impl WsEventData {
            /// The message's `type`, e.g. `clone.progress`.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)*
                }
            }

            /// The message's `data`, serialised.
            pub fn data(&self) -> serde_json::Result<Box<RawValue>> {
                match self {
                    $(Self::$variant(data) => serde_json::value::to_raw_value(data),)*
                }
            }
        }
    };
}

event_data! {
    "clone.created" => CloneCreated(WsSessionRef),
    "clone.updated" => CloneUpdated(WsSessionRef),
    "clone.started" => CloneStarted(WsCloneStarted),
    "clone.source_ready" => CloneSourceReady(WsCloneSourceReady),
    "clone.progress" => CloneProgress(WsCloneProgress),
    "clone.completed" => CloneCompleted(WsCloneCompleted),
    "clone.failed" => CloneFailed(WsCloneFailed),
    "clone.cancelled" => CloneCancelled(WsSessionRef),
    "clone.staging_status" => CloneStaging(WsCloneStaging),
    "clone.source_complete" => CloneSourceComplete(WsCloneSourceComplete),
    "clone.deleted" => CloneDeleted(WsSessionRef),
    "node.created" => NodeCreated(WsNodeRef),
    "node.updated" => NodeUpdated(WsNodeRef),
    "node.deleted" => NodeDeleted(WsNodeRef),
    "partition.scan_complete" => ScanComplete(WsScanComplete),
    "partition.scan_requested" => ScanRequested(WsScanRequested),
    "partition.operation_queued" => OperationQueued(WsOperationQueued),
    "partition.operation_removed" => OperationRemoved(WsOperationRemoved),
    "partition.operations_applied" => OperationsApplied(WsOperationsApplied),
    "partition.operation_started" => OperationStarted(WsOperationRef),
    "partition.operation_complete" => OperationComplete(WsOperationRef),
    "partition.operation_failed" => OperationFailed(WsOperationFailed),
    "storage.backend_created" => BackendCreated(WsBackendRef),
    "storage.backend_updated" => BackendUpdated(WsBackendRef),
    "storage.backend_deleted" => BackendDeleted(WsBackendRef),
    "image.ready" => ImageReady(WsImageReady),
    "image.cleanup_started" => ImageCleanupStarted(WsImageRef),
    "image.cleanup_failed" => ImageCleanupFailed(WsImageCleanupFailed),
    "image.deleted" => ImageDeleted(WsImageRef),
}

/// One event of the log as the socket sends it: `type` and `data`, plus
/// where it stands in the log. Its schema is written out below rather than
/// derived: derived, it is `allOf` of the `oneOf` union and the envelope,
/// which name-based generators cannot express (openapi-python-client refuses
/// "allOf a non-object"); written out, it is one complete object per `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WsEventMessage {
    #[serde(flatten)]
    pub event: WsEventData,
    /// The event's log position: resume after it with `?from=`.
    pub position: i64,
    /// The position of the message this connection sent before this one;
    /// for the first message, the `from` the client connected with (or,
    /// without `from`, the position the stream started after). Not every
    /// log position is sent (some events are internal), so positions have
    /// gaps; `prev_position` is what proves nothing was lost: a client that
    /// last handled position P has missed a message when `prev_position > P`.
    pub prev_position: i64,
    /// When the event was recorded (RFC 3339).
    pub timestamp: String,
}

impl utoipa::PartialSchema for WsEventMessage {
    /// `oneOf` one object per event type: that type's `type` and `data`
    /// (from [`WsEventData`]'s schema) plus `position`, `prev_position` and
    /// `timestamp`.
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{Object, ObjectBuilder, OneOfBuilder, Schema, Type};
        use utoipa::openapi::{RefOr, schema::KnownFormat, schema::SchemaFormat};
        let envelope = |mut object: Object| {
            let position = |description: &str| {
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .description(Some(description))
            };
            object
                .properties
                .insert("position".into(), position("The event's log position: resume after it with `?from=`.").into());
            object.properties.insert(
                "prev_position".into(),
                position(
                    "The position of the message this connection sent before this one (for the first, the `from` \
                     the client connected with); a client that last handled position P has missed a message when \
                     `prev_position > P`.",
                )
                .into(),
            );
            object.properties.insert(
                "timestamp".into(),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("When the event was recorded (RFC 3339)."))
                    .into(),
            );
            object.required.extend(["position", "prev_position", "timestamp"].map(String::from));
            RefOr::T(Schema::Object(object))
        };
        let variants = match WsEventData::schema() {
            RefOr::T(Schema::OneOf(union)) => union.items,
            other => vec![other],
        };
        let items = variants.into_iter().map(|variant| match variant {
            RefOr::T(Schema::Object(object)) => envelope(object),
            other => other,
        });
        items
            .fold(OneOfBuilder::new(), OneOfBuilder::item)
            .description(Some(
                "One event of the log as the socket sends it: `type` and its `data`, plus where it stands in the log.",
            ))
            .into()
    }
}

impl ToSchema for WsEventMessage {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        WsEventData::schemas(schemas);
    }
}

/// Connection housekeeping, told apart by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum WsControlMessage {
    /// The answer to a client's `{"type":"ping"}`.
    Pong,
    /// The client fell behind and is being closed (code 4000): reconnect
    /// with `?from=<position>`; everything after it is replayed.
    Resync { position: i64 },
}

/// Everything the server sends on the socket: an event, or housekeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum WsServerMessage {
    Event(WsEventMessage),
    Control(WsControlMessage),
}
