//! The spec's response envelopes. Every envelope carries `message` (null when
//! there is nothing to say): clients generated from the spec's `ApiResponse`
//! read the key unconditionally.

use serde::Serialize;
use utoipa::ToSchema;

/// A single object: `{"success": true, "data": {...}, "message": ...}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiResponse<T> {
    pub success: bool,
    pub data: T,
    /// What the command did, in words; null for a plain read.
    #[schema(required = true)]
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

/// A page of a list: `{"success": true, "data": [...], "total": N, "message": null}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiList<T> {
    pub success: bool,
    pub data: Vec<T>,
    /// Matching items in all pages.
    pub total: i64,
    /// Always null for a list; present so every envelope has the same keys.
    #[schema(required = true)]
    pub message: Option<String>,
}

impl<T> ApiList<T> {
    pub fn ok((data, total): (Vec<T>, i64)) -> axum::Json<Self> {
        axum::Json(Self { success: true, data, total, message: None })
    }
}
