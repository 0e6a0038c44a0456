//! `GET /reports/clones` by node: groups keyed on the node's id (hostname a
//! label), and CSV whose text cells a spreadsheet cannot run as formulas.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN_TOKEN, TestApp};

/// A session from `source` to a new node; returns nothing, the report counts it.
async fn session_from(app: &TestApp, source: &str) {
    let target = app.node("target").await;
    let body = json!({"clone_mode": "direct", "source_node_id": source, "target_node_id": target});
    let (status, created) = app.post("/clone-sessions", body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
}

async fn csv(app: &TestApp, query: &str) -> String {
    let url = app.url(&format!("/reports/clones.csv?{query}"));
    let response = app.http.get(url).bearer_auth(ADMIN_TOKEN).send().await.expect("csv");
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("text")
}

/// Given two machines that share a hostname (a clone keeps its source's),
/// when the report groups by node, then they are two groups, each with its
/// id and the hostname as a label.
#[tokio::test]
async fn nodes_sharing_a_hostname_are_separate_groups() {
    let app = TestApp::spawn().await;
    let first = app.node("rack1-node04").await;
    let second = app.node("rack1-node04").await;
    session_from(&app, &first).await;
    session_from(&app, &first).await;
    session_from(&app, &second).await;

    let (status, report) = app.get("/reports/clones?group_by=node").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let groups = report["groups"].as_array().expect("groups");
    let created = |id: &str| -> Value {
        let group = groups.iter().find(|g| g["node_id"] == id).unwrap_or_else(|| panic!("group {id}: {report}"));
        assert_eq!(group["group"], id);
        assert_eq!(group["hostname"], "rack1-node04");
        group["created"].clone()
    };
    assert_eq!(groups.len(), 2, "{report}");
    assert_eq!(created(&first), 2);
    assert_eq!(created(&second), 1);

    let text = csv(&app, "group_by=node").await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("group,node_id,hostname,created,"), "{text}");
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines.contains(&format!("{first},{first},rack1-node04,2,0,0,0,0,0,,,,").as_str()), "{text}");
    assert!(lines.contains(&format!("{second},{second},rack1-node04,1,0,0,0,0,0,,,,").as_str()), "{text}");
    // Other groupings carry no node fields.
    let (_, by_mode) = app.get("/reports/clones?group_by=mode").await;
    assert!(by_mode["groups"][0].get("node_id").is_none(), "{by_mode}");
}

/// Given nodes whose hostnames begin with each character a spreadsheet takes
/// as the start of a formula (OWASP), when the node report is exported as
/// CSV, then each such cell begins with a single quote and stays one cell.
#[tokio::test]
async fn csv_cells_that_would_be_formulas_are_neutralised() {
    let app = TestApp::spawn().await;
    let hostnames = ["=1+2", "+1+2", "-1+2", "@SUM(A1:A2)", "\t=1+2", "\r=1+2", "=HYPERLINK(\"x\",\"y\"),a"];
    for hostname in hostnames {
        let id = app.node(hostname).await;
        session_from(&app, &id).await;
    }

    let text = csv(&app, "group_by=node").await;
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let cells: Vec<String> = reader.records().map(|r| r.expect("a valid CSV record")[2].to_owned()).collect();
    assert_eq!(cells.len(), hostnames.len(), "{text}");
    for hostname in hostnames {
        assert!(cells.contains(&format!("'{hostname}")), "{hostname:?} not neutralised in {text}");
    }
    assert!(!text.lines().any(|line| line.split(',').any(|cell| cell.starts_with(['=', '+', '@']))), "{text}");
}
