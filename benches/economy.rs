//! Request economy of the shipped rematch + local-poster story, measured on
//! what users run: the shipped `metarr-plex run` binary with the shipped
//! `rematch-from-folder-tag` and `upload-local-artwork` rules (their own
//! timings), against the simulator, while one scan brings N unmatched
//! `{tmdb-N}` movies, each with a `poster.jpg` next to it.
//!
//! Every request the daemon sent is counted by kind. The run fails unless
//! every movie ends matched with its poster uploaded, selected and locked,
//! nothing was done twice, and the daemon sent at most 6 requests per movie.
//!
//! Run: `cargo bench --bench economy` (optionally `-- --count N`, default 300).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use metarr_plex::config::Config;
use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::sim::{CatalogueEntry, ItemKind, SimOptions, Simulator};

mod support;

const DEFAULT_COUNT: usize = 300;
/// The target of issue 11.
const MAX_PER_ITEM: f64 = 6.0;
const POSTER: &[u8] = include_bytes!("../assets/poster.jpg");
const PLEX_MOVIES: &str = "/data/media/movies";
/// The bench's own client (it starts the scan); everything else is the daemon.
const BENCH_CLIENT: &str = "metarr-plex-economy-bench";
/// Longer than the rules' debounce (15 s): a duplicate would have come.
const QUIET: Duration = Duration::from_secs(20);

fn main() {
    support::block_on(bench(support::count_arg(DEFAULT_COUNT)));
}

async fn bench(count: usize) {
    let sim = Simulator::start(SimOptions {
        activity_duration: Duration::from_millis(200),
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let media = dir.path().join("media");
    sim.with_library_mut(|l| {
        for n in 0..count {
            let tmdb = 900_000 + n;
            l.catalogue_mut().add(CatalogueEntry {
                guid: format!("plex://movie/e{n:023x}"),
                kind: ItemKind::Movie,
                title: format!("Economy {n}"),
                year: Some(2001),
                external: vec![format!("tmdb://{tmdb}")],
            });
            let folder = format!("Unnamed Reel {n:03} (2001) {{tmdb-{tmdb}}}");
            l.add_file_on_disk(&format!("{PLEX_MOVIES}/{folder}/Unnamed Reel {n:03}.mkv"));
            let local = media.join(&folder);
            std::fs::create_dir_all(&local).expect("folder");
            std::fs::write(local.join("poster.jpg"), POSTER).expect("poster");
        }
    });
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nurl = \"{}\"\ntoken = \"{}\"\n\n[[path_map]]\nfrom = \"{}\"\nto = \"{PLEX_MOVIES}\"\n",
            sim.url(),
            sim.token(),
            media.display()
        ),
    )
    .expect("config");
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    for name in ["rematch-from-folder-tag.toml", "upload-local-artwork.toml"] {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("rules")
            .join(name);
        std::fs::copy(&shipped, rules.join(name)).expect("shipped rule");
    }
    let mut daemon = Daemon::spawn(&config, &rules, &dir.path().join("state"));
    let started = Instant::now();
    while sim.open_sockets() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the daemon never connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.clear_requests();

    let user = Config::from_str_at(&config, &std::fs::read_to_string(&config).expect("config"))
        .expect("config parses")
        .client(ClientIdentity::new(BENCH_CLIENT))
        .expect("client");
    let scan_at = Instant::now();
    user.refresh_section("1", false).await.expect("scan");
    // Matched, with the uploaded poster selected and the poster locked.
    let done = |sim: &Simulator| {
        sim.with_library(|l| {
            l.items()
                .filter(|i| i.title.starts_with("Economy "))
                .filter(|i| i.guid.starts_with("plex://") && i.locked_fields.contains("thumb"))
                .filter(|i| {
                    i.selected_poster()
                        .is_some_and(|p| p.rating_key.starts_with("upload://"))
                })
                .count()
        })
    };
    let mut progress = (0, Instant::now());
    while progress.0 < count {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = done(&sim);
        if now != progress.0 {
            progress = (now, Instant::now());
        }
        assert!(
            progress.1.elapsed() < Duration::from_secs(120),
            "stuck at {}/{count} movies done",
            progress.0
        );
    }
    let all_done = scan_at.elapsed();
    // Anything that would come twice has had its chance.
    let mut quiet_since = Instant::now();
    let mut seen = sim.requests().len();
    while quiet_since.elapsed() < QUIET {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = sim.requests().len();
        if now != seen {
            seen = now;
            quiet_since = Instant::now();
        }
    }
    daemon.stop();

    // The scan also touches the seeded library's own unmatched movies; the
    // rules act on those too, but only our movies count here.
    let ours: std::collections::HashSet<String> = sim.with_library(|l| {
        l.items()
            .filter(|i| i.title.starts_with("Economy "))
            .map(|i| i.rating_key.clone())
            .collect()
    });
    let (requests, elsewhere): (Vec<_>, Vec<_>) = sim
        .requests()
        .into_iter()
        .filter(|r| r.header("x-plex-client-identifier") != Some(BENCH_CLIENT))
        .partition(|r| item_of(&r.path).is_none_or(|id| ours.contains(id)));
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for r in &requests {
        *kinds.entry(kind(&r.method, &r.path)).or_default() += 1;
    }
    let per_item = requests.len() as f64 / count as f64;
    println!(
        "economy: {count} unmatched {{tmdb-N}} movies with a local poster, shipped rules, `metarr-plex run`"
    );
    println!(
        "  all matched and uploaded {:.1} s after the scan started",
        all_done.as_secs_f64()
    );
    for (k, n) in &kinds {
        println!("  {n:>6}  {k}");
    }
    println!(
        "  {:>6}  requests in all: {per_item:.2} per movie (target <= {MAX_PER_ITEM}); {} more about the seeded library's own items",
        requests.len(),
        elsewhere.len()
    );
    let twice: Vec<_> = [
        "PUT /library/metadata/{id}/match",
        "POST /library/metadata/{id}/posters",
    ]
    .iter()
    .filter(|k| kinds.get(**k).copied().unwrap_or(0) != count)
    .collect();
    assert!(twice.is_empty(), "not exactly once per movie: {twice:?}");
    assert!(per_item <= MAX_PER_ITEM, "{per_item:.2} requests per movie");
}

/// The one item a `/library/metadata/{id}…` path is about, if it names one.
fn item_of(path: &str) -> Option<&str> {
    let id = path.strip_prefix("/library/metadata/")?.split('/').next()?;
    (!id.contains(',')).then_some(id)
}

/// `METHOD /path` with ids replaced, so requests group by endpoint.
fn kind(method: &str, path: &str) -> String {
    let path: Vec<String> = path
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.split(',').all(|p| p.chars().all(|c| c.is_ascii_digit())) {
                if s.contains(',') {
                    "{ids}".to_owned()
                } else {
                    "{id}".to_owned()
                }
            } else {
                s.to_owned()
            }
        })
        .collect();
    format!("{method} {}", path.join("/"))
}

/// The shipped binary running `run`, killed when dropped.
struct Daemon(Child);

impl Daemon {
    fn spawn(config: &Path, rules: &Path, state: &Path) -> Daemon {
        let child = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
            .arg("--config")
            .arg(config)
            .arg("--state-dir")
            .arg(state)
            .arg("run")
            .arg("--rules")
            .arg(rules)
            .env(
                "RUST_LOG",
                std::env::var("ECONOMY_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(match std::env::var_os("ECONOMY_LOG_FILE") {
                Some(f) => Stdio::from(std::fs::File::create(f).expect("log file")),
                None => Stdio::inherit(),
            })
            .spawn()
            .expect("metarr-plex runs");
        Daemon(child)
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}
