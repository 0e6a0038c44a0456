//! Helpers for the node-agent tests: disk images made with the standard
//! tools, the agent binary run as a real process against a real
//! controller, and an independent computation of the content digest.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use ring::digest::{SHA256, digest};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::support::{Scratch, TestApp};

/// MiB.
pub const MIB: u64 = 1024 * 1024;

/// A scratch directory with a short path (the controller records device
/// paths of at most 50 characters); the disk images in it are hundreds of
/// MiB each, removed with it when the test ends.
pub fn scratch() -> Scratch {
    crate::support::scratch_dir("pba")
}

/// Runs a tool (no shell) and asserts it succeeded.
pub fn run(program: &str, args: &[&str], stdin: Option<&str>) {
    let mut command = std::process::Command::new(program);
    command.args(args).stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| {
        panic!("{program} is needed (Debian: fdisk, dosfstools, e2fsprogs): {e}");
    });
    if let Some(text) = stdin {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write stdin");
    }
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// Pseudo-random bytes, reproducible from `seed` (BLAKE3's extendable output).
pub fn noise(seed: &str, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    blake3::Hasher::new().update(seed.as_bytes()).finalize_xof().fill(&mut bytes);
    bytes
}

/// Makes `image` a sparse file of `size` (as `truncate -s` takes it),
/// partitioned by `sfdisk` as `table` says.
pub fn partitioned(image: &Path, size: &str, table: &str) {
    let path = image.to_str().expect("utf-8");
    run("truncate", &["-s", size, path], None);
    run("sfdisk", &["--quiet", path], Some(table));
}

/// A GPT disk image of `size_mib`: a 32 MiB EFI system partition (vfat) and
/// an ext4 partition filled from a directory holding `data_mib` of files.
pub fn gpt_image(dir: &Path, size_mib: u64, data_mib: usize) -> PathBuf {
    let image = dir.join("src.img");
    let files = dir.join("rootfs");
    std::fs::create_dir_all(files.join("etc")).expect("rootfs");
    std::fs::write(files.join("etc/hostname"), "cloned-node\n").expect("file");
    for (i, part) in noise("rootfs", data_mib * MIB as usize).chunks(3 * MIB as usize + 12345).enumerate() {
        std::fs::write(files.join(format!("blob-{i}.bin")), part).expect("blob");
    }
    let image_s = image.to_str().expect("utf-8");
    // 1 MiB alignment: EFI at 1 MiB (32 MiB), root from 33 MiB to the end.
    partitioned(&image, &format!("{size_mib}M"), "label: gpt\nstart=2048, size=65536, type=U\nstart=67584, type=L\n");
    // FAT16 named: left to choose, mkfs.vfat sizes the FAT for the whole
    // image file and refuses 32 MiB of FAT32 once the image reaches 1 GiB.
    run("mkfs.vfat", &["-F", "16", "-n", "EFI", "--offset", "2048", image_s, &(32 * 1024).to_string()], None);
    let root_kib = (size_mib - 33 - 1) * 1024;
    run(
        "mkfs.ext4",
        &[
            "-q",
            "-F",
            "-d",
            files.to_str().expect("utf-8"),
            "-E",
            &format!("offset={}", 67584 * 512),
            image_s,
            &format!("{root_kib}k"),
        ],
        None,
    );
    image
}

/// BLAKE3 over the BLAKE3 digests of each `chunk`-byte piece of the file:
/// the content digest the agent promises, computed independently here.
pub fn content_digest(path: &Path, chunk: u64) -> String {
    use std::io::Read;
    let mut file = std::fs::File::open(path).expect("open image");
    let mut outer = blake3::Hasher::new();
    let mut piece = vec![0u8; chunk as usize];
    loop {
        let mut filled = 0;
        while filled < piece.len() {
            match file.read(&mut piece[filled..]).expect("read image") {
                0 => break,
                n => filled += n,
            }
        }
        if filled == 0 {
            break;
        }
        outer.update(blake3::hash(&piece[..filled]).as_bytes());
    }
    outer.finalize().to_hex().to_string()
}

/// An image of `size` bytes of noise (no holes, no zero chunks).
pub fn noise_image(path: &Path, size: u64) {
    std::fs::write(path, noise(&path.display().to_string(), size as usize)).expect("noise image");
}

/// Bytes the file really occupies on disk.
pub fn allocated(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).expect("stat").blocks() * 512
}

/// Same length and same bytes (compared 8 MiB at a time).
pub fn identical(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::FileExt;
    let (fa, fb) = (std::fs::File::open(a).expect("open a"), std::fs::File::open(b).expect("open b"));
    let len = fa.metadata().expect("stat").len();
    if fb.metadata().expect("stat").len() != len {
        return false;
    }
    let (mut ba, mut bb) = (vec![0u8; 8 << 20], vec![0u8; 8 << 20]);
    let mut offset = 0;
    while offset < len {
        let n = (len - offset).min(ba.len() as u64) as usize;
        fa.read_exact_at(&mut ba[..n], offset).expect("read a");
        fb.read_exact_at(&mut bb[..n], offset).expect("read b");
        if ba[..n] != bb[..n] {
            return false;
        }
        offset += n as u64;
    }
    true
}

/// The hex SHA-256 of the controller's CA certificate (what an operator pins).
pub async fn ca_fingerprint(app: &TestApp) -> String {
    let pem = app.http.get(app.url("/ca/certificate")).send().await.expect("CA").text().await.expect("PEM");
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).expect("CA PEM");
    pureboot::ca::hex(digest(&SHA256, &der).as_ref())
}

/// One clone session and what its agents need.
pub struct Clone {
    pub id: String,
    pub dir: Scratch,
    pub source_token: String,
    pub target_token: String,
    pub ca_sha256: String,
    pub url: String,
    /// The create response's `agent_parameters`.
    pub parameters: Value,
}

impl Clone {
    pub async fn new(app: &TestApp) -> Self {
        Self::with_controller(app, &format!("http://{}", app.addr)).await
    }

    /// A session on `app` whose agents talk to the controller at `url`.
    pub async fn with_controller(app: &TestApp, url: &str) -> Self {
        Self::of(app, app.direct_session().await, url).await
    }

    /// The agents' view of `session` (a create response's data) on `app`,
    /// their controller at `url`.
    pub async fn of(app: &TestApp, session: Value, url: &str) -> Self {
        let id = session["id"].as_str().expect("id").to_owned();
        Self {
            source_token: app.node_token(&id, "source"),
            target_token: app.node_token(&id, "target"),
            ca_sha256: ca_fingerprint(app).await,
            url: url.to_owned(),
            parameters: session["agent_parameters"].clone(),
            dir: scratch(),
            id,
        }
    }

    /// A clone under way: `size` bytes of noise in `src.img`, both agents
    /// started (the target capped at `target_mib_per_s` so the test can act
    /// mid-transfer), and the session `cloning`. Returns the source and target
    /// images and agents.
    pub async fn under_way(&self, app: &TestApp, size: u64, target_mib_per_s: u32) -> UnderWay {
        let (source_image, target_image) = self.noise_images(size);
        let source = self.agent("source", &source_image, &[]);
        let target = self.agent("target", &target_image, &["--max-rate-mib", &target_mib_per_s.to_string()]);
        until_status(app, &self.id, "cloning", Duration::from_secs(30)).await;
        UnderWay { source_image, target_image, source, target }
    }

    /// `src.img` holding `size` bytes of noise, and where `dst.img` goes (not
    /// created: the target agent creates it).
    pub fn noise_images(&self, size: u64) -> (PathBuf, PathBuf) {
        let source_image = self.dir.join("src.img");
        noise_image(&source_image, size);
        (source_image, self.dir.join("dst.img"))
    }

    /// Runs a source agent on `source_image` and a target agent on
    /// `target_image` until the target's `done` event, and checks that both
    /// exit 0. Returns that event.
    pub async fn run_both(&self, source_image: &Path, target_image: &Path) -> Value {
        let mut source = self.agent("source", source_image, &[]);
        let mut target = self.agent("target", target_image, &[]);
        let done = target.event("done", Duration::from_secs(120)).await;
        assert_eq!(target.exit(Duration::from_secs(30)).await, 0, "{}", target.log_text());
        assert_eq!(source.exit(Duration::from_secs(10)).await, 0, "{}", source.log_text());
        done
    }

    /// Starts an agent of `role` on `device` with extra flags.
    pub fn agent(&self, role: &str, device: &Path, extra: &[&str]) -> Agent {
        let token = if role == "source" { &self.source_token } else { &self.target_token };
        let mut args: Vec<String> = vec![format!("clone-{role}")];
        for flag in ["--url", &self.url, "--session", &self.id, "--token", token, "--ca-sha256", &self.ca_sha256] {
            args.push(flag.to_owned());
        }
        args.extend(["--cmdline", "/dev/null"].map(str::to_owned));
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        self.spawn(role, device, &args)
    }

    /// Starts an agent with `args` plus the device, a state directory, 1 MiB
    /// chunks and (unless given) an ephemeral listen port.
    pub fn spawn(&self, role: &str, device: &Path, args: &[String]) -> Agent {
        let state = self.dir.join(format!("state-{role}"));
        let log = self.dir.join(format!("{role}-{}.log", Uuid::new_v4().simple()));
        let mut command = Command::new(env!("CARGO_BIN_EXE_pureboot-agent"));
        command
            .args(args)
            .arg("--device")
            .arg(device)
            .arg("--state-dir")
            .arg(&state)
            .args(["--chunk-mib", "1"])
            .args(if args.iter().any(|a| a == "--listen") { &[][..] } else { &["--listen", "127.0.0.1:0"][..] })
            .env("PUREBOOT_AGENT_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log"))
            .kill_on_drop(true);
        for key in ["PUREBOOT_URL", "PUREBOOT_TOKEN", "PUREBOOT_SESSION", "PUREBOOT_DEVICE"] {
            command.env_remove(key);
        }
        let mut child = command.spawn().expect("the agent starts");
        let stdout = child.stdout.take().expect("stdout");
        let (lines_tx, lines) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    let _ = lines_tx.send(value);
                }
            }
        });
        Agent { child, lines, log, state }
    }
}

/// A running agent process.
/// What [`Clone::under_way`] started.
pub struct UnderWay {
    pub source_image: PathBuf,
    pub target_image: PathBuf,
    pub source: Agent,
    pub target: Agent,
}

pub struct Agent {
    pub child: Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<Value>,
    pub log: PathBuf,
    pub state: PathBuf,
}

impl Agent {
    /// The next JSON event the agent printed with this `event` name.
    pub async fn event(&mut self, name: &str, within: Duration) -> Value {
        let wait = async {
            while let Some(line) = self.lines.recv().await {
                if line["event"] == name {
                    return Some(line);
                }
            }
            None
        };
        match tokio::time::timeout(within, wait).await {
            Ok(Some(line)) => line,
            _ => panic!("no {name} event within {within:?}; log:\n{}", self.log_text()),
        }
    }

    /// The exit code, waiting at most `within`.
    pub async fn exit(&mut self, within: Duration) -> i32 {
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(status) => status.expect("wait").code().unwrap_or(-1),
            Err(_) => panic!("the agent did not exit within {within:?}; log:\n{}", self.log_text()),
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, as a crash or a power cut would.
    pub async fn kill9(&mut self) {
        self.child.kill().await.expect("kill");
    }
}

/// The session as the API shows it.
pub async fn session(app: &TestApp, id: &str) -> Value {
    let (status, body) = app.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

/// Waits until the session reaches `status` (panics after `within`).
pub async fn until_status(app: &TestApp, id: &str, status: &str, within: Duration) -> Value {
    let start = std::time::Instant::now();
    loop {
        let view = session(app, id).await;
        if view["status"] == status {
            return view;
        }
        assert!(start.elapsed() < within, "session not {status} within {within:?}: {view}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The payload of the session's first event of `kind` in its history.
pub async fn history_event(app: &TestApp, id: &str, kind: &str) -> Option<Value> {
    let (status, body) = app.get(&format!("/clone-sessions/{id}/history")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array()?.iter().find(|e| e["event_type"] == kind).map(|e| e["payload"].clone())
}

/// A second controller instance on `app`'s database and data directory
/// (so the same CA) that a test can stop and start again on the same port.
pub struct Stoppable {
    pub addr: std::net::SocketAddr,
    shutdown: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Stoppable {
    pub async fn start(app: &TestApp, addr: Option<std::net::SocketAddr>) -> Self {
        let shutdown = tokio_util::sync::CancellationToken::new();
        let pool = pureboot::db::pool(app.db.config.clone(), 8).expect("pool");
        let config = crate::support::serve_config(&[]);
        let controller =
            pureboot::app::App::start(pool, app.db.config.clone(), config, &app.data_dir, shutdown.clone())
                .await
                .expect("the second controller starts");
        let listener =
            tokio::net::TcpListener::bind(addr.unwrap_or_else(|| ([127, 0, 0, 1], 0).into())).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(pureboot::app::serve(controller, listener));
        Self { addr, shutdown, task }
    }

    /// Stops serving (connections refused from now on).
    pub async fn stop(self) {
        self.shutdown.cancel();
        let abort = self.task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(10), self.task).await.is_err() {
            abort.abort();
        }
    }
}

/// A loop device over an image, detached when the test ends, passed or not.
/// (Needs root; partition scanning makes no partition nodes here, so the
/// agent reaches partitions through loop devices of its own.)
pub struct Loop(pub String);

impl Loop {
    pub fn attach(image: &Path) -> Self {
        Self::attach_with(image, &[])
    }

    /// With extra `losetup` flags, e.g. `--sector-size 4096`.
    pub fn attach_with(image: &Path, flags: &[&str]) -> Self {
        let out = std::process::Command::new("losetup")
            .args(["-f", "--show"])
            .args(flags)
            .arg(image)
            .output()
            .expect("losetup (util-linux) is needed");
        assert!(out.status.success(), "losetup: {}", String::from_utf8_lossy(&out.stderr));
        Self(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("losetup").args(["-d", &self.0]).status();
    }
}

/// Runs `pureboot-agent <command>` with the node's `pbk_…` token on
/// `device` to its end (asynchronously: the controller runs on this
/// test's runtime).
pub async fn node_agent(app: &TestApp, node: &str, command: &str, device: &str) -> std::process::Output {
    let url = format!("http://{}", app.addr);
    Command::new(env!("CARGO_BIN_EXE_pureboot-agent"))
        .args([command, "--url", &url, "--token", &app.node_key(node), "--device", device, "--cmdline", "/dev/null"])
        .env("PUREBOOT_AGENT_LOG", "info")
        .output()
        .await
        .expect("run pureboot-agent")
}
