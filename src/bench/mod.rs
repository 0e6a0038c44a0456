//! `pureboot bench`: drives a running controller through its real HTTP and
//! WebSocket API and reports throughput and latency percentiles. Errors are
//! counted and shown, never dropped. See BENCHMARKS.md for how it is used.

mod client;
mod scenarios;
mod stats;

use clap::{Args, Subcommand};

pub use stats::Report;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The controller, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "PUREBOOT_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// An admin token.
    #[arg(long, env = "PUREBOOT_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
    /// The controller's process id: its peak resident memory is reported.
    #[arg(long)]
    pub pid: Option<u32>,
    #[command(subcommand)]
    pub scenario: Scenario,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Scenario {
    /// Create direct sessions (two certificates each).
    Create {
        #[arg(long, default_value_t = 32)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Post progress reports round-robin across cloning sessions.
    Progress {
        #[arg(long, default_value_t = 64)]
        clients: usize,
        #[arg(long, default_value_t = 200)]
        sessions: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// GET /clone-sessions?limit=50 with at least N sessions present.
    List {
        #[arg(long, default_value_t = 32)]
        clients: usize,
        #[arg(long, default_value_t = 10_000)]
        sessions: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// K WebSocket clients; progress events at a fixed rate; append→receipt latency.
    Fanout {
        #[arg(long, default_value_t = 500)]
        clients: usize,
        #[arg(long, default_value_t = 200)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Add one client that never reads.
        #[arg(long)]
        stalled: bool,
    },
    /// Time `projections rebuild` over the whole log (needs DATABASE_URL).
    Rebuild,
}

pub async fn run(args: BenchArgs, database_url: Option<String>) -> anyhow::Result<Report> {
    let api = client::Api::new(&args.url, &args.token)?;
    let mut report = match args.scenario {
        Scenario::Create { clients, seconds } => scenarios::create(&api, clients, seconds).await?,
        Scenario::Progress { clients, sessions, seconds } => {
            scenarios::progress(&api, clients, sessions, seconds).await?
        }
        Scenario::List { clients, sessions, seconds } => scenarios::list(&api, clients, sessions, seconds).await?,
        Scenario::Fanout { clients, rate, seconds, stalled } => {
            scenarios::fanout(&api, clients, rate, seconds, stalled).await?
        }
        Scenario::Rebuild => {
            let url = database_url.ok_or_else(|| anyhow::anyhow!("rebuild needs DATABASE_URL"))?;
            scenarios::rebuild(&url).await?
        }
    };
    report.controller_peak_rss_mb = args.pid.and_then(stats::peak_rss_mb);
    println!("{}", report.table());
    if let Some(path) = args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(report)
}
