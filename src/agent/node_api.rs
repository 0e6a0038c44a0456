//! The controller's node-token API as `scan` and `apply` use it: every
//! call is `…/api/v1/nodes/{id}/…` with the node's `pbk_…` token.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::AgentError;
use super::config::ScanConfig;
use super::controller::error_text;
use crate::api::disks::schemas::DiskReport;
use crate::domain::disks::OperationKind;

/// How long one request to the controller may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The node's calls to the controller.
/// An operation handed to the node, as `GET …/partition-operations` lists it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct HandedOperation {
    pub id: Uuid,
    /// The disk as the node reported it (`/dev/sda`, a loop device, an image file).
    pub device: String,
    pub sequence: i32,
    /// pending, running, completed or failed.
    pub status: String,
    pub operation: OperationKind,
    pub params: Value,
}

pub struct NodeApi {
    http: reqwest::Client,
    /// `<url>/api/v1/nodes/<id>`.
    base: String,
    token: String,
}

impl NodeApi {
    pub fn new(config: &ScanConfig) -> Result<Self, AgentError> {
        let (Some(url), Some(token), Some(node)) = (&config.url, &config.token, config.node) else {
            return Err(AgentError::Config("this command needs --url and --token unless --dry-run".into()));
        };
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| AgentError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { http, base: format!("{url}/api/v1/nodes/{node}"), token: token.clone() })
    }

    /// `POST …/disks/report`.
    pub async fn report(&self, report: &DiskReport) -> Result<(), AgentError> {
        let request = self.http.post(format!("{}/disks/report", self.base)).bearer_auth(&self.token).json(report);
        let (status, body) = answer(request).await.map_err(AgentError::Failed)?;
        if status != StatusCode::OK {
            return Err(AgentError::Failed(format!("the report was refused ({status}): {}", error_text(&body))));
        }
        tracing::info!(disks = report.disks.len(), "disk report posted");
        Ok(())
    }

    /// Whether the controller is waiting for a scan (`GET …/disks/scan-request`).
    pub async fn scan_pending(&self) -> Result<bool, String> {
        let request = self.http.get(format!("{}/disks/scan-request", self.base)).bearer_auth(&self.token);
        match answer(request).await? {
            (StatusCode::OK, body) => Ok(body["data"]["status"] == "pending"),
            (status, body) => Err(format!("{status}: {}", error_text(&body))),
        }
    }

    /// The operations handed to this node (`GET …/partition-operations`),
    /// by device and sequence.
    pub async fn operations(&self) -> Result<Vec<HandedOperation>, String> {
        let request = self.http.get(format!("{}/partition-operations", self.base)).bearer_auth(&self.token);
        match answer(request).await? {
            (StatusCode::OK, body) => serde_json::from_value(body["data"].clone())
                .map_err(|e| format!("unexpected list of partition operations: {e}")),
            (status, body) => Err(format!("{status}: {}", error_text(&body))),
        }
    }

    /// `POST …/partition-operations/{id}/status`: `running`, `completed`,
    /// or `failed` with `error`.
    pub async fn set_status(&self, operation: Uuid, status: &str, error: Option<&str>) -> Result<(), String> {
        let url = format!("{}/partition-operations/{operation}/status", self.base);
        let body = json!({ "status": status, "error_message": error });
        match answer(self.http.post(url).bearer_auth(&self.token).json(&body)).await? {
            (StatusCode::OK, _) => Ok(()),
            (code, body) => Err(format!("the '{status}' report was refused ({code}): {}", error_text(&body))),
        }
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Result<(StatusCode, Value), String> {
    let response = request.send().await.map_err(|e| format!("controller unreachable: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}
