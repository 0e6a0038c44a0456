//! The `http` backend: a WebDAV-style server (RFC 4918's PUT, GET, HEAD and
//! MKCOL) over HTTP or HTTPS, with optional basic auth.
//!
//! - put: the collections above the key are made first with `MKCOL`, top
//!   down, once per backend (an existing one answers `405`): servers differ
//!   on a PUT below a missing collection (RFC 4918 says `409`, nginx answers
//!   `500` unless `create_full_put_path` is on), so none is relied upon.
//!   Then `PUT <base>/<key>` with the whole object as the body (its length
//!   announced). The server must store a PUT atomically, as nginx's DAV
//!   module does (the body goes to a temporary file renamed over the key
//!   once complete), so a cut upload never shows under the key.
//! - get: `GET`, `404` meaning absent; exists: `HEAD`, same; delete
//!   (the controller's sweep): `DELETE`, `404` meaning already gone.
//!
//! Transient failures (connection errors, 5xx, 429) are retried for about
//! half a minute; other answers, and a refused TLS certificate, fail at once
//! with the status or reason and the URL.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Bytes;
use backon::{ExponentialBuilder, Retryable};
use reqwest::{Method, StatusCode, Url};

use super::backend::Backend;

/// How to reach an HTTPS or authenticated server.
#[derive(Clone, Default)]
pub struct HttpOptions {
    /// PEM bundle of the CAs trusted for `https://` (the agent has no built-in roots).
    pub ca_file: Option<std::path::PathBuf>,
    /// User and password for basic auth.
    pub basic_auth: Option<(String, String)>,
}

impl std::fmt::Debug for HttpOptions {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let user = self.basic_auth.as_ref().map(|(user, _)| user);
        f.debug_struct("HttpOptions").field("ca_file", &self.ca_file).field("user", &user).finish_non_exhaustive()
    }
}

pub struct HttpBackend {
    client: reqwest::Client,
    /// Ends with `/`, so keys join below it.
    base: Url,
    auth: Option<(String, String)>,
    /// Collections known to exist (made or found by MKCOL), e.g. `chunks/ab/`.
    collections: Mutex<HashSet<String>>,
}

/// Why one request did not succeed.
enum Miss {
    Retry(String),
    Fatal(String),
}

impl HttpBackend {
    pub fn new(spec: &str, options: &HttpOptions) -> Result<Self, String> {
        let mut base = Url::parse(spec).map_err(|e| format!("--backend {spec} is not a URL: {e}"))?;
        if !base.username().is_empty() || base.password().is_some() {
            return Err(
                "--backend URL must not hold credentials: use --backend-user and PUREBOOT_BACKEND_PASSWORD".into()
            );
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let mut builder =
            reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).timeout(Duration::from_secs(300));
        if base.scheme() == "https" {
            let ca = options.ca_file.as_deref().unwrap_or(Path::new("/etc/ssl/certs/ca-certificates.crt"));
            let pem = std::fs::read(ca).map_err(|e| format!("cannot read the CA bundle {}: {e}", ca.display()))?;
            let roots = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("{} is not a PEM certificate bundle: {e}", ca.display()))?;
            for root in roots {
                builder = builder.add_root_certificate(root);
            }
        }
        let client = builder.build().map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client, base, auth: options.basic_auth.clone(), collections: Mutex::default() })
    }

    fn url(&self, key: &str) -> Result<Url, String> {
        self.base.join(key).map_err(|e| format!("bad key {key}: {e}"))
    }

    /// Sends one request (with retries) and hands its answer to `accept`,
    /// which decides what the status means.
    async fn send<T>(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Bytes>,
        accept: impl Fn(StatusCode) -> Option<T>,
    ) -> Result<(T, reqwest::Response), String> {
        let attempt = || async {
            let mut request = self.client.request(method.clone(), url.clone());
            if let Some((user, password)) = &self.auth {
                request = request.basic_auth(user, Some(password));
            }
            if let Some(body) = body {
                request = request.body(body.clone());
            }
            let response = request.send().await.map_err(|e| {
                let reason = format!("{method} {url}: {}", chain(&e));
                // A refused certificate stays refused: no point retrying.
                let detail = format!("{e:?}");
                if detail.contains("InvalidCertificate") || detail.contains("AlertReceived") {
                    Miss::Fatal(reason)
                } else {
                    Miss::Retry(reason)
                }
            })?;
            let status = response.status();
            match accept(status) {
                Some(value) => Ok((value, response)),
                None if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => {
                    Err(Miss::Retry(format!("{method} {url}: the server answered {status}")))
                }
                None => Err(Miss::Fatal(format!("{method} {url}: the server answered {status}"))),
            }
        };
        attempt
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(200))
                    .with_max_delay(Duration::from_secs(5))
                    .with_max_times(8),
            )
            .when(|miss| matches!(miss, Miss::Retry(_)))
            .notify(|miss, after| {
                let (Miss::Retry(reason) | Miss::Fatal(reason)) = miss;
                tracing::warn!(%reason, ?after, "retrying");
            })
            .await
            .map_err(|(Miss::Retry(reason) | Miss::Fatal(reason))| reason)
    }

    /// Makes each collection above `key` that is not known yet, top down.
    async fn make_collections(&self, key: &str) -> Result<(), String> {
        let mkcol = Method::from_bytes(b"MKCOL").map_err(|e| e.to_string())?;
        let known = |prefix: &str| self.collections.lock().unwrap_or_else(|p| p.into_inner()).contains(prefix);
        let ends = key.match_indices('/').map(|(at, _)| at + 1);
        for prefix in ends.map(|end| &key[..end]).filter(|prefix| !known(prefix)) {
            let url = self.url(prefix)?;
            let made = |s: StatusCode| (s.is_success() || s == StatusCode::METHOD_NOT_ALLOWED).then_some(());
            self.send(mkcol.clone(), &url, None, made).await?;
            self.collections.lock().unwrap_or_else(|p| p.into_inner()).insert(prefix.to_owned());
        }
        Ok(())
    }
}

impl Backend for HttpBackend {
    async fn put(&self, key: &str, data: Vec<u8>) -> Result<(), String> {
        self.make_collections(key).await?;
        let url = self.url(key)?;
        let data = Bytes::from(data);
        self.send(Method::PUT, &url, Some(&data), |s| s.is_success().then_some(())).await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let url = self.url(key)?;
        let found = |s: StatusCode| match s {
            StatusCode::OK => Some(true),
            StatusCode::NOT_FOUND => Some(false),
            _ => None,
        };
        let (found, response) = self.send(Method::GET, &url, None, found).await?;
        if !found {
            return Ok(None);
        }
        let body = response.bytes().await.map_err(|e| format!("GET {url}: {}", chain(&e)))?;
        Ok(Some(body.to_vec()))
    }

    async fn exists(&self, key: &str) -> Result<bool, String> {
        let url = self.url(key)?;
        let found = |s: StatusCode| match s {
            StatusCode::OK => Some(true),
            StatusCode::NOT_FOUND => Some(false),
            _ => None,
        };
        Ok(self.send(Method::HEAD, &url, None, found).await?.0)
    }

    /// `DELETE` (RFC 4918 removes a collection with its members); `404` is
    /// already gone.
    async fn delete(&self, key: &str) -> Result<(), String> {
        let url = self.url(key)?;
        let gone = |s: StatusCode| (s.is_success() || s == StatusCode::NOT_FOUND).then_some(());
        self.send(Method::DELETE, &url, None, gone).await?;
        Ok(())
    }
}

/// An error with its causes, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text = format!("{text}: {inner}");
        cause = inner.source();
    }
    text
}
