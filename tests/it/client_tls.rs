//! TLS against the simulator behind a TLS front: a private CA through
//! `ca_file`, skipped verification on loopback, and a refused certificate
//! reported as a TLS error rather than an outage.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::plex::conn::tls::TlsSettings;
use metarr_plex::plex::conn::token::{Token, TokenSource};
use metarr_plex::plex::{ClientSettings, PlexClient, PlexError};
use metarr_plex::sim::{SimOptions, Simulator};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// Terminates TLS on a loopback port and relays each connection to the
/// simulator; returns the `https://127.0.0.1:PORT/` URL.
async fn tls_front(sim: &Simulator) -> url::Url {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = sim.addr();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut plain) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    url::Url::parse(&format!("https://127.0.0.1:{port}/")).unwrap()
}

fn client(base: url::Url, tls: TlsSettings) -> Result<PlexClient, PlexError> {
    PlexClient::new(ClientSettings {
        base_url: base,
        tokens: TokenSource::fixed(Token::new("sim-token").unwrap()),
        identity: ClientIdentity::new("tls-test"),
        timeout: Duration::from_secs(5),
        tls,
    })
}

#[tokio::test]
async fn a_private_ca_in_ca_file_is_trusted() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let url = tls_front(&sim).await;
    let c = client(
        url,
        TlsSettings {
            ca_file: Some(fixture("ca.pem")),
            insecure_skip_verify: false,
        },
    )
    .unwrap();
    assert_eq!(c.sections().await.unwrap().len(), 4);
    let r = sim.requests().pop().unwrap();
    assert_eq!(r.header("x-plex-token"), Some("<redacted>"));
    assert!(r.query.is_empty());
}

#[tokio::test]
async fn an_unknown_issuer_is_a_tls_error_not_an_outage() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let url = tls_front(&sim).await;
    let c = client(url.clone(), TlsSettings::default()).unwrap();
    let err = c.identity().await.unwrap_err();
    assert!(matches!(err, PlexError::Tls(_)), "{err:?}");
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("TLS handshake with https://127.0.0.1:"),
        "{text}"
    );
    assert!(text.to_lowercase().contains("certificate"), "{text}");
    assert!(sim.requests().is_empty(), "nothing reached Plex");
}

#[tokio::test]
async fn skipping_verification_works_on_loopback_only() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let url = tls_front(&sim).await;
    let insecure = TlsSettings {
        ca_file: None,
        insecure_skip_verify: true,
    };
    let c = client(url, insecure.clone()).unwrap();
    assert!(c.identity().await.is_ok());
    let public = url::Url::parse("https://plex.example.com:32400/").unwrap();
    let err = client(public, insecure).unwrap_err();
    assert!(
        err.to_string()
            .contains("only allowed for loopback or private"),
        "{err}"
    );
}

#[tokio::test]
async fn the_websocket_gets_the_same_tls_config() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let url = tls_front(&sim).await;
    let c = client(
        url,
        TlsSettings {
            ca_file: Some(fixture("ca.pem")),
            insecure_skip_verify: false,
        },
    )
    .unwrap();
    let config = c.tls_config();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let connector = tokio_rustls::TlsConnector::from(config);
    let addr = c.base_url().socket_addrs(|| None).unwrap()[0];
    let tcp = TcpStream::connect(addr).await.unwrap();
    connector
        .connect(name, tcp)
        .await
        .expect("handshake with the shared config");
}
