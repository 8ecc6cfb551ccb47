//! The notification listener against in-process WebSocket servers: reconnects,
//! stalls, garbage, auth failures, slow consumers, shutdown. Timers run on a
//! paused clock with client and server in the same current-thread runtime.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use metarr_plex::event::{Event, EventName};
use metarr_plex::plex::conn::token::TokenSource;
use metarr_plex::source::listener::{ConnectionState, backlog};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_util::sync::CancellationToken;

use crate::listener_harness::{FakeView, MockPlex, TOKEN, config, listener, next_live};

fn frame(n: usize) -> Message {
    Message::Text(format!("{{\"n\":{n}}}").into())
}

async fn hold_forever<T>(value: T) {
    let _keep = value;
    std::future::pending::<()>().await;
}

/// Waits until the published state satisfies `pred`.
async fn wait_state(
    rx: &mut tokio::sync::watch::Receiver<ConnectionState>,
    pred: impl Fn(&ConnectionState) -> bool,
) -> ConnectionState {
    let state = tokio::time::timeout(Duration::from_secs(900), rx.wait_for(|s| pred(s)))
        .await
        .expect("state not reached in time")
        .expect("listener gone");
    state.clone()
}

#[tokio::test(start_paused = true)]
async fn token_travels_in_the_upgrade_header_never_in_the_url() {
    let mut plex = MockPlex::start(None, |_, ws| hold_forever(ws)).await;
    let mut cfg = config(plex.addr);
    cfg.filters = Some("playing,timeline,activity".into());
    let l = listener(cfg, Arc::default());
    let (tx, _rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    let hs = plex.next_handshake(Duration::from_secs(5)).await;
    assert_eq!(hs.token.as_deref(), Some(TOKEN));
    assert_eq!(
        hs.uri,
        "/:/websockets/notifications?filters=playing%2Ctimeline%2Cactivity"
    );
    assert!(!hs.uri.contains(TOKEN));
    assert!(
        hs.headers
            .iter()
            .any(|(k, v)| k == "x-plex-client-identifier" && v == "test-client-id")
    );
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn dropped_connection_reconnects_with_backoff_and_delivers_again() {
    let mut plex = MockPlex::start(None, |n, mut ws| async move {
        ws.send(frame(n)).await.unwrap();
        if n == 1 {
            drop(ws);
        } else {
            hold_forever(ws).await;
        }
    })
    .await;
    let view = Arc::new(FakeView::default());
    let l = listener(config(plex.addr), Arc::clone(&view));
    let stats = l.stats();
    let (tx, mut rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    assert_eq!(next_live(&mut rx).await.raw["n"], 1);
    let first = plex.next_handshake(Duration::from_secs(5)).await;
    assert_eq!(next_live(&mut rx).await.raw["n"], 2);
    let second = plex.next_handshake(Duration::from_secs(5)).await;
    let gap = second.at - first.at;
    assert!(
        gap <= Duration::from_secs(1),
        "first retry waits at most the 1 s base: {gap:?}"
    );
    assert_eq!(stats.snapshot().connects, 2);
    assert_eq!(
        view.calls.load(Ordering::SeqCst),
        2,
        "one catch-up per connect"
    );
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_server_that_accepts_and_drops_does_not_cause_a_tight_loop() {
    let mut plex = MockPlex::start(None, |_, ws| async move { drop(ws) }).await;
    let l = listener(config(plex.addr), Arc::default());
    let (tx, _rx) = backlog::channel(1024);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(300)).await;
    stop.cancel();
    task.await.unwrap();
    let mut connects = Vec::new();
    while let Ok(hs) = plex.handshakes.try_recv() {
        connects.push(hs.at - start);
    }
    // Ceilings 1, 2, 4, 8, 16, then 30 s: about a dozen attempts in five
    // minutes, never hundreds. Full jitter waits 15 s on average under the
    // 30 s cap, so three minutes hold ~12 attempts and sometimes 16-20 by
    // chance alone; a tight loop would make hundreds.
    assert!(connects.len() >= 5, "{connects:?}");
    assert!(connects.len() <= 60, "{} connects in 5 min", connects.len());
    let late = connects
        .iter()
        .filter(|t| **t >= Duration::from_secs(120))
        .count();
    assert!(late <= 30, "after two minutes the cap (30 s) rules: {late}");
}

#[tokio::test(start_paused = true)]
async fn a_stalled_connection_is_detected_within_30_seconds() {
    let mut plex = MockPlex::start(None, |n, mut ws| async move {
        ws.send(frame(n)).await.unwrap();
        // Never poll again: no pongs, no data — a half-open peer.
        hold_forever(ws).await;
    })
    .await;
    let l = listener(config(plex.addr), Arc::default());
    let mut state = l.state();
    let (tx, mut rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    assert_eq!(next_live(&mut rx).await.raw["n"], 1);
    let got_frame = Instant::now();
    wait_state(&mut state, |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await;
    let detected = got_frame.elapsed();
    assert!(
        detected >= Duration::from_secs(29) && detected <= Duration::from_secs(30),
        "{detected:?}"
    );
    assert_eq!(next_live(&mut rx).await.raw["n"], 2);
    let _ = plex.next_handshake(Duration::from_secs(1)).await;
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_quiet_but_healthy_server_keeps_the_connection() {
    // Polls its socket (so pings are answered) but never sends data.
    let plex = MockPlex::start(None, |_, mut ws| async move {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    let l = listener(config(plex.addr), Arc::default());
    let stats = l.stats();
    let state = l.state();
    let (tx, _rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(
        stats.snapshot().connects,
        1,
        "pongs keep a quiet stream alive"
    );
    assert!(matches!(*state.borrow(), ConnectionState::Connected { .. }));
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn malformed_json_is_counted_and_skipped_without_dropping_the_connection() {
    let plex = MockPlex::start(None, |n, mut ws| async move {
        ws.send(Message::Text("{not json".into())).await.unwrap();
        ws.send(Message::Text("[1,2".into())).await.unwrap();
        ws.send(frame(n)).await.unwrap();
        hold_forever(ws).await;
    })
    .await;
    let l = listener(config(plex.addr), Arc::default());
    let stats = l.stats();
    let (tx, mut rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    assert_eq!(next_live(&mut rx).await.raw["n"], 1);
    let s = stats.snapshot();
    assert_eq!((s.malformed, s.frames, s.connects), (2, 3, 1));
    stop.cancel();
    task.await.unwrap();
}

/// A server that completes the upgrade by hand and then writes `bytes`.
async fn raw_server(bytes: &'static [u8]) -> (std::net::SocketAddr, mpsc::UnboundedReceiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let _ = tx.send(());
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let key = req
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .starts_with("sec-websocket-key:")
                        .then(|| l[18..].trim().to_owned())
                })
                .unwrap();
            let accept =
                tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
            let head = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(bytes).await.unwrap();
            tokio::spawn(hold_forever(s));
        }
    });
    (addr, rx)
}

#[tokio::test(start_paused = true)]
async fn a_garbage_frame_ends_the_session_and_the_listener_reconnects() {
    // 0x83: FIN + reserved opcode 3, which RFC 6455 forbids.
    let (addr, mut accepts) = raw_server(&[0x83, 0x00]).await;
    let l = listener(config(addr), Arc::default());
    let stats = l.stats();
    let (tx, _rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    for _ in 0..3 {
        tokio::time::timeout(Duration::from_secs(60), accepts.recv())
            .await
            .unwrap()
            .unwrap();
    }
    assert!(stats.snapshot().connects >= 2);
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_oversized_message_is_refused_and_the_listener_reconnects() {
    let mut plex = MockPlex::start(None, |n, mut ws| async move {
        if n == 1 {
            let _ = ws.send(Message::Text("x".repeat(2 << 20).into())).await;
        } else {
            ws.send(frame(n)).await.unwrap();
        }
        hold_forever(ws).await;
    })
    .await;
    let l = listener(config(plex.addr), Arc::default());
    let (tx, mut rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    assert_eq!(
        next_live(&mut rx).await.raw["n"],
        2,
        "the 2 MiB message never arrives"
    );
    let _ = plex.next_handshake(Duration::from_secs(1)).await;
    let _ = plex.next_handshake(Duration::from_secs(1)).await;
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_close_frame_leads_to_a_reconnect() {
    let mut plex = MockPlex::start(None, |n, mut ws| async move {
        ws.send(frame(n)).await.unwrap();
        if n == 1 {
            let _ = ws
                .close(Some(CloseFrame {
                    code: CloseCode::Away,
                    reason: "restarting".into(),
                }))
                .await;
        }
        hold_forever(ws).await;
    })
    .await;
    let l = listener(config(plex.addr), Arc::default());
    let (tx, mut rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    assert_eq!(next_live(&mut rx).await.raw["n"], 1);
    assert_eq!(next_live(&mut rx).await.raw["n"], 2);
    let _ = plex.next_handshake(Duration::from_secs(1)).await;
    let _ = plex.next_handshake(Duration::from_secs(1)).await;
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_blackhole_server_hits_the_connect_timeout() {
    let blackhole = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = blackhole.local_addr().unwrap();
    let (accepted_tx, mut accepted) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (s, _) = blackhole.accept().await.unwrap();
            let _ = accepted_tx.send(Instant::now());
            tokio::spawn(hold_forever(s));
        }
    });
    let l = listener(config(addr), Arc::default());
    let mut state = l.state();
    let (tx, _rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    let first = accepted.recv().await.unwrap();
    wait_state(&mut state, |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await;
    let waited = first.elapsed();
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(11),
        "the 10 s connect timeout covers the upgrade: {waited:?}"
    );
    let second = tokio::time::timeout(Duration::from_secs(60), accepted.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(second > first);
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_rejected_token_is_its_own_slow_state_and_a_rotated_token_file_recovers() {
    let valid = Arc::new(Mutex::new("the-new-token".to_owned()));
    let mut plex = MockPlex::start(Some(Arc::clone(&valid)), |n, mut ws| async move {
        ws.send(frame(n)).await.unwrap();
        hold_forever(ws).await;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("plex-token");
    std::fs::write(&token_file, "the-old-token\n").unwrap();
    let mut cfg = config(plex.addr);
    cfg.token = TokenSource {
        token_file: Some(token_file.clone()),
        ..TokenSource::default()
    };
    let l = listener(cfg, Arc::default());
    let mut state = l.state();
    let (tx, mut rx) = backlog::channel(64);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    let first = plex.next_handshake(Duration::from_secs(5)).await;
    assert!(!first.accepted);
    assert_eq!(rx.recv().await.unwrap().name, EventName::ServerAuthFailed);
    let failed = wait_state(&mut state, |s| {
        matches!(s, ConnectionState::AuthFailed { .. })
    })
    .await;
    let ConnectionState::AuthFailed { next_in } = failed else {
        unreachable!()
    };
    assert!(
        next_in >= Duration::from_secs(30),
        "slow retry: {next_in:?}"
    );

    // A few slow retries, each re-reading the (still wrong) file.
    let second = plex.next_handshake(Duration::from_secs(400)).await;
    let third = plex.next_handshake(Duration::from_secs(400)).await;
    assert!(!second.accepted && !third.accepted);
    assert!(second.at - first.at >= Duration::from_secs(30));
    assert!(third.at - second.at >= Duration::from_secs(30));

    std::fs::write(&token_file, "the-new-token\n").unwrap();
    let ok = loop {
        let hs = plex.next_handshake(Duration::from_secs(400)).await;
        if hs.accepted {
            break hs;
        }
    };
    assert_eq!(ok.token.as_deref(), Some("the-new-token"));
    assert_eq!(rx.recv().await.unwrap().name, EventName::ServerConnected);
    assert_eq!(next_live(&mut rx).await.raw["n"], 1);
    assert!(matches!(*state.borrow(), ConnectionState::Connected { .. }));
    stop.cancel();
    task.await.unwrap();
}

/// Collects every event until the channel is empty (without waiting).
fn drain(rx: &mut backlog::Receiver) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

#[tokio::test(start_paused = true)]
async fn auth_failure_is_announced_once_however_often_it_is_retried() {
    let valid = Arc::new(Mutex::new("something-else".to_owned()));
    let mut plex = MockPlex::start(Some(valid), |_, ws| hold_forever(ws)).await;
    let l = listener(config(plex.addr), Arc::default());
    let (tx, mut rx) = backlog::channel(64);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    tokio::time::sleep(Duration::from_secs(1800)).await;
    let events = drain(&mut rx);
    let auth: Vec<_> = events
        .iter()
        .filter(|e| e.name == EventName::ServerAuthFailed)
        .collect();
    assert_eq!(auth.len(), 1, "{events:?}");
    assert!(
        !events
            .iter()
            .any(|e| e.name == EventName::ServerDisconnected),
        "auth failure is reported as such, not as an outage"
    );
    let mut attempts = 0;
    while plex.handshakes.try_recv().is_ok() {
        attempts += 1;
    }
    // 30 min with retries every 30 s–5 min: far from a tight loop.
    assert!((3..=40).contains(&attempts), "{attempts}");
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_outage_is_announced_once_after_the_grace_period() {
    // Bind then drop: connections are refused.
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let l = listener(config(addr), Arc::default());
    let (tx, mut rx) = backlog::channel(64);
    let stop = CancellationToken::new();
    let start = Instant::now();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    let first = tokio::time::timeout(Duration::from_secs(600), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.name, EventName::ServerDisconnected);
    let at = start.elapsed();
    assert!(
        at >= Duration::from_secs(60) && at < Duration::from_secs(61),
        "{at:?}"
    );
    tokio::time::sleep(Duration::from_secs(900)).await;
    assert!(drain(&mut rx).is_empty(), "announced once, not per retry");
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn shutdown_during_backoff_returns_at_once() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let mut cfg = config(addr);
    cfg.backoff_base = Duration::from_secs(30);
    let l = listener(cfg, Arc::default());
    let mut state = l.state();
    let (tx, _rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));
    wait_state(&mut state, |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await;

    let asked = std::time::Instant::now();
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("run() must return promptly")
        .unwrap();
    assert!(
        asked.elapsed() < Duration::from_millis(200),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(*state.borrow(), ConnectionState::Stopped);
}

#[tokio::test(start_paused = true)]
async fn shutdown_sends_a_close_frame() {
    let (closed_tx, mut closed) = mpsc::unbounded_channel();
    let plex = MockPlex::start(None, move |_, mut ws| {
        let closed_tx = closed_tx.clone();
        async move {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Close(_) = msg {
                    let _ = closed_tx.send(());
                }
            }
        }
    })
    .await;
    let l = listener(config(plex.addr), Arc::default());
    let (tx, mut rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));
    assert_eq!(rx.recv().await.unwrap().name, EventName::ServerConnected);
    stop.cancel();
    task.await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), closed.recv())
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_slow_consumer_costs_dropped_events_not_a_stalled_socket() {
    let (pong_tx, mut pongs) = mpsc::unbounded_channel();
    let plex = MockPlex::start(None, move |_, mut ws| {
        let pong_tx = pong_tx.clone();
        async move {
            for n in 0..200 {
                ws.send(frame(n)).await.unwrap();
            }
            // Still answered although nobody drains the queue.
            ws.send(Message::Ping("are you there".into()))
                .await
                .unwrap();
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Pong(data) = msg {
                    let _ = pong_tx.send(data);
                }
            }
        }
    })
    .await;
    let view = Arc::new(FakeView::default());
    let l = listener(config(plex.addr), Arc::clone(&view));
    let stats = l.stats();
    let (tx, mut rx) = backlog::channel(8);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    let pong = tokio::time::timeout(Duration::from_secs(5), pongs.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong[..], b"are you there");
    let s = stats.snapshot();
    assert_eq!(s.frames, 200);
    assert!(s.dropped >= 190, "{s:?}");
    assert_eq!(
        view.calls.load(Ordering::SeqCst),
        1,
        "no resync while still full"
    );

    // The consumer catches up: a resync follows, on the same connection.
    let _ = drain(&mut rx);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(view.calls.load(Ordering::SeqCst), 2, "resync once drained");
    let synthetic = drain(&mut rx);
    assert!(synthetic.iter().any(|e| e.synthetic), "{synthetic:?}");
    assert_eq!(stats.snapshot().connects, 1);
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn catch_up_events_come_before_live_events_of_the_new_connection() {
    let plex = MockPlex::start(None, |n, mut ws| async move {
        // Live frames arrive while the snapshot is still being taken.
        ws.send(frame(n * 10)).await.unwrap();
        ws.send(frame(n * 10 + 1)).await.unwrap();
        hold_forever(ws).await;
    })
    .await;
    let view = Arc::new(FakeView {
        delay: Duration::from_secs(2),
        ..FakeView::default()
    });
    let l = listener(config(plex.addr), view);
    let (tx, mut rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    let mut order = Vec::new();
    while order.len() < 4 {
        let e = rx.recv().await.unwrap();
        order.push(match (e.name, e.synthetic) {
            (EventName::ServerConnected, _) => "connected".to_owned(),
            (_, true) => "catch-up".to_owned(),
            _ => format!("live {}", e.raw["n"]),
        });
    }
    assert_eq!(order, ["connected", "catch-up", "live 10", "live 11"]);
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_missing_token_file_waits_slowly_and_is_picked_up_once_written() {
    let mut plex = MockPlex::start(None, |n, mut ws| async move {
        ws.send(frame(n)).await.unwrap();
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("plex-token");
    let mut cfg = config(plex.addr);
    cfg.token = TokenSource {
        token_file: Some(token_file.clone()),
        ..TokenSource::default()
    };
    let l = listener(cfg, Arc::default());
    let mut state = l.state();
    let (tx, mut rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));

    assert_eq!(rx.recv().await.unwrap().name, EventName::ServerAuthFailed);
    wait_state(&mut state, |s| {
        matches!(s, ConnectionState::AuthFailed { .. })
    })
    .await;
    assert!(
        plex.handshakes.try_recv().is_err(),
        "nothing is dialled without a token"
    );

    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let hs = plex.next_handshake(Duration::from_secs(400)).await;
    assert_eq!(hs.token.as_deref(), Some(TOKEN));
    assert_eq!(rx.recv().await.unwrap().name, EventName::ServerConnected);
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_heartbeat_keeps_beating_through_a_slow_connect_and_backoff() {
    use metarr_plex::service::heartbeat::Heartbeats;
    // Accepts TCP but never answers the upgrade: each attempt takes the
    // whole 10 s connect timeout, longer than the allowed 3 s of silence.
    let blackhole = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = blackhole.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (s, _) = blackhole.accept().await.unwrap();
            tokio::spawn(hold_forever(s));
        }
    });
    let beats = Heartbeats::new();
    let l = listener(config(addr), Arc::default())
        .with_heartbeat(beats.register("listener", Duration::from_secs(3)));
    let (tx, _rx) = backlog::channel(16);
    let stop = CancellationToken::new();
    let task = tokio::spawn(l.run(tx, stop.clone()));
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(beats.all_alive(), "{:?}", beats.stalled());
    }
    stop.cancel();
    task.await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(!beats.all_alive(), "a stopped listener stops beating");
}
