//! A private PostgreSQL cluster in a directory of ours, reached over a Unix
//! socket in that directory (so it never competes for a TCP port).
//!
//! PostgreSQL refuses to run as root; when we are root the cluster is owned
//! by and run as the `postgres` user (created by Debian's package) via
//! `runuser`. That user must be able to reach the cluster's directory: a
//! checkout in `/root` (mode 700) is not reachable. Rather than loosen the
//! permissions of the caller's directories, the cluster then lives under
//! [`RELOCATED_ROOT`], in a directory named by a hash of the requested path
//! (so the same request always finds the same cluster), owned by the cluster's
//! user with mode 700. The requested directory gets a `CLUSTER_LOCATION` file
//! naming it, and the log says where it is.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, bail};

/// Longest Unix socket path the kernel accepts, minus the socket file name.
const MAX_SOCKET_DIR: usize = 100;

/// The user a root-started cluster runs as (Debian's package creates it).
const CLUSTER_USER: &str = "postgres";

/// Where clusters go whose requested directory their user cannot reach.
/// Under `/var/lib` because the cluster must survive a reboot (unlike `/run`).
pub const RELOCATED_ROOT: &str = "/var/lib/pureboot/postgres";

/// The file in a requested directory that names the relocated cluster.
const LOCATION_FILE: &str = "CLUSTER_LOCATION";

pub struct EmbeddedPostgres {
    /// Where the cluster actually lives (data, socket, log).
    dir: PathBuf,
    /// The directory asked for; equal to `dir` unless relocated.
    requested: PathBuf,
    bin: PathBuf,
    run_as: Option<&'static str>,
}

impl EmbeddedPostgres {
    /// The cluster for `dir`, relocated (see the module doc) when the cluster's
    /// user cannot reach `dir`. Creates the directories; starts nothing.
    pub fn new(dir: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let requested = dir.canonicalize().with_context(|| format!("resolving {}", dir.display()))?;
        let run_as = is_root()?.then_some(CLUSTER_USER);
        let bin = find_bin_dir()?;
        let dir = match run_as {
            Some(user) => {
                user_exists(user)?;
                // The directory itself is given to the user at start; its ancestors are not ours to change.
                let parent = requested.parent().unwrap_or(&requested);
                if can_search(user, parent)? { requested.clone() } else { relocate(&requested, user)? }
            }
            None => requested.clone(),
        };
        if dir.join("run").as_os_str().len() > MAX_SOCKET_DIR {
            bail!("{} is too long a path for a Unix socket; set PUREBOOT_DATA_DIR to a shorter one", dir.display());
        }
        Ok(Self { bin, dir, requested, run_as })
    }

    /// Where the cluster lives (differs from the requested directory when relocated).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// True when the cluster lives elsewhere than the requested directory.
    pub fn is_relocated(&self) -> bool {
        self.dir != self.requested
    }

    /// Initialises the cluster when new, starts it unless already running,
    /// creates the `pureboot` database, and returns its connection string.
    /// `fast` turns durability off (fsync, synchronous commit): tests only.
    pub async fn start(&self, fast: bool) -> anyhow::Result<String> {
        let data = self.dir.join("data");
        let run = self.dir.join("run");
        std::fs::create_dir_all(&run)?;
        if let Some(user) = self.run_as {
            self.run(Command::new("chown").args(["-R", &format!("{user}:"), &path(&self.dir)]))
                .context("giving the cluster's directory to its user")?;
        }
        if self.is_relocated() {
            tracing::info!(
                "the embedded PostgreSQL cluster lives in {} because user {} cannot reach {}",
                self.dir.display(),
                self.run_as.unwrap_or(CLUSTER_USER),
                self.requested.display(),
            );
        }
        if !data.join("PG_VERSION").exists() {
            let mut initdb = self.pg("initdb");
            initdb.args(["-D", &path(&data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]);
            self.run(&mut initdb).context("initdb failed")?;
        }
        if !self.is_running() {
            let mut options = format!("-k {} -c listen_addresses='' -p 5432 -c max_connections=300", path(&run));
            if fast {
                options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            let log = path(&self.dir.join("postgres.log"));
            let mut pg_ctl = self.pg("pg_ctl");
            pg_ctl.args(["-D", &path(&data), "-l", &log, "-w", "-t", "60", "-o", &options, "start"]);
            self.run(&mut pg_ctl).with_context(|| format!("PostgreSQL did not start (see {log})"))?;
        }
        create_database(&run).await?;
        Ok(format!("host={} port=5432 user=postgres dbname=pureboot", path(&run)))
    }

    pub fn stop(&self) -> anyhow::Result<()> {
        if self.is_running() {
            let mut pg_ctl = self.pg("pg_ctl");
            pg_ctl.args(["-D", &path(&self.dir.join("data")), "-m", "fast", "-w", "stop"]);
            self.run(&mut pg_ctl).context("stopping PostgreSQL failed")?;
        }
        Ok(())
    }

    /// Stops the cluster and deletes its files, wherever they live, and the
    /// requested directory (throwaway clusters of scripts and tests).
    pub fn remove(self) -> anyhow::Result<()> {
        self.stop()?;
        for dir in [&self.dir, &self.requested] {
            if dir.exists() {
                std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
            }
        }
        Ok(())
    }

    fn is_running(&self) -> bool {
        let mut status = self.pg("pg_ctl");
        status.args(["-D", &path(&self.dir.join("data")), "status"]);
        self.run(&mut status).is_ok()
    }

    /// A command for a server binary, run as the cluster's owner.
    fn pg(&self, binary: &str) -> Command {
        let program = self.bin.join(binary);
        match self.run_as {
            Some(user) => as_user(user, &program),
            None => Command::new(program),
        }
    }

    fn run(&self, cmd: &mut Command) -> anyhow::Result<()> {
        cmd.current_dir(&self.dir);
        let out = cmd.output().with_context(|| format!("running {}", program(cmd)))?;
        tracing::debug!(command = ?cmd, status = %out.status, output = %all_output(&out), "ran");
        if !out.status.success() {
            bail!("{} failed: {}", program(cmd), one_line(&all_output(&out)));
        }
        Ok(())
    }
}

/// Can `user` reach into `dir` (search it and every ancestor)? Asked of the
/// kernel as that user, so groups and ACLs count exactly as they will for the cluster.
fn can_search(user: &str, dir: &Path) -> anyhow::Result<bool> {
    let out = Command::new("runuser")
        .args(["-u", user, "--", "test", "-x"])
        .arg(dir)
        .output()
        .context("running runuser (from util-linux) to check the cluster user's access")?;
    Ok(out.status.success())
}

/// Creates the relocated cluster directory for `requested`: root-owned 755
/// parents the user can traverse, then a 700 directory of the user's own.
fn relocate(requested: &Path, user: &str) -> anyhow::Result<PathBuf> {
    let digest = ring::digest::digest(&ring::digest::SHA256, requested.as_os_str().as_encoded_bytes());
    let root = Path::new(RELOCATED_ROOT);
    let dir = root.join(&crate::ca::hex(digest.as_ref())[..16]);
    for ancestor in [root.parent().unwrap_or(root), root] {
        if !ancestor.exists() {
            std::fs::create_dir_all(ancestor).with_context(|| format!("creating {}", ancestor.display()))?;
            std::fs::set_permissions(ancestor, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    if !can_search(user, root)? {
        bail!(
            "user {user} cannot reach {} (nor {}); make {RELOCATED_ROOT} searchable by {user} \
             (chmod o+x on it and its parents), or set DATABASE_URL to an existing server",
            requested.display(),
            root.display()
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let note = format!(
        "The PostgreSQL cluster for this directory lives in\n{}\nbecause user {user} cannot reach this directory.\n",
        dir.display()
    );
    std::fs::write(requested.join(LOCATION_FILE), note)
        .with_context(|| format!("writing {}", requested.join(LOCATION_FILE).display()))?;
    Ok(dir)
}

fn user_exists(user: &str) -> anyhow::Result<()> {
    let out = Command::new("id").args(["-u", user]).output().context("running id")?;
    if !out.status.success() {
        bail!(
            "the embedded PostgreSQL cluster runs as user {user}, which does not exist; \
             install PostgreSQL (apt-get install postgresql) or set DATABASE_URL to an existing server"
        );
    }
    Ok(())
}

fn as_user(user: &str, program: &Path) -> Command {
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", user, "--"]).arg(program);
    cmd
}

/// The program a command runs (the server binary under `runuser`), for messages.
fn program(cmd: &Command) -> String {
    let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    let name = match args.iter().position(|a| a == "--") {
        Some(i) => args.get(i + 1).cloned().unwrap_or_default(),
        None => cmd.get_program().to_string_lossy().into_owned(),
    };
    Path::new(&name).file_name().map_or(name.clone(), |n| n.to_string_lossy().into_owned())
}

fn all_output(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A tool's output as one line (its non-empty lines joined), for an error message.
fn one_line(output: &str) -> String {
    let joined = output.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" | ");
    if joined.is_empty() { "no output".to_owned() } else { joined }
}

async fn create_database(run: &Path) -> anyhow::Result<()> {
    let admin = format!("host={} port=5432 user=postgres dbname=postgres", path(run));
    let config: tokio_postgres::Config = admin.parse()?;
    let client = super::connect(&config).await.context("connecting to the embedded cluster")?;
    let exists = client.query_opt("SELECT 1 FROM pg_database WHERE datname = 'pureboot'", &[]).await?.is_some();
    if !exists {
        client.execute("CREATE DATABASE pureboot", &[]).await?;
    }
    Ok(())
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn is_root() -> anyhow::Result<bool> {
    Ok(std::fs::metadata("/proc/self").context("reading /proc/self")?.uid() == 0)
}

/// The newest `/usr/lib/postgresql/<version>/bin`, or `PUREBOOT_PG_BIN`.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("PUREBOOT_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "no PostgreSQL server found in /usr/lib/postgresql; install it (apt-get install postgresql) \
             or set DATABASE_URL to an existing server"
        ),
    }
}
