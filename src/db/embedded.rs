//! A private PostgreSQL cluster in a directory of ours, reached over a Unix
//! socket in that directory (so it never competes for a TCP port).
//!
//! PostgreSQL refuses to run as root; when we are root the cluster is owned
//! by and run as the `postgres` user (created by Debian's package) via
//! `runuser`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Longest Unix socket path the kernel accepts, minus the socket file name.
const MAX_SOCKET_DIR: usize = 100;

pub struct EmbeddedPostgres {
    dir: PathBuf,
    bin: PathBuf,
    run_as: Option<&'static str>,
}

impl EmbeddedPostgres {
    pub fn new(dir: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = dir.canonicalize()?;
        if dir.join("run").as_os_str().len() > MAX_SOCKET_DIR {
            bail!("{} is too long a path for a Unix socket; set PUREBOOT_DATA_DIR to a shorter one", dir.display());
        }
        let run_as = is_root()?.then_some("postgres");
        Ok(Self { bin: find_bin_dir()?, dir, run_as })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Initialises the cluster when new, starts it unless already running,
    /// creates the `pureboot` database, and returns its connection string.
    /// `fast` turns durability off (fsync, synchronous commit): tests only.
    pub async fn start(&self, fast: bool) -> anyhow::Result<String> {
        let data = self.dir.join("data");
        let run = self.dir.join("run");
        std::fs::create_dir_all(&run)?;
        if let Some(user) = self.run_as {
            self.run(Command::new("chown").args(["-R", &format!("{user}:"), &path(&self.dir)]), false)?;
        }
        if !data.join("PG_VERSION").exists() {
            let mut initdb = self.pg("initdb");
            initdb.args(["-D", &path(&data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]);
            self.run(&mut initdb, true).context("initdb failed")?;
        }
        if !self.is_running() {
            let mut options = format!("-k {} -c listen_addresses='' -p 5432 -c max_connections=300", path(&run));
            if fast {
                options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            let log = path(&self.dir.join("postgres.log"));
            let mut pg_ctl = self.pg("pg_ctl");
            pg_ctl.args(["-D", &path(&data), "-l", &log, "-w", "-t", "60", "-o", &options, "start"]);
            self.run(&mut pg_ctl, true).with_context(|| format!("pg_ctl start failed; see {log}"))?;
        }
        create_database(&run).await?;
        Ok(format!("host={} port=5432 user=postgres dbname=pureboot", path(&run)))
    }

    pub fn stop(&self) -> anyhow::Result<()> {
        if self.is_running() {
            let mut pg_ctl = self.pg("pg_ctl");
            pg_ctl.args(["-D", &path(&self.dir.join("data")), "-m", "fast", "-w", "stop"]);
            self.run(&mut pg_ctl, true)?;
        }
        Ok(())
    }

    fn is_running(&self) -> bool {
        let mut status = self.pg("pg_ctl");
        status.args(["-D", &path(&self.dir.join("data")), "status"]);
        self.run(&mut status, true).is_ok()
    }

    /// A command for a server binary, run as the cluster's owner.
    fn pg(&self, binary: &str) -> Command {
        let program = self.bin.join(binary);
        match self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(program);
                cmd
            }
            None => Command::new(program),
        }
    }

    fn run(&self, cmd: &mut Command, quiet_ok: bool) -> anyhow::Result<()> {
        cmd.current_dir(&self.dir);
        let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
        if !out.status.success() {
            bail!("{cmd:?} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        }
        if !quiet_ok {
            tracing::debug!(?cmd, "ran");
        }
        Ok(())
    }
}

async fn create_database(run: &Path) -> anyhow::Result<()> {
    let admin = format!("host={} port=5432 user=postgres dbname=postgres", path(run));
    let config: tokio_postgres::Config = admin.parse()?;
    let client = super::connect(&config).await?;
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
