//! The event-stream fallback against the simulator: with WebSocket upgrades
//! refused (a reverse proxy without upgrade support), the listener reads
//! `/:/eventsource/notifications` with the same normalized events, says so
//! in its state, reconnects after a restart, and returns to the WebSocket
//! once upgrades work again.

use std::sync::Arc;
use std::time::Duration;

use metarr_plex::event::{Event, EventName, Normalizer, NormalizerConfig};
use metarr_plex::plex::conn::token::{Token, TokenSource};
use metarr_plex::service::status::Phase;
use metarr_plex::sim::{SimOptions, Simulator, WsFault};
use metarr_plex::source::listener::{
    ConnectionState, Listener, ListenerConfig, MemoryWatermark, NormalizedPipeline, SSE_PATH,
    Transport, backlog,
};
use tokio_util::sync::CancellationToken;

use crate::client_harness::{ARRIVAL, client_for, id_of};

async fn next_named(rx: &mut backlog::Receiver, name: EventName, seen: &mut Vec<Event>) -> Event {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {name} in time; saw {:?}", names(seen)))
            .expect("listener stopped");
        seen.push(e.clone());
        if e.name == name {
            return e;
        }
    }
}

fn names(seen: &[Event]) -> Vec<EventName> {
    seen.iter().map(|e| e.name).collect()
}

#[tokio::test]
async fn a_refused_upgrade_falls_back_to_the_event_stream_and_back() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    sim.refuse_websocket_upgrades(true);
    let tokens = TokenSource::fixed(Token::new(sim.token()).unwrap());
    let client = client_for(&sim, tokens.clone(), Duration::from_secs(5));
    let mut config = ListenerConfig::for_client(&client, tokens);
    config.backoff_base = Duration::from_millis(50);
    config.backoff_cap = Duration::from_millis(300);
    config.connect_timeout = Duration::from_secs(2);
    // Plex pings an event stream every 10 s: the idle deadline must allow it.
    config.idle_timeout = Duration::from_secs(15);
    let listener = Listener::new(
        config,
        Box::new(NormalizedPipeline::new(Normalizer::new(
            NormalizerConfig::default(),
        ))),
        Arc::new(client.clone()),
        Arc::new(MemoryWatermark::new()),
    )
    .unwrap();
    let stats = listener.stats();
    let mut state = listener.state();
    let (tx, mut rx) = backlog::channel(1024);
    let stop = CancellationToken::new();
    let task = tokio::spawn(listener.run(tx, stop.clone()));
    let mut seen = Vec::new();

    next_named(&mut rx, EventName::ServerConnected, &mut seen).await;
    let connected = state.borrow_and_update().clone();
    assert!(
        matches!(
            connected,
            ConnectionState::Connected {
                transport: Transport::EventStream,
                ..
            }
        ),
        "{connected:?}"
    );
    let status = connected.service_status(&sim.url());
    assert_eq!(status.phase, Phase::Connected);
    assert!(status.text.contains("via event stream"), "{}", status.text);
    while stats.snapshot().reconciles < 1 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The same events as over the WebSocket.
    let item = id_of(&sim, ARRIVAL);
    let key = sim.start_playback(&item).unwrap();
    let started = next_named(&mut rx, EventName::PlaybackStarted, &mut seen).await;
    assert_eq!(started.item.as_ref().unwrap().id, item);
    sim.pause_playback(&key).unwrap();
    next_named(&mut rx, EventName::PlaybackPaused, &mut seen).await;
    sim.stop_playback(&key).unwrap();
    let stopped = next_named(&mut rx, EventName::PlaybackStopped, &mut seen).await;
    assert!(!stopped.synthetic);
    client.refresh_section("1", false).await.unwrap();
    next_named(&mut rx, EventName::LibraryScanEnded, &mut seen).await;
    assert_eq!(stats.snapshot().malformed, 0);

    // The stream asked for carries the token in a header only.
    let streams: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == SSE_PATH)
        .collect();
    assert!(!streams.is_empty());
    for r in &streams {
        assert!(
            r.query.iter().all(|(k, _)| k != "X-Plex-Token"),
            "{:?}",
            r.query
        );
        assert!(
            r.headers.iter().any(|(k, _)| k == "x-plex-token"),
            "{:?}",
            r.headers
        );
    }

    // A restart ends the stream; the listener reconnects the same way.
    sim.inject_ws(WsFault::Restart {
        down_for: Duration::from_millis(200),
    });
    next_named(&mut rx, EventName::ServerConnected, &mut seen).await;
    assert!(matches!(
        *state.borrow_and_update(),
        ConnectionState::Connected {
            transport: Transport::EventStream,
            ..
        }
    ));

    // Once the proxy forwards upgrades, the next connection is a WebSocket.
    sim.refuse_websocket_upgrades(false);
    sim.inject_ws(WsFault::Restart {
        down_for: Duration::from_millis(200),
    });
    next_named(&mut rx, EventName::ServerConnected, &mut seen).await;
    assert!(matches!(
        *state.borrow_and_update(),
        ConnectionState::Connected {
            transport: Transport::WebSocket,
            ..
        }
    ));
    assert_eq!(stats.snapshot().connects, 3);
    stop.cancel();
    task.await.unwrap();
}
