//! Bursts against the simulator: a scan bringing 2,000 new movies while the
//! consumer is slower than the stream. Every new item reaches the consumer
//! exactly once as `item.added` and once as `item.ready` — through the
//! coalescing backlog alone, or, when the backlog's bound is hit, through
//! the catch-up that follows (`updatedAt>=` on the section listing).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use metarr_plex::event::{EventName, Normalizer, NormalizerConfig};
use metarr_plex::plex::PlexClient;
use metarr_plex::plex::conn::token::{Token, TokenSource};
use metarr_plex::sim::{SimOptions, Simulator};
use metarr_plex::source::listener::{
    Listener, ListenerConfig, ListenerStats, MemoryWatermark, NormalizedPipeline, backlog,
};
use tokio_util::sync::CancellationToken;

use crate::client_harness::client_for;

const NEW_MOVIES: usize = 2_000;

/// What the slow consumer saw.
struct Outcome {
    /// Per new item: how many `item.added` and `item.ready`.
    per_item: HashMap<String, (usize, usize)>,
    /// `item.added` / `item.ready` for items that were not new.
    others: Vec<(EventName, String)>,
    /// The most events ever pending in the backlog.
    peak_pending: usize,
    stats: metarr_plex::source::listener::StatsSnapshot,
    /// The catch-up asked the section listing for changed items.
    touched_queries: usize,
    /// Items the scan created.
    expected: usize,
}

async fn scan_with_a_slow_consumer(limit: usize) -> Outcome {
    let opts = SimOptions {
        activity_duration: Duration::from_secs(2),
        ..SimOptions::default()
    };
    let sim = Simulator::start(opts).await.unwrap();
    let tokens = TokenSource::fixed(Token::new(sim.token()).unwrap());
    let client = client_for(&sim, tokens.clone(), Duration::from_secs(10));
    let before: HashSet<String> =
        sim.with_library(|l| l.items().map(|i| i.rating_key.clone()).collect());
    sim.with_library_mut(|l| {
        for n in 0..NEW_MOVIES {
            l.add_file_on_disk(&format!(
                "/data/media/movies/Burst Movie {n} (2001)/Burst Movie {n} (2001).mkv"
            ));
        }
    });

    let (stats, stop, task, mut rx) = listen(&client, tokens, limit);
    // The first catch-up sets the watermark; wait for it before the scan.
    let connected = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await;
    assert_eq!(connected.unwrap().unwrap().name, EventName::ServerConnected);
    wait_for(|| stats.snapshot().reconciles >= 1).await;
    sim.clear_requests();

    client.refresh_section("1", false).await.unwrap();
    // Our movies, and whatever else of the seeded disk the library lacked.
    let expected = sim.with_library(|l| l.items().count()) - before.len();
    assert!(expected >= NEW_MOVIES);
    let mut per_item: HashMap<String, (usize, usize)> = HashMap::new();
    let mut others = Vec::new();
    let mut peak_pending = 0;
    let mut scan_ended = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let done = scan_ended
            && per_item.len() == expected
            && per_item.values().all(|(a, r)| *a >= 1 && *r >= 1);
        let wait = if done {
            // Everything arrived: anything more within this window would be a duplicate.
            Duration::from_millis(1500)
        } else {
            Duration::from_secs(20)
        };
        let next = tokio::time::timeout(wait, rx.recv()).await;
        let Ok(Some(event)) = next else {
            assert!(done, "stream went quiet; {} items seen", per_item.len());
            break;
        };
        assert!(
            tokio::time::Instant::now() < deadline,
            "the burst took too long"
        );
        peak_pending = peak_pending.max(rx.len() + 1);
        if event.name == EventName::LibraryScanEnded {
            scan_ended = true;
        }
        if matches!(event.name, EventName::ItemAdded | EventName::ItemReady) {
            let id = event.item.as_ref().unwrap().id.clone();
            if before.contains(&id) {
                others.push((event.name, id));
                continue;
            }
            let entry = per_item.entry(id).or_default();
            if event.name == EventName::ItemAdded {
                entry.0 += 1;
            } else {
                assert_eq!(entry.0, 1, "item.ready before item.added");
                entry.1 += 1;
            }
            // Slower than the stream: the scan's frames pile up meanwhile.
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }
    let touched_queries = sim
        .requests()
        .iter()
        .filter(|r| {
            r.path == "/library/sections/1/all" && r.query.iter().any(|(k, _)| k == "updatedAt>")
        })
        .count();
    stop.cancel();
    task.await.unwrap();
    Outcome {
        per_item,
        others,
        peak_pending,
        stats: stats.snapshot(),
        touched_queries,
        expected,
    }
}

type Listening = (
    Arc<ListenerStats>,
    CancellationToken,
    tokio::task::JoinHandle<()>,
    backlog::Receiver,
);

fn listen(client: &PlexClient, tokens: TokenSource, limit: usize) -> Listening {
    let mut config = ListenerConfig::for_client(client, tokens);
    config.connect_timeout = Duration::from_secs(5);
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
    let (tx, rx) = backlog::channel(limit);
    let stop = CancellationToken::new();
    let task = tokio::spawn(listener.run(tx, stop.clone()));
    (stats, stop, task, rx)
}

async fn wait_for(mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not met in time");
}

fn assert_each_new_item_exactly_once(o: &Outcome) {
    assert_eq!(o.per_item.len(), o.expected);
    let wrong: Vec<_> = o
        .per_item
        .iter()
        .filter(|(_, counts)| **counts != (1, 1))
        .take(5)
        .collect();
    assert!(wrong.is_empty(), "items not seen exactly once: {wrong:?}");
    assert!(o.others.is_empty(), "events for old items: {:?}", o.others);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_of_2000_new_movies_reaches_a_slow_consumer_exactly_once() {
    let o = scan_with_a_slow_consumer(backlog::DEFAULT_LIMIT).await;
    assert_each_new_item_exactly_once(&o);
    assert_eq!(o.stats.dropped, 0, "{:?}", o.stats);
    // Memory follows distinct items (added, ready and the scan's one status
    // line per file), not the frames.
    eprintln!("peak pending {} for {:?}", o.peak_pending, o.stats);
    assert!(
        o.peak_pending <= 3 * o.expected + 50,
        "peak {} pending",
        o.peak_pending
    );
    assert!(o.stats.frames as usize > 3 * NEW_MOVIES, "{:?}", o.stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_bound_the_catch_up_announces_what_was_not_queued_exactly_once() {
    let o = scan_with_a_slow_consumer(300).await;
    assert!(
        o.stats.dropped > 0,
        "the bound was never hit: {:?}",
        o.stats
    );
    assert!(o.stats.reconciles >= 2, "{:?}", o.stats);
    assert!(
        o.touched_queries >= 1,
        "no updatedAt>= catch-up was asked for"
    );
    assert_each_new_item_exactly_once(&o);
    assert!(
        o.peak_pending <= 300 + 3 * o.expected,
        "peak {}",
        o.peak_pending
    );
}
