//! The HTTP API under `/api/v1`: thin handlers (parse → command → respond),
//! each documented for OpenAPI where it is declared; `router()` collects both
//! the routes and the document, so no route can go undocumented.

pub mod audit;
pub mod body_limit;
pub mod ca;
pub mod clone_sessions;
pub mod csv_export;
pub mod cursor;
pub mod disks;
pub mod envelope;
pub mod event_type;
pub mod extract;
pub mod health;
pub mod images;
pub mod metrics;
pub mod nodes;
pub mod query_contract;
mod registry;
pub mod reports;
mod shared_responses;
pub mod storage_backends;
pub mod ws;

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "PureBoot Clone Controller",
        description = "Event-sourced control plane for network disk cloning between bare-metal nodes. \
            Every change is an event in an append-only log; a command is answered once its events are \
            committed, and a query first waits until the query tables include everything committed before it \
            (read-your-writes on any instance). Errors are always `{\"success\": false, \"error\", \"detail\"}`."
    ),
    tags(
        (name = "clone-sessions", description = "Clone sessions: create, inspect, change, cancel"),
        (name = "node-callbacks",
            description = "Called by nodes: clone progress, disk scan reports, partition operations"),
        (name = "nodes", description = "The node registry"),
        (name = "disks",
            description = "A node's disks as it last reported them, and the partition operations queued on them"),
        (name = "storage", description = "Storage backends for staged clones"),
        (name = "images", description = "Golden images: captured once by a staged session, restored onto any \
            number of targets (one restore session per target)"),
        (name = "events", description = "Live event stream"),
        (name = "health", description = "Liveness and readiness"),
        (name = "ca", description = "The certificate authority's public material"),
        (name = "audit", description = "The audit trail and reports, from the event log"),
    ),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

/// Declares the kinds of token the API accepts: operator and node bearer tokens,
/// and the operator token in the query that only the WebSocket takes.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(description.to_owned())).build(),
            )
        };
        components.add_security_scheme(
            "bearer",
            scheme(
                "Operator token (`pbo_…`, made with `pureboot token create`): viewer, operator or admin. \
                 An operation's requirement names the least role it needs (OpenAPI 3.1 role names): \
                 a valid token of a lesser role gets 403.",
            ),
        );
        components.add_security_scheme(
            "node_token",
            scheme(
                "Node token: `pbn_…` for one role of one clone session (returned when the session is created), \
                 `pbk_…` for one node. An operation's requirement names the kind it takes: `session` (the \
                 `pbn_…` token of the path's session) or `node` (the `pbk_…` token of the path's node); a \
                 valid token of another kind, session or node gets 403.",
            ),
        );
        components.add_security_scheme(
            "bearer_query",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "An operator token in the query, for the WebSocket only: browsers cannot set its headers.",
            ))),
        );
    }
}

/// Every route under `/api/v1` (and `/metrics`), with its OpenAPI description.
pub fn router() -> OpenApiRouter<Arc<App>> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(ws::events))
        .routes(routes!(nodes::list, nodes::create))
        .routes(routes!(nodes::get, nodes::update, nodes::delete))
        .routes(routes!(nodes::rotate_token))
        .routes(routes!(disks::scans::list))
        .routes(routes!(disks::scans::report))
        .routes(routes!(disks::scans::request_scan))
        .routes(routes!(disks::scans::scan_status))
        .routes(routes!(disks::scans::scan_request))
        .routes(routes!(disks::scans::get))
        .routes(routes!(disks::operations::list, disks::operations::queue))
        .routes(routes!(disks::operations::remove))
        .routes(routes!(disks::operations::apply))
        .routes(routes!(disks::node_operations::poll))
        .routes(routes!(disks::node_operations::report_status))
        .routes(routes!(storage_backends::list, storage_backends::create))
        .routes(routes!(storage_backends::get, storage_backends::update, storage_backends::delete))
        .routes(routes!(clone_sessions::queries::list, clone_sessions::commands::create))
        .routes(routes!(
            clone_sessions::queries::get,
            clone_sessions::commands::update,
            clone_sessions::commands::delete
        ))
        .routes(routes!(clone_sessions::plan::analyze))
        .routes(routes!(clone_sessions::plan::get_plan, clone_sessions::plan::put_plan))
        .routes(routes!(clone_sessions::plan::start))
        .routes(routes!(clone_sessions::certs::certs))
        .routes(routes!(clone_sessions::csr::csr))
        .routes(routes!(ca::certificate))
        .routes(routes!(ca::crl))
        .routes(routes!(audit::events))
        .routes(routes!(reports::clones))
        .routes(routes!(reports::clones_csv))
        .routes(routes!(clone_sessions::history::history))
        .routes(routes!(clone_sessions::callbacks::source_ready))
        .routes(routes!(clone_sessions::callbacks::progress))
        .routes(routes!(clone_sessions::callbacks::complete))
        .routes(routes!(clone_sessions::callbacks::failed))
        .routes(routes!(clone_sessions::staging::staging_info))
        .routes(routes!(clone_sessions::staging::staging_status, clone_sessions::staging::report_staging))
        .routes(routes!(clone_sessions::staging::source_complete))
        .routes(routes!(images::list))
        .routes(routes!(images::get, images::delete));
    let mut router =
        OpenApiRouter::with_openapi(ApiDoc::openapi()).routes(routes!(metrics::metrics)).nest("/api/v1", v1);
    shared_responses::declare(router.get_openapi_mut());
    router
}

/// The OpenAPI document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let (_, doc) = router().split_for_parts();
    doc.to_pretty_json().unwrap_or_default()
}

/// `{"id": ...}` of a deleted resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub id: uuid::Uuid,
}

/// Tells "absent" (keep) from `null` (clear) in a PATCH body.
pub fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
