//! Callbacks to the controller, delivered in order whatever happens to it.
//!
//! Every callback is queued in memory and in a file in the state directory
//! (a RAM disk in deploy environments), then posted by one task. When the
//! controller cannot be reached or answers 5xx, the task waits (exponential
//! back-off, 0.2 s up to 5 s) and tries the same callback again; the
//! controller answers repeats idempotently. A 4xx answer is final for that
//! callback (logged and dropped). Consecutive progress reports waiting in
//! the queue collapse into the newest, so a long outage does not build a
//! backlog of stale figures. A restarted agent replays what the file still holds.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Notify;

use super::controller::{Controller, error_text};

/// One callback: the path below the session (`/progress`, `/complete`, …) and its body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Callback {
    pub path: String,
    pub body: Value,
}

#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

struct Inner {
    queue: Mutex<VecDeque<Callback>>,
    file: PathBuf,
    wake: Notify,
}

impl Outbox {
    /// Starts the delivery task; callbacks left in `file` by a previous run go first.
    pub fn start(controller: Controller, file: PathBuf) -> Self {
        let queue: VecDeque<Callback> =
            std::fs::read(&file).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
        if !queue.is_empty() {
            tracing::info!(count = queue.len(), "replaying callbacks a previous run could not deliver");
        }
        let inner = Arc::new(Inner { queue: Mutex::new(queue), file, wake: Notify::new() });
        tokio::spawn(deliver(controller, inner.clone()));
        Self { inner }
    }

    /// Queues a callback (after any still waiting).
    pub fn push(&self, path: &str, body: Value) {
        let mut queue = self.inner.lock();
        let callback = Callback { path: path.to_owned(), body };
        let len = queue.len();
        // The front may be in flight; only a waiting progress report is replaced.
        match queue.back_mut() {
            Some(last) if len > 1 && last.path == "/progress" && callback.path == "/progress" => {
                *last = callback;
            }
            _ => queue.push_back(callback),
        }
        self.inner.persist(&queue);
        drop(queue);
        self.inner.wake.notify_one();
    }

    /// Waits until everything queued was delivered, or `deadline` passed; true when delivered.
    pub async fn flush(&self, deadline: Duration) -> bool {
        let done = async {
            while !self.inner.lock().is_empty() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(deadline, done).await.is_ok()
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Callback>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the queue next to its final place, then renames (never a half file).
    fn persist(&self, queue: &VecDeque<Callback>) {
        let temporary = self.file.with_extension("tmp");
        let written = serde_json::to_vec(queue)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&temporary, bytes))
            .and_then(|()| std::fs::rename(&temporary, &self.file));
        if let Err(error) = written {
            tracing::warn!(%error, file = %self.file.display(), "cannot keep the callback queue on disk (memory only)");
        }
    }
}

fn backoff() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(5))
        .without_max_times()
        .build()
}

async fn deliver(controller: Controller, inner: Arc<Inner>) {
    let mut delays = backoff();
    loop {
        let next = inner.lock().front().cloned();
        let Some(callback) = next else {
            inner.wake.notified().await;
            continue;
        };
        let answer = controller.session_call(Method::POST, &callback.path, Some(&callback.body)).await;
        let retry = match &answer {
            Ok((status, _)) if status.is_success() => false,
            Ok((status, _)) if status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS => true,
            Ok((StatusCode::REQUEST_TIMEOUT, _)) => true,
            // A report still queued when the session ended: expected, not alarming.
            Ok((StatusCode::CONFLICT, body)) if callback.path == "/progress" => {
                tracing::debug!(reason = %error_text(body), "a late progress report was refused");
                false
            }
            Ok((status, body)) => {
                let reason = error_text(body);
                tracing::warn!(path = %callback.path, %status, %reason, "the controller refused a callback");
                false
            }
            Err(error) => {
                tracing::debug!(path = %callback.path, %error, "controller unreachable; the callback stays queued");
                true
            }
        };
        if retry {
            tokio::time::sleep(delays.next().unwrap_or(Duration::from_secs(5))).await;
            continue;
        }
        delays = backoff();
        let mut queue = inner.lock();
        queue.pop_front();
        inner.persist(&queue);
    }
}
