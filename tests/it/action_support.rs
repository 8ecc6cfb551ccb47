//! Shared set-up for the action tests: a simulator, a client, an executor
//! with a journal and a local media tree mapped onto the simulator's paths.

use std::path::{Path, PathBuf};
use std::time::Duration;

use metarr_plex::action::{ActionContext, Executor, ExecutorSettings};
use metarr_plex::engine::RunId;
use metarr_plex::event::SelfCauses;
use metarr_plex::journal::Journal;
use metarr_plex::plex::pathmap::PathMap;
use metarr_plex::plex::scan::ScanOptions;
use metarr_plex::sim::{RecordedRequest, SimOptions, Simulator};

use super::client_harness::{client_for, id_of};
use super::event_feed::{Feed, lib_entry, timeline};
use metarr_plex::plex::conn::token::{Token, TokenSource};
use serde_json::json;

pub const ARRIVAL: &str = "/data/media/movies/Arrival (2016) {tmdb-329865}/Arrival (2016).mkv";
pub const HEAT: &str = "/data/media/movies/Heat (1995) {imdb-tt0113277}/Heat.1995.mkv";
pub const MATRIX: &str = "/data/media/movies/The Matrix (1999)/The Matrix (1999).mkv";

/// Everything an action test needs.
pub struct Rig {
    pub sim: Simulator,
    pub exec: Executor,
    pub causes: SelfCauses,
    /// `<dir>/media` is mapped to the simulator's `/data/media`.
    pub dir: tempfile::TempDir,
}

impl Rig {
    /// The local path of a simulator (Plex) path.
    pub fn local(&self, plex: &str) -> PathBuf {
        let rest = plex.strip_prefix("/data/media/").unwrap_or(plex);
        self.dir.path().join("media").join(rest)
    }

    /// The rating key of the item with `file`.
    pub fn id(&self, file: &str) -> String {
        id_of(&self.sim, file)
    }

    /// Whether the loop guard would mark a timeline "item ready" for `id`
    /// in section 1, now, as caused by us.
    pub fn guard_covers_item(&self, id: &str) -> bool {
        let mut feed = Feed::with_causes(self.causes.clone());
        feed.now = tokio::time::Instant::now().into_std();
        let events = feed.push(timeline(lib_entry(json!("1"), json!(id), 5, None)));
        !events.is_empty() && events.iter().all(|e| e.caused_by_self)
    }

    /// A context naming `item`.
    pub fn ctx(&self, item: &str) -> ActionContext {
        ActionContext {
            rule: "test-rule".into(),
            run_id: RunId(7),
            event_id: "ev-1".into(),
            item: Some(item.to_owned()),
            event: serde_json::json!({ "name": "item.ready", "item": { "id": item } }),
            dry_run: false,
        }
    }
}

/// Settings for tests: a mapped media tree, quick scan polling.
pub fn settings(dir: &Path) -> ExecutorSettings {
    let media = dir.join("media");
    ExecutorSettings {
        path_map: PathMap::new([(media.clone(), PathBuf::from("/data/media"))]),
        artwork_roots: vec![media],
        scan: ScanOptions {
            wait: true,
            poll_every: Duration::from_millis(20),
            unseen_grace: Duration::from_millis(500),
            wait_timeout: Some(Duration::from_secs(10)),
            ..ScanOptions::default()
        },
        ..ExecutorSettings::default()
    }
}

/// A rig with the default simulator and settings.
pub async fn rig() -> Rig {
    rig_with(SimOptions::default(), |_| {}).await
}

/// A rig with `opts`, settings adjusted by `tweak`.
pub async fn rig_with(opts: SimOptions, tweak: impl FnOnce(&mut ExecutorSettings)) -> Rig {
    let sim = Simulator::start(opts).await.unwrap();
    let client = client_for(
        &sim,
        TokenSource::fixed(Token::new(sim.token()).unwrap()),
        Duration::from_secs(5),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("media")).unwrap();
    let journal = Journal::open(dir.path()).await.unwrap();
    let mut s = settings(dir.path());
    tweak(&mut s);
    let causes = SelfCauses::new();
    let exec = Executor::new(client.clone(), s, causes.clone(), Some(journal));
    Rig {
        sim,
        exec,
        causes,
        dir,
    }
}

/// Requests that change something (anything but GET, plus section scans).
pub fn writes(sim: &Simulator) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method != "GET" || r.path.ends_with("/refresh"))
        .collect()
}

/// `(key, value)` pairs as `&str`.
pub fn pairs(r: &RecordedRequest) -> Vec<(&str, &str)> {
    r.query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
