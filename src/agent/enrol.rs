//! Enrolment: pin the controller's CA by the fingerprint the operator gave
//! (no trust on first use), make a key pair here, and have the controller
//! sign a CSR for this session and role. The private key stays in memory:
//! it never leaves the node and is gone when the agent exits (a restarted
//! agent enrols again, which revokes the certificate it replaces).

use ring::digest::{SHA256, digest};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::AgentError;
use super::config::Role;
use super::controller::Controller;

/// This agent's TLS identity for the session.
pub struct Identity {
    pub ca: CertificateDer<'static>,
    pub cert: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl Identity {
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

/// The DER of the first certificate in `pem`.
pub fn certificate_der(pem: &str) -> Result<CertificateDer<'static>, String> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| format!("not a PEM certificate: {e}"))
}

/// Fetches and pins the CA, then obtains a certificate for `role`.
pub async fn enrol(controller: &Controller, role: Role, ca_sha256: &[u8]) -> Result<Identity, AgentError> {
    let unreachable = |e: String| AgentError::Failed(format!("cannot fetch the CA certificate: {e}"));
    let ca_pem = controller.ca_certificate().await.map_err(unreachable)?;
    let ca = certificate_der(&ca_pem).map_err(unreachable)?;
    let actual = digest(&SHA256, &ca);
    if actual.as_ref() != ca_sha256 {
        // Not reported as a session failure: whoever answered may not be our controller.
        return Err(AgentError::Config(format!(
            "the controller's CA certificate has SHA-256 {}, not the expected {}: refusing to trust it",
            crate::ca::hex(actual.as_ref()),
            crate::ca::hex(ca_sha256)
        )));
    }
    let key = rcgen::KeyPair::generate().map_err(|e| AgentError::Failed(format!("cannot generate a key pair: {e}")))?;
    let name = format!("clone-{}-{}", controller.session, role.as_str());
    let csr = rcgen::CertificateParams::new(vec![name])
        .and_then(|params| params.serialize_request(&key))
        .and_then(|csr| csr.pem())
        .map_err(|e| AgentError::Failed(format!("cannot make a CSR: {e}")))?;
    let cert_pem = controller.sign(role, &csr).await.map_err(|e| match e.contains("unreachable") {
        true => AgentError::Failed(format!("cannot get a certificate: {e}")),
        false => AgentError::Ended(format!("the controller refused to sign this agent's certificate: {e}")),
    })?;
    let cert = certificate_der(&cert_pem).map_err(AgentError::Failed)?;
    Ok(Identity { ca, cert, key_der: key.serialize_der() })
}
