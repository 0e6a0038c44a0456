//! Bounded re-signing and the cached CRL (issue 20 item 6): one node token
//! cannot grow the public CRL without limit, and the CRL is signed once per
//! revocation, not once per request, while staying current whichever
//! instance revoked.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::certificates::bundle;
use crate::support::{TestApp, TestDb};

fn csr() -> String {
    let key = rcgen::KeyPair::generate().expect("key");
    rcgen::CertificateParams::default().serialize_request(&key).expect("csr").pem().expect("pem")
}

async fn crl(app: &TestApp) -> Vec<u8> {
    let response = app.http.get(app.url("/ca/crl")).send().await.expect("crl");
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.expect("der").to_vec()
}

fn revoked_count(der: &[u8]) -> usize {
    let (_, crl) = x509_parser::parse_x509_crl(der).expect("a CRL");
    crl.iter_revoked_certificates().count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_gets_five_replacement_certificates_then_a_409() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    let path = format!("/clone-sessions/{id}/csr?role=target");
    // The certificate issued at creation is the first of six.
    for n in 1..=5 {
        let (status, body) = app.as_node(id, "target").post(&path, json!({"csr_pem": csr()})).await;
        assert_eq!(status, StatusCode::OK, "replacement {n}: {body}");
    }
    let (status, body) = app.as_node(id, "target").post(&path, json!({"csr_pem": csr()})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.contains("target role already has 6 certificates"), "{detail}");
    assert_eq!(revoked_count(&crl(&app).await), 5, "the CRL grew by the five replaced, no more");

    let (status, body) = app
        .as_node(id, "source")
        .post(&format!("/clone-sessions/{id}/csr?role=source"), json!({"csr_pem": csr()}))
        .await;
    assert_eq!(status, StatusCode::OK, "the other role has its own count: {body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_crl_is_signed_once_per_revocation_and_follows_another_instances_revocations() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    let mut serials = Vec::new();
    for role in ["source", "target"] {
        let (_, pem) = x509_parser::pem::parse_x509_pem(bundle(&app, id, role).await.cert_pem.as_bytes()).expect("pem");
        serials.push(pem.parse_x509().expect("der").raw_serial_as_string().replace(':', ""));
    }
    let first = crl(&app).await;
    assert_eq!(revoked_count(&first), 0);
    // thisUpdate has one-second resolution: a CRL signed again would differ.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.source_ready(id, 100).await;
    app.progress(id, 10).await;
    assert_eq!(crl(&app).await, first, "events that revoke nothing keep the signed CRL");

    // Another instance on the same database (and CA) ends the session: this
    // instance's cached CRL must not hide the revocation.
    let other = TestApp::spawn_in(
        TestDb { name: app.db.name.clone(), config: app.db.config.clone() },
        &[],
        app.data_dir.clone(),
    )
    .await;
    let token = app.node_token(id, "target");
    let (status, body) =
        other.call(Method::POST, &format!("/clone-sessions/{id}/complete"), Some(&token), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = crl(&app).await;
    let (_, parsed) = x509_parser::parse_x509_crl(&after).expect("CRL");
    let mut revoked: Vec<String> =
        parsed.iter_revoked_certificates().map(|r| r.raw_serial_as_string().replace(':', "")).collect();
    revoked.sort();
    serials.sort();
    assert_eq!(revoked, serials, "both certificates of the ended session, at once");
}
