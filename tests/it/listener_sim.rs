//! The listener against the simulator: a scripted scan and playback come out
//! as clean normalized events, and every socket fault the simulator can
//! inject is survived with the expected events and nothing duplicated.
//! Real time with shortened timers (the simulator runs its own clocks).

use std::sync::Arc;
use std::time::Duration;

use metarr_plex::event::{Event, EventName, Normalizer, NormalizerConfig};
use metarr_plex::plex::PlexClient;
use metarr_plex::plex::conn::token::{Token, TokenSource};
use metarr_plex::sim::{SimOptions, Simulator, WsFault};
use metarr_plex::source::listener::{
    ConnectionState, Listener, ListenerConfig, ListenerStats, MemoryWatermark, NormalizedPipeline,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::client_harness::{ARRIVAL, client_for, id_of};

const INCEPTION_DIR: &str = "/data/media/movies/Inception (2010) {tmdb-27205}";

struct Run {
    sim: Simulator,
    client: PlexClient,
    rx: mpsc::Receiver<Event>,
    seen: Vec<Event>,
    stats: Arc<ListenerStats>,
    state: watch::Receiver<ConnectionState>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Run {
    async fn start(sim: Simulator, tokens: TokenSource) -> Run {
        let client = client_for(&sim, tokens.clone(), Duration::from_secs(5));
        let mut config = ListenerConfig::for_client(&client, tokens);
        config.ping_every = Duration::from_millis(300);
        config.idle_timeout = Duration::from_millis(1200);
        config.backoff_base = Duration::from_millis(50);
        config.backoff_cap = Duration::from_millis(400);
        config.auth_retry_base = Duration::from_millis(200);
        config.auth_retry_cap = Duration::from_millis(800);
        config.connect_timeout = Duration::from_secs(2);
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
        let state = listener.state();
        let (tx, rx) = mpsc::channel(1024);
        let stop = CancellationToken::new();
        let task = tokio::spawn(listener.run(tx, stop.clone()));
        let mut run = Run {
            sim,
            client,
            rx,
            seen: Vec::new(),
            stats,
            state,
            stop,
            task,
        };
        run.until(EventName::ServerConnected).await;
        // Let the first catch-up finish so live frames are not held back.
        tokio::time::sleep(Duration::from_millis(100)).await;
        run
    }

    async fn default() -> Run {
        let sim = Simulator::start(SimOptions::default()).await.unwrap();
        let tokens = TokenSource::fixed(Token::new(sim.token()).unwrap());
        Run::start(sim, tokens).await
    }

    /// Records events until one named `name` arrives (after those seen so far).
    async fn until(&mut self, name: EventName) -> Event {
        loop {
            let e = tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {name} in time; saw {:#?}", self.names()))
                .expect("listener stopped");
            self.seen.push(e.clone());
            if e.name == name {
                return e;
            }
        }
    }

    /// Records whatever arrives within `for_`.
    async fn settle(&mut self, for_: Duration) {
        let deadline = tokio::time::Instant::now() + for_;
        while let Ok(Some(e)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            self.seen.push(e);
        }
    }

    fn names(&self) -> Vec<EventName> {
        self.seen.iter().map(|e| e.name).collect()
    }

    fn count(&self, name: EventName) -> usize {
        self.seen.iter().filter(|e| e.name == name).count()
    }

    async fn finish(self) {
        self.stop.cancel();
        self.task.await.unwrap();
    }
}

#[tokio::test]
async fn a_scripted_scan_and_playback_come_out_as_clean_events() {
    let mut run = Run::default().await;
    run.client.scan_path("1", INCEPTION_DIR).await.unwrap();
    run.until(EventName::LibraryScanEnded).await;
    let item = id_of(&run.sim, ARRIVAL);
    let key = run.sim.start_playback(&item).unwrap();
    run.until(EventName::PlaybackStarted).await;
    run.sim.pause_playback(&key).unwrap();
    run.until(EventName::PlaybackPaused).await;
    run.sim
        .advance_playback(&key, Duration::from_secs(10))
        .unwrap();
    run.sim.resume_playback(&key).unwrap();
    run.until(EventName::PlaybackResumed).await;
    run.sim.stop_playback(&key).unwrap();
    run.until(EventName::PlaybackStopped).await;
    run.settle(Duration::from_millis(300)).await;

    let story: Vec<EventName> = run
        .names()
        .into_iter()
        .filter(|n| {
            matches!(
                n,
                EventName::LibraryScanStarted
                    | EventName::ItemAdded
                    | EventName::ItemReady
                    | EventName::LibraryScanEnded
                    | EventName::PlaybackStarted
                    | EventName::PlaybackPaused
                    | EventName::PlaybackResumed
                    | EventName::PlaybackStopped
            )
        })
        .collect();
    assert_eq!(
        story,
        [
            EventName::LibraryScanStarted,
            EventName::ItemAdded,
            EventName::ItemReady,
            EventName::LibraryScanEnded,
            EventName::PlaybackStarted,
            EventName::PlaybackPaused,
            EventName::PlaybackResumed,
            EventName::PlaybackStopped,
        ],
        "{:#?}",
        run.names()
    );
    let added = run
        .seen
        .iter()
        .find(|e| e.name == EventName::ItemAdded)
        .unwrap();
    assert_eq!(added.section.as_ref().unwrap().id, "1");
    assert_eq!(
        added.section.as_ref().unwrap().title.as_deref(),
        Some("Movies")
    );
    let stopped = run
        .seen
        .iter()
        .find(|e| e.name == EventName::PlaybackStopped)
        .unwrap();
    assert_eq!(stopped.item.as_ref().unwrap().id, item);
    assert!(!stopped.synthetic);
    assert_eq!(run.stats.snapshot().connects, 1);
    assert_eq!(run.stats.snapshot().malformed, 0);
    run.finish().await;
}

#[tokio::test]
async fn a_dropped_connection_reconnects_and_events_keep_flowing() {
    let mut run = Run::default().await;
    run.sim.inject_ws(WsFault::DropAfter(0));
    let item = id_of(&run.sim, ARRIVAL);
    // The frame of this start is lost with the connection (or not): either
    // way exactly one start comes out, live or from the catch-up.
    run.sim.start_playback(&item).unwrap();
    run.until(EventName::ServerConnected).await;
    run.settle(Duration::from_millis(500)).await;
    assert!(run.stats.snapshot().connects >= 2);
    assert_eq!(
        run.count(EventName::PlaybackStarted),
        1,
        "{:#?}",
        run.names()
    );
    run.finish().await;
}

#[tokio::test]
async fn a_stalled_socket_is_replaced_and_a_session_that_ended_meanwhile_stops_once() {
    let mut run = Run::default().await;
    let item = id_of(&run.sim, ARRIVAL);
    let key = run.sim.start_playback(&item).unwrap();
    run.until(EventName::PlaybackStarted).await;
    run.sim.inject_ws(WsFault::Stall);
    run.sim.end_playback_silently(&key).unwrap();
    let stopped = run.until(EventName::PlaybackStopped).await;
    assert!(
        stopped.synthetic,
        "found by the catch-up after the reconnect"
    );
    assert_eq!(stopped.session.as_ref().unwrap().key, key);
    run.settle(Duration::from_secs(2)).await;
    assert_eq!(
        run.count(EventName::PlaybackStopped),
        1,
        "{:#?}",
        run.names()
    );
    assert_eq!(run.count(EventName::PlaybackStarted), 1);
    assert!(run.stats.snapshot().connects >= 2);
    run.finish().await;
}

#[tokio::test]
async fn garbage_frames_are_skipped_and_the_connection_stays() {
    let mut run = Run::default().await;
    run.sim.inject_ws(WsFault::Garbage);
    let item = id_of(&run.sim, ARRIVAL);
    run.sim.start_playback(&item).unwrap();
    run.until(EventName::PlaybackStarted).await;
    let s = run.stats.snapshot();
    assert!(s.malformed >= 1, "{s:?}");
    assert_eq!(s.connects, 1);
    run.finish().await;
}

#[tokio::test]
async fn an_oversized_frame_costs_a_reconnect_not_the_listener() {
    let mut run = Run::default().await;
    run.sim.inject_ws(WsFault::Oversized);
    run.until(EventName::ServerConnected).await;
    let item = id_of(&run.sim, ARRIVAL);
    run.sim.start_playback(&item).unwrap();
    run.until(EventName::PlaybackStarted).await;
    assert!(run.stats.snapshot().connects >= 2);
    run.finish().await;
}

#[tokio::test]
async fn a_restart_ends_old_sessions_and_reused_keys_start_new_ones() {
    let mut run = Run::default().await;
    let item = id_of(&run.sim, ARRIVAL);
    let first = run.sim.start_playback(&item).unwrap();
    run.until(EventName::PlaybackStarted).await;
    run.sim.inject_ws(WsFault::Restart {
        down_for: Duration::from_millis(1200),
    });
    run.until(EventName::ServerRestarted).await;
    let stopped = run.until(EventName::PlaybackStopped).await;
    assert!(stopped.synthetic);
    let again = run.sim.start_playback(&item).unwrap();
    assert_eq!(
        again, first,
        "the restarted server reuses session key {first}"
    );
    run.until(EventName::PlaybackStarted).await;
    run.settle(Duration::from_millis(500)).await;
    assert_eq!(run.count(EventName::ServerRestarted), 1);
    assert_eq!(
        run.count(EventName::PlaybackStarted),
        2,
        "{:#?}",
        run.names()
    );
    assert_eq!(run.count(EventName::PlaybackStopped), 1);
    run.finish().await;
}

#[tokio::test]
async fn a_revoked_token_is_auth_failed_until_the_token_file_is_rotated() {
    let sim = Simulator::start(SimOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plex-token");
    std::fs::write(&file, format!("{}\n", sim.token())).unwrap();
    let tokens = TokenSource {
        token_file: Some(file.clone()),
        ..TokenSource::default()
    };
    let mut run = Run::start(sim, tokens).await;
    run.sim.inject_ws(WsFault::RevokeToken);
    run.until(EventName::ServerAuthFailed).await;
    assert!(matches!(
        *run.state.borrow(),
        ConnectionState::AuthFailed { .. }
    ));
    run.settle(Duration::from_secs(2)).await;
    assert_eq!(run.count(EventName::ServerAuthFailed), 1, "announced once");

    run.sim.set_token("rotated-token-value");
    std::fs::write(&file, "rotated-token-value\n").unwrap();
    run.until(EventName::ServerConnected).await;
    assert!(matches!(
        *run.state.borrow(),
        ConnectionState::Connected { .. }
    ));
    run.finish().await;
}
