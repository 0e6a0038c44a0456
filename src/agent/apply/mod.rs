//! `pureboot-agent apply`: carries out the partition operations the
//! controller handed to this node (`GET /nodes/{id}/partition-operations`),
//! each device's in sequence order, reporting each `running`, then
//! `completed` or `failed` with the tool's message; it stops at the first
//! failure (the controller takes back what was queued behind it) and
//! reports a fresh scan of the node's disks afterwards. With `--watch` it
//! keeps polling, and also answers scan requests, so one long-running
//! agent serves both.
//!
//! - [`table`]: the partition table through `sfdisk`.
//! - [`access`]: a path to one partition (kernel node or loop device).
//! - [`filesystem`]: checks, shrink minimums and the resize/mkfs tools.
//! - [`operations`]: one operation, in the order that protects data.
//! - [`grow`]: the last partition grown to fill a larger clone target.

pub mod access;
pub mod filesystem;
pub mod grow;
pub mod operations;
pub mod table;

use super::AgentError;
use super::config::ScanConfig;
use super::node_api::{HandedOperation, NodeApi};
use super::scan;
use crate::domain::disks::OperationSpec;

pub async fn run(config: ScanConfig) -> Result<(), AgentError> {
    let api = NodeApi::new(&config)?;
    let outcome = apply_handed_out(&api, &config).await;
    if !config.watch {
        return outcome;
    }
    if let Err(error) = outcome {
        tracing::warn!("{error}");
    }
    loop {
        tokio::time::sleep(config.poll).await;
        match api.scan_pending().await {
            Ok(true) => {
                if let Err(error) = report(&api, &config).await {
                    tracing::warn!("{error}");
                }
            }
            Ok(false) => {}
            Err(error) => tracing::warn!("cannot read the scan request: {error}"),
        }
        if let Err(error) = apply_handed_out(&api, &config).await {
            tracing::warn!("{error}");
        }
    }
}

/// Runs every pending operation handed out, then reports a scan if any ran.
async fn apply_handed_out(api: &NodeApi, config: &ScanConfig) -> Result<(), AgentError> {
    let handed = api.operations().await.map_err(|e| AgentError::Failed(format!("cannot list the operations: {e}")))?;
    let mut ran = false;
    let mut outcome = Ok(());
    for op in &handed {
        match op.status.as_str() {
            "pending" => {}
            // Running when this agent starts: a previous run stopped in the
            // middle, and what it left on the disk is unknown.
            "running" => {
                let why = "the agent stopped while it ran; rescan the disk and check it before going on";
                report_status(api, op, "failed", Some(why)).await?;
                ran = true;
                outcome = Err(AgentError::Failed(format!("operation #{} on {}: {why}", op.sequence, op.device)));
                break;
            }
            _ => continue,
        }
        ran = true;
        if let Err(error) = carry_out(api, op).await {
            outcome = Err(error);
            break;
        }
    }
    if ran {
        report(api, config).await?;
    }
    outcome
}

/// One operation: `running`, the tools, then `completed` or `failed`.
async fn carry_out(api: &NodeApi, op: &HandedOperation) -> Result<(), AgentError> {
    report_status(api, op, "running", None).await?;
    let spec = OperationSpec::parse(op.operation, &op.params);
    let done = match &spec {
        Ok(spec) => {
            tracing::info!(device = op.device, sequence = op.sequence, "{}", spec.describe());
            operations::execute(&op.device, spec).await
        }
        Err(e) => Err(format!("the agent cannot read its parameters: {e}")),
    };
    let what = spec.map_or_else(|_| op.operation.as_str().to_owned(), |s| s.describe());
    match done {
        Ok(()) => report_status(api, op, "completed", None).await,
        Err(why) => {
            tracing::error!(device = op.device, sequence = op.sequence, "{why}");
            report_status(api, op, "failed", Some(&why)).await?;
            Err(AgentError::Failed(format!("operation #{} on {} ({what}) failed: {why}", op.sequence, op.device)))
        }
    }
}

async fn report_status(
    api: &NodeApi,
    op: &HandedOperation,
    status: &str,
    error: Option<&str>,
) -> Result<(), AgentError> {
    api.set_status(op.id, status, error)
        .await
        .map_err(|e| AgentError::Failed(format!("operation #{} on {}: {e}", op.sequence, op.device)))
}

async fn report(api: &NodeApi, config: &ScanConfig) -> Result<(), AgentError> {
    api.report(&scan::read(config).await?).await
}
