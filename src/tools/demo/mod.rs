//! `metarr-plex demo`: the simulator and the daemon in one process, with the
//! shipped rules, playing the product's story on loopback:
//!
//! 1. A scan finds a new movie whose folder says `{tmdb-27205}`; Plex could
//!    not match it. `rematch-from-folder-tag` re-matches it and
//!    `upload-local-artwork` uploads the `poster.jpg` next to it, and, as
//!    nobody is watching, `detect-on-arrival` has Plex find its credits and
//!    make its chapter thumbnails (each job followed to its end).
//! 2. Someone watches an episode and stops while someone else still watches
//!    a movie: `analyze-after-playback` waits (`when_idle`), then analyzes
//!    both once nobody is watching.
//!
//! Every event, rule decision and action is a log line as it happens; the
//! demo ends with a [`Summary`]. Nothing outside a temp dir is touched.

mod rules;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::daemon::{Daemon, Options, RulesSource};
use crate::plex::conn::identity::ClientIdentity;
use crate::service::sd_notify::Notifier;
use crate::sim::{SimOptions, Simulator};

/// A small real JPEG, the movie's local poster.
const POSTER: &[u8] = include_bytes!("../../../assets/poster.jpg");

/// Where the simulated Plex keeps its movies.
const PLEX_MOVIES: &str = "/data/media/movies";

/// The movie the story is about: on the simulator's disk, not yet scanned.
const MOVIE_FOLDER: &str = "Inception (2010) {tmdb-27205}";

/// The client id of the daemon inside the demo; requests with it are the
/// daemon's, the others are the demo playing a user.
const DAEMON_CLIENT_ID: &str = "metarr-plex-demo-daemon";

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Stay up after the story (until Ctrl-C) to explore.
    pub keep_running: bool,
    /// The rules' debounce during the demo (the shipped 10–15 s would make
    /// the story wait; the logic is the same).
    pub debounce: Duration,
    /// Give up on a step after this long.
    pub step_timeout: Duration,
}

impl Default for DemoOptions {
    fn default() -> DemoOptions {
        DemoOptions {
            keep_running: false,
            debounce: Duration::from_secs(2),
            step_timeout: Duration::from_secs(30),
        }
    }
}

/// What happened, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Normalized events the daemon saw.
    pub events: u64,
    /// Rule runs that finished (done, skipped or failed).
    pub rules_fired: u64,
    /// Actions that reached Plex successfully.
    pub actions_done: u64,
    /// Requests the daemon sent to Plex.
    pub requests: u64,
    /// The movie was re-matched to a Plex guid.
    pub movie_matched: bool,
    /// Its local poster was uploaded.
    pub poster_uploaded: bool,
    /// Its credits were detected (a credits marker appeared) on arrival.
    pub credits_detected: bool,
    /// The episode was analyzed, after the last viewer stopped.
    pub episode_analyzed: bool,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let yes = |b: bool| if b { "yes" } else { "NO" };
        writeln!(f, "Summary")?;
        writeln!(f, "  events seen:      {}", self.events)?;
        writeln!(f, "  rules fired:      {}", self.rules_fired)?;
        writeln!(f, "  actions done:     {}", self.actions_done)?;
        writeln!(f, "  requests to Plex: {}", self.requests)?;
        writeln!(f, "  movie re-matched: {}", yes(self.movie_matched))?;
        writeln!(f, "  poster uploaded:  {}", yes(self.poster_uploaded))?;
        writeln!(f, "  credits detected: {}", yes(self.credits_detected))?;
        write!(f, "  episode analyzed: {}", yes(self.episode_analyzed))
    }
}

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Setting up the temp dir, the simulator or the client failed.
    #[error("demo setup failed: {0}")]
    Setup(String),
    /// The daemon did not start.
    #[error(transparent)]
    Start(#[from] crate::daemon::StartError),
}

/// Plays the story; prints narration on stdout; returns the summary.
pub async fn run(opts: DemoOptions) -> Result<Summary, DemoError> {
    let setup = |e: &dyn std::fmt::Display| DemoError::Setup(e.to_string());
    let sim = Simulator::start(SimOptions {
        activity_duration: Duration::from_millis(300),
        ..SimOptions::default()
    })
    .await
    .map_err(|e| setup(&e))?;
    let temp = Scratch::create().map_err(|e| setup(&e))?;
    let media = temp.path().join("media");
    let folder = media.join(MOVIE_FOLDER);
    std::fs::create_dir_all(&folder).map_err(|e| setup(&e))?;
    std::fs::write(folder.join("poster.jpg"), POSTER).map_err(|e| setup(&e))?;
    let state = temp.path().join("state");
    std::fs::create_dir_all(&state).map_err(|e| setup(&e))?;

    let config = demo_config(&sim, &media, temp.path()).map_err(|e| setup(&e))?;
    let daemon_client = config
        .client(ClientIdentity::new(DAEMON_CLIENT_ID))
        .map_err(|e| setup(&e))?;
    let user = config
        .client(ClientIdentity::new("metarr-plex-demo-user"))
        .map_err(|e| setup(&e))?;

    say(&format!(
        "A simulated Plex Media Server is up at {} with a seeded library.",
        sim.url()
    ));
    say("Starting the daemon with the shipped rules (debounce shortened for the demo).");
    let daemon = Daemon::start(Options {
        config,
        client: daemon_client,
        state_dir: state,
        rules: RulesSource::Embedded(rules::demo_rules(&format!(
            "{}ms",
            opts.debounce.as_millis()
        ))),
        dry_run: false,
        notifier: Notifier::default(),
        listener: None,
    })
    .await?;
    wait(opts.step_timeout, || sim.open_sockets() > 0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut summary = Summary::default();
    say(&format!(
        "Story 1: a scan of Movies finds the new folder \"{MOVIE_FOLDER}\"; Plex cannot match it."
    ));
    if let Err(e) = user.refresh_section("1", false).await {
        tracing::warn!(error = %e, "The demo could not start the scan.");
    }
    let movie = find_item(&sim, MOVIE_FOLDER, opts.step_timeout).await;
    if let Some(id) = &movie {
        let posters = format!("/library/metadata/{id}/posters");
        wait(opts.step_timeout, || {
            daemon_sent(&sim, "POST", &posters) > 0 && daemon_sent(&sim, "PUT", "/match") > 0
        })
        .await;
        summary.poster_uploaded = daemon_sent(&sim, "POST", &posters) > 0;
        summary.movie_matched =
            sim.with_library(|l| l.item(id).is_some_and(|i| i.guid.starts_with("plex://")));
        let has_credits = || {
            sim.with_library(|l| {
                l.item(id)
                    .is_some_and(|i| i.markers.iter().any(|m| m.kind == "credits"))
            })
        };
        wait(opts.step_timeout, has_credits).await;
        summary.credits_detected = has_credits() && daemon_sent(&sim, "PUT", "/credits") == 1;
        if summary.credits_detected {
            say(
                "Nobody is watching, so Plex found the new movie's credits right away (detect-on-arrival).",
            );
        }
    }

    say(
        "Story 2: someone watches an episode while someone else watches a movie; the episode viewer stops.",
    );
    let episode = sim.with_library(|l| {
        l.items()
            .find(|i| i.kind.as_str() == "episode")
            .map(|i| (i.rating_key.clone(), i.title.clone()))
    });
    let other = sim.with_library(|l| {
        l.items()
            .find(|i| i.kind.as_str() == "movie" && !i.guid.starts_with("local://"))
            .map(|i| i.rating_key.clone())
    });
    if let (Some((episode, title)), Some(other)) = (episode, other) {
        let analyze = format!("/library/metadata/{episode}/analyze");
        let a = sim.start_playback(&episode).ok();
        let b = sim.start_playback(&other).ok();
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(a) = &a {
            let _ = sim.stop_playback(a);
        }
        say(&format!(
            "\"{title}\" stopped; the movie still plays, so its analysis waits (when_idle)."
        ));
        tokio::time::sleep(Duration::from_secs(2)).await;
        let early = daemon_sent(&sim, "PUT", &analyze);
        say("The movie viewer stops too: nobody is watching now.");
        if let Some(b) = &b {
            let _ = sim.stop_playback(b);
        }
        wait(opts.step_timeout, || daemon_sent(&sim, "PUT", &analyze) > 0).await;
        summary.episode_analyzed = early == 0 && daemon_sent(&sim, "PUT", &analyze) == 1;
    }
    // Let the last notifications (the analysis activity) arrive.
    tokio::time::sleep(Duration::from_millis(800)).await;

    let metrics = daemon.metrics().render();
    summary.events = sum(&metrics, "metarr_plex_events_total{", None);
    summary.rules_fired = ["ok", "skipped", "failed", "dead"]
        .iter()
        .map(|o| sum(&metrics, "metarr_plex_rule_runs_total{", Some(o)))
        .sum();
    summary.actions_done = ["ok", "done"]
        .iter()
        .map(|o| sum(&metrics, "metarr_plex_action_outcomes_total{", Some(o)))
        .sum();
    summary.requests = sim
        .requests()
        .iter()
        .filter(|r| r.header("x-plex-client-identifier") == Some(DAEMON_CLIENT_ID))
        .count() as u64;
    println!("\n{summary}\n");

    if opts.keep_running {
        println!("The simulator stays up until Ctrl-C. Try, in another terminal:");
        println!(
            "  metarr-plex --server {} sections   (with PLEX_TOKEN={})",
            sim.url(),
            sim.token()
        );
        println!("  URL:   {}", sim.url());
        println!(
            "  token: {} (a demo token for the local simulator only)",
            sim.token()
        );
        let _ = tokio::signal::ctrl_c().await;
    }
    daemon.stop(Duration::from_secs(5)).await;
    sim.shutdown().await;
    Ok(summary)
}

fn demo_config(sim: &Simulator, media: &Path, dir: &Path) -> Result<Config, String> {
    let text = format!(
        "[server]\nurl = \"{}\"\ntoken = \"{}\"\n\n[[path_map]]\nfrom = \"{}\"\nto = \"{PLEX_MOVIES}\"\n",
        sim.url(),
        sim.token(),
        media.display()
    );
    Config::from_str_at(&dir.join("config.toml"), &text).map_err(|e| e.render(false))
}

fn say(line: &str) {
    println!("\n==> {line}");
}

/// Requests the daemon (not the demo's user) sent with this method, whose path ends with `suffix`.
fn daemon_sent(sim: &Simulator, method: &str, suffix: &str) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .filter(|r| r.header("x-plex-client-identifier") == Some(DAEMON_CLIENT_ID))
        .count()
}

async fn find_item(sim: &Simulator, folder: &str, limit: Duration) -> Option<String> {
    let find = || {
        sim.with_library(|l| {
            l.items()
                .find(|i| i.files.iter().any(|f| f.contains(folder)))
                .map(|i| i.rating_key.clone())
        })
    };
    wait(limit, || find().is_some()).await;
    find()
}

async fn wait(limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() && start.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sums a Prometheus counter's series (optionally only those with `outcome`).
fn sum(text: &str, prefix: &str, outcome: Option<&str>) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter(|l| outcome.is_none_or(|o| l.contains(&format!("outcome=\"{o}\""))))
        .filter_map(|l| l.rsplit(' ').next())
        .filter_map(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

/// The demo's scratch dir under the system temp dir, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn create() -> std::io::Result<Scratch> {
        // Short: its paths appear in the log lines the demo shows.
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("metarr-demo-{}", &id[..8]));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
