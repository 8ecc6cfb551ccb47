//! TLS against the simulator behind a TLS front: a private CA through
//! `ca_file`, skipped verification on loopback, a refused certificate
//! reported as a TLS error rather than an outage, and the notification
//! listener over `wss://` (offered `h2` by the server, it asks for
//! `http/1.1`, which a WebSocket upgrade needs).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::plex::conn::tls::TlsSettings;
use metarr_plex::plex::conn::token::{Token, TokenSource};
use metarr_plex::plex::{ClientSettings, PlexClient, PlexError};
use metarr_plex::sim::{SimOptions, Simulator};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// Terminates TLS on a loopback port and relays each connection to the
/// simulator; returns the `https://127.0.0.1:PORT/` URL.
async fn tls_front(sim: &Simulator) -> url::Url {
    tls_front_recording(sim).await.0
}

/// One connection through the TLS front.
#[derive(Debug, Clone)]
struct Relayed {
    /// The protocol ALPN settled on.
    alpn: Option<Vec<u8>>,
    /// The first bytes the client sent after the handshake.
    head: String,
}

/// [`tls_front`], offering `h2` and `http/1.1` like a real HTTPS server, and
/// recording each connection's ALPN choice and first bytes.
async fn tls_front_recording(sim: &Simulator) -> (url::Url, Arc<Mutex<Vec<Relayed>>>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = sim.addr();
    let relayed = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&relayed);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                let mut head = vec![0u8; 4096];
                let Ok(n) = tls.read(&mut head).await else {
                    return;
                };
                head.truncate(n);
                record.lock().unwrap().push(Relayed {
                    alpn,
                    head: String::from_utf8_lossy(&head).into_owned(),
                });
                if let Ok(mut plain) = TcpStream::connect(upstream).await
                    && plain.write_all(&head).await.is_ok()
                {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    let url = url::Url::parse(&format!("https://127.0.0.1:{port}/")).unwrap();
    (url, relayed)
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

#[tokio::test]
async fn the_listener_streams_events_over_wss_with_http_1_1_alpn() {
    use metarr_plex::event::{EventName, Normalizer, NormalizerConfig};
    use metarr_plex::source::listener::{
        Listener, ListenerConfig, MemoryWatermark, NormalizedPipeline,
    };

    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let (url, relayed) = tls_front_recording(&sim).await;
    let tokens = TokenSource::fixed(Token::new(sim.token()).unwrap());
    let c = PlexClient::new(ClientSettings {
        base_url: url,
        tokens: tokens.clone(),
        identity: ClientIdentity::new("wss-test"),
        timeout: Duration::from_secs(5),
        tls: TlsSettings {
            ca_file: Some(fixture("ca.pem")),
            insecure_skip_verify: false,
        },
    })
    .unwrap();
    let mut config = ListenerConfig::for_client(&c, tokens);
    config.backoff_base = Duration::from_millis(50);
    config.backoff_cap = Duration::from_millis(200);
    let listener = Listener::new(
        config,
        Box::new(NormalizedPipeline::new(Normalizer::new(
            NormalizerConfig::default(),
        ))),
        Arc::new(c.clone()),
        Arc::new(MemoryWatermark::new()),
    )
    .unwrap();
    assert_eq!(listener.url().scheme(), "wss");
    let stats = listener.stats();
    let (tx, mut rx) = metarr_plex::source::listener::backlog::channel(64);
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(listener.run(tx, stop.clone()));
    let next = async |rx: &mut metarr_plex::source::listener::backlog::Receiver,
                      name: EventName| {
        loop {
            let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {name:?} within 10 s"))
                .expect("the listener runs");
            if event.name == name {
                return event;
            }
        }
    };
    next(&mut rx, EventName::ServerConnected).await;
    // The catch-up after connecting is done (a session started during it
    // would count as already playing): live frames are next.
    let start = std::time::Instant::now();
    while stats.snapshot().reconciles == 0 {
        assert!(start.elapsed() < Duration::from_secs(10), "no catch-up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A live notification makes it through the TLS socket as an event.
    let id = crate::client_harness::id_of(&sim, crate::client_harness::ARRIVAL);
    sim.start_playback(&id).unwrap();
    let started = next(&mut rx, EventName::PlaybackStarted).await;
    assert_eq!(
        started.item.as_ref().map(|i| i.id.as_str()),
        Some(id.as_str())
    );

    let conns = relayed.lock().unwrap().clone();
    let upgrade = conns
        .iter()
        .find(|c| c.head.starts_with("GET /:/websockets/notifications"))
        .unwrap_or_else(|| panic!("no WebSocket upgrade went through TLS: {conns:#?}"));
    assert_eq!(upgrade.alpn.as_deref(), Some(&b"http/1.1"[..]));
    assert!(
        upgrade
            .head
            .to_ascii_lowercase()
            .contains("upgrade: websocket")
    );
    let request_line = upgrade.head.lines().next().unwrap_or_default();
    assert!(
        !request_line.contains(&sim.token()),
        "the token is not in the upgrade's URL: {request_line}"
    );
    stop.cancel();
    let _ = task.await;
}
