//! The CA: certificate properties, chaining, a real mutual-TLS handshake
//! between the two roles, persistence across restarts (in the database,
//! imported from an older data directory), refused settings.

use std::sync::Arc;

use reqwest::StatusCode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use x509_parser::extensions::GeneralName;
use x509_parser::pem::parse_x509_pem;

use crate::support::{TestApp, TestDb};

pub struct Bundle {
    pub cert_pem: String,
    pub key_pem: String,
    pub ca_pem: String,
}

pub async fn bundle(app: &TestApp, id: &str, role: &str) -> Bundle {
    let (status, body) = app.as_node(id, role).get(&format!("/clone-sessions/{id}/certs?role={role}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = |k: &str| body["data"][k].as_str().expect(k).to_owned();
    Bundle { cert_pem: text("cert_pem"), key_pem: text("key_pem"), ca_pem: text("ca_pem") }
}

#[tokio::test(flavor = "multi_thread")]
async fn session_certificates_have_the_promised_properties_and_chain_to_the_ca() {
    let app = TestApp::spawn().await;
    let session: Value = app.direct_session().await;
    let id = session["id"].as_str().expect("id");
    for (role, server_auth) in [("source", true), ("target", false)] {
        let bundle = bundle(&app, id, role).await;
        assert!(bundle.key_pem.contains("BEGIN PRIVATE KEY"));
        let (_, pem) = parse_x509_pem(bundle.cert_pem.as_bytes()).expect("cert PEM");
        let cert = pem.parse_x509().expect("cert DER");
        let (_, ca_pem) = parse_x509_pem(bundle.ca_pem.as_bytes()).expect("CA PEM");
        let ca = ca_pem.parse_x509().expect("CA DER");

        let cn = format!("clone-{id}-{role}");
        assert_eq!(cert.subject().iter_common_name().next().and_then(|c| c.as_str().ok()), Some(cn.as_str()));
        assert_eq!(cert.subject().iter_organization().next().and_then(|o| o.as_str().ok()), Some("PureBoot"));
        let constraints = cert.basic_constraints().expect("parse").expect("BasicConstraints present");
        assert!(!constraints.value.ca, "CA:false");
        let eku = cert.extended_key_usage().expect("parse").expect("EKU present").value;
        assert_eq!((eku.server_auth, eku.client_auth), (server_auth, !server_auth));
        let san = cert.subject_alternative_name().expect("parse").expect("SAN present").value;
        assert_eq!(
            san.general_names,
            vec![GeneralName::DNSName(&cn), GeneralName::IPAddress(&[10, 0, 0, 9])],
            "CN plus the node's registered IP"
        );
        let validity = cert.validity();
        let lifetime = validity.not_after.timestamp() - validity.not_before.timestamp();
        assert_eq!(lifetime, 24 * 3600 + 60, "24 h plus the one-minute backdate");
        assert_eq!(cert.issuer(), ca.subject());
        cert.verify_signature(Some(ca.public_key())).expect("signed by the CA");
        assert!(ca.basic_constraints().expect("parse").expect("present").value.ca);
        let ca_life = ca.validity().not_after.timestamp() - ca.validity().not_before.timestamp();
        assert!(ca_life >= 3650 * 86_400, "CA valid for ten years");
    }
}

/// The extensions of a certificate as (OID, critical, value): what must not
/// differ between the two ways of issuing.
fn extensions(cert_pem: &str) -> Vec<(String, bool, Vec<u8>)> {
    let (_, pem) = parse_x509_pem(cert_pem.as_bytes()).expect("cert PEM");
    let cert = pem.parse_x509().expect("cert DER");
    // The key identifier differs with the key; everything else must not.
    const SUBJECT_KEY_ID: &str = "2.5.29.14";
    cert.extensions()
        .iter()
        .map(|e| (e.oid.to_id_string(), e.critical, e.value.to_vec()))
        .filter(|(oid, ..)| oid != SUBJECT_KEY_ID)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn certificates_issued_at_creation_and_for_a_csr_carry_the_same_extensions() {
    let app = TestApp::spawn().await;
    let mut nodes = Vec::new();
    for (hostname, mac, ip) in [("src", "52:54:00:00:01:01", "10.1.0.1"), ("dst", "52:54:00:00:01:02", "10.1.0.2")] {
        let (status, body) =
            app.post("/nodes", serde_json::json!({"mac_address": mac, "hostname": hostname, "ip_address": ip})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        nodes.push(body["data"]["id"].as_str().expect("id").to_owned());
    }
    let (status, session) = app
        .post(
            "/clone-sessions",
            serde_json::json!({"clone_mode": "direct", "source_node_id": nodes[0], "target_node_id": nodes[1]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let id = session["data"]["id"].as_str().expect("id");
    for (role, ip) in [("source", [10, 1, 0, 1]), ("target", [10, 1, 0, 2])] {
        let created = bundle(&app, id, role).await;
        let (_, pem) = parse_x509_pem(created.cert_pem.as_bytes()).expect("cert PEM");
        let cert = pem.parse_x509().expect("cert DER");
        let san = cert.subject_alternative_name().expect("parse").expect("SAN").value.general_names.clone();
        let cn = format!("clone-{id}-{role}");
        assert_eq!(san, vec![GeneralName::DNSName(&cn), GeneralName::IPAddress(&ip)], "{role}: its own node's IP");

        let key = rcgen::KeyPair::generate().expect("key");
        let csr = rcgen::CertificateParams::default().serialize_request(&key).expect("csr").pem().expect("pem");
        let (status, signed) = app
            .as_node(id, role)
            .post(&format!("/clone-sessions/{id}/csr?role={role}"), serde_json::json!({"csr_pem": csr}))
            .await;
        assert_eq!(status, StatusCode::OK, "{signed}");
        let signed_pem = signed["data"]["cert_pem"].as_str().expect("cert");
        assert_eq!(extensions(signed_pem), extensions(&created.cert_pem), "{role}: the same extensions either way");
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(ca_pem: &str) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("CA")).expect("root");
    Arc::new(roots)
}

/// The certificate a bundle presents (alone: the peer trusts the CA).
fn chain(bundle: &Bundle) -> Vec<CertificateDer<'static>> {
    vec![CertificateDer::from_pem_slice(bundle.cert_pem.as_bytes()).expect("cert")]
}

fn key(bundle: &Bundle) -> PrivateKeyDer<'static> {
    PrivateKeyDer::from_pem_slice(bundle.key_pem.as_bytes()).expect("key")
}

/// A TLS server presenting `server`, requiring a client certificate from the
/// CA, and a client presenting `client`: does the handshake succeed?
async fn handshake(server: &Bundle, client: &Bundle, server_name: String) -> Result<(), String> {
    handshake_checking(server, client, server_name, None).await
}

/// As [`handshake`], with the client also checking the server against `crl` (DER).
pub async fn handshake_checking(
    server: &Bundle,
    client: &Bundle,
    server_name: String,
    crl: Option<Vec<u8>>,
) -> Result<(), String> {
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(&server.ca_pem), provider())
        .build()
        .map_err(|e| e.to_string())?;
    let server_config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain(server), key(server))
        .map_err(|e| e.to_string())?;
    let crls = crl.map(|der| vec![rustls::pki_types::CertificateRevocationListDer::from(der)]).unwrap_or_default();
    let server_verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(roots(&client.ca_pem), provider())
            .with_crls(crls)
            .build()
            .map_err(|e| e.to_string())?;
    let client_config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_webpki_verifier(server_verifier)
        .with_client_auth_cert(chain(client), key(client))
        .map_err(|e| e.to_string())?;
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    let acceptor = TlsAcceptor::from(Arc::new(server_config));
    let server_task = tokio::spawn(async move {
        let mut stream = acceptor.accept(server_io).await.map_err(|e| e.to_string())?;
        let mut buf = [0u8; 4];
        stream.read_exact(&mut buf).await.map_err(|e| e.to_string())?;
        stream.write_all(&buf).await.map_err(|e| e.to_string())?;
        stream.flush().await.map_err(|e| e.to_string())
    });
    let connector = TlsConnector::from(Arc::new(client_config));
    let name = ServerName::try_from(server_name).map_err(|e| e.to_string())?;
    let client_result = async {
        let mut stream = connector.connect(name, client_io).await.map_err(|e| e.to_string())?;
        stream.write_all(b"disk").await.map_err(|e| e.to_string())?;
        let mut echo = [0u8; 4];
        stream.read_exact(&mut echo).await.map_err(|e| e.to_string())?;
        if &echo != b"disk" {
            return Err("echo mismatch".to_owned());
        }
        Ok(())
    }
    .await;
    let server_result = server_task.await.map_err(|e| e.to_string())?;
    client_result.and(server_result)
}

#[tokio::test(flavor = "multi_thread")]
async fn source_and_target_complete_a_mutual_tls_handshake_and_swapped_roles_fail() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    let source = bundle(&app, id, "source").await;
    let target = bundle(&app, id, "target").await;

    handshake(&source, &target, format!("clone-{id}-source")).await.expect("source serves, target connects");
    let swapped = handshake(&target, &source, format!("clone-{id}-target")).await;
    assert!(
        swapped.is_err(),
        "a target certificate cannot serve and a source certificate cannot authenticate a client"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ca_survives_a_restart_and_its_key_is_sealed_in_the_database() {
    // Given a controller that created its CA
    let first = TestApp::spawn().await;
    let session = first.direct_session().await;
    let ca_before = bundle(&first, session["id"].as_str().expect("id"), "source").await.ca_pem;
    let client = first.db.client().await;
    let row = client.query_one("SELECT sealed, certificate FROM controller_keys WHERE name = 'ca'", &[]).await;
    let (sealed, certificate): (Vec<u8>, String) = row.map(|r| (r.get(0), r.get(1))).expect("the CA row");
    assert!(!sealed.windows(11).any(|w| w == b"PRIVATE KEY"), "the CA key is stored sealed");
    assert_eq!(certificate, ca_before);

    // When it restarts (in another data directory: nothing of the CA is on disk)
    let again = TestDb { name: first.db.name.clone(), config: first.db.config.clone() };
    let second = TestApp::spawn_with(again, &[]).await;

    // Then it issues under the same CA
    let session = second.direct_session().await;
    let bundle = bundle(&second, session["id"].as_str().expect("id"), "source").await;
    assert_eq!(bundle.ca_pem, ca_before, "restarting must not change the CA");
}

/// A data directory from before the keys moved to the database: its CA and
/// master key are imported on first start, so what was issued and sealed
/// under them stays valid.
#[tokio::test(flavor = "multi_thread")]
async fn a_data_dir_from_before_keeps_its_ca_and_master_key() {
    use std::os::unix::fs::OpenOptionsExt;
    let scratch = crate::support::scratch_dir("pbt-ca");
    let data_dir = scratch.join("data");
    let settings = crate::support::serve_config(&[]).ca.settings(&data_dir);
    let (key_pem, cert_pem) = pureboot::ca::CertificateAuthority::generate(&settings).expect("a CA");
    std::fs::create_dir_all(data_dir.join("certs")).expect("dir");
    let private = |name: &str, bytes: &[u8]| {
        let mut options = std::fs::OpenOptions::new();
        let mut file = options.write(true).create_new(true).mode(0o600).open(data_dir.join(name)).expect(name);
        std::io::Write::write_all(&mut file, bytes).expect(name);
    };
    private("certs/ca.key", key_pem.as_bytes());
    private("master.key", &[42u8; 32]);
    std::fs::write(data_dir.join("certs/ca.crt"), &cert_pem).expect("ca.crt");

    let app = TestApp::spawn_in(TestDb::new().await, &[], data_dir.clone()).await;

    let session = app.direct_session().await;
    assert_eq!(bundle(&app, session["id"].as_str().expect("id"), "source").await.ca_pem, cert_pem);
    let master = app.master_key().await;
    let old = pureboot::ca::SecretBox::load(&data_dir.join("master.key")).expect("old master key");
    let sealed = old.seal("row", b"sealed before the upgrade").expect("seal");
    assert_eq!(master.open("row", &sealed).expect("opens"), b"sealed before the upgrade");
}

#[tokio::test]
async fn unusable_ca_settings_and_loose_key_files_refuse_to_start() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new().await;
    let pool = db.pool();
    let scratch = crate::support::scratch_dir("pbt-ca");
    let data_dir = scratch.join("data");
    let config = crate::support::serve_config(&["--ca-key-algorithm", "RSA", "--ca-key-size", "2048"]);
    let refused =
        pureboot::app::App::start(pool.clone(), db.config.clone(), config, &data_dir, Default::default()).await;
    let message = refused.err().expect("RSA refused").to_string();
    assert!(message.contains("RSA"), "{message}");

    // A CA of an older data directory, whose key file others could read
    std::fs::create_dir_all(data_dir.join("certs")).expect("dir");
    for name in ["certs/ca.key", "certs/ca.crt"] {
        std::fs::write(data_dir.join(name), "-----BEGIN-----").expect("write");
    }
    std::fs::set_permissions(data_dir.join("certs/ca.key"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let config = crate::support::serve_config(&[]);
    let refused = pureboot::app::App::start(pool, db.config.clone(), config, &data_dir, Default::default()).await;
    let message = refused.err().expect("loose key refused").to_string();
    assert!(message.contains("chmod 600"), "{message}");
}

#[tokio::test]
async fn with_the_ca_disabled_certificates_are_a_503() {
    let app = TestApp::spawn_with(TestDb::new().await, &["--ca-enabled", "false"]).await;
    let id: &str = &app.direct_session_id().await;
    let (status, body) = app.as_node(id, "source").get(&format!("/clone-sessions/{id}/certs?role=source")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let path = format!("/clone-sessions/{id}/certs?role=middle");
    let (status, _) = app.call(reqwest::Method::GET, &path, Some(&app.node_token(id, "source")), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an authenticated node asking a bad role");
}

/// Rotating the key-encryption key re-seals the keys in the database: an
/// instance given the new key opens them (same CA), one given the old refuses.
#[tokio::test(flavor = "multi_thread")]
async fn rotating_the_kek_keeps_the_ca_and_refuses_the_old_key() {
    use std::os::unix::fs::PermissionsExt;
    let first = TestApp::spawn().await;
    let session = first.direct_session().await;
    let ca_before = bundle(&first, session["id"].as_str().expect("id"), "source").await.ca_pem;
    let old_path = std::path::Path::new(crate::support::test_kek());
    let keys = crate::support::scratch_dir("pbt-new-kek");
    let new_path = keys.join("kek");
    std::fs::write(&new_path, [3u8; 32]).expect("new kek");
    std::fs::set_permissions(&new_path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (old, new) =
        (pureboot::ca::SecretBox::load(old_path).expect("old"), pureboot::ca::SecretBox::load(&new_path).expect("new"));

    let rotated = pureboot::ca::keys::rotate(&first.db.pool(), &old, old_path, &new).await.expect("rotates");

    assert_eq!(rotated, 2, "the master key and the CA");
    let mut config = crate::support::serve_config(&[]);
    config.cluster.kek_file = Some(new_path);
    let scratch = crate::support::scratch_dir("pbt-ca");
    let data_dir = scratch.join("data");
    let started =
        pureboot::app::App::start(first.db.pool(), first.db.config.clone(), config, &data_dir, Default::default())
            .await
            .expect("starts with the new key");
    assert_eq!(started.ca.as_ref().map(|ca| ca.ca_pem()), Some(ca_before.as_str()), "the same CA");
    started.background.cancel();
    let scratch = crate::support::scratch_dir("pbt-ca");
    let data_dir = scratch.join("data");
    let config = crate::support::serve_config(&[]);
    let refused =
        pureboot::app::App::start(first.db.pool(), first.db.config.clone(), config, &data_dir, Default::default())
            .await;
    let message = refused.err().expect("the old key is refused").to_string();
    assert!(message.contains("does not open the keys"), "{message}");
}
