//! Writing the secret operations of an append batch: runs of the same kind of
//! operation become one statement (a batch of session creations is one
//! insert, not six per session), and the order of the runs is kept.

use std::collections::HashMap;

use crate::db::Db;

use super::SecretOp;

/// Applies `ops` in order, one statement per run of the same kind.
pub async fn apply(tx: &impl Db, ops: &[&SecretOp]) -> Result<(), tokio_postgres::Error> {
    for run in ops.chunk_by(|a, b| std::mem::discriminant(*a) == std::mem::discriminant(*b)) {
        match run[0] {
            SecretOp::Put { .. } => put(tx, run).await?,
            SecretOp::Delete { .. } => delete(tx, run).await?,
            SecretOp::DeleteOwner { .. } => delete_owners(tx, run).await?,
            SecretOp::Rename { .. } => {
                for op in run {
                    if let SecretOp::Rename { owner, kind, to } = op {
                        tx.execute("UPDATE secrets SET kind = $3 WHERE owner = $1 AND kind = $2", &[owner, kind, to])
                            .await?;
                    }
                }
            }
        }
    }
    Ok(())
}

async fn put(tx: &impl Db, run: &[&SecretOp]) -> Result<(), tokio_postgres::Error> {
    // One INSERT may not touch a row twice: the last put of a key wins, as
    // it would have one statement at a time.
    let mut latest: HashMap<(&str, &str), &[u8]> = HashMap::new();
    let mut order = Vec::new();
    for op in run {
        if let SecretOp::Put { owner, kind, value } = op
            && latest.insert((owner, kind), value).is_none()
        {
            order.push((owner.as_str(), kind.as_str()));
        }
    }
    let owners: Vec<&str> = order.iter().map(|(o, _)| *o).collect();
    let kinds: Vec<&str> = order.iter().map(|(_, k)| *k).collect();
    let values: Vec<&[u8]> = order.iter().map(|key| latest[key]).collect();
    tx.execute(
        "INSERT INTO secrets (owner, kind, value) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
         ON CONFLICT (owner, kind) DO UPDATE SET value = EXCLUDED.value, created_at = now()",
        &[&owners, &kinds, &values],
    )
    .await?;
    Ok(())
}

async fn delete(tx: &impl Db, run: &[&SecretOp]) -> Result<(), tokio_postgres::Error> {
    let (owners, kinds): (Vec<&str>, Vec<&str>) = run
        .iter()
        .filter_map(|op| match op {
            SecretOp::Delete { owner, kind } => Some((owner.as_str(), kind.as_str())),
            _ => None,
        })
        .unzip();
    tx.execute(
        "DELETE FROM secrets s USING unnest($1::text[], $2::text[]) AS d(owner, kind)
         WHERE s.owner = d.owner AND s.kind = d.kind",
        &[&owners, &kinds],
    )
    .await?;
    Ok(())
}

async fn delete_owners(tx: &impl Db, run: &[&SecretOp]) -> Result<(), tokio_postgres::Error> {
    let owners: Vec<&str> = run
        .iter()
        .filter_map(|op| match op {
            SecretOp::DeleteOwner { owner } => Some(owner.as_str()),
            _ => None,
        })
        .collect();
    tx.execute("DELETE FROM secrets WHERE owner = ANY($1)", &[&owners]).await?;
    Ok(())
}
