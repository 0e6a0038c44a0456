//! The spec's response envelopes. Every envelope carries `message` (null when
//! there is nothing to say): clients generated from the spec's `ApiResponse`
//! read the key unconditionally.
//!
//! The schemas are written by hand rather than derived: utoipa 5 copies a
//! generic argument's whole schema into every instance (`ApiResponse_X.data`
//! would be a second, anonymous `X`; juhaku/utoipa#1586), so a client
//! generator made one class per copy. Here `data` is a `$ref` to the payload's
//! own named schema, so every operation that returns an `X` returns the same
//! class. `utoipa::__dev::ComposeSchema` is the hook `#[utoipa::path]` calls
//! for a generic body (`body = ApiResponse<X>`); it is doc-hidden, so the
//! pinned utoipa version (Cargo.lock) is the one this is checked against by
//! the OpenAPI drift test.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A single object: `{"success": true, "data": {...}, "message": ...}`.
#[derive(Debug, Serialize)]
pub struct ApiResponse<T> {
    pub success: bool,
    pub data: T,
    /// What the command did, in words; null for a plain read.
    pub message: Option<String>,
}

impl<T> ApiResponse<T> {
    pub fn ok(data: T) -> axum::Json<Self> {
        axum::Json(Self { success: true, data, message: None })
    }

    pub fn with_message(data: T, message: impl Into<String>) -> axum::Json<Self> {
        axum::Json(Self { success: true, data, message: Some(message.into()) })
    }
}

/// Several objects, all of them: `{"success": true, "data": [...], "message": ...}`.
#[derive(Debug, Serialize)]
pub struct ApiItems<T> {
    pub success: bool,
    pub data: Vec<T>,
    /// What the command did, in words; null for a plain read.
    pub message: Option<String>,
}

impl<T> ApiItems<T> {
    pub fn ok(data: Vec<T>) -> axum::Json<Self> {
        axum::Json(Self { success: true, data, message: None })
    }

    pub fn with_message(data: Vec<T>, message: impl Into<String>) -> axum::Json<Self> {
        axum::Json(Self { success: true, data, message: Some(message.into()) })
    }
}

/// A page of a list: `{"success": true, "data": [...], "total": N, "message": null}`.
#[derive(Debug, Serialize)]
pub struct ApiList<T> {
    pub success: bool,
    pub data: Vec<T>,
    /// Matching items in all pages.
    pub total: i64,
    /// Always null for a list; present so every envelope has the same keys.
    pub message: Option<String>,
}

impl<T> ApiList<T> {
    pub fn ok((data, total): (Vec<T>, i64)) -> axum::Json<Self> {
        axum::Json(Self { success: true, data, total, message: None })
    }

    /// A list that is never paged: all of it, so `total` is its length.
    pub fn whole(data: Vec<T>) -> axum::Json<Self> {
        let total = data.len() as i64;
        Self::ok((data, total))
    }
}

/// `$ref` to `T`'s named schema.
fn reference<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

/// `[$ref]` to `T`'s named schema.
fn references<T: ToSchema>() -> RefOr<Schema> {
    ArrayBuilder::new().items(reference::<T>()).into()
}

/// The envelope around `data`; `total` for a page of a list.
fn envelope(description: &str, data: RefOr<Schema>, total: bool, message: &str) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new()
        .description(Some(description))
        .property("success", ObjectBuilder::new().schema_type(Type::Boolean))
        .required("success")
        .property("data", data)
        .required("data");
    if total {
        let count = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .description(Some("Matching items in all pages."));
        object = object.property("total", count).required("total");
    }
    let text = ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]));
    object.property("message", text.description(Some(message))).required("message").into()
}

/// Implements the schema traits of an envelope whose `data` is `$data::<T>()`.
macro_rules! envelope_schema {
    ($envelope:ident, $data:ident, $total:expr, $description:expr, $message:expr) => {
        impl<T: ToSchema> utoipa::__dev::ComposeSchema for $envelope<T> {
            fn compose(_inlined: Vec<RefOr<Schema>>) -> RefOr<Schema> {
                envelope($description, $data::<T>(), $total, $message)
            }
        }

        impl<T: ToSchema> ToSchema for $envelope<T> {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($envelope))
            }

            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                schemas.push((T::name().into_owned(), <T as PartialSchema>::schema()));
                T::schemas(schemas);
            }
        }
    };
}

envelope_schema!(
    ApiResponse,
    reference,
    false,
    "A single object: `{\"success\": true, \"data\": {...}, \"message\": ...}`.",
    "What the command did, in words; null for a plain read."
);
envelope_schema!(
    ApiItems,
    references,
    false,
    "Several objects, all of them: `{\"success\": true, \"data\": [...], \"message\": ...}`.",
    "What the command did, in words; null for a plain read."
);
envelope_schema!(
    ApiList,
    references,
    true,
    "A page of a list: `{\"success\": true, \"data\": [...], \"total\": N, \"message\": null}`.",
    "Always null for a list; present so every envelope has the same keys."
);
