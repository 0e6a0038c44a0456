//! `pureboot-agent capture` and `pureboot-agent restore`: the image engine
//! run by hand, without a controller.
//!
//! Progress goes to stderr (a log line every two seconds); the outcome is one
//! JSON line on stdout: `{"event": "done", "mode": "capture"|"restore",
//! "image", "digest", "figures": {…}}`. Exit codes are the agent's: 0 done,
//! 1 failed, 2 a usage mistake (one line on stderr).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::backend::AnyBackend;
use super::http::HttpOptions;
use super::{CaptureOptions, capture, check_name, restore};
use crate::agent::AgentError;

/// The flags of `capture` and `restore` (with the global `--device`,
/// `--streams` and, for capture, `--chunk-mib`).
#[derive(Debug, clap::Args)]
pub struct ImageArgs {
    /// Where images are stored: `dir:/path` (a directory, e.g. an NFS mount)
    /// or a WebDAV URL `http(s)://host[:port]/path/`
    #[arg(long, env = "PUREBOOT_BACKEND")]
    backend: String,
    /// The image's name: 1 to 100 of A-Z a-z 0-9 . _ -
    #[arg(long)]
    image: String,
    /// https backends: PEM bundle of the trusted CAs [default: /etc/ssl/certs/ca-certificates.crt]
    #[arg(long, env = "PUREBOOT_BACKEND_CA")]
    backend_ca: Option<PathBuf>,
    /// http(s) backends: basic-auth user (the password comes from PUREBOOT_BACKEND_PASSWORD)
    #[arg(long, env = "PUREBOOT_BACKEND_USER")]
    backend_user: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Capture,
    Restore,
}

/// The validated settings of `capture` / `restore`.
#[derive(Debug)]
pub struct ImageConfig {
    pub direction: Direction,
    pub backend: String,
    pub http: HttpOptions,
    pub image: String,
    pub device: PathBuf,
    pub streams: usize,
    /// Bytes (capture only).
    pub chunk_size: u64,
}

impl ImageConfig {
    /// From the subcommand's flags and the global `--device`, `--streams`
    /// and `--chunk-mib` values; the password from the environment.
    pub fn new(
        direction: Direction,
        args: ImageArgs,
        device: Vec<String>,
        streams: Option<String>,
        chunk_mib: Option<String>,
    ) -> Result<Self, AgentError> {
        let config = |e: String| AgentError::Config(e);
        check_name(&args.image).map_err(config)?;
        let [device] = <[String; 1]>::try_from(device).map_err(|_| {
            config("--device is needed, once: the disk or image file to capture from or restore to".into())
        })?;
        let whole = |value: Option<String>, flag: &str, default: u64| -> Result<u64, AgentError> {
            match value {
                None => Ok(default),
                Some(text) => match text.parse() {
                    Ok(n) if (1..=64).contains(&n) => Ok(n),
                    _ => Err(config(format!("--{flag} {text} must be a whole number from 1 to 64"))),
                },
            }
        };
        let streams = whole(streams, "streams", 4)? as usize;
        let chunk_size = whole(chunk_mib, "chunk-mib", 4)? * 1024 * 1024;
        let password = std::env::var("PUREBOOT_BACKEND_PASSWORD").ok();
        let basic_auth = match (args.backend_user, password) {
            (Some(user), Some(password)) => Some((user, password)),
            (Some(_), None) => {
                return Err(config("--backend-user needs PUREBOOT_BACKEND_PASSWORD in the environment".into()));
            }
            (None, _) => None,
        };
        Ok(Self {
            direction,
            backend: args.backend,
            http: HttpOptions { ca_file: args.backend_ca, basic_auth },
            image: args.image,
            device: PathBuf::from(device),
            streams,
            chunk_size,
        })
    }
}

pub async fn run(config: ImageConfig) -> Result<(), AgentError> {
    let backend = AnyBackend::parse(&config.backend, &config.http).map_err(AgentError::Config)?;
    let last = Mutex::new(Instant::now());
    let due = || {
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        let due = last.elapsed() >= Duration::from_secs(2);
        if due {
            *last = Instant::now();
        }
        due
    };
    let (digest, figures) = match config.direction {
        Direction::Capture => {
            let options = CaptureOptions { chunk_size: config.chunk_size, streams: config.streams };
            let done = capture(&backend, &config.image, &config.device, options, |f| {
                if due() {
                    tracing::info!(read = f.bytes_read, of = f.size_bytes, uploaded = f.bytes_uploaded, "capturing");
                }
            })
            .await
            .map_err(AgentError::Failed)?;
            (done.manifest.digest, serde_json::to_value(done.figures))
        }
        Direction::Restore => {
            let done = restore(&backend, &config.image, &config.device, config.streams, |f| {
                if due() {
                    let (written, verified, of) = (f.bytes_written, f.bytes_verified, f.size_bytes);
                    tracing::info!(phase = ?f.phase, written, verified, of, "restoring");
                }
            })
            .await
            .map_err(AgentError::Failed)?;
            (done.digest, serde_json::to_value(done.figures))
        }
    };
    let mode = match config.direction {
        Direction::Capture => "capture",
        Direction::Restore => "restore",
    };
    let figures = figures.map_err(|e| AgentError::Failed(e.to_string()))?;
    let done = serde_json::json!({
        "event": "done", "mode": mode, "image": config.image, "digest": digest, "figures": figures
    });
    println!("{done}");
    Ok(())
}
