//! Nobody gets a key, a session or a callback that is not theirs.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::certificates::{Bundle, bundle, handshake_checking};
use crate::support::{ADMIN_TOKEN, TestApp, TestDb, scalar};
use pureboot::auth::{OperatorRole, operator_tokens};

#[tokio::test(flavor = "multi_thread")]
async fn operator_endpoints_need_a_valid_token_of_a_sufficient_role() {
    let app = TestApp::spawn().await;
    let viewer = app.as_operator(OperatorRole::Viewer).await;
    let operator = app.as_operator(OperatorRole::Operator).await;
    let source = app.node("s").await;
    let target = app.node("t").await;
    let session = json!({"clone_mode": "direct", "source_node_id": source, "target_node_id": target});

    for (token, status) in [
        (None, 401),
        (Some("nonsense"), 401),
        (Some("pbo_00000000000000000000000000000000_x"), 401),
        (Some(viewer.token()), 200),
    ] {
        let (got, body) = app.call(Method::GET, "/clone-sessions", token, None).await;
        assert_eq!(got.as_u16(), status, "{token:?}: {body}");
    }
    let (status, body) = viewer.post("/clone-sessions", session.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["detail"].as_str().expect("detail").contains("viewer"));
    let (status, created) = operator.post("/clone-sessions", session).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["data"]["created_by"], "operator:operator", "the actor is the token's name");
    let id = created["data"]["id"].as_str().expect("id");
    assert_eq!(viewer.delete(&format!("/clone-sessions/{id}")).await.0, 403);
    let node = json!({"mac_address": "52:54:00:00:99:01", "hostname": "x"});
    assert_eq!(operator.post("/nodes", node.clone()).await.0, 403, "nodes are admin's");
    assert_eq!(app.call(Method::POST, "/nodes", Some(ADMIN_TOKEN), Some(node)).await.0, 200);
    assert_eq!(app.call(Method::GET, "/ws", None, None).await.0, 401, "the WebSocket needs a token too");

    for public in ["/health", "/ready"] {
        assert_eq!(app.call(Method::GET, public, None, None).await.0, 200, "{public}");
    }
    let ca = app.http.get(app.url("/ca/certificate")).send().await.expect("ca");
    assert_eq!(ca.status(), 200);
    assert!(ca.text().await.expect("pem").contains("BEGIN CERTIFICATE"));

    operator_tokens::revoke(&app.db.pool(), "viewer").await.expect("revoke");
    let fresh = TestApp::spawn_with(TestDb { name: app.db.name.clone(), config: app.db.config.clone() }, &[]).await;
    assert_eq!(fresh.call(Method::GET, "/clone-sessions", Some(viewer.token()), None).await.0, 401, "revoked");
}

#[tokio::test(flavor = "multi_thread")]
async fn node_tokens_work_only_for_their_own_session_and_role() {
    let app = TestApp::spawn().await;
    let a = app.direct_session().await;
    let b = app.direct_session().await;
    let (a, b) = (a["id"].as_str().expect("id"), b["id"].as_str().expect("id"));
    let ready = json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": 100, "device": "/dev/sda"});
    let path = format!("/clone-sessions/{a}/source-ready");
    for (token, status) in [
        (app.node_token(a, "target"), 403),
        (app.node_token(b, "source"), 403),
        ("pbn_garbage".to_owned(), 401),
        // valid, but not a node token: 403 (SECURITY.md's rule)
        (ADMIN_TOKEN.to_owned(), 403),
        (app.node_token(a, "source"), 200),
    ] {
        let (got, body) = app.call(Method::POST, &path, Some(&token), Some(ready.clone())).await;
        assert_eq!(got.as_u16(), status, "{body}");
    }
    let progress = json!({"role": "source", "bytes_transferred": 1});
    let path = format!("/clone-sessions/{a}/progress");
    assert_eq!(app.call(Method::POST, &path, Some(&app.node_token(a, "target")), Some(progress.clone())).await.0, 403);
    assert_eq!(app.call(Method::POST, &path, Some(&app.node_token(a, "source")), Some(progress)).await.0, 200);

    let certs = format!("/clone-sessions/{a}/certs?role=source");
    assert_eq!(app.call(Method::GET, &certs, Some(&app.node_token(a, "target")), None).await.0, 403);
    assert_eq!(app.call(Method::GET, &certs, Some(&app.node_token(b, "source")), None).await.0, 403);
    assert_eq!(app.call(Method::GET, &certs, Some(ADMIN_TOKEN), None).await.0, 403, "not even admin gets a key");
    assert_eq!(app.call(Method::GET, &certs, None, None).await.0, 401);
    assert_eq!(app.call(Method::GET, &certs, Some(&app.node_token(a, "source")), None).await.0, 200);
}

fn malicious_csr() -> (String, rcgen::KeyPair) {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair};
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["evil.example".into(), "10.6.6.6".into()]).expect("params");
    params.distinguished_name.push(DnType::CommonName, "admin");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    let csr = params.serialize_request(&key).expect("csr").pem().expect("pem");
    (csr, key)
}

#[tokio::test(flavor = "multi_thread")]
async fn csr_signing_grants_only_what_the_controller_decides() {
    use x509_parser::extensions::GeneralName;
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    let (replaced, kept) = (bundle(&app, id, "target").await, bundle(&app, id, "source").await);
    let (csr, key) = malicious_csr();
    let (status, body) =
        app.as_node(id, "target").post(&format!("/clone-sessions/{id}/csr?role=target"), json!({"csr_pem": csr})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let cert_pem = body["data"]["cert_pem"].as_str().expect("cert");
    let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes()).expect("pem");
    let cert = pem.parse_x509().expect("der");
    let cn = format!("clone-{id}-target");
    assert_eq!(cert.subject().iter_common_name().next().and_then(|c| c.as_str().ok()), Some(cn.as_str()));
    let eku = cert.extended_key_usage().expect("parse").expect("eku").value;
    assert!(eku.client_auth && !eku.server_auth, "target gets clientAuth only");
    assert!(!cert.basic_constraints().expect("parse").expect("present").value.ca);
    let san = &cert.subject_alternative_name().expect("parse").expect("san").value.general_names;
    assert_eq!(
        san,
        &vec![GeneralName::DNSName(&cn), GeneralName::IPAddress(&[10, 0, 0, 9])],
        "CN + the node's registered IP"
    );
    assert_eq!(
        cert.public_key().subject_public_key.data.as_ref(),
        key.public_key_raw(),
        "signed for the CSR's own key"
    );

    let (status, _) = app.as_node(id, "target").get(&format!("/clone-sessions/{id}/certs?role=target")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the controller no longer holds a key for the role");
    let revoked = crl_serials(&app).await;
    assert_eq!(revoked, vec![serial_of(&replaced)], "the replaced certificate is revoked, the others are not");
    assert_ne!(serial_of(&kept), serial_of(&replaced));

    let (status, body) = app
        .as_node(id, "target")
        .post(&format!("/clone-sessions/{id}/csr?role=target"), json!({"csr_pem": "junk"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let tampered = {
        let mut der = pem::parse(csr.as_bytes()).expect("pem").into_contents();
        let last = der.len() - 3;
        der[last] ^= 0x55;
        pem::encode(&pem::Pem::new("CERTIFICATE REQUEST", der))
    };
    let (status, body) = app
        .as_node(id, "target")
        .post(&format!("/clone-sessions/{id}/csr?role=target"), json!({"csr_pem": tampered}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a CSR whose signature does not verify: {body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn private_keys_are_stored_encrypted() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    let served = bundle(&app, id, "source").await;
    let client = app.db.client().await;
    let stored: Vec<u8> = scalar(
        &client,
        "SELECT value FROM secrets WHERE owner = $1 AND kind = 'key:source'",
        &[&format!("clone_session:{id}")],
    )
    .await;
    assert!(!stored.windows(11).any(|w| w == b"PRIVATE KEY"), "not plain PEM");
    assert!(!stored.windows(16).any(|w| w == &served.key_pem.as_bytes()[40..56]), "no PEM fragment either");
    let secret_box = app.master_key().await;
    let opened =
        secret_box.open(&format!("clone_session:{id}/key:source"), &stored).expect("opens with the master key");
    assert_eq!(opened, served.key_pem.as_bytes());
}

#[tokio::test(flavor = "multi_thread")]
async fn ended_sessions_are_revoked_and_a_crl_checking_client_refuses_them() {
    let app = TestApp::spawn().await;
    let ended = app.direct_session().await;
    let ended = ended["id"].as_str().expect("id");
    let (ended_source, ended_target) = (bundle(&app, ended, "source").await, bundle(&app, ended, "target").await);
    app.source_ready(ended, 10).await;
    app.as_node(ended, "target").post(&format!("/clone-sessions/{ended}/complete"), json!({})).await;
    let live = app.direct_session().await;
    let live = live["id"].as_str().expect("id");
    let (live_source, live_target) = (bundle(&app, live, "source").await, bundle(&app, live, "target").await);

    let response = app.http.get(app.url("/ca/crl")).send().await.expect("crl");
    assert_eq!(response.headers()["content-type"], "application/pkix-crl");
    let der = response.bytes().await.expect("der").to_vec();
    let revoked = revoked_serials(&der);
    assert!(revoked.contains(&serial_of(&ended_source)) && revoked.contains(&serial_of(&ended_target)), "{revoked:?}");
    assert!(!revoked.contains(&serial_of(&live_source)));

    let name = |id: &str| format!("clone-{id}-source");
    handshake_checking(&live_source, &live_target, name(live), Some(der.clone())).await.expect("a live pair works");
    let refused = handshake_checking(&ended_source, &live_target, name(ended), Some(der)).await;
    assert!(refused.expect_err("revoked").to_lowercase().contains("revoked"));
}

fn revoked_serials(der: &[u8]) -> Vec<String> {
    let (_, crl) = x509_parser::parse_x509_crl(der).expect("a CRL");
    crl.iter_revoked_certificates().map(|r| r.raw_serial_as_string().replace(':', "")).collect()
}

async fn crl_serials(app: &TestApp) -> Vec<String> {
    let response = app.http.get(app.url("/ca/crl")).send().await.expect("crl");
    revoked_serials(&response.bytes().await.expect("der"))
}

fn serial_of(bundle: &Bundle) -> String {
    let (_, pem) = x509_parser::pem::parse_x509_pem(bundle.cert_pem.as_bytes()).expect("pem");
    pem.parse_x509().expect("der").raw_serial_as_string().replace(':', "")
}

/// Runs a whole workflow against the real binary (first start: it makes and
/// prints the admin token), then scans the log file, the events table, the
/// WebSocket messages and list responses for every key and token issued.
#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_the_log_the_events_the_websocket_or_lists() {
    use std::process::{Command, Stdio};
    let db = TestDb::new().await;
    let dir = crate::support::scratch_dir("pbt-scan");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pureboot"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--log-level", "debug"])
        .env("DATABASE_URL", crate::projections::connection_string(&db))
        .env("PUREBOOT_DATA_DIR", dir.as_os_str())
        .env_remove("PUREBOOT_ADMIN_TOKEN")
        .stdout(std::fs::File::create(dir.join("stdout")).expect("stdout"))
        .stderr(std::fs::File::create(dir.join("controller.log")).expect("log"))
        .stdin(Stdio::null())
        .spawn()
        .expect("controller starts");
    let admin = wait_for_printed_token(&dir.join("stdout")).await;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let http = reqwest::Client::new();
    let call = |method: Method, path: String, token: String, body: Option<Value>| {
        let mut request = http.request(method, format!("{base}{path}")).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { request.send().await.expect("request").json::<Value>().await.expect("json") }
    };

    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/v1/ws?token={admin}")).await.expect("ws");
    let mut secrets = vec![admin.clone()];
    let mut nodes = Vec::new();
    for n in 0..2 {
        let node = call(
            Method::POST,
            "/nodes".into(),
            admin.clone(),
            Some(json!({"mac_address": format!("52:54:00:00:77:0{n}"), "hostname": "n", "ip_address": "10.0.0.8"})),
        )
        .await;
        secrets.push(node["data"]["node_token"].as_str().expect("node token").to_owned());
        nodes.push(node["data"]["id"].clone());
    }
    let session = call(
        Method::POST,
        "/clone-sessions".into(),
        admin.clone(),
        Some(json!({"clone_mode": "direct", "source_node_id": nodes[0], "target_node_id": nodes[1]})),
    )
    .await;
    let id = session["data"]["id"].as_str().expect("id").to_owned();
    let (source, target) = (
        session["data"]["node_tokens"]["source"].as_str().expect("s").to_owned(),
        session["data"]["node_tokens"]["target"].as_str().expect("t").to_owned(),
    );
    secrets.extend([source.clone(), target.clone()]);
    let source_bundle =
        call(Method::GET, format!("/clone-sessions/{id}/certs?role=source"), source.clone(), None).await;
    let (csr, _) = malicious_csr();
    call(Method::POST, format!("/clone-sessions/{id}/csr?role=target"), target.clone(), Some(json!({"csr_pem": csr})))
        .await;
    call(
        Method::POST,
        format!("/clone-sessions/{id}/source-ready"),
        source.clone(),
        Some(json!({"ip": "10.0.0.8", "port": 9999, "size_bytes": 100, "device": "/dev/sda"})),
    )
    .await;
    call(
        Method::POST,
        format!("/clone-sessions/{id}/progress"),
        target.clone(),
        Some(json!({"role": "target", "bytes_transferred": 50})),
    )
    .await;
    call(Method::POST, format!("/clone-sessions/{id}/complete"), target.clone(), None).await;
    // Storage credentials: set on creation, replaced by a PATCH.
    let (first_secret, second_secret) = ("wJalrXUtnFEMI-first-backend-secret", "wJalrXUtnFEMI-second-backend-secret");
    secrets.extend([first_secret.to_owned(), second_secret.to_owned()]);
    let backend = call(
        Method::POST,
        "/storage/backends".into(),
        admin.clone(),
        Some(json!({"name": "s3", "type": "s3", "config": {"bucket": "b", "secret_access_key": first_secret}})),
    )
    .await;
    let backend_id = backend["data"]["id"].as_str().expect("backend id").to_owned();
    let patched = call(
        Method::PATCH,
        format!("/storage/backends/{backend_id}"),
        admin.clone(),
        Some(json!({"config": {"bucket": "b", "secret_access_key": second_secret}})),
    )
    .await;
    assert_eq!(patched["data"]["config"]["has_secret_access_key"], true, "{patched}");
    let lists = [
        backend,
        patched,
        call(Method::GET, "/storage/backends".into(), admin.clone(), None).await,
        call(Method::GET, format!("/storage/backends/{backend_id}"), admin.clone(), None).await,
        call(Method::GET, "/clone-sessions".into(), admin.clone(), None).await,
        call(Method::GET, "/nodes".into(), admin.clone(), None).await,
        call(Method::GET, format!("/clone-sessions/{id}/history"), admin.clone(), None).await,
    ];
    let mut messages = String::new();
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(std::time::Duration::from_millis(500), futures::StreamExt::next(&mut ws)).await
    {
        messages.push_str(&message.to_string());
    }
    assert!(messages.contains("clone.completed"), "the WebSocket saw the workflow");
    child.kill().expect("stop");
    child.wait().expect("reaped");

    let key_pem = source_bundle["data"]["key_pem"].as_str().expect("a key was issued").to_owned();
    let log = std::fs::read_to_string(dir.join("controller.log")).expect("log");
    assert!(log.contains("listening"), "the log was captured");
    let client = db.client().await;
    let events: String = scalar(&client, "SELECT string_agg(row_to_json(e)::text, E'\\n') FROM events e", &[]).await;
    let lists: String = lists.iter().map(Value::to_string).collect();
    let mut needles: Vec<String> =
        secrets.iter().flat_map(|s| [s.clone(), pureboot::ca::hex(&pureboot::auth::hash(s))]).collect();
    needles.push("PRIVATE KEY".into());
    needles.push(key_pem.lines().nth(1).expect("key body").to_owned());
    for (place, text) in [("log", &log), ("events", &events), ("websocket", &messages), ("lists", &lists)] {
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "a secret ({}…) leaked into the {place}",
                &needle[..needle.len().min(12)]
            );
        }
    }
    let stdout = std::fs::read_to_string(dir.join("stdout")).expect("stdout");
    assert_eq!(stdout.matches(admin.as_str()).count(), 1, "the admin token is printed exactly once");
}

async fn wait_for_printed_token(stdout: &std::path::Path) -> String {
    for _ in 0..300 {
        let text = std::fs::read_to_string(stdout).unwrap_or_default();
        if let Some(token) = text.lines().find(|l| l.starts_with("pbo_")) {
            return token.trim().to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the controller printed no admin token");
}

#[tokio::test]
async fn the_ui_is_served_with_security_headers() {
    let app = TestApp::spawn().await;
    let response = app.http.get(format!("http://{}/clone/some-id", app.addr)).send().await.expect("ui");
    let headers = response.headers();
    assert!(headers["content-security-policy"].to_str().expect("csp").contains("default-src 'self'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    let api = app.http.get(app.url("/nope")).send().await.expect("api");
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.json::<Value>().await.expect("json")["success"], false, "unknown API paths get JSON, not the UI");
}

#[tokio::test(flavor = "multi_thread")]
async fn node_tokens_for_disks_are_per_node_and_rotatable() {
    let app = TestApp::spawn().await;
    let (_, first) = app.post("/nodes", json!({"mac_address": "52:54:00:00:55:01", "hostname": "a"})).await;
    let (_, second) = app.post("/nodes", json!({"mac_address": "52:54:00:00:55:02", "hostname": "b"})).await;
    let (a, token_a) =
        (first["data"]["id"].as_str().expect("id"), first["data"]["node_token"].as_str().expect("token"));
    let token_b = second["data"]["node_token"].as_str().expect("token");
    let disk = json!({"device": "/dev/sda", "size_bytes": 1_000_000_000, "partition_table": "gpt", "partitions": []});
    let report = json!({"disks": [disk]});
    let path = format!("/nodes/{a}/disks/report");
    assert_eq!(app.call(Method::POST, &path, Some(token_b), Some(report.clone())).await.0, 403, "another node's token");
    assert_eq!(
        app.call(Method::POST, &path, Some(ADMIN_TOKEN), Some(report.clone())).await.0,
        403,
        "operators are not nodes"
    );
    assert_eq!(app.call(Method::POST, &path, Some(token_a), Some(report.clone())).await.0, 200);

    let (status, rotated) = app.post(&format!("/nodes/{a}/token"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let fresh = rotated["data"]["node_token"].as_str().expect("token");
    assert_eq!(app.call(Method::POST, &path, Some(token_a), Some(report.clone())).await.0, 401, "the old token died");
    assert_eq!(app.call(Method::POST, &path, Some(fresh), Some(report)).await.0, 200);
}

/// Authentication comes before anything else of the request is read: without
/// a token (or with a forged one) every node-facing route answers 401, never
/// a 400 or 422 that would describe the input (`ip: missing field`).
#[tokio::test(flavor = "multi_thread")]
async fn node_routes_authenticate_before_reading_path_query_or_body() {
    let app = TestApp::spawn().await;
    let session = app.direct_session().await;
    let id = session["id"].as_str().expect("id");
    let node = session["source_node_id"].as_str().expect("node");
    let op = uuid::Uuid::new_v4();
    let routes = [
        (Method::POST, format!("/clone-sessions/{id}/source-ready")),
        (Method::POST, format!("/clone-sessions/{id}/progress")),
        (Method::POST, format!("/clone-sessions/{id}/complete")),
        (Method::POST, format!("/clone-sessions/{id}/failed?error=x%00y&error=z")),
        (Method::GET, format!("/clone-sessions/{id}/certs?role=nobody&role=x")),
        (Method::POST, format!("/clone-sessions/{id}/csr?role=nobody")),
        (Method::POST, "/clone-sessions/not-a-uuid/progress".to_owned()),
        (Method::POST, format!("/nodes/{node}/disks/report")),
        (Method::GET, format!("/nodes/{node}/partition-operations?status=bogus")),
        (Method::POST, format!("/nodes/{node}/partition-operations/{op}/status")),
        (Method::POST, "/nodes/not-a-uuid/disks/report".to_owned()),
    ];
    for (method, path) in routes {
        for token in [None, Some("pbn_forged"), Some("pbk_forged_x")] {
            let mut request = app.http.request(method.clone(), app.url(&path)).body("{\"ip\": 5, not json");
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.expect("request");
            let status = response.status();
            let body: Value = response.json().await.expect("JSON");
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} with {token:?}: {body}");
        }
    }
}

/// The WebSocket takes its token from the query or the header, and
/// authenticates before it reads the rest of the query: an anonymous or
/// forged caller gets 401 for any `from`, never a 422 naming it; an
/// authenticated one gets the 422.
#[tokio::test(flavor = "multi_thread")]
async fn the_websocket_authenticates_before_reading_its_query() {
    let app = TestApp::spawn().await;
    let queries = ["from=abc", "from=-1", "from=1&from=2", "from=x%00y", "from=999999", "token=a&token=b&from=abc"];
    for query in queries {
        for (header, in_query) in [(None, None), (Some("pbk_forged_x"), None), (None, Some("pbk_forged_x"))] {
            let path = match in_query {
                Some(token) => format!("/ws?{query}&token={token}"),
                None => format!("/ws?{query}"),
            };
            let (status, body) = app.call(Method::GET, &path, header, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} with {header:?}: {body}");
            assert_eq!(body["fields"], Value::Null, "nothing about the query: {body}");
        }
    }
    for (path, header) in
        [("/ws?from=abc".to_owned(), Some(ADMIN_TOKEN)), (format!("/ws?from=abc&token={ADMIN_TOKEN}"), None)]
    {
        let (status, body) = app.call(Method::GET, &path, header, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(body["fields"][0]["field"], "from", "{body}");
    }
}
