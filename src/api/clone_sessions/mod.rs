//! `/clone-sessions`: the spec's CRUD, node callbacks and certificates.

pub mod callbacks;
pub mod certs;
pub mod commands;
pub mod csr;
pub mod history;
pub mod plan;
pub mod queries;
pub mod schemas;
pub mod staging;
pub mod staging_schemas;

use uuid::Uuid;

use crate::app::App;
use crate::error::ApiError;
use crate::projections::clone_sessions::{self, CloneSessionView};

/// The session as the query table shows it now.
async fn fetch(app: &App, id: Uuid) -> Result<CloneSessionView, ApiError> {
    let conn = app.read_model().await?;
    clone_sessions::get(&*conn, id).await?.ok_or_else(|| ApiError::NotFound("Clone session not found".into()))
}
