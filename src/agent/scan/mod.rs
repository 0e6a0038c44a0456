//! `pureboot-agent scan`: reads this node's disks ([`probe`]) and posts them
//! to `POST /nodes/{id}/disks/report` with the node's `pbk_…` token, or
//! prints the report (`--dry-run`). With `--watch` it keeps answering the
//! controller's scan requests (`POST /nodes/{id}/disks/scan`), seen by
//! polling `GET /nodes/{id}/disks/scan-request`.

pub mod probe;
mod usage;

use super::AgentError;
use super::config::ScanConfig;
use super::node_api::NodeApi;
use crate::api::disks::schemas::DiskReport;

pub async fn run(config: ScanConfig) -> Result<(), AgentError> {
    if config.dry_run {
        let report = read(&config).await?;
        let text = serde_json::to_string_pretty(&report).map_err(|e| AgentError::Failed(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    let client = NodeApi::new(&config)?;
    client.report(&read(&config).await?).await?;
    if !config.watch {
        return Ok(());
    }
    loop {
        tokio::time::sleep(config.poll).await;
        match client.scan_pending().await {
            Ok(true) => client.report(&read(&config).await?).await?,
            Ok(false) => {}
            // The controller may be restarting: keep watching.
            Err(error) => tracing::warn!("cannot read the scan request: {error}"),
        }
    }
}

/// The report of the configured disks, or of every disk `lsblk` lists.
pub async fn read(config: &ScanConfig) -> Result<DiskReport, AgentError> {
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
