//! Following the session: the agents poll `GET /clone-sessions/{id}` with
//! their node token (once a second) to learn the source's address and to
//! stop within seconds when the session ends elsewhere (an operator's
//! cancel, a failure on the other side, the target's completion for the
//! source). An unreachable controller is no reason to stop: the clone goes on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::AgentError;
use super::controller::{Controller, SessionState};

const POLL: Duration = Duration::from_secs(1);

/// Cancelled when the session has ended; `outcome` then says how.
#[derive(Clone)]
pub struct Watch {
    pub ended: CancellationToken,
    outcome: Arc<Mutex<Option<Ending>>>,
}

/// How the session ended, as the controller recorded it.
#[derive(Debug, Clone)]
pub struct Ending {
    /// `completed`, `failed`, `cancelled` or `deleted`.
    pub status: String,
    pub error: Option<String>,
}

impl Ending {
    pub fn describe(&self) -> String {
        match &self.error {
            Some(error) => format!("the session is {}: {error}", self.status),
            None => format!("the session is {}", self.status),
        }
    }
}

impl Watch {
    pub fn spawn(controller: Controller) -> Self {
        let watch = Self { ended: CancellationToken::new(), outcome: Arc::default() };
        let handle = watch.clone();
        tokio::spawn(async move {
            loop {
                let ending = match controller.session_state().await {
                    Ok(None) => Some(Ending { status: "deleted".into(), error: None }),
                    Ok(Some(state)) if state.is_terminal() => {
                        Some(Ending { status: state.status, error: state.error_message })
                    }
                    Ok(Some(_)) => None,
                    Err(error) => {
                        tracing::debug!(%error, "cannot read the session now; carrying on");
                        None
                    }
                };
                if let Some(ending) = ending {
                    tracing::info!(status = %ending.status, "the session has ended");
                    *handle.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(ending);
                    handle.ended.cancel();
                    return;
                }
                tokio::time::sleep(POLL).await;
            }
        });
        watch
    }

    pub fn ending(&self) -> Option<Ending> {
        self.outcome.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The error to stop with now that the session has ended.
    pub fn ended_error(&self) -> AgentError {
        AgentError::Ended(self.ending().map(|e| e.describe()).unwrap_or_else(|| "the session ended".into()))
    }
}

/// Waits until the source has announced where it serves.
pub async fn source_address(controller: &Controller, watch: &Watch) -> Result<(String, u16), AgentError> {
    let mut said = false;
    loop {
        if let Ok(Some(SessionState { source_ip: Some(ip), source_port, .. })) = controller.session_state().await
            && let Ok(port) = u16::try_from(source_port)
        {
            return Ok((ip, port));
        }
        if !said {
            tracing::info!("waiting for the source to announce where it serves");
            said = true;
        }
        tokio::select! {
            () = watch.ended.cancelled() => return Err(watch.ended_error()),
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}
