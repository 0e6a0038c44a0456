use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

use pureboot::app::{App, serve};
use pureboot::auth::operator_tokens;
use pureboot::ca::{SecretBox, keys};
use pureboot::cli::{Cli, Command, EmbeddedDbCommand, ProjectionsCommand, TokenCommand};
use pureboot::config::{CommonConfig, LogFormat, ServeConfig};
use pureboot::db::{Database, embedded::EmbeddedPostgres, migrate};
use pureboot::{api, projections};

/// jemalloc instead of glibc's allocator: on the progress path glibc's
/// malloc, free and their arena bookkeeping (`malloc_consolidate`,
/// `unlink_chunk`) were about a quarter of the controller's CPU samples
/// (BENCHMARKS.md, round four).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Runs the command; a failure is one line on stderr (the error and its
/// causes, `{:#}`) and exit status 1, never a Debug dump or backtrace: most
/// failures here are the user's to fix, and the message says how.
#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.common);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pureboot: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(config) => run_server(cli.common, config).await,
        Command::Migrate => with_database(&cli.common, |_| async { Ok(()) }).await,
        Command::Projections { command } => match command {
            ProjectionsCommand::Rebuild { name } => {
                with_database(&cli.common, |pool| async move {
                    for (name, position) in projections::rebuild(&pool, name.as_deref()).await? {
                        println!("rebuilt {name} up to position {position}");
                    }
                    Ok(())
                })
                .await
            }
            ProjectionsCommand::Status => {
                with_database(&cli.common, |pool| async move {
                    for (name, position, current) in projections::status(&pool).await? {
                        println!("{name}\tposition {position}\t{}", if current { "current" } else { "stale" });
                    }
                    Ok(())
                })
                .await
            }
        },
        Command::Token { command } => {
            with_database(&cli.common, |pool| async move {
                match command {
                    TokenCommand::Create { name, role } => {
                        println!("{}", operator_tokens::create(&pool, &name, role).await?)
                    }
                    TokenCommand::Revoke { name } => {
                        anyhow::ensure!(operator_tokens::revoke(&pool, &name).await?, "no live token named '{name}'");
                        println!("revoked {name}");
                    }
                    TokenCommand::List => {
                        for (name, role, revoked) in operator_tokens::list(&pool).await? {
                            println!("{name}\t{role}{}", if revoked { "\trevoked" } else { "" });
                        }
                    }
                }
                Ok(())
            })
            .await
        }
        Command::RotateKek { from, to } => {
            with_database(&cli.common, |pool| async move {
                let (old, new) = (SecretBox::load(&from)?, SecretBox::load(&to)?);
                let count = keys::rotate(&pool, &old, &from, &new).await?;
                println!("re-sealed {count} keys with {}; now give every instance PUREBOOT_KEK_FILE={0}", to.display());
                Ok(())
            })
            .await
        }
        Command::Healthcheck { url } => {
            let status = reqwest::get(&url).await.with_context(|| format!("{url} did not answer"))?.status();
            anyhow::ensure!(status.is_success(), "{url} answered {status}");
            Ok(())
        }
        Command::Bench(args) => pureboot::bench::run(args, cli.common.database_url.clone()).await.map(|_| ()),
        Command::Openapi => {
            println!("{}", api::openapi_json());
            Ok(())
        }
        Command::EmbeddedDb { command } => match command {
            EmbeddedDbCommand::Start { dir, fast } => {
                println!("{}", EmbeddedPostgres::new(dir)?.start(fast).await?);
                Ok(())
            }
            EmbeddedDbCommand::Stop { dir, remove: false } => EmbeddedPostgres::new(dir)?.stop(),
            EmbeddedDbCommand::Stop { dir, remove: true } => EmbeddedPostgres::new(dir)?.remove(),
        },
    }
}

fn init_tracing(common: &CommonConfig) {
    let filter = EnvFilter::try_new(&common.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match common.log_format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Opens the database, migrates and installs projections, runs `work`, closes.
async fn with_database<F, Fut>(common: &CommonConfig, work: F) -> anyhow::Result<()>
where
    F: FnOnce(deadpool_postgres::Pool) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let db = Database::open(common).await?;
    let result = async {
        migrate::run(&db.direct).await?;
        projections::ensure_installed(&db.pool).await?;
        work(db.pool.clone()).await
    }
    .await;
    db.close();
    result
}

async fn run_server(common: CommonConfig, config: ServeConfig) -> anyhow::Result<()> {
    let db = Database::open(&common).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    let listen = config.listen;
    let metrics_listen = config.cluster.metrics_listen;
    let result = async {
        let app = App::start(db.pool.clone(), db.direct.clone(), config, &common.data_dir, shutdown).await?;
        let listener = TcpListener::bind(listen).await.with_context(|| {
            format!("cannot listen on {listen}; choose another address with --listen or PUREBOOT_LISTEN")
        })?;
        tracing::info!("listening on http://{}", listener.local_addr()?);
        if let Some(address) = metrics_listen {
            let metrics = TcpListener::bind(address).await.with_context(|| {
                format!("cannot listen on {address} for metrics; choose another PUREBOOT_METRICS_LISTEN")
            })?;
            tracing::info!("metrics (no token) on http://{address}/metrics");
            tokio::spawn(pureboot::metrics::serve_open(app.clone(), metrics));
        }
        serve(app, listener).await?;
        anyhow::Ok(())
    }
    .await;
    db.close();
    tracing::info!("stopped");
    result
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
    shutdown.cancel();
}
