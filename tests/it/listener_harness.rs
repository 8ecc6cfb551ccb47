//! In-process stand-ins for a Plex notification endpoint, used by the
//! listener tests: a scripted WebSocket server that records each handshake,
//! a fake REST view for reconciliation, and a pipeline that turns each JSON
//! frame into one `notification` event.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use metarr_plex::event::{Event, EventName};
use metarr_plex::plex::conn::token::{Token, TokenSource};
use metarr_plex::source::listener::{
    Listener, ListenerConfig, Malformed, MemoryWatermark, Pipeline, ReconcileError, ServerView,
    Snapshot, backlog,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

pub const TOKEN: &str = "t0ken-SECRET-123";

/// One upgrade request as the server saw it.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub at: Instant,
    pub uri: String,
    pub token: Option<String>,
    pub headers: Vec<(String, String)>,
    pub accepted: bool,
}

/// A scripted WebSocket server on 127.0.0.1:0.
pub struct MockPlex {
    pub addr: SocketAddr,
    pub handshakes: mpsc::UnboundedReceiver<Handshake>,
}

impl MockPlex {
    /// Accepts every connection whose token matches `valid` (any token when
    /// `None`) and hands the socket and its 1-based number to `script`.
    pub async fn start<F, Fut>(valid: Option<Arc<Mutex<String>>>, script: F) -> MockPlex
    where
        F: Fn(usize, WebSocketStream<TcpStream>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, handshakes) = mpsc::unbounded_channel();
        let script = Arc::new(script);
        tokio::spawn(async move {
            let mut n = 0;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let tx = tx.clone();
                let valid = valid.clone();
                // The callback type is tungstenite's; its error is a whole response.
                #[allow(clippy::result_large_err)]
                let record =
                    move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
                        let token = req
                            .headers()
                            .get("X-Plex-Token")
                            .map(|v| v.to_str().unwrap().to_owned());
                        let accepted = match &valid {
                            None => true,
                            Some(v) => token.as_deref() == Some(v.lock().unwrap().as_str()),
                        };
                        let _ = tx.send(Handshake {
                            at: Instant::now(),
                            uri: req.uri().to_string(),
                            token,
                            headers: req
                                .headers()
                                .iter()
                                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                                .collect(),
                            accepted,
                        });
                        if accepted {
                            Ok(resp)
                        } else {
                            Err(tokio_tungstenite::tungstenite::http::Response::builder()
                                .status(401)
                                .body(Some(
                                    "<html><head><title>Unauthorized</title></head></html>".into(),
                                ))
                                .unwrap())
                        }
                    };
                match tokio_tungstenite::accept_hdr_async(stream, record).await {
                    Ok(ws) => {
                        n += 1;
                        tokio::spawn(script(n, ws));
                    }
                    Err(_) => continue,
                }
            }
        });
        MockPlex { addr, handshakes }
    }

    /// The next handshake, failing the test if none comes within `within`
    /// (virtual time under a paused clock).
    pub async fn next_handshake(&mut self, within: Duration) -> Handshake {
        tokio::time::timeout(within, self.handshakes.recv())
            .await
            .expect("no handshake in time")
            .expect("server gone")
    }
}

/// Turns each JSON frame into a `notification` event carrying the JSON;
/// each snapshot into one synthetic `notification` of type `reconciled`.
pub struct JsonPipeline;

impl Pipeline for JsonPipeline {
    fn frame(&mut self, text: &str, _now: Instant, out: &mut Vec<Event>) -> Result<(), Malformed> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Malformed {
            kind: "not_json",
            detail: e.to_string(),
        })?;
        let mut event = Event::new(EventName::Notification);
        event.notification_type = value.get("n").map(|n| n.to_string());
        event.raw = value.into();
        out.push(event);
        Ok(())
    }

    fn tick(&mut self, _now: Instant, _out: &mut Vec<Event>) {}

    fn reconcile(
        &mut self,
        snapshot: &Snapshot,
        _now: Instant,
        out: &mut Vec<Event>,
    ) -> Option<i64> {
        let mut event = Event::new(EventName::Notification);
        event.notification_type = Some("reconciled".into());
        event.synthetic = true;
        event.raw = serde_json::json!({ "sessions": snapshot.sessions.len() }).into();
        out.push(event);
        None
    }
}

/// A REST view that returns an empty snapshot, after `delay`, and counts calls.
#[derive(Default)]
pub struct FakeView {
    pub calls: AtomicUsize,
    pub delay: Duration,
}

impl ServerView for FakeView {
    fn snapshot(
        self: Arc<Self>,
        _added_since: Option<i64>,
        _touched_since: Option<i64>,
    ) -> BoxFuture<'static, Result<Snapshot, ReconcileError>> {
        async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            Ok(Snapshot::default())
        }
        .boxed()
    }
}

/// Listener settings for tests: the spec's timers, a fixed token.
pub fn config(addr: SocketAddr) -> ListenerConfig {
    let url = url::Url::parse(&format!("http://{addr}")).unwrap();
    let mut config = ListenerConfig::new(url, TokenSource::fixed(Token::new(TOKEN).unwrap()));
    config.headers.insert(
        "X-Plex-Client-Identifier",
        tokio_tungstenite::tungstenite::http::HeaderValue::from_static("test-client-id"),
    );
    config
}

/// A listener with the JSON pipeline and a fake view.
pub fn listener(config: ListenerConfig, view: Arc<FakeView>) -> Listener {
    Listener::new(
        config,
        Box::new(JsonPipeline),
        view,
        Arc::new(MemoryWatermark::new()),
    )
    .unwrap()
}

/// Receives the next event that is not `server.connected` or the synthetic marker.
pub async fn next_live(rx: &mut backlog::Receiver) -> Event {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(120), rx.recv())
            .await
            .expect("no event in time")
            .expect("listener gone");
        if event.name == EventName::Notification && !event.synthetic {
            return event;
        }
    }
}

/// A REST view that plays back one snapshot per call (the last one repeats)
/// and records the watermark each call was made with.
pub struct ScriptedView {
    snapshots: Mutex<std::collections::VecDeque<Snapshot>>,
    pub since: Mutex<Vec<Option<i64>>>,
}

impl ScriptedView {
    pub fn new(snapshots: Vec<Snapshot>) -> Arc<ScriptedView> {
        Arc::new(ScriptedView {
            snapshots: Mutex::new(snapshots.into()),
            since: Mutex::new(Vec::new()),
        })
    }
}

impl ServerView for ScriptedView {
    fn snapshot(
        self: Arc<Self>,
        added_since: Option<i64>,
        _touched_since: Option<i64>,
    ) -> BoxFuture<'static, Result<Snapshot, ReconcileError>> {
        self.since.lock().unwrap().push(added_since);
        let mut queue = self.snapshots.lock().unwrap();
        let snapshot = if queue.len() > 1 {
            queue.pop_front().unwrap()
        } else {
            queue.front().cloned().unwrap_or_default()
        };
        async move { Ok(snapshot) }.boxed()
    }
}

/// A listener with the real parser and normalizer.
pub fn normalizing_listener(config: ListenerConfig, view: Arc<ScriptedView>) -> Listener {
    use metarr_plex::event::{Normalizer, NormalizerConfig};
    use metarr_plex::source::listener::NormalizedPipeline;
    Listener::new(
        config,
        Box::new(NormalizedPipeline::new(Normalizer::new(
            NormalizerConfig::default(),
        ))),
        view,
        Arc::new(MemoryWatermark::new()),
    )
    .unwrap()
}
