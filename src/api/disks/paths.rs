//! Path parameters of the disk routes. A device may be sent URL-encoded
//! (`%2Fdev%2Fsda`, which axum decodes) or short (`sda`); a malformed device
//! or id is a 400, like every other bad id.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::domain::Rejection;
use crate::domain::disks::Device;
use crate::error::ApiError;
use crate::request::parse_id;

/// `/nodes/{id}/disks/{device}…`
pub struct DiskPath {
    pub node_id: Uuid,
    pub device: Device,
}

/// `/nodes/{id}/disks/{device}/operations/{op_id}`
pub struct DiskOperationPath {
    pub node_id: Uuid,
    pub device: Device,
    pub operation_id: Uuid,
}

/// `/nodes/{id}/partition-operations/{op_id}…`
pub struct NodeOperationPath {
    pub node_id: Uuid,
    pub operation_id: Uuid,
}

struct Params(HashMap<String, String>);

impl Params {
    async fn of<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        Ok(Self(params))
    }

    fn raw(&self, name: &str) -> Result<&str, ApiError> {
        self.0
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| ApiError::Internal(format!("route has no {{{name}}} parameter")))
    }

    fn id(&self, name: &str) -> Result<Uuid, ApiError> {
        parse_id(self.raw(name)?)
    }

    fn device(&self) -> Result<Device, ApiError> {
        Device::parse(self.raw("device")?).map_err(|rejection| match rejection {
            Rejection::Invalid { message, .. } => ApiError::BadRequest(message),
            other => other.into(),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DiskPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = Params::of(parts, state).await?;
        Ok(Self { node_id: params.id("id")?, device: params.device()? })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DiskOperationPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = Params::of(parts, state).await?;
        Ok(Self { node_id: params.id("id")?, device: params.device()?, operation_id: params.id("op_id")? })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for NodeOperationPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = Params::of(parts, state).await?;
        Ok(Self { node_id: params.id("id")?, operation_id: params.id("op_id")? })
    }
}
