//! # The node agent (`pureboot-agent`)
//!
//! Runs in a node's deploy environment and performs the copy a direct clone
//! session describes. It talks to the controller only over the public HTTP
//! API (with the session's node token) and needs nothing else: no database,
//! no web UI.
//!
//! ```text
//!  source node                                   target node
//!  clone-source ── TLS 1.3, both sides' certs ─▶ clone-target
//!   GET /manifest, GET /chunks/{i} (If-None-Match: local digest)
//!        │ source-ready, progress                 │ progress, complete/failed
//!        └──────────────▶ controller ◀────────────┘
//! ```
//!
//! # Layout
//! - [`config`]: flags, environment and `pureboot.*` kernel parameters.
//! - [`controller`]: the HTTP client of the controller's API.
//! - [`enrol`]: CA pinning by fingerprint, key generation, CSR signing.
//! - [`tls`]: the rustls configurations binding a connection to one session and role.
//! - [`disk`]: chunked positioned I/O, hole/zero detection, BLAKE3 digests.
//! - [`outbox`]: callbacks queued in memory and a file, replayed in order.
//! - [`progress`]: counters and the periodic progress report.
//! - [`watch`]: follows the session (source address, cancel).
//! - [`source`] / [`target`]: the two roles.
//! - [`shrink`]: `shrink_source`, the plan carried out before the source serves.
//! - [`scan`]: `pureboot-agent scan`, the node's disks reported to the controller.
//! - [`apply`]: `pureboot-agent apply`, the partition operations handed to the node.
//! - [`image`]: golden images: `capture` to and `restore` from a storage backend.
//! - [`node_api`]: the node-token calls `scan` and `apply` make.
//! - [`tool`]: running the standard Linux tools (arguments, never a shell).
//!
//! # Exit codes
//! 0 the clone (or scan, apply, capture, restore) completed; 1 it failed (a clone reports it to the
//! controller);
//! 2 a configuration mistake (one line on stderr); 3 the session ended
//! elsewhere (cancelled, deleted, failed by the other side).

pub mod apply;
pub mod config;
pub mod controller;
pub mod disk;
pub mod enrol;
pub mod image;
pub mod node_api;
pub mod outbox;
pub mod progress;
pub mod protocol;
pub mod scan;
pub mod shrink;
pub mod source;
pub mod target;
pub mod tls;
pub mod tool;
pub mod watch;

use std::process::ExitCode;

use config::{AgentConfig, Invocation, Role};

/// Why the agent stopped without completing.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The operator's mistake: bad or missing parameters.
    #[error("{0}")]
    Config(String),
    /// The clone cannot go on; the reason is posted as `failed`.
    #[error("{0}")]
    Failed(String),
    /// The session ended elsewhere (cancelled, deleted, failed by the peer).
    #[error("session ended: {0}")]
    Ended(String),
}

impl AgentError {
    fn exit_code(&self) -> ExitCode {
        match self {
            AgentError::Failed(_) => ExitCode::from(1),
            AgentError::Config(_) => ExitCode::from(2),
            AgentError::Ended(_) => ExitCode::from(3),
        }
    }
}

/// The binary's entry point: parse, run the role, map the outcome to an exit code.
pub fn main() -> ExitCode {
    let filter = std::env::var("PUREBOOT_AGENT_LOG").unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .try_init();
    let config = match AgentConfig::load() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("pureboot-agent: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("pureboot-agent: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(async move {
        match config {
            Invocation::Scan(config) => scan::run(config).await,
            Invocation::Apply(config) => apply::run(config).await,
            Invocation::Image(config) => image::cli::run(config).await,
            Invocation::Clone(config) => match config.role {
                Role::Source => source::run(config).await,
                Role::Target => target::run(config).await,
            },
        }
    });
    // Blocking disk reads may still be running when a cancel stops the
    // clone; the process exits without waiting for them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pureboot-agent: {error}");
            error.exit_code()
        }
    }
}

/// What both roles set up first: the state directory, the controller
/// client, and the callback queue (replaying what a previous run left).
fn prepare(config: &AgentConfig) -> Result<(controller::Controller, outbox::Outbox), AgentError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&config.state_dir).map_err(|e| {
        AgentError::Config(format!("cannot create the state directory {}: {e}", config.state_dir.display()))
    })?;
    let controller = controller::Controller::new(config)?;
    let file = config.state_dir.join(format!("outbox-{}-{}.json", config.session, config.role.as_str()));
    let outbox = outbox::Outbox::start(controller.clone(), file);
    Ok((controller, outbox))
}

/// Reports a failure, then waits for the queued callbacks to reach the
/// controller (up to `deadline` when there is an outcome to deliver, a
/// moment otherwise, so a cancel still ends the agent within seconds).
async fn finish(
    result: Result<(), AgentError>,
    outbox: &outbox::Outbox,
    deadline: std::time::Duration,
) -> Result<(), AgentError> {
    let wait = match &result {
        Ok(()) => deadline,
        Err(AgentError::Failed(reason)) => {
            outbox.push("/failed", serde_json::json!({ "error": reason }));
            deadline
        }
        Err(_) => std::time::Duration::from_secs(1),
    };
    if !outbox.flush(wait).await {
        tracing::warn!("some callbacks could not be delivered to the controller");
    }
    result
}
