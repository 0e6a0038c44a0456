//! `pureboot-agent scan`: reads this node's disks ([`probe`]) and posts them
//! to `POST /nodes/{id}/disks/report` with the node's `pbk_…` token, or
//! prints the report (`--dry-run`). With `--watch` it keeps answering the
//! controller's scan requests (`POST /nodes/{id}/disks/scan`), seen by
//! polling `GET /nodes/{id}/disks/scan-request`.

pub mod probe;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::AgentError;
use super::config::ScanConfig;
use super::controller::error_text;
use crate::api::disks::schemas::DiskReport;

/// How long one request to the controller may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(config: ScanConfig) -> Result<(), AgentError> {
    if config.dry_run {
        let report = read(&config).await?;
        let text = serde_json::to_string_pretty(&report).map_err(|e| AgentError::Failed(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    let client = Client::new(&config)?;
    client.report(&read(&config).await?).await?;
    if !config.watch {
        return Ok(());
    }
    loop {
        tokio::time::sleep(config.poll).await;
        match client.pending().await {
            Ok(true) => client.report(&read(&config).await?).await?,
            Ok(false) => {}
            // The controller may be restarting: keep watching.
            Err(error) => tracing::warn!("cannot read the scan request: {error}"),
        }
    }
}

/// The report of the configured disks, or of every disk `lsblk` lists.
async fn read(config: &ScanConfig) -> Result<DiskReport, AgentError> {
    let devices = if config.devices.is_empty() {
        probe::all_disks().await.map_err(AgentError::Failed)?
    } else {
        config.devices.clone()
    };
    let mut disks = Vec::with_capacity(devices.len());
    for device in &devices {
        disks.push(probe::disk(device).await.map_err(AgentError::Failed)?);
    }
    Ok(DiskReport { disks })
}

/// The node's calls to the controller.
struct Client {
    http: reqwest::Client,
    /// `<url>/api/v1/nodes/<id>`.
    base: String,
    token: String,
}

impl Client {
    fn new(config: &ScanConfig) -> Result<Self, AgentError> {
        let (Some(url), Some(token), Some(node)) = (&config.url, &config.token, config.node) else {
            return Err(AgentError::Config("scan needs --url and --token unless --dry-run".into()));
        };
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| AgentError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { http, base: format!("{url}/api/v1/nodes/{node}"), token: token.clone() })
    }

    async fn report(&self, report: &DiskReport) -> Result<(), AgentError> {
        let request = self.http.post(format!("{}/disks/report", self.base)).bearer_auth(&self.token).json(report);
        let (status, body) = answer(request).await.map_err(AgentError::Failed)?;
        if status != StatusCode::OK {
            return Err(AgentError::Failed(format!("the report was refused ({status}): {}", error_text(&body))));
        }
        tracing::info!(disks = report.disks.len(), "disk report posted");
        Ok(())
    }

    /// Whether the controller is waiting for a scan.
    async fn pending(&self) -> Result<bool, String> {
        let request = self.http.get(format!("{}/disks/scan-request", self.base)).bearer_auth(&self.token);
        match answer(request).await? {
            (StatusCode::OK, body) => Ok(body["data"]["status"] == "pending"),
            (status, body) => Err(format!("{status}: {}", error_text(&body))),
        }
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Result<(StatusCode, Value), String> {
    let response = request.send().await.map_err(|e| format!("controller unreachable: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}
