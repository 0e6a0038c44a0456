//! The authorization matrix: every operation of the OpenAPI document × every
//! class of credential, checked against the rule SECURITY.md states and the
//! operation's declared security (scheme and least role / token kind). Built
//! from the document, so a new route is covered without touching this file.
//!
//! The rule: no token, a malformed, forged, revoked or retired one → 401; a
//! live token the operation does not take (a lesser operator role, a node
//! token on an operator route, an operator token on a node route, another
//! session's or node's token) → 403; a token it takes → neither.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::TestApp;
use pureboot::auth::{OperatorRole, operator_tokens};

/// What one credential is, for deciding what an operation must answer it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Class {
    /// No token, garbage, forged, revoked or retired: 401 on every secured operation.
    Dead,
    Operator(OperatorRole),
    /// The `pbn_…` token of the session named in the path.
    OwnSession,
    /// The `pbk_…` token of the node named in the path.
    OwnNode,
    /// A live token of another session or node: 403 everywhere.
    Foreign,
}

/// The ids the paths are filled with, and the live tokens bound to them.
struct Fixture {
    session: String,
    node: String,
    backend: String,
    source_token: String,
    target_token: String,
    node_key: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let session = app.direct_session().await;
    let id = session["id"].as_str().expect("id").to_owned();
    let node = session["source_node_id"].as_str().expect("source").to_owned();
    let config = json!({"bucket": "images", "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s"});
    let (status, backend) = app
        .post("/storage/backends", json!({"name": Uuid::new_v4().to_string(), "type": "s3", "config": config}))
        .await;
    assert_eq!(status, StatusCode::OK, "{backend}");
    Fixture {
        backend: backend["data"]["id"].as_str().expect("backend id").to_owned(),
        source_token: app.node_token(&id, "source"),
        target_token: app.node_token(&id, "target"),
        node_key: app.node_key(&node),
        session: id,
        node,
    }
}

/// The operation's security requirements as (scheme, roles) pairs; `None`
/// when it is public.
fn requirements(operation: &Value) -> Option<Vec<(String, Vec<String>)>> {
    let security = operation.get("security")?.as_array()?;
    let pairs = security
        .iter()
        .flat_map(|alternative| alternative.as_object().expect("a requirement object"))
        .map(|(scheme, roles)| {
            let roles = roles.as_array().expect("roles").iter().map(|r| r.as_str().expect("role").to_owned());
            (scheme.clone(), roles.collect())
        })
        .collect();
    Some(pairs)
}

/// Whether the operation takes a credential of `class`.
fn takes(requirements: &[(String, Vec<String>)], class: Class) -> bool {
    let least = |role: &str| OperatorRole::parse(role).unwrap_or_else(|| panic!("unknown operator role {role}"));
    requirements.iter().any(|(scheme, roles)| match (scheme.as_str(), class) {
        ("bearer" | "bearer_query", Class::Operator(role)) => {
            assert_eq!(roles.len(), 1, "an operator requirement names its least role");
            role >= least(&roles[0])
        }
        ("node_token", Class::OwnSession) => roles.iter().any(|r| r == "session"),
        ("node_token", Class::OwnNode) => roles.iter().any(|r| r == "node"),
        ("bearer" | "bearer_query" | "node_token", _) => false,
        (other, _) => panic!("unknown security scheme {other}"),
    })
}

/// The path with its parameters filled from the fixture: `{id}` is the
/// session, node or backend the path is about; a device and an operation
/// that need not exist (authorization is decided before they are looked up).
fn fill(path: &str, f: &Fixture) -> String {
    let id = if path.contains("/clone-sessions/") {
        &f.session
    } else if path.contains("/nodes/") {
        &f.node
    } else {
        &f.backend
    };
    path.replace("{id}", id).replace("{device}", "sda").replace("{op_id}", &Uuid::new_v4().to_string())
}

async fn send(app: &TestApp, method: &Method, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().request(method.clone(), format!("http://{}{path}", app.addr));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if *method == Method::POST || *method == Method::PATCH {
        request = request.json(&json!({}));
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_answers_every_credential_class_by_the_rule() {
    let app = TestApp::spawn().await;
    let (_, document) = send(&app, &Method::GET, "/api/openapi.json", None).await;
    let paths = document["paths"].as_object().expect("the OpenAPI document has paths");

    // Credentials that never name the fixture of an operation: dead ones,
    // and live ones of another session and node.
    let other = app.direct_session().await;
    let other_id = other["id"].as_str().expect("id").to_owned();
    let other_node = other["target_node_id"].as_str().expect("target").to_owned();
    let ended = app.direct_session().await;
    let ended_id = ended["id"].as_str().expect("id").to_owned();
    let (status, body) = app.post(&format!("/clone-sessions/{ended_id}/failed"), json!({"error": "ended"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let revoked = operator_tokens::create(&app.db.pool(), "gone", OperatorRole::Admin).await.expect("token");
    assert!(operator_tokens::revoke(&app.db.pool(), "gone").await.expect("revoke"));
    let viewer = app.as_operator(OperatorRole::Viewer).await.token().to_owned();
    let operator = app.as_operator(OperatorRole::Operator).await.token().to_owned();
    let admin = app.as_admin().token().to_owned();
    let forged_session = format!("pbn_{}_source_{}", other_id, "0".repeat(64));
    let forged_node = format!("pbk_{}_{}", Uuid::new_v4().simple(), "0".repeat(64));
    let fixed: Vec<(&str, Option<String>, Class)> = vec![
        ("none", None, Class::Dead),
        ("garbage", Some("nonsense".into()), Class::Dead),
        ("forged operator", Some(format!("pbo_{}_x", Uuid::new_v4().simple())), Class::Dead),
        ("forged session", Some(forged_session), Class::Dead),
        ("forged node", Some(forged_node), Class::Dead),
        ("revoked admin", Some(revoked), Class::Dead),
        ("retired source", Some(app.node_token(&ended_id, "source")), Class::Dead),
        ("other session's source", Some(app.node_token(&other_id, "source")), Class::Foreign),
        ("other session's target", Some(app.node_token(&other_id, "target")), Class::Foreign),
        ("other node's key", Some(app.node_key(&other_node)), Class::Foreign),
        ("viewer", Some(viewer), Class::Operator(OperatorRole::Viewer)),
        ("operator", Some(operator), Class::Operator(OperatorRole::Operator)),
        ("admin", Some(admin), Class::Operator(OperatorRole::Admin)),
    ];

    let mut cells = 0;
    let mut wrong = Vec::new();
    for (template, methods) in paths {
        for (method, operation) in methods.as_object().expect("methods") {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let method: Method = method.to_uppercase().parse().expect("an HTTP method");
            // A fresh session, node and backend per operation: an operation
            // that deletes or rotates them leaves the next one whole.
            let f = fixture(&app).await;
            let path = fill(template, &f);
            let mut credentials = fixed.clone();
            credentials.push(("own source", Some(f.source_token.clone()), Class::OwnSession));
            credentials.push(("own target", Some(f.target_token.clone()), Class::OwnSession));
            credentials.push(("own node key", Some(f.node_key.clone()), Class::OwnNode));
            let required = requirements(operation);
            // Credentials the operation takes go last, so one that deletes
            // the fixture or rotates its token runs after the refusals.
            credentials.sort_by_key(|(_, _, class)| required.as_ref().is_some_and(|r| takes(r, *class)));
            for (name, token, class) in credentials {
                let (status, body) = send(&app, &method, &path, token.as_deref()).await;
                cells += 1;
                let ok = match (&required, class) {
                    (None, _) => !matches!(status.as_u16(), 401 | 403),
                    (Some(_), Class::Dead) => status == StatusCode::UNAUTHORIZED,
                    (Some(r), class) if takes(r, class) => match status.as_u16() {
                        401 => false,
                        // a session token of the role the body does not allow
                        403 => class == Class::OwnSession && body.to_string().contains("token may not do this"),
                        _ => true,
                    },
                    (Some(_), _) => status == StatusCode::FORBIDDEN,
                };
                if !ok {
                    wrong.push(format!("{method} {template} as {name}: {status} {body}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {cells} cells break the rule:\n{}", wrong.len(), wrong.join("\n"));
    assert!(cells > 40 * 16, "the matrix covers every operation ({cells} cells)");
}

/// A session's tokens retire when it ends: they still reach that session's
/// callbacks and its read (agents replay a lost callback and learn how it
/// ended; a replay changes nothing), never its keys, and nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn a_retired_session_token_replays_only_its_own_sessions_callbacks() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    let (status, body) = app.source_ready(id, 1 << 20).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.post(&format!("/clone-sessions/{id}/failed"), json!({"error": "ended"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let source = app.as_node(id, "source");
    let replay = json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": 1 << 20, "device": "/dev/sda"});

    let (status, body) = source.post(&format!("/clone-sessions/{id}/source-ready"), replay).await;
    assert!(!matches!(status.as_u16(), 401 | 403), "a replayed callback is answered: {status} {body}");
    let (status, body) = source.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "failed", "{body}");
    for (method, path) in [(Method::GET, "certs?role=source"), (Method::POST, "csr?role=source")] {
        let (status, body) = source.send(method, &format!("/clone-sessions/{id}/{path}"), Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
    let other = app.direct_session().await;
    let other = other["id"].as_str().expect("id");
    // The target's token, unused before the end: the source's may still be
    // in the instance's 5-second cache of verified tokens as live.
    let (status, body) = app.as_node(id, "target").get(&format!("/clone-sessions/{other}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = app.as_node(id, "target").get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
