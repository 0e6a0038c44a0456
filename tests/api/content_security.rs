//! The web UI and the Swagger UI are served with one content security
//! policy that keeps scripts and connections on the page's own origin.

use crate::support::TestApp;

async fn policy(app: &TestApp, path: &str) -> String {
    let response = reqwest::get(format!("http://{}{path}", app.addr)).await.expect("request");
    let header = response.headers().get("content-security-policy").unwrap_or_else(|| panic!("{path} has a CSP"));
    header.to_str().expect("ASCII").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ui_and_the_swagger_ui_connect_only_to_their_own_origin() {
    let app = TestApp::spawn().await;
    for path in ["/", "/sessions/deep-link", "/api/docs/", "/api/docs/swagger-initializer.js"] {
        let csp = policy(&app, path).await;
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        assert!(directives.contains(&"connect-src 'self'"), "{path}: {csp}");
        assert!(directives.contains(&"default-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("ws:") && !csp.contains("wss:") && !csp.contains('*'), "{path}: {csp}");
        assert!(!csp.contains("'unsafe-eval'") && !csp.contains("script-src"), "{path}: scripts only from self: {csp}");
    }
}
