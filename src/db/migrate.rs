//! The durable schema (the event log and what cannot be rebuilt) is managed
//! by refinery from `migrations/`; the disposable read models are not
//! migrations but projections (see `crate::projections`).

mod embedded_migrations {
    refinery::embed_migrations!("migrations");
}

pub async fn run(config: &tokio_postgres::Config) -> anyhow::Result<()> {
    let mut client = super::connect(config).await.map_err(|err| {
        anyhow::anyhow!(
            "cannot connect to PostgreSQL ({}); check DATABASE_URL and that the server is running",
            super::describe(&err)
        )
    })?;
    // Serialise concurrent start-ups of several instances.
    client.execute("SELECT pg_advisory_lock(7431)", &[]).await?;
    let report = embedded_migrations::migrations::runner().run_async(&mut client).await;
    client.execute("SELECT pg_advisory_unlock(7431)", &[]).await?;
    for migration in report?.applied_migrations() {
        tracing::info!(migration = %migration, "applied migration");
    }
    Ok(())
}
