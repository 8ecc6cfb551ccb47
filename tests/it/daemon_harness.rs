//! A simulator and a daemon on a temp state dir, wired as `run` wires them,
//! plus waiting helpers that poll the simulator's recorded requests.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use metarr_plex::config::Config;
use metarr_plex::daemon::{Daemon, Options, RulesSource};
use metarr_plex::plex::PlexClient;
use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::service::sd_notify::Notifier;
use metarr_plex::sim::{RecordedRequest, SimOptions, Simulator};
use metarr_plex::source::listener::ListenerConfig;
use tempfile::TempDir;

/// The shipped rules, as in the repository.
pub fn shipped_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

/// A small real JPEG (generated for this project, see tests/fixtures/SOURCES.md).
pub const POSTER: &[u8] = include_bytes!("../../assets/poster.jpg");

/// The local side of the movies section (mapped to `/data/media/movies`).
pub const PLEX_MOVIES: &str = "/data/media/movies";

/// Everything a daemon test needs; dropped at the end of the test.
pub struct Rig {
    pub sim: Simulator,
    pub daemon: Option<Daemon>,
    pub state: TempDir,
    pub media: TempDir,
    pub rules: PathBuf,
    pub config: Config,
    pub client: PlexClient,
}

/// Copies the shipped rules into a temp dir, with `edit` applied to each
/// file's text (e.g. shorter debounces so a test does not wait 15 s).
pub fn rules_copy(edit: impl Fn(&str, &str) -> String) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(shipped_rules()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(dir.path().join(&name), edit(&name, &text)).unwrap();
        }
    }
    dir
}

/// Shipped rules with every `debounce`/`delay` cut to 300 ms.
pub fn fast_rules() -> TempDir {
    rules_copy(|_, text| {
        text.lines()
            .map(|l| {
                if l.starts_with("debounce =") || l.starts_with("delay =") {
                    "debounce = \"300ms\"".to_owned()
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// A token no log line could contain by accident.
const RIG_TOKEN: &str = "rig-T0KEN-5e2d9a71c4b8";

impl Rig {
    /// A simulator with the seeded library; a local media root holding the
    /// movie folder of the unscanned `{tmdb-27205}` file with a poster.
    pub async fn new(rules: &Path) -> Rig {
        Rig::with_sim(
            rules,
            SimOptions {
                token: RIG_TOKEN.into(),
                ..SimOptions::default()
            },
        )
        .await
    }

    pub async fn with_sim(rules: &Path, opts: SimOptions) -> Rig {
        // Every line the daemon logs is kept, for the token grep in `stop`.
        crate::log_capture::interest_in_everything();
        let sim = Simulator::start(opts).await.unwrap();
        let state = tempfile::tempdir().unwrap();
        let media = tempfile::tempdir().unwrap();
        let folder = media.path().join("Inception (2010) {tmdb-27205}");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("poster.jpg"), POSTER).unwrap();
        let text = format!(
            "[server]\nurl = \"{}\"\ntoken = \"{}\"\n\n[[path_map]]\nfrom = \"{}\"\nto = \"{PLEX_MOVIES}\"\n",
            sim.url(),
            sim.token(),
            media.path().display()
        );
        let config = Config::from_str_at(&state.path().join("config.toml"), &text).unwrap();
        let client = config.client(ClientIdentity::new("daemon-test")).unwrap();
        Rig {
            sim,
            daemon: None,
            state,
            media,
            rules: rules.to_path_buf(),
            config,
            client,
        }
    }

    /// Starts the daemon (again, after [`Rig::stop`]).
    pub async fn start(&mut self) {
        self.start_with(Notifier::default(), false).await;
    }

    pub async fn start_with(&mut self, notifier: Notifier, dry_run: bool) {
        let mut listener = ListenerConfig::for_client(&self.client, self.config.token_source());
        listener.backoff_base = Duration::from_millis(100);
        listener.backoff_cap = Duration::from_millis(500);
        let daemon = Daemon::start(Options {
            config: self.config.clone(),
            client: self.client.clone(),
            state_dir: self.state.path().to_path_buf(),
            rules: RulesSource::Dir(self.rules.clone()),
            dry_run,
            notifier,
            listener: Some(listener),
        })
        .await
        .unwrap();
        self.daemon = Some(daemon);
        // Connected and reconciled: the simulator has a socket open.
        wait_for(Duration::from_secs(5), || self.sim.open_sockets() > 0).await;
        // The first reconcile runs right after connecting; let it finish.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    /// Drains and stops the daemon.
    /// Drains and stops the daemon, then greps everything logged so far
    /// (by this and every other in-process run) for the token.
    pub async fn stop(&mut self) {
        if let Some(d) = self.daemon.take() {
            d.stop(Duration::from_secs(5)).await;
        }
        // The grep below is only meaningful if the daemon's lines are there.
        assert!(
            crate::log_capture::logged_anywhere("Daemon ready."),
            "the daemon's log lines were not captured"
        );
        let token = self.sim.token();
        assert!(
            !crate::log_capture::logged_anywhere(&token),
            "the Plex token appeared in a log line"
        );
    }

    /// A full scan of the movies section, as if someone pressed "Scan".
    pub async fn scan_movies(&self) {
        self.client.refresh_section("1", false).await.unwrap();
    }

    /// Requests with this method whose path ends with `suffix`.
    pub fn sent(&self, method: &str, suffix: &str) -> Vec<RecordedRequest> {
        sent(&self.sim, method, suffix)
    }

    /// The sum of the running daemon's metric lines starting with `prefix`
    /// (`metarr_plex_rule_runs_total{rule="x",outcome="ok"}`).
    pub fn metric(&self, prefix: &str) -> f64 {
        let text = self
            .daemon
            .as_ref()
            .expect("daemon running")
            .metrics()
            .render();
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// How many runs of `rule` ended with `outcome` (`ok`, `skipped`,
    /// `failed`, `dead`, `chain_limit`…), by the daemon's own count.
    pub fn runs(&self, rule: &str, outcome: &str) -> f64 {
        self.metric(&format!(
            "metarr_plex_rule_runs_total{{rule=\"{rule}\",outcome=\"{outcome}\"}}"
        ))
    }

    /// Waits until `rule` has at least `n` runs ended with `outcome`: the
    /// positive signal a test waits for before asserting what was (not) sent.
    pub async fn wait_runs(&self, rule: &str, outcome: &str, n: f64) {
        self.wait_runs_within(rule, outcome, n, Duration::from_secs(20))
            .await;
    }

    /// [`Rig::wait_runs`] for runs that wait out a retry policy's backoff.
    pub async fn wait_runs_within(&self, rule: &str, outcome: &str, n: f64, limit: Duration) {
        let start = Instant::now();
        while self.runs(rule, outcome) < n {
            if start.elapsed() > limit {
                let text = self
                    .daemon
                    .as_ref()
                    .expect("daemon running")
                    .metrics()
                    .render();
                let runs: Vec<&str> = text
                    .lines()
                    .filter(|l| l.starts_with("metarr_plex_rule_runs_total"))
                    .collect();
                panic!("no {n} `{outcome}` run(s) of {rule} within {limit:?}; runs: {runs:#?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The journal's unfinished runs of `rule`, by state.
    pub async fn pending(&self, rule: &str) -> Vec<metarr_plex::journal::RunState> {
        let journal = self.daemon.as_ref().expect("daemon running").journal();
        journal
            .list()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.rule == rule)
            .map(|r| r.state)
            .collect()
    }

    /// The rating key of the item whose file path contains `needle`.
    pub fn item_id(&self, needle: &str) -> Option<String> {
        self.sim.with_library(|l| {
            l.items()
                .find(|i| i.files.iter().any(|f| f.contains(needle)))
                .map(|i| i.rating_key.clone())
        })
    }
}

/// Requests with this method whose path ends with `suffix`.
pub fn sent(sim: &Simulator, method: &str, suffix: &str) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .collect()
}

/// Polls `check` every 20 ms until it holds; panics after `limit`.
pub async fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < limit,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
