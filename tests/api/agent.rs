//! The node agent end to end: real disk images, two agent processes on
//! loopback, mutual TLS, a real controller.

use std::time::Duration;

use serde_json::Value;

use crate::agent_harness::{Clone, MIB, content_digest, gpt_image, history_event, identical, until_status};
use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn a_gpt_image_is_cloned_byte_for_byte_verified_and_its_digest_recorded() {
    // Given a 256 MiB GPT image (EFI vfat + ext4 holding 48 MiB of files)
    let app = TestApp::spawn().await;
    let mut ws = app.ws("").await;
    let clone = Clone::new(&app).await;
    let source_image = gpt_image(&clone.dir, 256, 48);
    let target_image = clone.dir.join("dst.img");

    // When a source and a target agent run for the session
    let done = clone.run_both(&source_image, &target_image).await;

    // Then the target is byte-identical, the session completed with the
    // content digest computed independently here, and the WebSocket showed
    // the verifying phase.
    assert!(identical(&source_image, &target_image), "the images differ");
    let view = until_status(&app, &clone.id, "completed", Duration::from_secs(10)).await;
    assert_eq!(view["bytes_transferred"], 256 * MIB);
    let expected = content_digest(&source_image, MIB);
    assert_eq!(done["digest"], expected);
    let completed = history_event(&app, &clone.id, "clone_session.completed").await.expect("completed event");
    assert_eq!(completed["digest"], expected, "{completed}");
    let wire = done["bytes_on_wire"].as_u64().expect("bytes on wire");
    assert!(wire < 256 * MIB / 2, "empty chunks were not sent: {wire} bytes on the wire");

    let messages = ws.until("clone.completed").await;
    let phases: Vec<&Value> = messages
        .iter()
        .filter(|m| m["type"] == "clone.progress" && m["data"]["session_id"] == clone.id.as_str())
        .map(|m| &m["data"]["status"])
        .collect();
    assert!(phases.iter().any(|p| *p == "verifying"), "no verifying phase in {phases:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_started_only_from_the_kernel_parameters_of_the_create_response_clone() {
    // Given the kernel parameters the create response shows for each role
    let app = TestApp::spawn().await;
    let clone = Clone::new(&app).await;
    let url = format!("pureboot.url=http://{}", app.addr);
    for role in ["source", "target"] {
        let line = clone.parameters[role].as_str().expect("parameters");
        assert!(line.starts_with(&url), "{line}");
        assert!(line.contains(&format!("pureboot.role={role}")) && line.contains(&clone.ca_sha256), "{line}");
        std::fs::write(clone.dir.join(format!("{role}.cmdline")), format!("quiet {line} console=ttyS0\n"))
            .expect("cmdline");
    }
    let (source_image, target_image) = clone.noise_images(3 * MIB + 5);

    // When the agents get nothing else but where the disk and state are
    let cmdline =
        |role: &str| vec!["--cmdline".to_owned(), clone.dir.join(format!("{role}.cmdline")).display().to_string()];
    let mut source = clone.spawn("source", &source_image, &cmdline("source"));
    let mut target = clone.spawn("target", &target_image, &cmdline("target"));

    // Then they clone
    assert_eq!(target.exit(Duration::from_secs(60)).await, 0, "{}", target.log_text());
    assert_eq!(source.exit(Duration::from_secs(10)).await, 0, "{}", source.log_text());
    assert!(identical(&source_image, &target_image));
}

mod handshake {
    use std::sync::Arc;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use rustls::{ClientConfig, RootCertStore};
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::TlsConnector;

    use super::*;
    use crate::agent_harness::{ca_fingerprint, noise_image, until_status};
    use crate::certificates::{Bundle, bundle};

    /// A client with `identity` (or none) asks the source at `addr` for its
    /// manifest: the answer, or why there was none.
    async fn ask(addr: &str, session: &str, ca_pem: &str, identity: Option<(&str, &str)>) -> Result<String, String> {
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("CA")).expect("root");
        let builder = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("TLS 1.3")
            .with_root_certificates(roots);
        let config = match identity {
            Some((cert, key)) => builder
                .with_client_auth_cert(
                    vec![CertificateDer::from_pem_slice(cert.as_bytes()).expect("cert")],
                    PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key"),
                )
                .expect("client auth"),
            None => builder.with_no_client_auth(),
        };
        let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let name = ServerName::try_from(format!("clone-{session}-source")).expect("name");
        let mut tls = TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(|e| e.to_string())?;
        let request = "GET /manifest HTTP/1.1\r\nHost: source\r\nConnection: close\r\n\r\n";
        tls.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut answer = String::new();
        tls.read_to_string(&mut answer).await.map_err(|e| e.to_string())?;
        if answer.starts_with("HTTP/1.1 200") { Ok(answer) } else { Err(format!("no answer: {answer:?}")) }
    }

    fn csr(id: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let csr = rcgen::CertificateParams::new(vec![format!("clone-{id}-target")])
            .expect("params")
            .serialize_request(&key)
            .expect("CSR");
        (csr.pem().expect("PEM"), key.serialize_pem())
    }

    fn self_signed(id: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(vec![format!("clone-{id}-target")]).expect("params");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        (params.self_signed(&key).expect("self-signed").pem(), key.serialize_pem())
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn only_this_sessions_current_target_certificate_gets_through_the_source() {
        // Given a session whose target certificate from creation was replaced
        // by one signed from a CSR (so the first is revoked), another session,
        // and a running source agent
        let app = TestApp::spawn().await;
        let clone = Clone::new(&app).await;
        let other = Clone::new(&app).await;
        let revoked: Bundle = bundle(&app, &clone.id, "target").await;
        let (csr_pem, key_pem) = csr(&clone.id);
        let (status, body) = app
            .as_node(&clone.id, "target")
            .post(&format!("/clone-sessions/{}/csr?role=target", clone.id), json!({ "csr_pem": csr_pem }))
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        let current = body["data"]["cert_pem"].as_str().expect("cert").to_owned();
        let foreign = bundle(&app, &other.id, "target").await;
        let own = bundle(&app, &clone.id, "source").await;
        let image = clone.dir.join("src.img");
        noise_image(&image, 4 * MIB);
        let mut source = clone.agent("source", &image, &[]);
        let addr = source.event("listening", Duration::from_secs(30)).await["addr"].as_str().expect("addr").to_owned();
        let (forged_cert, forged_key) = self_signed(&clone.id);
        let ca = &revoked.ca_pem;

        // Then only the current target certificate of this session is served
        let served = ask(&addr, &clone.id, ca, Some((&current, &key_pem))).await.expect("the target is served");
        assert!(served.contains("chunk_size"), "{served}");
        let refused = [
            ("another session's target", Some((foreign.cert_pem.as_str(), foreign.key_pem.as_str()))),
            ("the source's own certificate", Some((own.cert_pem.as_str(), own.key_pem.as_str()))),
            ("a self-signed certificate", Some((forged_cert.as_str(), forged_key.as_str()))),
            ("no certificate", None),
            ("a revoked target certificate", Some((revoked.cert_pem.as_str(), revoked.key_pem.as_str()))),
        ];
        for (what, identity) in refused {
            let answer = ask(&addr, &clone.id, ca, identity).await;
            assert!(answer.is_err(), "{what} was served: {answer:?}");
        }
        assert!(source.log_text().contains("refused a connection"), "{}", source.log_text());

        // And a target whose session announces a server that is not its
        // source refuses that server and fails the session saying why
        let port: u16 = addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
        let (status, body) = app
            .as_node(&other.id, "source")
            .post(
                &format!("/clone-sessions/{}/source-ready", other.id),
                json!({"ip": "127.0.0.1", "port": port, "size_bytes": 4 * MIB, "device": "/dev/sda"}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        assert_eq!(ca_fingerprint(&app).await, other.ca_sha256);
        let mut target = other.agent("target", &other.dir.join("dst.img"), &[]);
        assert_eq!(target.exit(Duration::from_secs(60)).await, 1, "{}", target.log_text());
        let view = until_status(&app, &other.id, "failed", Duration::from_secs(10)).await;
        let error = view["error_message"].as_str().expect("error");
        assert!(error.starts_with("certificate refused at 127.0.0.1:"), "{error}");
        assert!(error.contains("NotValidForName"), "{error}");
    }
}

mod data {
    use std::os::unix::fs::FileExt;

    use super::*;
    use crate::agent_harness::{UnderWay, allocated, noise, session};

    #[tokio::test(flavor = "multi_thread")]
    async fn a_sparse_image_sends_little_more_than_its_data_and_stays_sparse() {
        // Given a 1 GiB image holding 16 MiB of data in eight extents
        let app = TestApp::spawn().await;
        let clone = Clone::new(&app).await;
        let source_image = clone.dir.join("src.img");
        let file = std::fs::File::create(&source_image).expect("create");
        file.set_len(1024 * MIB).expect("sparse");
        for i in 0..8u64 {
            file.write_all_at(&noise(&format!("extent {i}"), 2 * MIB as usize), (i * 127 + 3) * MIB).expect("extent");
        }
        let data = 16 * MIB;
        let target_image = clone.dir.join("dst.img");

        // When it is cloned
        let done = clone.run_both(&source_image, &target_image).await;

        // Then at most the data plus 5 % crossed the wire, and the target is
        // identical and as sparse as the source
        let wire = done["bytes_on_wire"].as_u64().expect("wire");
        assert!(wire <= data + data / 20, "{wire} bytes on the wire for {data} of data");
        assert!(identical(&source_image, &target_image));
        assert!(allocated(&target_image) <= data + data / 20, "target allocates {}", allocated(&target_image));
        assert_eq!(done["digest"], content_digest(&source_image, MIB));

        // And the recorded progress tells logical bytes from bytes on the wire
        let (_, history) = app.get(&format!("/clone-sessions/{}/history", clone.id)).await;
        let last_target_report = history["data"]
            .as_array()
            .expect("history")
            .iter()
            .rev()
            .find(|e| e["event_type"] == "clone_session.progress_reported" && e["payload"]["role"] == "target")
            .map(|e| e["payload"].clone())
            .expect("target progress");
        assert_eq!(last_target_report["bytes_on_wire"], wire, "{last_target_report}");
        assert_eq!(last_target_report["reported_bytes"], 1024 * MIB, "{last_target_report}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_byte_flipped_after_writing_is_found_by_verification_and_only_its_chunk_fetched_again() {
        // Given a target that pauses between writing and verifying
        let app = TestApp::spawn().await;
        let clone = Clone::new(&app).await;
        let (source_image, target_image) = clone.noise_images(24 * MIB);
        let mut source = clone.agent("source", &source_image, &[]);
        let mut target = clone.agent("target", &target_image, &["--hold-before-verify"]);
        let hold = target.state.join("verify.hold");
        let start = std::time::Instant::now();
        while !hold.exists() {
            assert!(start.elapsed() < Duration::from_secs(60), "never held: {}", target.log_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // When a byte of chunk 13 changes on its disk
        let disk = std::fs::OpenOptions::new().write(true).open(&target_image).expect("open target");
        let offset = 13 * MIB + 4321;
        let mut byte = [0u8; 1];
        std::fs::File::open(&source_image).expect("source").read_exact_at(&mut byte, offset).expect("read");
        disk.write_all_at(&[!byte[0]], offset).expect("flip");
        disk.sync_all().expect("sync");
        std::fs::remove_file(&hold).expect("release");

        // Then verification repairs exactly that chunk, and the clone completes identical
        let done = target.event("done", Duration::from_secs(60)).await;
        assert_eq!(done["repaired"], serde_json::json!([13]), "{done}");
        assert_eq!(done["bytes_on_wire"].as_u64(), Some(25 * MIB), "all chunks once, chunk 13 twice");
        assert_eq!(target.exit(Duration::from_secs(30)).await, 0);
        assert_eq!(source.exit(Duration::from_secs(10)).await, 0);
        assert!(identical(&source_image, &target_image));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_source_that_cannot_read_fails_the_session_with_the_place_and_reason() {
        // Given a clone under way at a limited rate
        let app = TestApp::spawn().await;
        let clone = Clone::new(&app).await;
        let UnderWay { source_image, mut source, mut target, .. } = clone.under_way(&app, 32 * MIB, 4).await;

        // When the image is truncated under the source
        std::fs::OpenOptions::new().write(true).open(&source_image).expect("open").set_len(8 * MIB).expect("truncate");

        // Then the session fails saying where reading failed, and both agents stop
        let view = until_status(&app, &clone.id, "failed", Duration::from_secs(30)).await;
        let error = view["error_message"].as_str().expect("error");
        assert!(error.starts_with(&format!("read error on {} at byte ", source_image.display())), "{error}");
        assert!(error.contains("shorter than the 33554432 announced"), "{error}");
        assert_eq!(source.exit(Duration::from_secs(10)).await, 1, "{}", source.log_text());
        assert_eq!(target.exit(Duration::from_secs(10)).await, 3, "{}", target.log_text());
        assert_eq!(session(&app, &clone.id).await["status"], "failed");
    }
}

mod resume {
    use super::*;
    use crate::agent_harness::{Stoppable, UnderWay, allocated};

    /// Waits until the target image holds at least `bytes` of data.
    async fn until_written(path: &std::path::Path, bytes: u64) {
        let start = std::time::Instant::now();
        while !path.exists() || allocated(path) < bytes {
            assert!(start.elapsed() < Duration::from_secs(60), "the target never reached {bytes} bytes");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_target_killed_midway_resumes_and_fetches_little_again() {
        let app = TestApp::spawn().await;
        let clone = Clone::new(&app).await;
        let size = 64 * MIB;
        let (source_image, target_image) = clone.noise_images(size);
        let mut source = clone.agent("source", &source_image, &[]);
        let mut first = clone.agent("target", &target_image, &["--max-rate-mib", "16"]);

        // When the target is killed at about half way and started again
        until_written(&target_image, size / 2).await;
        first.kill9().await;
        let held = allocated(&target_image);
        let mut second = clone.agent("target", &target_image, &[]);

        // Then it completes having fetched again at most 10 % of what it held
        let done = second.event("done", Duration::from_secs(120)).await;
        let wire = done["bytes_on_wire"].as_u64().expect("wire");
        let again = wire.saturating_sub(size - held);
        assert!(again <= size / 10, "held {held} of {size}, fetched {wire}: {again} bytes again");
        assert_eq!(second.exit(Duration::from_secs(30)).await, 0, "{}", second.log_text());
        assert_eq!(source.exit(Duration::from_secs(10)).await, 0);
        assert!(identical(&source_image, &target_image));
        until_status(&app, &clone.id, "completed", Duration::from_secs(10)).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_source_killed_midway_is_restarted_and_the_target_carries_on() {
        let app = TestApp::spawn().await;
        let clone = Clone::new(&app).await;
        let size = 64 * MIB;
        let (source_image, target_image) = clone.noise_images(size);
        let mut first = clone.agent("source", &source_image, &[]);
        let addr = first.event("listening", Duration::from_secs(30)).await["addr"].as_str().expect("addr").to_owned();
        let mut target = clone.agent("target", &target_image, &["--max-rate-mib", "16"]);

        // When the source is killed at about half way and started again on its port
        until_written(&target_image, size / 2).await;
        first.kill9().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut second = clone.agent("source", &source_image, &["--listen", &addr]);

        // Then the target reconnects on its own and at most 10 % is sent twice
        let done = tokio::select! {
            done = target.event("done", Duration::from_secs(120)) => done,
            code = second.exit(Duration::from_secs(120)) => {
                panic!("the new source exited ({code}): {}", second.log_text())
            }
        };
        let wire = done["bytes_on_wire"].as_u64().expect("wire");
        assert!(wire <= size + size / 10, "{wire} bytes on the wire for {size}");
        assert_eq!(target.exit(Duration::from_secs(30)).await, 0, "{}", target.log_text());
        assert_eq!(second.exit(Duration::from_secs(10)).await, 0, "{}", second.log_text());
        assert!(identical(&source_image, &target_image));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_clone_outlives_a_controller_stopped_for_ten_seconds() {
        // Given agents talking to a controller that can be stopped
        let app = TestApp::spawn().await;
        let controller = Stoppable::start(&app, None).await;
        let clone = Clone::with_controller(&app, &format!("http://{}", controller.addr)).await;
        let size = 48 * MIB;
        let UnderWay { source_image, target_image, mut source, mut target } = clone.under_way(&app, size, 3).await;

        // When the controller is away for 10 s mid-clone
        let addr = controller.addr;
        controller.stop().await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        let written_meanwhile = allocated(&target_image);
        let outbox = target.state.join(format!("outbox-{}-target.json", clone.id));
        let queued: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&outbox).expect("outbox file")).expect("JSON");
        assert!(!queued.as_array().expect("queue").is_empty(), "nothing kept for the controller: {queued}");
        let controller = Stoppable::start(&app, Some(addr)).await;

        // Then the clone went on, the queued callbacks arrive, and it completes
        assert!(written_meanwhile >= 24 * MIB, "the transfer stalled: {written_meanwhile} bytes");
        let done = target.event("done", Duration::from_secs(120)).await;
        assert_eq!(target.exit(Duration::from_secs(60)).await, 0, "{}", target.log_text());
        assert_eq!(source.exit(Duration::from_secs(15)).await, 0, "{}", source.log_text());
        let view = until_status(&app, &clone.id, "completed", Duration::from_secs(10)).await;
        assert_eq!(view["bytes_transferred"], size);
        let completed = history_event(&app, &clone.id, "clone_session.completed").await.expect("completed");
        assert_eq!(completed["digest"], done["digest"]);
        assert!(identical(&source_image, &target_image));
        controller.stop().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn cancelling_through_the_api_stops_both_agents_within_five_seconds() {
        let app = TestApp::spawn().await;
        let clone = Clone::new(&app).await;
        let UnderWay { mut source, mut target, .. } = clone.under_way(&app, 32 * MIB, 2).await;

        let (status, body) = app.delete(&format!("/clone-sessions/{}", clone.id)).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        assert_eq!(body["data"]["outcome"], "cancelled");
        let cancelled = std::time::Instant::now();
        assert_eq!(target.exit(Duration::from_secs(5)).await, 3, "{}", target.log_text());
        assert_eq!(source.exit(Duration::from_secs(5)).await, 3, "{}", source.log_text());
        assert!(cancelled.elapsed() < Duration::from_secs(5));
    }
}
