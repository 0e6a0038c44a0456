//! The agent's settings. Each comes from a flag, else its environment
//! variable, else a `pureboot.<key>=` parameter on the kernel command line
//! (deploy environments get their parameters there). A mistake is reported
//! as one line naming all three places, and the process exits with code 2.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use uuid::Uuid;

use super::AgentError;
use super::image::cli::{Direction, ImageArgs, ImageConfig};

pub use crate::domain::clone_session::Role;

#[derive(Debug, Parser)]
#[command(
    name = "pureboot-agent",
    version,
    about = "PureBoot node agent: serves or receives a disk for a clone session, captures or restores a golden \
        image, or reports the node's disks"
)]
struct Cli {
    /// The role; without it, `pureboot.role=` on the kernel command line decides.
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    args: Args,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve this node's disk to the session's target.
    CloneSource,
    /// Copy the session's source disk onto this node's disk.
    CloneTarget,
    /// Report this node's disks (every disk, or each `--device`) to the
    /// controller with the node's `pbk_…` token.
    Scan(ScanArgs),
    /// Upload this node's disk (`--device PATH`) to an image store as a
    /// golden image: zstd chunks named by their BLAKE3 digest, stored once,
    /// then a manifest. Rerun to resume. No controller needed.
    Capture(ImageArgs),
    /// Write a golden image from an image store onto this node's disk
    /// (`--device PATH`), check every chunk, then read the disk back and
    /// verify it. No controller needed.
    Restore(ImageArgs),
    /// Carry out the partition operations the controller handed to this
    /// node (`POST /nodes/{id}/disks/{device}/apply`), then report a fresh
    /// scan; with the node's `pbk_…` token.
    Apply(ApplyArgs),
}

#[derive(Debug, clap::Args)]
struct ApplyArgs {
    /// Keep running: look for handed-out operations and scan requests
    /// every --poll-secs
    #[arg(long)]
    watch: bool,
    /// --watch: seconds between looks
    #[arg(long, default_value_t = 5)]
    poll_secs: u64,
}

#[derive(Debug, clap::Args)]
struct ScanArgs {
    /// Print the report as JSON instead of posting it (no controller needed)
    #[arg(long, visible_alias = "print")]
    dry_run: bool,
    /// Keep running: report once, then again whenever the controller has a
    /// scan request pending (`POST /nodes/{id}/disks/scan`)
    #[arg(long)]
    watch: bool,
    /// --watch: seconds between looks at the scan status
    #[arg(long, default_value_t = 5)]
    poll_secs: u64,
    /// Whether --dry-run exists for this command (`scan`, not `apply`).
    #[arg(skip = true)]
    print_allowed: bool,
}

#[derive(Debug, clap::Args)]
struct Args {
    /// The controller's base URL, e.g. http://10.0.0.1:8080 [kernel: pureboot.url]
    #[arg(long, env = "PUREBOOT_URL", global = true)]
    url: Option<String>,
    /// The clone session's id [kernel: pureboot.session]
    #[arg(long, env = "PUREBOOT_SESSION", global = true)]
    session: Option<String>,
    /// The session's node token for this role (pbn_…), or for `scan` the
    /// node's own token (pbk_…) [kernel: pureboot.token]
    #[arg(long, env = "PUREBOOT_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
    /// SHA-256 fingerprint of the controller's CA certificate (hex, colons
    /// allowed): the CA is trusted only if it matches [kernel: pureboot.ca_sha256]
    #[arg(long, env = "PUREBOOT_CA_SHA256", global = true)]
    ca_sha256: Option<String>,
    /// The disk (block device or image file) to serve or to write; `scan`
    /// takes it more than once [kernel: pureboot.device]
    #[arg(long, env = "PUREBOOT_DEVICE", global = true)]
    device: Vec<String>,
    /// Source: address to listen on [kernel: pureboot.listen] (default 0.0.0.0:9999)
    #[arg(long, env = "PUREBOOT_LISTEN", global = true)]
    listen: Option<String>,
    /// Source: the IP to announce; by default the listen IP, or the address
    /// this node uses to reach the controller [kernel: pureboot.advertise_ip]
    #[arg(long, env = "PUREBOOT_ADVERTISE_IP", global = true)]
    advertise_ip: Option<String>,
    /// Where undelivered callbacks are kept (a RAM disk in deploy
    /// environments) [kernel: pureboot.state_dir] (default /run/pureboot-agent)
    #[arg(long, env = "PUREBOOT_STATE_DIR", global = true)]
    state_dir: Option<PathBuf>,
    /// Target: parallel TLS connections [kernel: pureboot.streams] (default 4)
    #[arg(long, env = "PUREBOOT_STREAMS", global = true)]
    streams: Option<String>,
    /// Source: chunk size in MiB [kernel: pureboot.chunk_mib] (default 4)
    #[arg(long, env = "PUREBOOT_CHUNK_MIB", global = true)]
    chunk_mib: Option<String>,
    /// Target: at most this many MiB/s over the network (unlimited by default)
    /// [kernel: pureboot.max_rate_mib]
    #[arg(long, env = "PUREBOOT_MAX_RATE_MIB", global = true)]
    max_rate_mib: Option<String>,
    /// How long to keep retrying undelivered callbacks at the end, in seconds
    #[arg(long, env = "PUREBOOT_CALLBACK_DEADLINE", global = true, default_value_t = 600)]
    callback_deadline_secs: u64,
    /// The kernel command line to read `pureboot.*` parameters from
    #[arg(long, env = "PUREBOOT_CMDLINE", global = true, default_value = "/proc/cmdline")]
    cmdline: PathBuf,
    /// Milliseconds between progress reports
    #[arg(long, global = true, default_value_t = 2000, hide = true)]
    progress_interval_ms: u64,
    /// Source: seconds between CRL refreshes
    #[arg(long, global = true, default_value_t = 30, hide = true)]
    crl_refresh_secs: u64,
    /// Staged sessions on an nfs backend: the directory the export is
    /// mounted on [kernel: pureboot.backend_mount]
    #[arg(long, env = "PUREBOOT_BACKEND_MOUNT", global = true)]
    backend_mount: Option<PathBuf>,
    /// Target, for fault drills and tests: after writing and flushing, create
    /// `<state-dir>/verify.hold` and wait until it is removed before verifying.
    #[arg(long, global = true, hide = true)]
    hold_before_verify: bool,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Invocation {
    Clone(AgentConfig),
    Scan(ScanConfig),
    /// `apply`: the same settings as a `scan` that posts (never `dry_run`).
    Apply(ScanConfig),
    Image(ImageConfig),
}

/// The validated settings of `scan` and `apply`.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Base URL without a trailing slash; `None` only with `dry_run`.
    pub url: Option<String>,
    /// The node's `pbk_<node>_<secret>` token; `None` only with `dry_run`.
    pub token: Option<String>,
    /// The node the token belongs to (read from the token).
    pub node: Option<Uuid>,
    /// Disks to scan; empty means every disk `lsblk` lists.
    pub devices: Vec<PathBuf>,
    pub dry_run: bool,
    pub watch: bool,
    pub poll: Duration,
}

/// The validated settings of a clone role.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub role: Role,
    /// Base URL without a trailing slash.
    pub url: String,
    pub session: Uuid,
    pub token: String,
    /// 32 bytes.
    pub ca_sha256: Vec<u8>,
    pub device: PathBuf,
    pub listen: SocketAddr,
    pub advertise_ip: Option<IpAddr>,
    pub state_dir: PathBuf,
    pub streams: usize,
    /// Bytes.
    pub chunk_size: u64,
    /// Bytes per second.
    pub max_rate: Option<f64>,
    pub callback_deadline: Duration,
    pub progress_interval: Duration,
    pub crl_refresh: Duration,
    pub hold_before_verify: bool,
    /// Staged sessions on an nfs backend: where the export is mounted.
    pub backend_mount: Option<PathBuf>,
}

impl AgentConfig {
    /// From the process's arguments, environment and kernel command line.
    pub fn load() -> Result<Invocation, AgentError> {
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(error) if error.use_stderr() => {
                let text = error.to_string();
                let line = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
                return Err(AgentError::Config(format!("{line} (see --help)")));
            }
            Err(help_or_version) => help_or_version.exit(),
        };
        Self::from_cli(cli)
    }

    fn from_cli(cli: Cli) -> Result<Invocation, AgentError> {
        let a = cli.args;
        let kernel = std::fs::read_to_string(&a.cmdline).map(|text| kernel_params(&text)).unwrap_or_default();
        let command = match cli.command {
            Some(Command::Scan(scan)) => return scan_config(a, scan, &kernel).map(Invocation::Scan),
            Some(Command::Apply(apply)) => {
                let scan =
                    ScanArgs { dry_run: false, watch: apply.watch, poll_secs: apply.poll_secs, print_allowed: false };
                return scan_config(a, scan, &kernel).map(Invocation::Apply);
            }
            Some(Command::Capture(image)) => {
                return ImageConfig::new(Direction::Capture, image, a.device, a.streams, a.chunk_mib)
                    .map(Invocation::Image);
            }
            Some(Command::Restore(image)) => {
                return ImageConfig::new(Direction::Restore, image, a.device, a.streams, a.chunk_mib)
                    .map(Invocation::Image);
            }
            command => command,
        };
        let pick = |flag: Option<String>, key: &str| flag.or_else(|| kernel.get(key).cloned());
        let need = |value: Option<String>, flag: &str, env: &str, key: &str| {
            value.filter(|v| !v.is_empty()).ok_or_else(|| {
                AgentError::Config(format!(
                    "missing --{flag} (or {env}, or pureboot.{key}= on the kernel command line)"
                ))
            })
        };
        let role = match (command, kernel.get("role").map(String::as_str)) {
            (Some(Command::CloneSource), _) | (None, Some("source")) => Role::Source,
            (Some(Command::CloneTarget), _) | (None, Some("target")) => Role::Target,
            (Some(Command::Scan(_) | Command::Apply(_) | Command::Capture(_) | Command::Restore(_)), _) => {
                unreachable!("handled above")
            }
            (None, Some(other)) => {
                return Err(AgentError::Config(format!("pureboot.role={other} is neither source nor target")));
            }
            (None, None) => {
                return Err(AgentError::Config(
                    "no role: run `clone-source` or `clone-target`, or set pureboot.role= on the kernel command line"
                        .into(),
                ));
            }
        };
        let url = need(pick(a.url, "url"), "url", "PUREBOOT_URL", "url")?.trim_end_matches('/').to_owned();
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(AgentError::Config(format!("--url {url} must start with http:// or https://")));
        }
        let session = need(pick(a.session, "session"), "session", "PUREBOOT_SESSION", "session")?;
        let session = Uuid::try_parse(&session)
            .map_err(|_| AgentError::Config(format!("--session {session} is not a session id (a UUID)")))?;
        let token = need(pick(a.token, "token"), "token", "PUREBOOT_TOKEN", "token")?;
        let expected_prefix = format!("pbn_{}_{}_", session.simple(), role.as_str());
        if !token.starts_with(&expected_prefix) {
            return Err(AgentError::Config(format!(
                "--token is not the {} token of session {session} (it should start with {expected_prefix})",
                role.as_str()
            )));
        }
        let fingerprint = need(pick(a.ca_sha256, "ca_sha256"), "ca-sha256", "PUREBOOT_CA_SHA256", "ca_sha256")?;
        let ca_sha256 = parse_fingerprint(&fingerprint).ok_or_else(|| {
            AgentError::Config(format!("--ca-sha256 {fingerprint} is not a SHA-256 fingerprint (64 hex digits)"))
        })?;
        if a.device.len() > 1 {
            return Err(AgentError::Config("--device is given more than once; a clone takes one disk".into()));
        }
        let device =
            PathBuf::from(need(pick(a.device.into_iter().next(), "device"), "device", "PUREBOOT_DEVICE", "device")?);
        let listen = pick(a.listen, "listen").unwrap_or_else(|| "0.0.0.0:9999".into());
        let listen: SocketAddr =
            listen.parse().map_err(|_| AgentError::Config(format!("--listen {listen} is not an IP:port")))?;
        let advertise_ip = pick(a.advertise_ip, "advertise_ip")
            .map(|ip| ip.parse().map_err(|_| AgentError::Config(format!("--advertise-ip {ip} is not an IP address"))))
            .transpose()?;
        let state_dir = a
            .state_dir
            .or_else(|| kernel.get("state_dir").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/run/pureboot-agent"));
        let streams: usize = number(pick(a.streams, "streams"), "streams", 4)?;
        if !(1..=64).contains(&streams) {
            return Err(AgentError::Config(format!("--streams {streams} must be between 1 and 64")));
        }
        let chunk_mib: u64 = number(pick(a.chunk_mib, "chunk_mib"), "chunk-mib", 4)?;
        if !(1..=64).contains(&chunk_mib) {
            return Err(AgentError::Config(format!("--chunk-mib {chunk_mib} must be between 1 and 64")));
        }
        let max_rate = pick(a.max_rate_mib, "max_rate_mib")
            .map(|r| match r.parse::<f64>() {
                Ok(mib) if mib > 0.0 => Ok(mib * 1024.0 * 1024.0),
                _ => Err(AgentError::Config(format!("--max-rate-mib {r} is not a positive number"))),
            })
            .transpose()?;
        Ok(Invocation::Clone(Self {
            role,
            url,
            session,
            token,
            ca_sha256,
            device,
            listen,
            advertise_ip,
            state_dir,
            streams,
            chunk_size: chunk_mib * 1024 * 1024,
            max_rate,
            callback_deadline: Duration::from_secs(a.callback_deadline_secs),
            progress_interval: Duration::from_millis(a.progress_interval_ms.max(100)),
            crl_refresh: Duration::from_secs(a.crl_refresh_secs.max(1)),
            hold_before_verify: a.hold_before_verify,
            backend_mount: a.backend_mount.or_else(|| kernel.get("backend_mount").map(PathBuf::from)),
        }))
    }
}

/// `scan`'s settings: the controller and token are needed unless it only prints.
fn scan_config(a: Args, scan: ScanArgs, kernel: &HashMap<String, String>) -> Result<ScanConfig, AgentError> {
    let hint = if scan.print_allowed { "; --dry-run needs neither" } else { "" };
    let pick = |flag: Option<String>, key: &str| flag.or_else(|| kernel.get(key).cloned()).filter(|v| !v.is_empty());
    let url = pick(a.url, "url").map(|url| url.trim_end_matches('/').to_owned());
    let token = pick(a.token, "token");
    let missing = |what: &str, env: &str, key: &str| {
        AgentError::Config(format!("missing --{what} (or {env}, or pureboot.{key}= on the kernel command line){hint}"))
    };
    let node = match (&url, &token) {
        (Some(url), Some(token)) => {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return Err(AgentError::Config(format!("--url {url} must start with http:// or https://")));
            }
            Some(node_of_token(token).ok_or_else(|| {
                AgentError::Config("--token is not a node token (it should look like pbk_<node id>_<secret>)".into())
            })?)
        }
        _ if scan.dry_run => None,
        (None, _) => return Err(missing("url", "PUREBOOT_URL", "url")),
        (_, None) => return Err(missing("token", "PUREBOOT_TOKEN", "token")),
    };
    if scan.dry_run && scan.watch {
        return Err(AgentError::Config("--watch posts reports; it cannot be combined with --dry-run".into()));
    }
    let mut devices: Vec<PathBuf> = a.device.into_iter().map(PathBuf::from).collect();
    if devices.is_empty() {
        devices.extend(kernel.get("device").map(PathBuf::from));
    }
    Ok(ScanConfig {
        url,
        token,
        node,
        devices,
        dry_run: scan.dry_run,
        watch: scan.watch,
        poll: Duration::from_secs(scan.poll_secs.max(1)),
    })
}

/// The node id a `pbk_<node>_<secret>` token names.
fn node_of_token(token: &str) -> Option<Uuid> {
    let (node, _secret) = token.strip_prefix("pbk_")?.split_once('_')?;
    Uuid::try_parse(node).ok()
}

fn number<T: std::str::FromStr>(value: Option<String>, flag: &str, default: T) -> Result<T, AgentError> {
    match value {
        None => Ok(default),
        Some(text) => text.parse().map_err(|_| AgentError::Config(format!("--{flag} {text} is not a whole number"))),
    }
}

/// `pureboot.<key>=<value>` words of a kernel command line, by key.
fn kernel_params(cmdline: &str) -> HashMap<String, String> {
    cmdline
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("pureboot."))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
        .collect()
}

/// 64 hex digits, optionally separated by colons (as `openssl x509 -fingerprint` prints).
fn parse_fingerprint(text: &str) -> Option<Vec<u8>> {
    let digits: String = text.chars().filter(|c| *c != ':').collect();
    if digits.len() != 64 {
        return None;
    }
    (0..64).step_by(2).map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], cmdline: &str) -> Result<AgentConfig, AgentError> {
        match invocation(args, cmdline)? {
            Invocation::Clone(config) => Ok(config),
            Invocation::Scan(_) | Invocation::Apply(_) | Invocation::Image(_) => panic!("a clone role was expected"),
        }
    }

    fn invocation(args: &[&str], cmdline: &str) -> Result<Invocation, AgentError> {
        let dir = std::env::temp_dir().join(format!("pba-cfg-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("cmdline");
        std::fs::write(&path, cmdline).expect("cmdline");
        let mut all = vec!["pureboot-agent", "--cmdline", path.to_str().expect("utf-8")];
        all.extend_from_slice(args);
        let parsed = Cli::try_parse_from(all).map_err(|e| AgentError::Config(e.to_string()));
        let config = parsed.and_then(AgentConfig::from_cli);
        std::fs::remove_dir_all(&dir).expect("cleanup");
        config
    }

    const SESSION: &str = "0b8d6c5e-8a57-4a0f-9a4e-1f1d2b6c7e01";

    #[test]
    fn kernel_parameters_fill_what_flags_leave_out_and_flags_win() {
        let token = "pbn_0b8d6c5e8a574a0f9a4e1f1d2b6c7e01_target_secret";
        let fp = "AB:".repeat(31) + "AB";
        let cmdline = format!(
            "quiet pureboot.url=http://10.0.0.1:8080/ pureboot.session={SESSION} pureboot.role=target \
             pureboot.token={token} pureboot.ca_sha256={fp} pureboot.device=/dev/sda pureboot.streams=2"
        );
        let config = parse(&["--streams", "8"], &cmdline).expect("valid");
        assert_eq!(config.role, Role::Target);
        assert_eq!(config.url, "http://10.0.0.1:8080");
        assert_eq!(config.ca_sha256, vec![0xab; 32]);
        assert_eq!(config.streams, 8, "the flag wins over the kernel parameter");
        assert_eq!(config.device, PathBuf::from("/dev/sda"));
    }

    #[test]
    fn mistakes_are_one_line_naming_where_to_fix_them() {
        let Err(AgentError::Config(line)) = parse(&["clone-source"], "") else { panic!("refused") };
        assert_eq!(line, "missing --url (or PUREBOOT_URL, or pureboot.url= on the kernel command line)");
        let args = ["clone-source", "--url", "http://c", "--session", SESSION, "--token", "pbn_x_target_y"];
        let Err(AgentError::Config(line)) = parse(&args, "") else { panic!("refused") };
        assert!(line.contains("is not the source token"), "{line}");
    }

    #[test]
    fn scan_reads_its_node_from_the_token_and_only_printing_needs_no_controller() {
        let token = "pbk_0b8d6c5e8a574a0f9a4e1f1d2b6c7e01_secret";
        let args = ["scan", "--url", "http://c/", "--token", token, "--device", "/dev/a", "--device", "/dev/b"];
        let Ok(Invocation::Scan(scan)) = invocation(&args, "") else { panic!("valid") };
        assert_eq!(scan.node, Some(Uuid::try_parse(SESSION).expect("uuid")));
        assert_eq!(scan.devices, vec![PathBuf::from("/dev/a"), PathBuf::from("/dev/b")]);
        assert!(
            matches!(invocation(&["scan", "--print"], ""), Ok(Invocation::Scan(s)) if s.dry_run && s.node.is_none())
        );
        let Err(AgentError::Config(line)) = invocation(&["scan", "--url", "http://c"], "") else { panic!("refused") };
        assert!(line.starts_with("missing --token"), "{line}");
        let Err(AgentError::Config(line)) = invocation(&["scan", "--url", "http://c", "--token", "pbn_x"], "") else {
            panic!("refused")
        };
        assert!(line.contains("not a node token"), "{line}");
    }
}
