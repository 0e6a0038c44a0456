//! Golden images on the `http` backend, against a real WebDAV server: nginx
//! (Debian's nginx-light carries the DAV module; `scripts/test` installs it)
//! started by the test on a free loopback port. Without nginx the test fails
//! with that advice, unless `PUREBOOT_SKIP_WEBDAV=1` asks to skip it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pureboot::agent::image::http::{HttpBackend, HttpOptions};
use pureboot::agent::image::{Backend, capture, restore};

use crate::agent_harness::{MIB, content_digest, gpt_image, identical, scratch};
use crate::agent_image::{OPTIONS, agent};

/// nginx serving `<dir>/www`: `/auto/` makes missing directories itself
/// (`create_full_put_path`), `/strict/` needs the client to make them with
/// MKCOL, and asks for basic auth (`agent` / `s3cret`). The same tree is
/// also served over HTTPS on `tls_port` with a certificate for `localhost`
/// (its PEM in `cert`, the only CA that trusts it).
pub struct WebDav {
    child: Child,
    pub port: u16,
    tls_port: u16,
    cert: PathBuf,
    www: PathBuf,
}

impl WebDav {
    pub fn start(dir: &Path) -> Option<Self> {
        let nginx = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].into_iter().find(|p| Path::new(p).exists());
        let Some(nginx) = nginx else {
            let skip = std::env::var("PUREBOOT_SKIP_WEBDAV").is_ok_and(|v| v == "1");
            assert!(
                skip,
                "nginx is needed for the WebDAV test (Debian: apt-get install nginx-light), \
                 or set PUREBOOT_SKIP_WEBDAV=1"
            );
            eprintln!("SKIPPED: nginx is not installed; the http backend was NOT tested (PUREBOOT_SKIP_WEBDAV=1)");
            return None;
        };
        let www = dir.join("www");
        for sub in ["www/auto", "www/strict", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).expect("nginx dirs");
        }
        std::fs::write(dir.join("htpasswd"), "agent:{PLAIN}s3cret\n").expect("htpasswd");
        let free = || std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let (port, tls_port) = (free(), free());
        let tls = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
        let cert = dir.join("cert.pem");
        std::fs::write(&cert, tls.cert.pem()).expect("cert");
        std::fs::write(dir.join("key.pem"), tls.signing_key.serialize_pem()).expect("key");
        let d = dir.display();
        let conf = format!(
            "daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;
             events {{ worker_connections 64; }}
             http {{
               access_log off;
               client_body_temp_path {d}/tmp/body; proxy_temp_path {d}/tmp/proxy;
               fastcgi_temp_path {d}/tmp/fastcgi; uwsgi_temp_path {d}/tmp/uwsgi; scgi_temp_path {d}/tmp/scgi;
               server {{
                 listen 127.0.0.1:{port};
                 root {d}/www;
                 client_max_body_size 0;
                 location /auto/ {{ dav_methods PUT DELETE MKCOL; create_full_put_path on; }}
                 location /strict/ {{
                   dav_methods PUT DELETE MKCOL;
                   auth_basic images; auth_basic_user_file {d}/htpasswd;
                 }}
               }}
               server {{
                 listen 127.0.0.1:{tls_port} ssl;
                 ssl_certificate {d}/cert.pem; ssl_certificate_key {d}/key.pem;
                 root {d}/www;
                 client_max_body_size 0;
                 location /auto/ {{ dav_methods PUT DELETE MKCOL; create_full_put_path on; }}
               }}
             }}"
        );
        std::fs::write(dir.join("nginx.conf"), conf).expect("nginx.conf");
        let conf = dir.join("nginx.conf");
        let child = Command::new(nginx)
            .args(["-p", &d.to_string(), "-e", &format!("{d}/error.log"), "-c", conf.to_str().expect("utf-8")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut server = Self { child, port, tls_port, cert, www };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                panic!("nginx exited ({status}): {log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = server.child.kill();
        panic!("nginx did not listen on port {port}");
    }

    pub fn url(&self, location: &str) -> String {
        format!("http://127.0.0.1:{}/{location}/", self.port)
    }
}

impl Drop for WebDav {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strict(server: &WebDav, password: &str) -> HttpBackend {
    let options = HttpOptions { ca_file: None, basic_auth: Some(("agent".into(), password.into())) };
    HttpBackend::new(&server.url("strict"), &options).expect("http backend")
}

#[tokio::test]
async fn the_http_backend_captures_and_restores_through_a_real_webdav_server() {
    let dir = scratch();
    let Some(server) = WebDav::start(&dir.join("nginx")) else { return };
    // Given a disk and a WebDAV store that needs MKCOL and basic auth
    let disk = gpt_image(&dir, 256, 8);
    let backend = strict(&server, "s3cret");

    // When the disk is captured there and restored from there
    let captured = capture(&backend, "golden", &disk, OPTIONS, |_| {}).await.expect("capture over WebDAV");
    let target = dir.join("t.img");
    let done = restore(&backend, "golden", &target, 4, |_| {}).await.expect("restore over WebDAV");
    // Then the target is the disk, and the server holds the chunks and the manifest
    assert!(identical(&disk, &target));
    assert_eq!(done.digest, content_digest(&disk, 4 * MIB));
    assert!(server.www.join("strict/images/golden/manifest.json").is_file());
    let chunk_dirs = std::fs::read_dir(server.www.join("strict/chunks")).expect("chunks").count() as u64;
    assert!(chunk_dirs >= 1 && chunk_dirs <= captured.figures.chunks_uploaded, "{chunk_dirs}");
    // And a second capture finds every chunk already there (HEAD)
    let again = capture(&backend, "golden-2", &disk, OPTIONS, |_| {}).await.expect("second capture");
    assert_eq!(again.figures.chunks_uploaded, 0, "{:?}", again.figures);

    // When the password is wrong, then the failure names the refusal
    let error = strict(&server, "wrong").exists("images/golden/manifest.json").await.expect_err("refused");
    assert!(error.contains("401 Unauthorized"), "{error}");

    // When the CLI uses the store that creates its own directories
    let s = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let url = server.url("auto");
    let (code, _, err) = agent(&["capture", "--backend", &url, "--image", "golden", "--device", &s(&disk)], &[]).await;
    assert_eq!(code, 0, "{err}");
    let cli_target = dir.join("t2.img");
    let (code, _, err) =
        agent(&["restore", "--backend", &url, "--image", "golden", "--device", &s(&cli_target)], &[]).await;
    assert_eq!(code, 0, "{err}");
    // Then that works too
    assert!(identical(&disk, &cli_target));

    // When the store is reached over HTTPS, trusting its certificate
    let https = format!("https://localhost:{}/auto/", server.tls_port);
    let trusted = HttpOptions { ca_file: Some(server.cert.clone()), basic_auth: None };
    let backend = HttpBackend::new(&https, &trusted).expect("https backend");
    // Then the image captured over HTTP is there
    assert!(backend.exists("images/golden/manifest.json").await.expect("HEAD over TLS"));
    // And a server whose certificate is not from the given CA is refused
    let other = dir.join("other.pem");
    let stranger = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    std::fs::write(&other, stranger.cert.pem()).expect("other CA");
    let untrusted = HttpOptions { ca_file: Some(other), basic_auth: None };
    let error = HttpBackend::new(&https, &untrusted).expect("backend").exists("x").await.expect_err("refused");
    assert!(error.contains("certificate"), "{error}");
    drop(server);
}
