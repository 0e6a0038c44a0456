//! The handlers every registry resource (nodes, storage backends) has in one
//! shape: list a page newest first, create one, get one, change one, delete
//! one. Each is
//! declared once here, as [`registry_handlers!`], and instantiated in the
//! resource's module with its paths, operation ids, view, request body,
//! read model and commands, so the two registries cannot drift apart (same
//! roles, errors, envelopes and messages) and a third gets them for free.
//!
//! What differs stays in the resource's module: how a POST body becomes the
//! creation (a node's response carries its token; a backend's config is
//! parsed and its credentials sealed), how a PATCH body becomes the domain's
//! patch (`TryFrom<Body, Error = ApiError>`), and anything beyond CRUD (a
//! node's token rotation).

/// Declares `list`, `get`, `update` and `delete`, each documented for OpenAPI,
/// for one registry resource:
///
/// - `read`: the read-model module, with `list(db, limit, offset)` and
///   `get(db, id)`;
/// - `command`: the command module, with `update(cx, metadata, id, patch)`
///   returning the view as the change left it, and `delete(cx, metadata, id)`;
/// - `create`: the POST body, the response's data, the resource's function
///   `(app, metadata, body)` that runs the creation, the 409's reason and the
///   word the success message ends with;
/// - `update_body`: the PATCH body, convertible into the domain's patch;
/// - `operations` and `summaries`: list, create, get, update, delete, in that
///   order;
/// - `noun`: the resource in the 404's and the success messages' words.
macro_rules! registry_handlers {
    (
        tag: $tag:tt,
        collection: $collection:tt,
        item: $item:tt,
        view: $view:ident,
        read: $read:ident,
        command: $command:ident,
        create: ($create_body:ident => $created:ident by $create:ident, conflict: $conflict:tt, done: $done:tt),
        update_body: $update_body:ident,
        operations: ($list_op:tt, $create_op:tt, $get_op:tt, $update_op:tt, $delete_op:tt),
        summaries: ($list_summary:tt, $create_summary:tt, $get_summary:tt, $update_summary:tt, $delete_summary:tt),
        noun: $noun:tt $(,)?
    ) => {
        /// The shared handlers, in a module of their own so that their imports
        /// cannot clash with the resource's; its items are the resource's.
        mod registry {
            use std::sync::Arc;

            use axum::Json;
            use axum::extract::State;

            use super::*;
            use $crate::api::Deleted;
            use $crate::api::envelope::{ApiList, ApiResponse};
            use $crate::api::extract::{ApiJson, ApiQuery, IdPath, Page};
            use $crate::app::App;
            use $crate::auth::{Admin, Auth, Viewer};
            use $crate::error::{ApiError, ErrorBody};

            #[doc = $list_summary]
            #[utoipa::path(
                        operation_id = $list_op, get, path = $collection, tag = $tag, summary = $list_summary,
                        params(Page), security(("bearer" = ["viewer"])),
                        responses((status = 200, body = ApiList<$view>))
                    )]
            pub async fn list(
                State(app): State<Arc<App>>,
                _auth: Auth<Viewer>,
                ApiQuery(page): ApiQuery<Page>,
            ) -> Result<Json<ApiList<$view>>, ApiError> {
                let (limit, offset) = page.validate()?;
                let conn = app.read_model().await?;
                Ok(ApiList::ok($read::list(&*conn, limit, offset).await?))
            }

            #[doc = $create_summary]
            #[utoipa::path(
                        operation_id = $create_op, post, path = $collection, tag = $tag, summary = $create_summary,
                        request_body = $create_body,
                        security(("bearer" = ["admin"])),
                        responses(
                            (status = 200, body = ApiResponse<$created>),
                            (status = 409, description = $conflict, body = ErrorBody)
                        )
                    )]
            pub async fn create(
                State(app): State<Arc<App>>,
                auth: Auth<Admin>,
                ApiJson(body): ApiJson<$create_body>,
            ) -> Result<Json<ApiResponse<$created>>, ApiError> {
                let created = $create(&app, &auth.ctx.metadata(), body).await?;
                Ok(ApiResponse::with_message(created, concat!($noun, " ", $done)))
            }

            #[doc = $get_summary]
            #[utoipa::path(
                        operation_id = $get_op, get, path = $item, tag = $tag, summary = $get_summary,
                        params(("id" = Uuid, Path)), security(("bearer" = ["viewer"])),
                        responses(
                            (status = 200, body = ApiResponse<$view>),
                            (status = 404, body = ErrorBody)
                        )
                    )]
            pub async fn get(
                State(app): State<Arc<App>>,
                _auth: Auth<Viewer>,
                IdPath(id): IdPath,
            ) -> Result<Json<ApiResponse<$view>>, ApiError> {
                let conn = app.read_model().await?;
                let found = $read::get(&*conn, id).await?;
                let view = found.ok_or_else(|| ApiError::NotFound(concat!($noun, " not found").into()))?;
                Ok(ApiResponse::ok(view))
            }

            #[doc = $update_summary]
            #[utoipa::path(
                        operation_id = $update_op, patch, path = $item, tag = $tag, summary = $update_summary,
                        params(("id" = Uuid, Path)),
                        request_body = $update_body,
                        security(("bearer" = ["admin"])),
                        responses(
                            (status = 200, body = ApiResponse<$view>),
                            (status = 404, body = ErrorBody),
                            (status = 409, body = ErrorBody)
                        )
                    )]
            pub async fn update(
                State(app): State<Arc<App>>,
                auth: Auth<Admin>,
                IdPath(id): IdPath,
                ApiJson(body): ApiJson<$update_body>,
            ) -> Result<Json<ApiResponse<$view>>, ApiError> {
                let updated = $command::update(&app.commands(), &auth.ctx.metadata(), id, body.try_into()?).await?;
                Ok(ApiResponse::with_message(updated, concat!($noun, " updated")))
            }

            #[doc = $delete_summary]
            #[utoipa::path(
                        operation_id = $delete_op, delete, path = $item, tag = $tag, summary = $delete_summary,
                        params(("id" = Uuid, Path)), security(("bearer" = ["admin"])),
                        responses(
                            (status = 200, body = ApiResponse<Deleted>),
                            (status = 404, body = ErrorBody)
                        )
                    )]
            pub async fn delete(
                State(app): State<Arc<App>>,
                auth: Auth<Admin>,
                IdPath(id): IdPath,
            ) -> Result<Json<ApiResponse<Deleted>>, ApiError> {
                $command::delete(&app.commands(), &auth.ctx.metadata(), id).await?;
                let deleted = Deleted { id };
                Ok(ApiResponse::with_message(deleted, concat!($noun, " deleted")))
            }
        }

        pub use registry::*;
    };
}

pub(crate) use registry_handlers;
