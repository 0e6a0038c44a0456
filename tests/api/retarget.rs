//! Retargeting a session hands the target role to another machine, and its
//! credentials with it (issue 20 item 1): the old target's token dies on
//! every route, its certificate goes on the CRL, and the new target gets a
//! token of its own (shown once) and a certificate naming its IP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use x509_parser::extensions::GeneralName;

use crate::certificates::bundle;
use crate::support::TestApp;

fn serial_and_san_ip(cert_pem: &str) -> (String, Vec<u8>) {
    let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes()).expect("PEM");
    let cert = pem.parse_x509().expect("DER");
    let san = cert.subject_alternative_name().expect("parse").expect("SAN").value.general_names.clone();
    let ip = san.iter().find_map(|n| if let GeneralName::IPAddress(ip) = n { Some(ip.to_vec()) } else { None });
    (cert.raw_serial_as_string().replace(':', ""), ip.unwrap_or_default())
}

async fn crl_serials(app: &TestApp) -> Vec<String> {
    let response = app.http.get(app.url("/ca/crl")).send().await.expect("crl");
    let der = response.bytes().await.expect("der");
    let (_, crl) = x509_parser::parse_x509_crl(&der).expect("a CRL");
    crl.iter_revoked_certificates().map(|r| r.raw_serial_as_string().replace(':', "")).collect()
}

fn csr() -> String {
    let key = rcgen::KeyPair::generate().expect("key");
    rcgen::CertificateParams::default().serialize_request(&key).expect("csr").pem().expect("pem")
}

/// Every route a session token can reach, for the target role's token.
fn node_routes(id: &str) -> Vec<(Method, String, Option<Value>)> {
    let progress = json!({"role": "target", "bytes_transferred": 1, "status": "transferring"});
    let ready = json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": 100, "device": "/dev/sda"});
    vec![
        (Method::GET, format!("/clone-sessions/{id}"), None),
        (Method::GET, format!("/clone-sessions/{id}/certs?role=target"), None),
        (Method::POST, format!("/clone-sessions/{id}/csr?role=target"), Some(json!({"csr_pem": csr()}))),
        (Method::POST, format!("/clone-sessions/{id}/source-ready"), Some(ready)),
        (Method::POST, format!("/clone-sessions/{id}/progress"), Some(progress)),
        (Method::POST, format!("/clone-sessions/{id}/complete"), Some(json!({}))),
        (Method::POST, format!("/clone-sessions/{id}/failed"), Some(json!({"error": "boom"}))),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_target_retires_the_old_targets_token_certificate_and_key() {
    // Given a direct session whose target has fetched its key with its token
    // (which this instance now holds in its token cache)
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    let old_token = app.node_token(id, "target");
    let old = bundle(&app, id, "target").await;
    let (old_serial, _) = serial_and_san_ip(&old.cert_pem);
    let (status, body) = app.call(Method::GET, &format!("/clone-sessions/{id}"), Some(&old_token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // When an operator moves the target to another node
    let (status, body) = app
        .post("/nodes", json!({"mac_address": "52:54:00:12:34:56", "hostname": "spare", "ip_address": "10.0.0.77"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let spare = body["data"]["id"].as_str().expect("node id").to_owned();
    let (status, body) = app.patch(&format!("/clone-sessions/{id}"), json!({"target_node_id": spare})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Then the response carries the new target's token, once
    let issued = &body["data"]["node_token"];
    assert_eq!(issued["role"], "target", "{body}");
    let new_token = issued["token"].as_str().expect("token").to_owned();
    assert!(new_token.starts_with(&format!("pbn_{}_target_", id.replace('-', ""))), "{new_token}");
    assert_ne!(new_token, old_token);
    assert!(issued["agent_parameters"].as_str().is_some_and(|p| p.contains(&new_token)), "{body}");
    let (status, body) = app.patch(&format!("/clone-sessions/{id}"), json!({"target_node_id": spare})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["data"].get("node_token").is_none(), "no change, no new token: {body}");

    // and the old token is refused on every route a node token reaches
    for (method, path, body) in node_routes(id) {
        let (status, answer) = app.call(method.clone(), &path, Some(&old_token), body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {answer}");
    }

    // and the new target's certificate and key are new, naming its own IP
    let new = bundle(&app, id, "target").await;
    let (new_serial, new_ip) = serial_and_san_ip(&new.cert_pem);
    assert_ne!(new_serial, old_serial);
    assert_ne!(new.key_pem, old.key_pem, "the old key was discarded");
    assert_eq!(new_ip, vec![10, 0, 0, 77]);
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/clone-sessions/{id}/csr?role=target"),
            Some(&new_token),
            Some(json!({"csr_pem": csr()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the new token works: {body}");

    // and the old certificate is on the CRL
    let revoked = crl_serials(&app).await;
    assert!(revoked.contains(&old_serial), "{old_serial} not in {revoked:?}");
    // while the source keeps its credentials
    let (status, body) = app.source_ready(id, 100).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_staged_session_retargeted_replaces_the_target_token_too() {
    let app = TestApp::spawn().await;
    let backend = app.nfs_backend("nfs").await;
    let source = app.node("source").await;
    let target = app.node("target").await;
    let spec = json!({"clone_mode": "staged", "source_node_id": source, "target_node_id": target,
        "staging_backend_id": backend});
    let (status, body) = app.post("/clone-sessions", spec).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["data"]["id"].as_str().expect("id").to_owned();
    let old_token = app.node_token(&id, "target");

    let other = app.node("other").await;
    let (status, body) = app.patch(&format!("/clone-sessions/{id}"), json!({"target_node_id": other})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_token = body["data"]["node_token"]["token"].as_str().expect("a new token").to_owned();
    assert!(body["data"]["node_token"].get("agent_parameters").is_none(), "staged: no agent line");

    let path = format!("/clone-sessions/{id}");
    let (status, _) = app.call(Method::GET, &path, Some(&old_token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app.call(Method::GET, &path, Some(&new_token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
