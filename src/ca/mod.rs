//! The certificate authority that lets a source and a target node trust each
//! other for one clone session, and the sealed storage of what must stay secret.
//!
//! The CA key and certificate live in the database, shared by every instance
//! ([`keys`]); they are generated on first start and loaded afterwards, so a
//! restart never changes the CA (`cert_dir` only holds the CA of an older data
//! directory, imported once). Session certificates: CN `clone-{id}-{role}`, O `PureBoot`,
//! CA:false, serverAuth for the source and clientAuth for the target, SAN DNS =
//! CN plus the IP of the role's node when it registered one (whether the
//! controller made the key or signed a CSR), valid for
//! `session_cert_validity_hours`.

mod authority;
mod crl;
mod csr;
mod files;
pub mod keys;
pub mod secret_box;
mod settings;

pub use authority::{CertificateAuthority, IssuedCertificate, hex};
pub use crl::{CrlCache, Revoked};
pub use secret_box::SecretBox;
pub use settings::CaSettings;

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("CA configuration: {0}")]
    Config(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0} is readable by group or others; run `chmod 600 {0}` (refusing to start)")]
    Permissions(String),
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("certificate signing request refused: {0}")]
    Csr(String),
    #[error("sealed secret could not be opened (wrong master key or corrupted data)")]
    Unseal,
}
