//! The TLS limit for BENCHMARKS.md: `MIB` mebibytes pushed through `STREAMS`
//! rustls TLS 1.3 connections over loopback, with the provider (ring) and
//! protocol version the node agent uses, both ends in this process.
//!
//! `cargo run --release --example tls-loopback -- [MIB=1024] [STREAMS=4]`
//! prints one JSON line: bytes, seconds, MB/s.

use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::{TlsAcceptor, TlsConnector};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mib: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1024);
    let streams: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(4).max(1);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = rcgen::KeyPair::generate()?;
    let cert = rcgen::CertificateParams::new(vec!["loopback".to_owned()])?.self_signed(&key)?;
    let mut server = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )?;
    // No session tickets: the sender never reads, and unread tickets would
    // make its close a reset that cuts the receiver short.
    server.send_tls13_tickets = 0;
    let mut roots = RootCertStore::empty();
    roots.add(cert.der().clone())?;
    let client = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let (acceptor, connector) = (TlsAcceptor::from(Arc::new(server)), TlsConnector::from(Arc::new(client)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let per_stream = mib * 1024 * 1024 / streams;

    let started = Instant::now();
    let receivers = tokio::spawn(async move {
        let mut received = Vec::new();
        for _ in 0..streams {
            let (tcp, _) = listener.accept().await?;
            let acceptor = acceptor.clone();
            received.push(tokio::spawn(async move {
                let mut tls = acceptor.accept(tcp).await?;
                let mut buffer = vec![0u8; 1 << 20];
                let mut total = 0u64;
                loop {
                    match tls.read(&mut buffer).await? {
                        0 => return Ok::<u64, std::io::Error>(total),
                        n => total += n as u64,
                    }
                }
            }));
        }
        let mut total = 0;
        for task in received {
            total += task.await??;
        }
        Ok::<u64, anyhow::Error>(total)
    });
    let mut senders = Vec::new();
    for _ in 0..streams {
        let connector = connector.clone();
        senders.push(tokio::spawn(async move {
            let tcp = tokio::net::TcpStream::connect(addr).await?;
            let mut tls = connector.connect(ServerName::try_from("loopback")?, tcp).await?;
            let block = vec![0x5au8; 1 << 20];
            let mut sent = 0;
            while sent < per_stream {
                let n = (per_stream - sent).min(block.len() as u64) as usize;
                tls.write_all(&block[..n]).await?;
                sent += n as u64;
            }
            tls.shutdown().await?;
            Ok::<(), anyhow::Error>(())
        }));
    }
    for sender in senders {
        sender.await??;
    }
    let bytes = receivers.await??;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({ "bytes": bytes, "streams": streams, "seconds": seconds,
                             "mb_per_s": bytes as f64 / 1e6 / seconds })
    );
    Ok(())
}
