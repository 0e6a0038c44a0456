//! `resize_mode = shrink_source`, the source's side: before it serves, the
//! source waits until an operator has started the session (the start is
//! where the controller checks the plan against the disks), carries out
//! the session's plan (`GET …/plan`) with the operations of `apply`
//! (filesystem first, then partition), moves a GPT's backup right behind
//! the last partition (`sfdisk --relocate gpt-bak-mini`) and serves the disk
//! only up to the end of its partition table. The target moves the backup
//! to its own end ([`fix_backup`]); the source's goes back to its disk's end
//! once the clone completed ([`restore_backup`]).

use std::time::Duration;

use super::AgentError;
use super::apply::{operations, table::Table};
use super::controller::Controller;
use super::tool;
use crate::domain::disks::OperationSpec;

/// Bytes of the GPT partition entry array (128 entries of 128 bytes).
const GPT_ENTRY_ARRAY_BYTES: u64 = 128 * 128;

/// Carries out the plan on `disk` when the session shrinks its source;
/// returns how many bytes of the disk to serve (`None`: all of it).
pub async fn prepare(controller: &Controller, disk: &str) -> Result<Option<u64>, AgentError> {
    if !wait_for_start(controller).await? {
        return Ok(None);
    }
    let plan = controller.plan().await.map_err(|e| AgentError::Failed(format!("cannot read the plan: {e}")))?;
    for (i, op) in plan.iter().enumerate() {
        tracing::info!(disk, step = i + 1, "{}", op.describe());
        operations::execute(disk, op)
            .await
            .map_err(|e| AgentError::Failed(format!("shrink plan step {} ({}) failed: {e}", i + 1, op.describe())))?;
    }
    served_bytes(disk).await.map(Some).map_err(AgentError::Failed)
}

/// Whether the session shrinks its source; if so, returns once it was
/// started (an operator's `POST …/start`), checking every second.
async fn wait_for_start(controller: &Controller) -> Result<bool, AgentError> {
    let mut said = false;
    loop {
        match controller.session_state().await {
            Ok(Some(state)) if state.is_terminal() => {
                return Err(AgentError::Ended(format!("session {}", state.status)));
            }
            Ok(Some(state)) if state.resize_mode.as_deref() != Some("shrink_source") => return Ok(false),
            Ok(Some(state)) if state.start_requested_at.is_some() => return Ok(true),
            Ok(Some(_)) if !said => {
                tracing::info!("shrink_source: waiting for an operator to start the session");
                said = true;
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err(AgentError::Ended("the clone session no longer exists".into())),
            Err(error) => tracing::warn!(%error, "cannot read the session; trying again"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The bytes that hold the partitions and the table: on GPT the backup is
/// first moved behind the last partition, which leaves `LastUsableLBA`, the
/// backup entries and the backup header as the last sectors; on MBR the
/// last partition's end. A disk without a table is served whole.
async fn served_bytes(disk: &str) -> Result<u64, String> {
    let Ok(table) = Table::read(disk).await else { return disk_size(disk) };
    let ss = table.sector_size;
    if table.label == "gpt" {
        tool::run("sfdisk", &["--quiet", "--relocate", "gpt-bak-mini", disk]).await?;
        let table = Table::read(disk).await?;
        let last = table.last_lba.ok_or_else(|| format!("sfdisk gives no last LBA for {disk}"))?;
        return Ok((last + 1 + GPT_ENTRY_ARRAY_BYTES.div_ceil(ss) + 1) * ss);
    }
    let end = table.partitions.iter().map(|p| p.start + p.size).max();
    end.map_or_else(|| disk_size(disk), |end| Ok(end * ss))
}

fn disk_size(disk: &str) -> Result<u64, String> {
    use std::io::{Seek, SeekFrom};
    std::fs::File::open(disk).and_then(|mut f| f.seek(SeekFrom::End(0))).map_err(|e| format!("cannot size {disk}: {e}"))
}

/// The target's side: the GPT backup written by the source lies behind
/// the last partition; it moves to the end of this disk.
pub async fn fix_backup(disk: &str) -> Result<(), String> {
    relocate(disk).await
}

/// After the clone, the source's GPT backup returns to its disk's end.
pub async fn restore_backup(disk: &str) {
    if let Err(error) = relocate(disk).await {
        tracing::warn!(%error, "cannot move the GPT backup back to the end of the source disk");
    }
}

/// `sfdisk --relocate gpt-bak-std` on a GPT disk; nothing otherwise.
async fn relocate(disk: &str) -> Result<(), String> {
    match Table::read(disk).await {
        Ok(table) if table.label == "gpt" => {
            tool::run("sfdisk", &["--quiet", "--relocate", "gpt-bak-std", disk]).await.map(drop)
        }
        _ => Ok(()),
    }
}

/// The plan's operations, as `GET …/plan` lists them.
pub fn parse_plan(body: &serde_json::Value) -> Result<Vec<OperationSpec>, String> {
    serde_json::from_value(body["data"]["source_operations"].clone()).map_err(|e| format!("unreadable plan: {e}"))
}
