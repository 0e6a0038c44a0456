//! What the web console reads beside the spec's fields: a session's last
//! report time, phase, wire and verified bytes; a node's sessions; the audit
//! log newest first with its cursor.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

async fn report(app: &TestApp, id: &str, report: Value) {
    let (status, body) = app.as_node(id, "target").post(&format!("/clone-sessions/{id}/progress"), report).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn session(app: &TestApp, id: &str) -> Value {
    let (status, body) = app.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_shows_its_last_report_phase_wire_and_verified_bytes() {
    let app = TestApp::spawn().await;
    let id = app.direct_session().await["id"].as_str().expect("id").to_owned();
    let fresh = session(&app, &id).await;
    assert_eq!(
        [&fresh["last_report_at"], &fresh["transfer_phase"], &fresh["bytes_on_wire"], &fresh["verified_bytes"]],
        [&Value::Null; 4],
        "nothing reported yet"
    );
    app.source_ready(&id, 1000).await;

    let before = time::OffsetDateTime::now_utc();
    report(
        &app,
        &id,
        json!({"role": "target", "bytes_transferred": 600, "status": "transferring", "bytes_on_wire": 250}),
    )
    .await;
    let cloning = session(&app, &id).await;
    assert_eq!(cloning["transfer_phase"], "transferring");
    assert_eq!(cloning["bytes_on_wire"], 250);
    assert_eq!(cloning["verified_bytes"], Value::Null);
    let at = cloning["last_report_at"].as_str().expect("last_report_at");
    let at = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).expect("RFC 3339");
    assert!(at >= before - time::Duration::seconds(1) && at <= time::OffsetDateTime::now_utc(), "{at}");

    // The agent restarts its count for verification; the session's progress stays.
    report(
        &app,
        &id,
        json!({"role": "target", "bytes_transferred": 1000, "status": "transferring", "bytes_on_wire": 400}),
    )
    .await;
    report(&app, &id, json!({"role": "target", "bytes_transferred": 300, "status": "verifying", "bytes_on_wire": 400}))
        .await;
    let verifying = session(&app, &id).await;
    assert_eq!(verifying["transfer_phase"], "verifying");
    assert_eq!(verifying["verified_bytes"], 300);
    assert_eq!(verifying["bytes_transferred"], 1000);
    assert_eq!(verifying["bytes_on_wire"], 400);
    // A report without the wire count keeps the last one.
    report(&app, &id, json!({"role": "target", "bytes_transferred": 700, "status": "verifying"})).await;
    let later = session(&app, &id).await;
    assert_eq!((later["verified_bytes"].clone(), later["bytes_on_wire"].clone()), (json!(700), json!(400)));
    assert!(later["last_report_at"].as_str() >= verifying["last_report_at"].as_str());

    // The list carries the same fields.
    let (_, list) = app.get("/clone-sessions").await;
    let row = &list["data"][0];
    assert_eq!((row["transfer_phase"].clone(), row["verified_bytes"].clone()), (json!("verifying"), json!(700)));
    assert_eq!(row["last_report_at"], later["last_report_at"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_list_narrows_to_one_nodes_sessions_as_source_or_target() {
    let app = TestApp::spawn().await;
    let (a, b, c, d) = (app.node("a").await, app.node("b").await, app.node("c").await, app.node("d").await);
    let mut ids = Vec::new();
    // A node is the target of one active session at a time: a is source twice.
    for (source, target) in [(&a, &b), (&b, &c), (&c, &a), (&a, &d)] {
        let body = json!({"clone_mode": "direct", "source_node_id": source, "target_node_id": target});
        let (status, created) = app.post("/clone-sessions", body).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        ids.push(created["data"]["id"].as_str().expect("id").to_owned());
    }
    app.source_ready(&ids[0], 1000).await;

    let listed = |body: &Value| -> Vec<String> {
        body["data"].as_array().expect("data").iter().map(|s| s["id"].as_str().expect("id").to_owned()).collect()
    };
    let (status, of_a) = app.get(&format!("/clone-sessions?node_id={a}")).await;
    assert_eq!(status, StatusCode::OK, "{of_a}");
    // Newest first: a was source of the 4th, target of the 3rd, source of the 1st.
    assert_eq!(listed(&of_a), vec![ids[3].clone(), ids[2].clone(), ids[0].clone()]);
    assert_eq!(of_a["total"], 3);

    let (_, paged) = app.get(&format!("/clone-sessions?node_id={a}&limit=1&offset=1")).await;
    assert_eq!((listed(&paged), paged["total"].clone()), (vec![ids[2].clone()], json!(3)));
    let (_, ready) = app.get(&format!("/clone-sessions?node_id={a}&status=source_ready")).await;
    assert_eq!((listed(&ready), ready["total"].clone()), (vec![ids[0].clone()], json!(1)));
    let (_, of_c) = app.get(&format!("/clone-sessions?node_id={c}")).await;
    assert_eq!(listed(&of_c), vec![ids[2].clone(), ids[1].clone()]);
    // The unfiltered page (served from the page cache) is not mixed up with a node's.
    let (_, all) = app.get("/clone-sessions").await;
    assert_eq!(all["total"], 4);

    let (status, bad) = app.get("/clone-sessions?node_id=not-a-uuid").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["fields"][0]["field"], "node_id", "{bad}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_pages_newest_first_with_a_before_cursor() {
    let app = TestApp::spawn().await;
    for name in ["n1", "n2", "n3", "n4", "n5"] {
        app.node(name).await;
    }
    let (_, ascending) = app.get("/events?category=node").await;
    let oldest_first: Vec<i64> =
        ascending["data"].as_array().expect("data").iter().map(|e| e["position"].as_i64().expect("position")).collect();
    assert_eq!(oldest_first.len(), 5);

    let mut newest_first = Vec::new();
    let mut query = "/events?category=node&order=desc&limit=2".to_owned();
    loop {
        let (status, page) = app.get(&query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["next_after"], Value::Null, "desc pages page with before");
        newest_first.extend(page["data"].as_array().expect("data").iter().map(|e| e["position"].as_i64().expect("p")));
        // Appends while paging back change nothing already read.
        app.node("late").await;
        match page["next_before"].as_i64() {
            Some(before) => query = format!("/events?category=node&order=desc&limit=2&before={before}"),
            None => break,
        }
    }
    let mut expected = oldest_first.clone();
    expected.reverse();
    assert_eq!(newest_first, expected, "every early node event once, newest first");
    assert_eq!(newest_first.iter().collect::<BTreeSet<_>>().len(), 5);

    let (_, newest) = app.get("/events?category=node&order=desc&limit=1").await;
    let head = newest["data"][0]["position"].as_i64().expect("position");
    assert!(head > expected[0], "the head page sees the nodes registered while paging");

    for (query, param) in [("order=sideways", "order"), ("order=desc&before=-1", "before"), ("before=999999", "before")]
    {
        let (status, body) = app.get(&format!("/events?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["fields"][0]["field"], param, "{query}: {body}");
    }
}
