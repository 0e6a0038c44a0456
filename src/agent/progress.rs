//! Progress: counters the transfer updates, and a task that reports them
//! every interval (2 s by default) and at each phase change.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::config::Role;
use super::outbox::Outbox;
use crate::api::clone_sessions::schemas::CloneProgressUpdate;
use crate::domain::clone_session::TransferPhase;

/// What the transfer has done so far.
#[derive(Debug, Default)]
pub struct Counters {
    /// Bytes of the disk settled (sent, skipped as zero, or found already present).
    pub logical: AtomicU64,
    /// Payload bytes actually sent (source) or received (target) over the network.
    pub wire: AtomicU64,
    /// 0 transferring, 1 verifying.
    phase: AtomicU8,
}

impl Counters {
    pub fn add(&self, logical: u64, wire: u64) {
        self.logical.fetch_add(logical, Ordering::Relaxed);
        self.wire.fetch_add(wire, Ordering::Relaxed);
    }

    pub fn wire(&self) -> u64 {
        self.wire.load(Ordering::Relaxed)
    }

    fn phase(&self) -> TransferPhase {
        match self.phase.load(Ordering::Relaxed) {
            0 => TransferPhase::Transferring,
            1 => TransferPhase::Verifying,
            _ => TransferPhase::Resizing,
        }
    }
}

/// Reports one role's progress through the outbox.
#[derive(Clone)]
pub struct Reporter {
    pub counters: Arc<Counters>,
    outbox: Outbox,
    role: Role,
    /// The disk's size: reports never claim more.
    total: u64,
}

impl Reporter {
    pub fn new(outbox: Outbox, role: Role, total: u64) -> Self {
        Self { counters: Arc::default(), outbox, role, total }
    }

    /// Reports every `interval` until `stop`.
    pub fn spawn(&self, interval: Duration, stop: CancellationToken) {
        let reporter = self.clone();
        tokio::spawn(async move {
            let mut last = (Instant::now(), 0u64);
            let mut ticks = tokio::time::interval(interval);
            ticks.tick().await;
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = ticks.tick() => {}
                }
                let logical = reporter.counters.logical.load(Ordering::Relaxed);
                let seconds = last.0.elapsed().as_secs_f64().max(0.001);
                let rate = (logical.saturating_sub(last.1) as f64 / seconds) as i64;
                last = (Instant::now(), logical);
                reporter.report(Some(rate));
            }
        });
    }

    /// Enters the verifying phase and says so at once.
    pub fn verifying(&self) {
        self.counters.phase.store(1, Ordering::Relaxed);
        self.counters.logical.store(0, Ordering::Relaxed);
        self.report(None);
    }

    /// Enters the resizing phase (growing the target's last partition) and says so at once.
    pub fn resizing(&self) {
        self.counters.phase.store(2, Ordering::Relaxed);
        self.report(None);
    }

    /// Queues a report of the counters now.
    pub fn report(&self, rate: Option<i64>) {
        let logical = self.counters.logical.load(Ordering::Relaxed).min(self.total);
        let update = CloneProgressUpdate {
            role: self.role,
            bytes_transferred: i64::try_from(logical).unwrap_or(i64::MAX),
            transfer_rate_bps: rate,
            status: Some(self.counters.phase()),
            bytes_on_wire: Some(i64::try_from(self.counters.wire()).unwrap_or(i64::MAX)),
        };
        match serde_json::to_value(&update) {
            Ok(body) => self.outbox.push("/progress", body),
            Err(error) => tracing::warn!(%error, "cannot encode a progress report"),
        }
    }
}
