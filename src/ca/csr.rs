//! Signing a node's CSR, so its private key never leaves the node.
//!
//! Only the CSR's public key and self-signature are used. Its subject, SANs
//! and extensions are ignored: the controller decides CN, EKU, SAN and
//! validity exactly as for a certificate it generates itself.

use std::net::IpAddr;

use rcgen::SubjectPublicKeyInfo;
use uuid::Uuid;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;

use super::{CaError, CertificateAuthority, IssuedCertificate};
use crate::domain::clone_session::Role;

impl CertificateAuthority {
    pub fn issue_for_csr(
        &self,
        session: Uuid,
        role: Role,
        csr_pem: &str,
        san_ip: Option<IpAddr>,
    ) -> Result<IssuedCertificate, CaError> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(csr_pem.as_bytes())
            .map_err(|_| CaError::Csr("not a PEM document".into()))?;
        if pem.label != "CERTIFICATE REQUEST" {
            return Err(CaError::Csr(format!("expected a CERTIFICATE REQUEST, got {}", pem.label)));
        }
        let (_, csr) = X509CertificationRequest::from_der(&pem.contents)
            .map_err(|_| CaError::Csr("not a PKCS#10 certificate request".into()))?;
        csr.verify_signature().map_err(|_| CaError::Csr("the request's signature does not verify".into()))?;
        let public_key = SubjectPublicKeyInfo::from_der(csr.certification_request_info.subject_pki.raw)
            .map_err(|_| CaError::Csr("unsupported public key".into()))?;
        let (params, facts) = self.session_params(session, role, san_ip)?;
        let cert = params.signed_by(&public_key, &self.issuer)?;
        let facts = facts.with_fingerprint(cert.der());
        Ok(IssuedCertificate { cert_pem: cert.pem(), key_pem: None, facts })
    }
}
