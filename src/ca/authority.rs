use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber, SignatureAlgorithm,
};
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{CaError, CaSettings};
use crate::domain::clone_session::{CertificateIssued, Role};

/// How far `not_before` is moved into the past, so a node whose clock is a
/// little behind still accepts a certificate issued a moment ago.
const BACKDATE: Duration = Duration::minutes(1);

/// A session certificate just issued. `key_pem` is `None` when the node sent
/// a CSR and therefore keeps its private key to itself.
pub struct IssuedCertificate {
    pub cert_pem: String,
    pub key_pem: Option<String>,
    pub facts: CertificateIssued,
}

pub struct CertificateAuthority {
    pub(super) issuer: Issuer<'static, KeyPair>,
    ca_pem: String,
    algorithm: &'static SignatureAlgorithm,
    validity: Duration,
}

impl CertificateAuthority {
    /// Generates a new CA: its private key and self-signed certificate (PEM).
    pub fn generate(settings: &CaSettings) -> Result<(String, String), CaError> {
        settings.validate()?;
        generate_ca(settings.algorithm()?, settings.ca_validity_years)
    }

    /// The CA of `key_pem` and `cert_pem`, issuing with `settings`.
    pub fn from_pem(settings: &CaSettings, key_pem: &str, cert_pem: &str) -> Result<Self, CaError> {
        settings.validate()?;
        let key = KeyPair::from_pem(key_pem)?;
        let issuer = Issuer::from_ca_cert_pem(cert_pem, key)?;
        Ok(Self {
            issuer,
            ca_pem: cert_pem.to_owned(),
            algorithm: settings.algorithm()?,
            validity: Duration::hours(i64::from(settings.session_cert_validity_hours)),
        })
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Issues a certificate and a fresh private key for one role of a session.
    pub fn issue(&self, session: Uuid, role: Role, san_ip: Option<IpAddr>) -> Result<IssuedCertificate, CaError> {
        let key = KeyPair::generate_for(self.algorithm)?;
        let (params, facts) = self.session_params(session, role, san_ip)?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let facts = facts.with_fingerprint(cert.der());
        Ok(IssuedCertificate { cert_pem: cert.pem(), key_pem: Some(key.serialize_pem()), facts })
    }

    /// The parameters the controller grants for a role. Everything a
    /// certificate says is decided here, never taken from a request.
    pub(super) fn session_params(
        &self,
        session: Uuid,
        role: Role,
        san_ip: Option<IpAddr>,
    ) -> Result<(CertificateParams, PendingFacts), CaError> {
        let common_name = format!("clone-{session}-{}", role.as_str());
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(OffsetDateTime::now_utc());
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(&common_name);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![match role {
            Role::Source => ExtendedKeyUsagePurpose::ServerAuth,
            Role::Target => ExtendedKeyUsagePurpose::ClientAuth,
        }];
        params.subject_alt_names = vec![SanType::DnsName(common_name.clone().try_into()?)];
        params.subject_alt_names.extend(san_ip.map(SanType::IpAddress));
        params.not_before = now - BACKDATE;
        params.not_after = now + self.validity;
        params.use_authority_key_identifier_extension = true;
        let serial = random_serial()?;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let facts = PendingFacts {
            role,
            serial: hex(&serial),
            subject: format!("CN={common_name},O=PureBoot"),
            not_before: params.not_before,
            not_after: params.not_after,
        };
        Ok((params, facts))
    }
}

/// Certificate facts known before signing; the fingerprint is added after.
pub(super) struct PendingFacts {
    role: Role,
    serial: String,
    subject: String,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl PendingFacts {
    pub(super) fn with_fingerprint(self, der: &[u8]) -> CertificateIssued {
        CertificateIssued {
            role: self.role,
            serial: self.serial,
            fingerprint_sha256: hex(digest(&SHA256, der).as_ref()),
            subject: self.subject,
            not_before: self.not_before,
            not_after: self.not_after,
        }
    }
}

fn generate_ca(algorithm: &'static SignatureAlgorithm, years: u32) -> Result<(String, String), CaError> {
    let key = KeyPair::generate_for(algorithm)?;
    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name("PureBoot CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params.not_before = now - BACKDATE;
    params.not_after = now + Duration::days(365 * i64::from(years));
    params.serial_number = Some(SerialNumber::from_slice(&random_serial()?));
    let cert = params.self_signed(&key)?;
    Ok((key.serialize_pem(), cert.pem()))
}

fn distinguished_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "PureBoot");
    name.push(DnType::CommonName, common_name);
    name
}

/// 128 random bits with the top bit clear, so the DER integer stays positive.
fn random_serial() -> Result<[u8; 16], CaError> {
    let mut serial = [0u8; 16];
    SystemRandom::new().fill(&mut serial).map_err(|_| CaError::Config("the system RNG failed".into()))?;
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    Ok(serial)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
