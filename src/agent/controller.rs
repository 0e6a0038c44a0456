//! The controller's HTTP API as the agent uses it, authenticated with the
//! session's node token. Requests reuse the API's own body types.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::AgentError;
use super::config::{AgentConfig, Role};

/// How long one request to the controller may take before it counts as undelivered.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Controller {
    http: reqwest::Client,
    base: String,
    pub session: Uuid,
    token: String,
}

/// What the controller answered (status and JSON body), or that it could not be reached.
pub type Answer = Result<(StatusCode, Value), reqwest::Error>;

/// The parts of `GET /clone-sessions/{id}` the agent needs.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionState {
    pub status: String,
    pub source_ip: Option<String>,
    pub source_port: i32,
    pub source_device: String,
    pub error_message: Option<String>,
    /// none, shrink_source or grow_target.
    #[serde(default)]
    pub resize_mode: Option<String>,
    /// direct or staged.
    #[serde(default)]
    pub clone_mode: Option<String>,
    /// Set once an operator started the session (`POST …/start`).
    #[serde(default)]
    pub start_requested_at: Option<String>,
}

impl SessionState {
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "completed" | "failed" | "cancelled")
    }
}

impl Controller {
    pub fn new(config: &AgentConfig) -> Result<Self, AgentError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| AgentError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { http, base: config.url.clone(), session: config.session, token: config.token.clone() })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// `path` relative to the session, e.g. `/progress`.
    pub async fn session_call(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut request = self
            .http
            .request(method, self.url(&format!("/clone-sessions/{}{path}", self.session)))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    /// The session as the controller sees it now; `None` once it is deleted.
    pub async fn session_state(&self) -> Result<Option<SessionState>, String> {
        match self.session_call(Method::GET, "", None).await {
            Ok((StatusCode::OK, body)) => serde_json::from_value(body["data"].clone())
                .map(Some)
                .map_err(|e| format!("unexpected session document: {e}")),
            // Deleting a session removes its node tokens: 401 then means it is gone.
            Ok((StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED, _)) => Ok(None),
            Ok((status, body)) => Err(format!("GET session answered {status}: {}", error_text(&body))),
            Err(e) => Err(format!("controller unreachable: {e}")),
        }
    }

    /// The session's resize plan: the operations the source carries out.
    pub async fn plan(&self) -> Result<Vec<crate::domain::disks::OperationSpec>, String> {
        match self.session_call(Method::GET, "/plan", None).await {
            Ok((StatusCode::OK, body)) => super::shrink::parse_plan(&body),
            Ok((status, body)) => Err(format!("GET plan answered {status}: {}", error_text(&body))),
            Err(e) => Err(format!("controller unreachable: {e}")),
        }
    }

    /// The CA certificate (PEM), fetched without trusting anything yet.
    pub async fn ca_certificate(&self) -> Result<String, String> {
        let response = self.http.get(self.url("/ca/certificate")).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("GET /ca/certificate answered {}", response.status()));
        }
        response.text().await.map_err(|e| e.to_string())
    }

    /// The CA's current revocation list (DER).
    pub async fn crl(&self) -> Result<Vec<u8>, String> {
        let response = self.http.get(self.url("/ca/crl")).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("GET /ca/crl answered {}", response.status()));
        }
        Ok(response.bytes().await.map_err(|e| e.to_string())?.to_vec())
    }

    /// Has the controller sign `csr_pem` for `role`; returns the certificate PEM.
    pub async fn sign(&self, role: Role, csr_pem: &str) -> Result<String, String> {
        let body = serde_json::json!({ "csr_pem": csr_pem });
        let path = format!("/csr?role={}", role.as_str());
        match self.session_call(Method::POST, &path, Some(&body)).await {
            Ok((StatusCode::OK, body)) => {
                body["data"]["cert_pem"].as_str().map(str::to_owned).ok_or_else(|| "no cert_pem in the answer".into())
            }
            Ok((status, body)) => Err(format!("CSR refused ({status}): {}", error_text(&body))),
            Err(e) => Err(format!("controller unreachable: {e}")),
        }
    }
}

/// The message of the API's error envelope, or the body as text.
pub fn error_text(body: &Value) -> String {
    body["detail"].as_str().or_else(|| body["error"].as_str()).map(str::to_owned).unwrap_or_else(|| body.to_string())
}
