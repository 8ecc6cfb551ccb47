//! Hot reload of the rules directory: clean edits swap, broken edits keep
//! the running rules and are reported once, the watcher reloads on change.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use metarr_plex::rules::{ReloadError, Reloaded, RuleStore};
use tracing_subscriber::fmt::MakeWriter;

const ANALYZE: &str = r#"
[[triggers]]
event = "playback.stopped"

[[actions]]
action = "analyze"
"#;

const REFRESH: &str = r#"
[[triggers]]
event = "item.added"

[[actions]]
action = "refresh"
"#;

/// `analyse` (British) instead of `analyze`, on line 6.
const BROKEN: &str = r#"
[[triggers]]
event = "playback.stopped"

[[actions]]
action = "analyse"
"#;

fn ids(store: &RuleStore) -> Vec<String> {
    store
        .current()
        .rules()
        .iter()
        .map(|r| r.id.clone())
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Everything logged, as text.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

fn logged(f: impl FnOnce()) -> String {
    let logs = Logs::default();
    let sub = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    crate::log_capture::interest_in_everything();
    tracing::subscriber::with_default(sub, f);
    logs.text()
}

#[test]
fn a_valid_edit_swaps_the_running_rules() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "analyze.toml", ANALYZE);
    let store = RuleStore::open(dir.path()).unwrap();
    let before = store.current();
    assert_eq!(ids(&store), ["analyze"]);

    write(dir.path(), "refresh.toml", REFRESH);
    assert_eq!(store.reload().unwrap(), Reloaded::Swapped { rules: 2 });
    assert_eq!(ids(&store), ["analyze", "refresh"]);
    // A reader that took the old set keeps it for the event it is on.
    assert_eq!(before.rules().len(), 1);

    assert_eq!(store.reload().unwrap(), Reloaded::Unchanged);
}

#[test]
fn a_broken_edit_keeps_the_old_rules_and_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "analyze.toml", ANALYZE);
    let store = RuleStore::open(dir.path()).unwrap();
    let running = store.current();

    write(dir.path(), "analyze.toml", BROKEN);
    let mut outcomes = Vec::new();
    let logs = logged(|| {
        for _ in 0..3 {
            outcomes.push(store.reload());
        }
    });
    assert!(matches!(
        outcomes[0],
        Err(ReloadError::Rules {
            errors: 1,
            already_reported: false
        })
    ));
    for later in &outcomes[1..] {
        assert!(matches!(
            later,
            Err(ReloadError::Rules {
                already_reported: true,
                ..
            })
        ));
    }
    // The diagnostics, with their place, logged exactly once.
    assert_eq!(logs.matches("Rules not reloaded").count(), 1, "{logs}");
    assert_eq!(logs.matches("analyze.toml:6:10").count(), 1, "{logs}");
    assert!(logs.contains("unknown action `analyse`"), "{logs}");
    // The running set is the same one.
    assert!(Arc::ptr_eq(&running, &store.current()));
    assert_eq!(store.current().rules()[0].actions[0].name, "analyze");

    // A different breakage is news and is logged again.
    write(
        dir.path(),
        "analyze.toml",
        &BROKEN.replace("analyse", "analyz"),
    );
    let logs = logged(|| assert!(store.reload().is_err()));
    assert_eq!(logs.matches("Rules not reloaded").count(), 1, "{logs}");

    // Fixing it back to what runs swaps nothing; breaking it again is reported again.
    write(dir.path(), "analyze.toml", ANALYZE);
    assert_eq!(store.reload().unwrap(), Reloaded::Unchanged);
    write(dir.path(), "analyze.toml", BROKEN);
    let logs = logged(|| assert!(store.reload().is_err()));
    assert_eq!(logs.matches("Rules not reloaded").count(), 1, "{logs}");
}

#[test]
fn opening_a_broken_directory_fails_and_a_missing_one_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "analyze.toml", BROKEN);
    assert!(matches!(
        RuleStore::open(dir.path()),
        Err(ReloadError::AtStart { errors: 1 })
    ));
    assert!(matches!(
        RuleStore::open(&dir.path().join("nope")),
        Err(ReloadError::Dir(_))
    ));
}

/// Polls until `done` holds, up to a generous bound (file watching is real IO).
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

#[tokio::test]
async fn the_watcher_picks_up_a_new_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "analyze.toml", ANALYZE);
    let store = Arc::new(RuleStore::open(dir.path()).unwrap());
    let _watch = store.watch_with(Duration::from_millis(200)).unwrap();

    write(dir.path(), "refresh.toml", REFRESH);
    assert!(eventually(|| ids(&store) == ["analyze", "refresh"]).await);
    // Removing it is a change too.
    std::fs::remove_file(dir.path().join("refresh.toml")).unwrap();
    assert!(eventually(|| ids(&store) == ["analyze"]).await);
}

#[tokio::test]
async fn rapid_successive_writes_cause_one_reload() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "analyze.toml", ANALYZE);
    let store = Arc::new(RuleStore::open(dir.path()).unwrap());
    let _watch = store.watch_with(Duration::from_millis(400)).unwrap();

    // An editor saving several files, and one file several times, in 100 ms.
    for i in 0..5 {
        let text = ANALYZE.replace(
            "[[triggers]]",
            &format!("description = \"v{i}\"\n[[triggers]]"),
        );
        write(dir.path(), "analyze.toml", &text);
        write(dir.path(), &format!("r{i}.toml"), REFRESH);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(eventually(|| store.current().rules().len() == 6).await);
    // Let any straggling batch arrive: it must not reload again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(store.reload_count(), 1);
    let rules = store.current();
    assert_eq!(
        rules.get("analyze").unwrap().description.as_deref(),
        Some("v4")
    );
}
