//! The daemon's facts path against the simulator: events whose rules read
//! item metadata are journaled first and read in batches, so a burst of new
//! items, REST faults and a Plex restart delay them but lose none.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use metarr_plex::engine::RunId;
use metarr_plex::journal::{RunRecord, RunState};
use metarr_plex::sim::{RestFault, SimOptions};
use tempfile::TempDir;

use crate::daemon_harness::Rig;

/// One rule in its own directory.
fn one_rule(name: &str, text: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(format!("{name}.toml")), text).unwrap();
    dir
}

/// Reads the item's metadata (a condition on its guid, a movie-only type
/// filter the event cannot decide) and logs: no request of its own.
const PROBE: &str = r#"description = "Probe: every new movie, by its metadata"
mode = "queued"
conditions = ['item.guid != ""']

[[triggers]]
event = "item.added"
item_type = ["movie"]

[[actions]]
action = "log"
message = "new movie {{ item.title }}"
"#;

/// The same reading, and a write per movie.
const REFRESH: &str = r#"description = "Refresh every new movie once"
mode = "queued"
conditions = ['item.guid != ""']

[[triggers]]
event = "item.added"
item_type = ["movie"]

[[actions]]
action = "refresh"
"#;

async fn rig_with(rules: &Path, activity: Duration) -> Rig {
    Rig::with_sim(
        rules,
        SimOptions {
            token: "facts-T0KEN-81c9e2a4d7f3".into(),
            activity_duration: activity,
            ..SimOptions::default()
        },
    )
    .await
}

/// Puts `n` new movie files on the simulator's disk; their ids exist once
/// a scan finds them.
fn new_movies(rig: &Rig, tag: &str, n: usize) -> HashSet<String> {
    let before: HashSet<String> = rig
        .sim
        .with_library(|l| l.items().map(|i| i.rating_key.clone()).collect());
    rig.sim.with_library_mut(|l| {
        for k in 0..n {
            l.add_file_on_disk(&format!(
                "/data/media/movies/{tag} {k} (2001)/{tag} {k} (2001).mkv"
            ));
        }
    });
    before
}

/// Items the scan created: every item not in `before`.
fn created(rig: &Rig, before: &HashSet<String>) -> HashSet<String> {
    rig.sim.with_library(|l| {
        l.items()
            .filter(|i| !before.contains(&i.rating_key))
            .map(|i| i.rating_key.clone())
            .collect()
    })
}

/// Every run the journal holds (unfinished, done and dead).
async fn all_runs(rig: &Rig) -> Vec<RunRecord> {
    let journal = rig.daemon.as_ref().unwrap().journal();
    journal
        .call(|s| {
            let next = s.next_run_id()?.0;
            let mut out = Vec::new();
            for id in 1..next {
                out.extend(s.get(RunId(id))?);
            }
            Ok(out)
        })
        .await
        .unwrap()
}

/// Polls `check` every 50 ms until it holds; panics after `limit`.
async fn until(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs of `rule` by key, once every run in the journal has finished and
/// no event waits for its facts (the positive signal that nothing more is
/// coming for what was seen).
async fn settled_runs(
    rig: &Rig,
    rule: &str,
    keys: &HashSet<String>,
    limit: Duration,
) -> HashMap<String, usize> {
    let journal = rig.daemon.as_ref().unwrap().journal().clone();
    until(limit, "every key run and settled", async || {
        let runs = all_runs(rig).await;
        let finished: HashSet<&str> = runs
            .iter()
            .filter(|r| r.rule == rule && r.state == RunState::Done)
            .map(|r| r.key.as_str())
            .collect();
        keys.iter().all(|k| finished.contains(k.as_str()))
            && runs
                .iter()
                .all(|r| matches!(r.state, RunState::Done | RunState::Dead))
            && journal.pending_count().await.unwrap() == 0
    })
    .await;
    let mut per_key = HashMap::new();
    for r in all_runs(rig).await.into_iter().filter(|r| r.rule == rule) {
        *per_key.entry(r.key).or_insert(0) += 1;
    }
    per_key
}

/// GETs of `/library/metadata/…` items (not their children or matches).
fn metadata_reads(rig: &Rig) -> usize {
    rig.sim
        .requests()
        .iter()
        .filter(|r| {
            r.method == "GET"
                && r.path.starts_with("/library/metadata/")
                && r.path.matches('/').count() == 3
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_of_2000_new_movies_reaches_a_metadata_rule_exactly_once_in_few_reads() {
    let rules = one_rule("probe", PROBE);
    let mut rig = rig_with(rules.path(), Duration::from_secs(2)).await;
    let before = new_movies(&rig, "Burst Movie", 2_000);
    rig.start().await;
    rig.sim.clear_requests();
    rig.scan_movies().await;
    let expected = created(&rig, &before);
    assert!(expected.len() >= 2_000);
    let per_key = settled_runs(&rig, "probe", &expected, Duration::from_secs(120)).await;
    let wrong: Vec<_> = per_key
        .iter()
        .filter(|(k, n)| **n != 1 || !expected.contains(*k))
        .take(5)
        .collect();
    assert!(wrong.is_empty(), "runs per item: {wrong:?}");
    assert_eq!(per_key.len(), expected.len());
    assert_eq!(rig.runs("probe", "ok"), expected.len() as f64);
    let reads = metadata_reads(&rig);
    eprintln!("{} new movies, {reads} metadata reads", expected.len());
    assert!(reads <= 100, "{reads} metadata reads");
    rig.stop().await;
}

/// Successful refreshes per item.
fn refreshes(rig: &Rig) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for r in rig.sent("PUT", "/refresh") {
        if r.status == 200
            && let Some(id) = r
                .path
                .strip_prefix("/library/metadata/")
                .and_then(|p| p.strip_suffix("/refresh"))
        {
            *out.entry(id.to_owned()).or_insert(0) += 1;
        }
    }
    out
}

fn assert_each_refreshed_once(rig: &Rig, expected: &HashSet<String>) {
    let done = refreshes(rig);
    for id in expected {
        assert_eq!(done.get(id), Some(&1), "item {id}: {done:?}");
    }
    assert_eq!(done.len(), expected.len(), "{done:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_30_percent_of_answers_failing_every_new_movie_is_refreshed_once() {
    let rules = one_rule("refresh-new", REFRESH);
    let mut rig = rig_with(rules.path(), Duration::from_secs(1)).await;
    let before = new_movies(&rig, "Chaos Movie", 10);
    rig.start().await;
    rig.scan_movies().await;
    let expected = created(&rig, &before);
    // The first read of the new movies' facts surely meets a 429; then
    // chaos on every REST answer.
    rig.sim.inject(RestFault::TooManyRequests {
        retry_after_secs: 2,
        times: 1,
        path_prefix: Some("/library/metadata/".into()),
    });
    rig.sim.inject(RestFault::Chaos {
        percent: 30,
        codes: vec![429, 500],
        retry_after_secs: 1,
        seed: 11,
    });
    // A write that meets a 429 waits out the run's pushback (tens of
    // seconds, see action::RetryPolicy): minutes, not a dead letter.
    let per_key = settled_runs(&rig, "refresh-new", &expected, Duration::from_secs(420)).await;
    // The read that met the 429 was asked again, no sooner than Plex said.
    let reads: Vec<_> = rig
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/library/metadata/"))
        .collect();
    let pushed_back = reads
        .iter()
        .position(|r| r.status == 429)
        .expect("a read met the 429");
    let again = &reads[pushed_back + 1];
    assert!(
        again.received_at - reads[pushed_back].received_at >= Duration::from_secs(1),
        "asked again before Retry-After"
    );
    rig.sim.inject(chaos(0));
    assert!(per_key.values().all(|n| *n == 1), "{per_key:?}");
    assert_each_refreshed_once(&rig, &expected);
    let failed = rig
        .sim
        .requests()
        .iter()
        .filter(|r| r.status == 429 || r.status == 500)
        .count();
    assert!(failed > 0, "the chaos met some requests");
    assert_eq!(rig.runs("refresh-new", "dead"), 0.0);
    assert!(rig.pending("refresh-new").await.is_empty());
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5_second_plex_restart_in_the_middle_of_a_scan_loses_no_movie() {
    let rules = one_rule("refresh-new", REFRESH);
    let mut rig = rig_with(rules.path(), Duration::from_secs(3)).await;
    let before = new_movies(&rig, "Restart Movie", 10);
    rig.start().await;
    let mut notes = rig.sim.notifications();
    rig.scan_movies().await;
    let expected = created(&rig, &before);
    // The scan is under way (its first item announced): Plex goes away.
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = notes.recv().await.unwrap();
            if format!("{n:?}").contains("Restart Movie") {
                break;
            }
        }
    })
    .await
    .expect("the scan announced an item");
    rig.sim.inject(RestFault::Refuse {
        duration: Duration::from_secs(5),
    });
    let per_key = settled_runs(&rig, "refresh-new", &expected, Duration::from_secs(120)).await;
    assert!(per_key.values().all(|n| *n == 1), "{per_key:?}");
    assert_each_refreshed_once(&rig, &expected);
    assert_eq!(rig.runs("refresh-new", "dead"), 0.0);
    rig.stop().await;
}

/// Events kept in the journal when the daemon stopped (Plex was down, so
/// their facts could not be read) are interpreted after the next start.
/// The rule settles and cools down per item as the shipped ones do: the
/// catch-up after a restart announces again what was added since its last
/// watermark, and the replayed events meet those announcements.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_waiting_for_facts_at_a_stop_are_replayed_at_the_next_start() {
    let rule = REFRESH.replace(
        "mode = \"queued\"\n",
        "mode = \"queued\"\ndebounce = \"500ms\"\ncooldown = \"1h\"\n",
    );
    assert_ne!(rule, REFRESH);
    let rules = one_rule("refresh-new", &rule);
    let mut rig = rig_with(rules.path(), Duration::from_millis(300)).await;
    let before = new_movies(&rig, "Replay Movie", 3);
    rig.start().await;
    rig.scan_movies().await;
    let expected = created(&rig, &before);
    // Every answer fails from now on: the events are kept, not interpreted.
    rig.sim.inject(chaos(100));
    let journal = rig.daemon.as_ref().unwrap().journal().clone();
    until(
        Duration::from_secs(10),
        "the new movies' events kept",
        async || journal.pending_count().await.unwrap() >= expected.len() as u64,
    )
    .await;
    rig.stop().await;
    assert!(refreshes(&rig).is_empty(), "nothing ran without facts");
    // Plex answers again; the next start replays what was kept.
    rig.sim.inject(chaos(0));
    rig.start().await;
    assert!(crate::log_capture::logged_anywhere(
        "Replaying events kept in the journal"
    ));
    let per_key = settled_runs(&rig, "refresh-new", &expected, Duration::from_secs(120)).await;
    assert!(per_key.values().all(|n| *n == 1), "{per_key:?}");
    assert_each_refreshed_once(&rig, &expected);
    rig.stop().await;
}

/// `percent` of answers failing with 503.
fn chaos(percent: u8) -> RestFault {
    RestFault::Chaos {
        percent,
        codes: vec![503],
        retry_after_secs: 0,
        seed: 3,
    }
}

/// Reads the item for its rule, then edits it: the edit compares against
/// what Plex has, which it takes from that read.
const EDIT: &str = r#"description = "Give every new movie a summary"
mode = "queued"
debounce = "1s"
conditions = ['item.guid.startsWith("local://")']

[[triggers]]
event = "item.ready"
item_type = ["movie"]

[[actions]]
action = "edit"
fields = { summary = "Arrived with the {{ item.title }} batch." }
"#;

/// 20 new movies (and the seeded one the scan finds): one batched read serves both the rule's condition and the
/// edit's comparison, so no movie is read on its own; every edit reaches Plex
/// once and is applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_reuses_the_read_its_rule_just_made() {
    let rules = one_rule("edit", EDIT);
    let mut rig = rig_with(rules.path(), Duration::from_millis(300)).await;
    rig.start().await;
    let before = new_movies(&rig, "Reused", 20);
    rig.sim.clear_requests();
    rig.scan_movies().await;
    // The scan also finds the seeded library's waiting movie: it is new too.
    until(
        Duration::from_secs(20),
        "the scan created the movies",
        async || created(&rig, &before).len() > 20,
    )
    .await;
    let ids = created(&rig, &before);
    let runs = settled_runs(&rig, "edit", &ids, Duration::from_secs(30)).await;
    assert!(ids.iter().all(|id| runs.get(id) == Some(&1)), "{runs:?}");
    // Each edit compared against Plex's state without a read of its own:
    // the reads are the rules' batches, far fewer than one per movie.
    let reads = metadata_reads(&rig);
    assert!(reads < 10, "{reads} item reads for {} edits", ids.len());
    rig.sim.with_library(|l| {
        for id in &ids {
            let item = l.item(id).unwrap();
            let summary = item.fields.get("summary").map_or("", String::as_str);
            assert!(summary.starts_with("Arrived with the"), "{id}: {summary:?}");
        }
    });
    let edits = rig
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path == "/library/sections/1/all")
        .count();
    assert_eq!(edits, ids.len());
    rig.stop().await;
}
