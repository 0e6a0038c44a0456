//! The TLS configurations of the data plane: TLS 1.3 only, both sides
//! authenticated by certificates of the session's CA, each bound to one
//! session and one role.
//!
//! - The source accepts a client only if its certificate chains to the CA,
//!   carries the clientAuth EKU, is not on the CRL, and names
//!   `clone-{session}-target` (rustls' WebPKI verifier does the first three;
//!   [`SessionClientVerifier`] adds the name, so another session's target
//!   cannot connect).
//! - The target connects with the server name `clone-{session}-source`, so
//!   the standard WebPKI server verification (chain, serverAuth EKU, name,
//!   CRL) accepts only this session's source.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{ClientConfig, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme};
use uuid::Uuid;
use x509_parser::extensions::GeneralName;

use super::enrol::Identity;

/// The name the CA gives `role`'s certificate in `session`.
pub fn peer_name(session: Uuid, role: &str) -> String {
    format!("clone-{session}-{role}")
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(identity: &Identity) -> Result<Arc<RootCertStore>, String> {
    let mut roots = RootCertStore::empty();
    roots.add(identity.ca.clone()).map_err(|e| format!("the CA certificate is unusable: {e}"))?;
    Ok(Arc::new(roots))
}

fn crls(crl: Option<&[u8]>) -> Vec<CertificateRevocationListDer<'static>> {
    crl.map(|der| CertificateRevocationListDer::from(der.to_vec())).into_iter().collect()
}

/// The source's server configuration, requiring this session's target.
pub fn server_config(identity: &Identity, session: Uuid, crl: Option<&[u8]>) -> Result<Arc<ServerConfig>, String> {
    let webpki = WebPkiClientVerifier::builder_with_provider(roots(identity)?, provider())
        .with_crls(crls(crl))
        .build()
        .map_err(|e| format!("cannot build the client verifier: {e}"))?;
    let verifier = Arc::new(SessionClientVerifier { inner: webpki, name: peer_name(session, "target") });
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert.clone()], identity.key())
        .map_err(|e| format!("the source certificate is unusable: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The target's client configuration, presenting its certificate and
/// verifying the server against the CA (and the CRL).
pub fn client_config(identity: &Identity, crl: Option<&[u8]>) -> Result<ClientConfig, String> {
    let verifier = WebPkiServerVerifier::builder_with_provider(roots(identity)?, provider())
        .with_crls(crls(crl))
        .build()
        .map_err(|e| format!("cannot build the server verifier: {e}"))?;
    ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_webpki_verifier(verifier)
        .with_client_auth_cert(vec![identity.cert.clone()], identity.key())
        .map_err(|e| format!("the target certificate is unusable: {e}"))
}

/// WebPKI client verification plus the session binding: the end-entity
/// certificate must name exactly `name` among its DNS subject alternative names.
#[derive(Debug)]
pub struct SessionClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    name: String,
}

impl ClientCertVerifier for SessionClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self.inner.verify_client_cert(end_entity, intermediates, now)?;
        let presented = names(end_entity);
        if !presented.contains(&self.name) {
            let expected = &self.name;
            tracing::warn!(%expected, ?presented, "refused a client certificate of another session or role");
            return Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The DNS names of a certificate's subject alternative names.
fn names(der: &CertificateDer<'_>) -> Vec<String> {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else { return vec![] };
    let Ok(Some(san)) = cert.subject_alternative_name() else { return vec![] };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(name) => Some((*name).to_owned()),
            _ => None,
        })
        .collect()
}
