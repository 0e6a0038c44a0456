//! The keys every controller instance shares, kept in the database
//! (`controller_keys`), sealed with a key-encryption key (KEK).
//!
//! The KEK is the one secret the instances must be given alike: a file of 32
//! random bytes, mode 600 (`PUREBOOT_KEK_FILE`). Without that setting it is
//! `<data-dir>/kek.key`, generated on first start — the single-instance quick
//! start needs nothing more. Whichever instance starts first stores the
//! master key (which seals `secrets`) and the CA; the others read them back,
//! so certificates from any instance chain to one CA and a key sealed on one
//! opens on another. An instance whose KEK does not open them refuses to
//! start, rather than make a second CA. A data directory from before keys
//! moved to the database has its `master.key` and `certs/ca.{key,crt}`
//! imported on first start, so nothing already issued or sealed changes.

use std::path::{Path, PathBuf};

use deadpool_postgres::Pool;

use super::secret_box::random_key;
use super::{CaError, CaSettings, CertificateAuthority, SecretBox, files};

const MASTER_KEY: &str = "master_key";
const CA: &str = "ca";

/// Why the shared keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error(
        "the key-encryption key {0} does not open the keys in the database (they were sealed with another one): \
         give this instance the same PUREBOOT_KEK_FILE as the others; refusing to start rather than create a second CA"
    )]
    WrongKek(String),
    #[error(transparent)]
    Ca(#[from] CaError),
    #[error("database: {}", crate::db::describe(.0))]
    Database(#[from] tokio_postgres::Error),
    #[error("database unavailable: {0}")]
    Unavailable(#[from] deadpool_postgres::PoolError),
}

/// The shared keys, opened.
pub struct SharedKeys {
    /// Seals private keys in `secrets`.
    pub secrets: SecretBox,
    /// `None` when the CA is disabled.
    pub ca: Option<CertificateAuthority>,
}

/// The KEK: from `file` when given (it must exist), else
/// `<data-dir>/kek.key`, created when absent. Returns it and where it came from.
pub fn load_kek(file: Option<&Path>, data_dir: &Path) -> Result<(SecretBox, PathBuf), CaError> {
    if let Some(path) = file {
        return Ok((SecretBox::load(path)?, path.to_owned()));
    }
    let path = data_dir.join("kek.key");
    if !path.exists() {
        tracing::warn!(
            path = %path.display(),
            "generated a key-encryption key; every controller sharing this database needs a copy \
             (set PUREBOOT_KEK_FILE), and losing it loses the CA and every sealed secret"
        );
    }
    Ok((SecretBox::load_or_create(&path)?, path))
}

/// Opens (or, on the very first start, stores) the master key and the CA.
pub async fn load(
    pool: &Pool,
    kek: &SecretBox,
    kek_source: &Path,
    ca: &CaSettings,
    data_dir: &Path,
) -> Result<SharedKeys, KeysError> {
    let wrong_kek = |_| KeysError::WrongKek(kek_source.display().to_string());
    let legacy_master = data_dir.join("master.key");
    let master = stored(pool, kek, MASTER_KEY, || {
        let key = if legacy_master.exists() { files::read_private(&legacy_master)? } else { random_key()?.to_vec() };
        Ok((key, None))
    })
    .await?;
    let secrets = SecretBox::from_key(&master.0.map_err(wrong_kek)?)?;
    let ca = if ca.enabled {
        ca.validate()?;
        let (key, cert) = stored(pool, kek, CA, || legacy_or_new_ca(ca)).await?;
        let key = String::from_utf8(key.map_err(wrong_kek)?).map_err(|_| CaError::Unseal)?;
        let cert = cert.ok_or_else(|| CaError::Config("the stored CA has no certificate".into()))?;
        Some(CertificateAuthority::from_pem(ca, &key, &cert)?)
    } else {
        None
    };
    Ok(SharedKeys { secrets, ca })
}

/// The master key, for tools and tests that read `secrets` directly.
pub async fn master_key(pool: &Pool, kek: &SecretBox) -> Result<SecretBox, KeysError> {
    let conn = pool.get().await?;
    let row = conn.query_one("SELECT sealed FROM controller_keys WHERE name = $1", &[&MASTER_KEY]).await?;
    let key = kek.open(&context(MASTER_KEY), row.get(0))?;
    Ok(SecretBox::from_key(&key)?)
}

/// Re-seals every shared key, sealed now with `old` (read from
/// `old_source`), with `new`, in one transaction; returns how many. Running
/// instances are unaffected (they hold the keys opened); each must be given
/// `new` before its next start.
pub async fn rotate(pool: &Pool, old: &SecretBox, old_source: &Path, new: &SecretBox) -> Result<usize, KeysError> {
    let mut conn = pool.get().await?;
    let tx = conn.transaction().await?;
    let rows = tx.query("SELECT name, sealed FROM controller_keys ORDER BY name FOR UPDATE", &[]).await?;
    for row in &rows {
        let name: String = row.try_get(0)?;
        let plain = old
            .open(&context(&name), row.try_get(1)?)
            .map_err(|_| KeysError::WrongKek(old_source.display().to_string()))?;
        let sealed = new.seal(&context(&name), &plain)?;
        tx.execute("UPDATE controller_keys SET sealed = $2 WHERE name = $1", &[&name, &sealed]).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// The plaintext of key `name` (or why it would not open) and its
/// certificate, storing `create()`'s first unless another instance stored
/// one before: insert-if-absent, then read back, so concurrent first starts
/// all end up with the row that won.
async fn stored(
    pool: &Pool,
    kek: &SecretBox,
    name: &str,
    create: impl FnOnce() -> Result<(Vec<u8>, Option<String>), CaError>,
) -> Result<(Result<Vec<u8>, CaError>, Option<String>), KeysError> {
    let conn = pool.get().await?;
    let read = "SELECT sealed, certificate FROM controller_keys WHERE name = $1";
    let row = match conn.query_opt(read, &[&name]).await? {
        Some(row) => row,
        None => {
            let (plain, certificate) = create()?;
            let sealed = kek.seal(&context(name), &plain)?;
            let insert = "INSERT INTO controller_keys (name, sealed, certificate) VALUES ($1, $2, $3) \
                          ON CONFLICT (name) DO NOTHING";
            if conn.execute(insert, &[&name, &sealed, &certificate]).await? == 1 {
                tracing::info!(key = name, "stored a new shared key in the database");
            }
            conn.query_one(read, &[&name]).await?
        }
    };
    Ok((kek.open(&context(name), row.get(0)), row.get(1)))
}

/// The CA of a data directory from before keys moved to the database, or a new one.
fn legacy_or_new_ca(settings: &CaSettings) -> Result<(Vec<u8>, Option<String>), CaError> {
    let (key_path, cert_path) = (settings.cert_dir.join("ca.key"), settings.cert_dir.join("ca.crt"));
    let (key, cert) = if key_path.exists() && cert_path.exists() {
        tracing::info!(dir = %settings.cert_dir.display(), "importing the CA of this data directory into the database");
        let key = String::from_utf8(files::read_private(&key_path)?).map_err(|_| CaError::Unseal)?;
        let cert = String::from_utf8(files::read(&cert_path)?).map_err(|_| CaError::Unseal)?;
        (key, cert)
    } else {
        CertificateAuthority::generate(settings)?
    };
    Ok((key.into_bytes(), Some(cert)))
}

/// The additional data a key is sealed with: its row, so a sealed value
/// moved to another row does not open.
fn context(name: &str) -> String {
    format!("controller_keys/{name}")
}
