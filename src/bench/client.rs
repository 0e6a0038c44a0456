//! The few API calls the scenarios make.

use anyhow::Context;
use serde_json::{Value, json};

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

/// A session ready for progress reports, with the target's node token.
#[derive(Clone)]
pub struct Cloning {
    pub id: String,
    pub target_token: String,
}

impl Api {
    pub fn new(url: &str, token: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().pool_max_idle_per_host(1024).tcp_nodelay(true).build()?;
        Ok(Self { http, base: format!("{}/api/v1", url.trim_end_matches('/')), token: token.to_owned() })
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> anyhow::Result<Value> {
        let response = self.http.post(format!("{}{path}", self.base)).bearer_auth(token).json(body).send().await?;
        let status = response.status();
        let value: Value = response.json().await.context("JSON body")?;
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {value}");
        Ok(value)
    }

    /// Two fresh nodes for sessions to run between.
    pub async fn node_pair(&self) -> anyhow::Result<(String, String)> {
        Ok((self.node().await?, self.node().await?))
    }

    /// A fresh node. An active session holds its target node (a second
    /// session on it is refused), so sessions alive at once need one each.
    pub async fn node(&self) -> anyhow::Result<String> {
        let mac = uuid::Uuid::new_v4().as_bytes()[..6].iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":");
        let node = self.post("/nodes", &self.token, &json!({"mac_address": mac, "hostname": "bench"})).await?;
        Ok(node["data"]["id"].as_str().context("node id")?.to_owned())
    }

    pub async fn delete(&self, path: &str) -> anyhow::Result<()> {
        let response = self.http.delete(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await?;
        anyhow::ensure!(response.status().is_success(), "DELETE {path}: {}", response.status());
        Ok(())
    }

    pub fn session_body(source: &str, target: &str) -> Value {
        json!({"clone_mode": "direct", "source_node_id": source, "target_node_id": target})
    }

    /// A direct session moved to source_ready.
    pub async fn cloning_session(&self, source: &str, target: &str) -> anyhow::Result<Cloning> {
        let created = self.post("/clone-sessions", &self.token, &Self::session_body(source, target)).await?;
        let id = created["data"]["id"].as_str().context("id")?.to_owned();
        let tokens = &created["data"]["node_tokens"];
        let ready = json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": 1_i64 << 50, "device": "/dev/sda"});
        self.post(&format!("/clone-sessions/{id}/source-ready"), tokens["source"].as_str().context("token")?, &ready)
            .await?;
        Ok(Cloning { id, target_token: tokens["target"].as_str().context("token")?.to_owned() })
    }
}
