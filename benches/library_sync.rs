//! The seed's library-sync case: Metarr hands over 1,000 new files in 100
//! folders across 2 sections. The scan path (`plex::scan`, the same code the
//! `scan` command and the daemon's `scan` action use) must send exactly 100
//! partial scans — one per folder — never two at once in one section, and
//! never a full section refresh (the seed's per-item loop sent 1,000).
//!
//! Run: `cargo bench --bench library_sync` (prints the counts; fails on a miss).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use metarr_plex::config::Config;
use metarr_plex::plex::conn::identity::ClientIdentity;
use metarr_plex::plex::scan::{LocalFs, ScanOptions, plan_with_client, run_scans};
use metarr_plex::sim::{SimOptions, Simulator};

mod support;

const FOLDERS_PER_SECTION: usize = 50;
const FILES_PER_FOLDER: usize = 10;

fn main() {
    support::block_on(bench());
}

async fn bench() {
    let sim = Simulator::start(SimOptions {
        activity_duration: Duration::from_millis(20),
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let local = tempfile::tempdir().expect("temp dir");
    let roots = [("movies", "/data/media/movies"), ("tv", "/data/media/tv")];
    let mut paths = Vec::new();
    for (dir, _) in roots {
        for f in 0..FOLDERS_PER_SECTION {
            let folder = local
                .path()
                .join(dir)
                .join(format!("New Title {f:02} (2024)"));
            std::fs::create_dir_all(&folder).expect("folder");
            for n in 0..FILES_PER_FOLDER {
                let file = folder.join(format!("part {n:02} #{n} & more.mkv"));
                std::fs::write(&file, b"x").expect("file");
                paths.push(file);
            }
        }
    }
    let mut text = format!(
        "[server]\nurl = \"{}\"\ntoken = \"{}\"\n",
        sim.url(),
        sim.token()
    );
    for (dir, plex) in roots {
        text.push_str(&format!(
            "\n[[path_map]]\nfrom = \"{}\"\nto = \"{plex}\"\n",
            local.path().join(dir).display()
        ));
    }
    let config = Config::from_str_at(&local.path().join("config.toml"), &text).expect("config");
    let client = config.client(ClientIdentity::new("bench")).expect("client");

    // Watch the simulator's running scans: the most at once per section.
    let peak: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (sim, peak, done) = (sim.clone(), Arc::clone(&peak), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                let running = sim.with_library(|l| {
                    let mut per: HashMap<String, usize> = HashMap::new();
                    for a in l
                        .activities()
                        .iter()
                        .filter(|a| a.kind == "library.update.section")
                    {
                        let section = a
                            .context
                            .get("librarySectionID")
                            .map(|v| v.to_string().trim_matches('"').to_owned())
                            .unwrap_or_default();
                        *per.entry(section).or_default() += 1;
                    }
                    per
                });
                if let Ok(mut p) = peak.lock() {
                    for (s, n) in running {
                        let e = p.entry(s).or_default();
                        *e = (*e).max(n);
                    }
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };

    let started = Instant::now();
    let plan = plan_with_client(&client, &paths, &config.path_map, &LocalFs)
        .await
        .expect("plan");
    let opts = ScanOptions {
        wait: true,
        poll_every: Duration::from_millis(10),
        unseen_grace: Duration::from_millis(200),
        ..ScanOptions::default()
    };
    let outcomes = run_scans(&client, &plan, &opts, &|_| {}).await;
    let took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let _ = watcher.await;

    let requests = sim.requests();
    let refreshes: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with("/library/sections/") && r.path.ends_with("/refresh"))
        .collect();
    let partial = refreshes
        .iter()
        .filter(|r| r.query_value("path").is_some())
        .count();
    let full = refreshes.len() - partial;
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let peak_per_section = peak
        .lock()
        .map(|p| p.values().copied().max().unwrap_or(0))
        .unwrap_or(0);
    let sections: Vec<&str> = plan
        .sections
        .iter()
        .map(|s| s.section_id.as_str())
        .collect();
    println!(
        "library sync: {} files in {} folders across sections {sections:?} -> {partial} partial scans, {full} full refreshes, {failed} failed, at most {peak_per_section} at once per section, {:.2} s",
        paths.len(),
        plan.folder_count(),
        took.as_secs_f64()
    );
    assert_eq!(paths.len(), 1000);
    assert_eq!(partial, 100, "one partial scan per folder");
    assert_eq!(full, 0, "never a full section refresh");
    assert_eq!(failed, 0);
    assert!(
        peak_per_section <= 1,
        "never two scans at once in one section"
    );
    assert_eq!(peak_per_section, 1, "the watcher saw the scans run");
}
