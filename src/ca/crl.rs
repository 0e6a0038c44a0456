//! The certificate revocation list: every session certificate whose session
//! ended (or that a CSR replaced) and that has not expired yet.

use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevocationReason, RevokedCertParams, SerialNumber};
use time::{Duration, OffsetDateTime};

use super::{CaError, CertificateAuthority};

/// How long a CRL is valid; clients fetch a fresh one before then.
const CRL_VALIDITY: Duration = Duration::hours(1);

pub struct Revoked {
    /// Hex serial, as recorded in the `certificate_issued` event.
    pub serial: String,
    pub revoked_at: OffsetDateTime,
    /// True when a newer certificate for the same role replaced it.
    pub superseded: bool,
}

impl CertificateAuthority {
    /// A DER CRL signed by the CA; `number` must grow with every change.
    pub fn crl(&self, revoked: &[Revoked], number: u64) -> Result<Vec<u8>, CaError> {
        let now = OffsetDateTime::now_utc();
        let params = CertificateRevocationListParams {
            this_update: now,
            next_update: now + CRL_VALIDITY,
            crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs: revoked.iter().filter_map(entry).collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.der().to_vec())
    }
}

fn entry(revoked: &Revoked) -> Option<RevokedCertParams> {
    let serial = (0..revoked.serial.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(revoked.serial.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    Some(RevokedCertParams {
        serial_number: SerialNumber::from_slice(&serial),
        revocation_time: revoked.revoked_at,
        reason_code: Some(if revoked.superseded {
            RevocationReason::Superseded
        } else {
            RevocationReason::CessationOfOperation
        }),
        invalidity_date: None,
    })
}
