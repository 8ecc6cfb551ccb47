//! The SQLite journal: what was accepted is there after a reopen or a
//! `kill -9`, and the side tables (cooldowns, upload hashes, watermarks) hold.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command as Process, Stdio};
use std::time::Duration;

use metarr_plex::engine::{
    Command, DropReason, Flow, FlowSpec, Millis, Mode, Outcome, RunId, Stage,
};
use metarr_plex::journal::{
    Finish, Journal, JournalError, QueueDepth, RunState, Store, UploadKind,
};
use serde::{Deserialize, Serialize};

/// A payload shaped like what the executor will carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Work {
    item: String,
    paths: Vec<String>,
}

fn work(item: &str) -> Work {
    Work {
        item: item.to_owned(),
        paths: vec![format!("/media/movies/{item} & co #1/")],
    }
}

fn delayed(secs: u64) -> FlowSpec {
    FlowSpec {
        delay: Some(Duration::from_secs(secs)),
        ..FlowSpec::default()
    }
}

const T0: Millis = Millis(1_800_000_000_000);

fn at(secs: u64) -> Millis {
    T0.after(Duration::from_secs(secs))
}

#[test]
fn accepted_runs_survive_reopen_with_their_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let mut flow = Flow::new();
    let mut expected = Vec::new();
    {
        let mut store = Store::open(dir.path()).unwrap();
        let debounce = FlowSpec {
            debounce: Some(Duration::from_secs(300)),
            when_idle: true,
            ..FlowSpec::default()
        };
        for (key, spec) in [("a", delayed(600)), ("b", debounce)] {
            let cmds = flow.trigger("poster", key, &spec, work(key), T0);
            store.apply(&cmds, T0).unwrap();
        }
        // Re-arm b: its newer payload and later deadline are what must come back.
        let cmds = flow.trigger("poster", "b", &flow_spec_of(&flow, "b"), work("b2"), at(60));
        store.apply(&cmds, at(60)).unwrap();
        expected.extend(flow.entries().cloned());
    }
    let mut store = Store::open(dir.path()).unwrap();
    let mut loaded = store.load_pending::<Work>(at(120)).unwrap();
    loaded.sort_by_key(|e| e.run_id);
    expected.sort_by_key(|e| e.run_id);
    assert_eq!(loaded, expected);
    assert_eq!(loaded[1].payload, work("b2"));
    assert_eq!(loaded[1].due_at, Some(at(360)));
    assert_eq!(loaded[1].stage, Stage::Debounced);

    // The rebuilt core fires each with its remaining time.
    let mut restored: Flow<Work> = Flow::new();
    restored.restore(loaded, at(120));
    restored.reserve_ids_below(store.next_run_id().unwrap());
    assert_eq!(restored.next_deadline(), Some(at(360)));
}

fn flow_spec_of(flow: &Flow<Work>, key: &str) -> FlowSpec {
    flow.entries()
        .find(|e| e.key == key)
        .map(|e| e.spec.clone())
        .unwrap()
}

#[test]
fn started_dropped_and_cancelled_runs_are_reflected() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut flow = Flow::new();
    let restart = FlowSpec {
        mode: Mode::Restart,
        ..FlowSpec::default()
    };

    let first = flow.trigger("refresh", "1", &restart, work("1"), T0);
    store.apply(&first, T0).unwrap();
    let Command::Start(run) = &first[0] else {
        panic!("{first:?}")
    };
    assert_eq!(
        store.get(run.run_id).unwrap().unwrap().state,
        RunState::Running
    );

    let second = flow.trigger("refresh", "1", &restart, work("1b"), at(1));
    store.apply(&second, at(1)).unwrap();
    assert!(
        store.get(run.run_id).unwrap().is_none(),
        "the cancelled run is gone"
    );
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].payload["item"], "1b");

    let single = flow.trigger("refresh-single", "x", &delayed(5), work("x"), at(2));
    store.apply(&single, at(2)).unwrap();
    let cancelled = flow.cancel("refresh-single", "x", at(3));
    assert!(matches!(
        cancelled[0],
        Command::Dropped {
            reason: DropReason::Cancelled,
            ..
        }
    ));
    store.apply(&cancelled, at(3)).unwrap();
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn dead_letters_are_listed_and_retry_revives_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut flow = Flow::new();
    let cmds = flow.trigger("webhook", "k", &FlowSpec::default(), work("w"), T0);
    store.apply(&cmds, T0).unwrap();
    let id = flow.entries().next().unwrap().run_id;
    flow.run_finished(id, Outcome::Failed, at(1));
    assert!(
        store
            .finish(
                id,
                &Finish::Dead {
                    error: "HTTP 500 after 5 attempts".into()
                },
                at(1)
            )
            .unwrap()
    );

    assert!(
        store.list().unwrap().is_empty(),
        "dead runs are not pending"
    );
    // The queue gauges count dead letters apart from waiting work.
    assert_eq!(
        store.depth().unwrap(),
        QueueDepth {
            waiting: 0,
            dead: 1
        }
    );
    let dead = store.dead().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("HTTP 500 after 5 attempts")
    );
    assert!(store.load_pending::<Work>(at(2)).unwrap().is_empty());

    assert!(store.retry(id, at(10)).unwrap());
    assert_eq!(
        store.depth().unwrap(),
        QueueDepth {
            waiting: 1,
            dead: 0
        }
    );
    let pending = store.load_pending::<Work>(at(11)).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].stage, pending[0].due_at, pending[0].attempt),
        (Stage::Retrying, Some(at(10)), 1)
    );
    assert!(store.dead().unwrap().is_empty());
    assert!(!store.retry(RunId(999), at(10)).unwrap());
}

#[test]
fn drop_removes_waiting_runs_but_not_running_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut flow = Flow::new();
    let running = flow.trigger("scan", "a", &FlowSpec::default(), work("a"), T0);
    let waiting = flow.trigger("scan", "b", &delayed(60), work("b"), T0);
    store.apply(&running, T0).unwrap();
    store.apply(&waiting, T0).unwrap();
    let ids: Vec<RunId> = store.list().unwrap().iter().map(|r| r.id).collect();
    assert!(
        !store.drop_run(ids[0]).unwrap(),
        "a running run is not dropped from under the executor"
    );
    assert!(store.drop_run(ids[1]).unwrap());
    assert!(!store.drop_run(ids[1]).unwrap());
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn finished_runs_keep_ids_unique_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut flow = Flow::new();
    {
        let mut store = Store::open(dir.path()).unwrap();
        for key in ["a", "b", "c"] {
            let cmds = flow.trigger("log", key, &FlowSpec::default(), work(key), T0);
            store.apply(&cmds, T0).unwrap();
        }
        store.finish(RunId(3), &Finish::Done, at(1)).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.next_run_id().unwrap(), RunId(4));
}

#[test]
fn cooldowns_persist_until_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    let mut flow = Flow::new();
    let spec = FlowSpec {
        cooldown: Some(Duration::from_secs(3600)),
        ..FlowSpec::default()
    };
    {
        let mut store = Store::open(dir.path()).unwrap();
        let start = flow.trigger("poster", "42", &spec, work("42"), T0);
        store.apply(&start, T0).unwrap();
        let Command::Start(run) = &start[0] else {
            panic!("{start:?}")
        };
        let end = flow.run_finished(run.run_id, Outcome::Ok, at(1));
        store.apply(&end, at(1)).unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.cooldown_get("poster", "42", at(2)).unwrap(),
        Some(at(3601))
    );
    let active = store.cooldowns_active(at(2)).unwrap();
    assert_eq!(
        active,
        vec![("poster".to_owned(), "42".to_owned(), at(3601))]
    );

    let mut restored: Flow<Work> = Flow::new();
    for (rule, key, until) in &active {
        restored.restore_cooldown(rule, key, *until);
    }
    let cmds = restored.trigger("poster", "42", &spec, work("42"), at(100));
    assert!(matches!(
        cmds[0],
        Command::Dropped {
            reason: DropReason::Cooldown,
            ..
        }
    ));

    assert_eq!(store.cooldown_get("poster", "42", at(3601)).unwrap(), None);
    assert!(store.cooldowns_active(at(4000)).unwrap().is_empty());
}

#[test]
fn upload_hash_is_seen_after_it_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let sha = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    {
        let mut store = Store::open(dir.path()).unwrap();
        assert!(!store.upload_seen("42", UploadKind::Poster, sha).unwrap());
        store
            .upload_record("42", UploadKind::Poster, sha, T0)
            .unwrap();
        store
            .upload_record("42", UploadKind::Poster, sha, at(5))
            .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert!(store.upload_seen("42", UploadKind::Poster, sha).unwrap());
    assert!(
        !store.upload_seen("42", UploadKind::Art, sha).unwrap(),
        "per kind"
    );
    assert!(
        !store.upload_seen("43", UploadKind::Poster, sha).unwrap(),
        "per item"
    );
}

#[test]
fn watermark_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.watermark_get("recently_added").unwrap(), None);
        store.watermark_set("recently_added", "1700000000").unwrap();
        store.watermark_set("recently_added", "1700000123").unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.watermark_get("recently_added").unwrap().as_deref(),
        Some("1700000123")
    );
}

#[test]
fn an_undecodable_run_goes_to_the_dead_letters_instead_of_failing_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut flow: Flow<serde_json::Value> = Flow::new();
    let stale = serde_json::json!("a payload from an older binary");
    let fine = serde_json::to_value(work("ok")).unwrap();
    store
        .apply(&flow.trigger("r", "k", &delayed(9), stale, T0), T0)
        .unwrap();
    store
        .apply(&flow.trigger("r", "k2", &delayed(9), fine, T0), T0)
        .unwrap();
    let loaded = store.load_pending::<Work>(at(1)).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].payload, work("ok"));
    let dead = store.dead().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key, "k");
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("cannot decode")
    );
}

#[test]
fn a_journal_from_a_newer_binary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let conn = rusqlite_open(dir.path());
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        Store::open(dir.path()),
        Err(JournalError::TooNew { found: 99, .. })
    ));
}

fn rusqlite_open(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(metarr_plex::journal::FILE_NAME)).unwrap()
}

#[tokio::test]
async fn the_async_handle_persists_in_order_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).await.unwrap();
    let mut flow = Flow::new();
    let spec = FlowSpec {
        debounce: Some(Duration::from_secs(30)),
        ..FlowSpec::default()
    };
    for (i, t) in [0, 10, 20].into_iter().enumerate() {
        let cmds = flow.trigger("scan", "folder", &spec, work(&format!("v{i}")), at(t));
        journal.apply(cmds, at(t)).await.unwrap();
    }
    journal
        .watermark_set("recently_added".into(), "5".into())
        .await
        .unwrap();
    drop(journal);

    let journal = Journal::open(dir.path()).await.unwrap();
    let (entries, next) = journal.load_pending::<Work>(at(25)).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].payload, work("v2"));
    assert_eq!(entries[0].due_at, Some(at(50)));
    assert_eq!(next, RunId(2));
    assert_eq!(
        journal
            .watermark_get("recently_added".into())
            .await
            .unwrap()
            .as_deref(),
        Some("5")
    );
}

/// The environment variable that turns `kill9_child_writer` into the writer.
const CHILD_DIR: &str = "METARR_JOURNAL_KILL9_DIR";

/// The child half of `kill_9_loses_nothing_accepted`: accepts runs as fast
/// as it can and prints each id once its transaction committed, until killed.
#[test]
#[ignore = "child process of kill_9_loses_nothing_accepted"]
fn kill9_child_writer() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let mut store = Store::open(std::path::Path::new(&dir)).unwrap();
    let mut flow = Flow::new();
    let spec = delayed(3600);
    for i in 0u64.. {
        let cmds = flow.trigger(
            "rescan",
            &format!("folder-{i}"),
            &spec,
            work(&i.to_string()),
            at(i),
        );
        store.apply(&cmds, at(i)).unwrap();
        let Command::Persist(entry) = &cmds[0] else {
            panic!("{cmds:?}")
        };
        println!("accepted {} {}", entry.run_id, entry.due_at.unwrap().0);
    }
}

#[test]
fn kill_9_loses_nothing_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Process::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "journal::kill9_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut accepted = Vec::new();
    let mut line = String::new();
    while accepted.len() < 300 {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the writer exited early"
        );
        if let Some(rest) = line.strip_prefix("accepted ") {
            accepted.push(rest.trim().to_owned());
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no checkpoint, mid-write.
    child.wait().unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    accepted.extend(
        rest.lines()
            .filter_map(|l| l.strip_prefix("accepted "))
            .map(str::to_owned),
    );

    let conn = rusqlite_open(dir.path());
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);

    let mut store = Store::open(dir.path()).unwrap();
    let loaded = store.load_pending::<Work>(T0).unwrap();
    let on_disk: std::collections::HashSet<String> = loaded
        .iter()
        .map(|e| format!("{} {}", e.run_id, e.due_at.unwrap().0))
        .collect();
    for line in &accepted {
        assert!(
            on_disk.contains(line),
            "accepted run `{line}` was lost ({} on disk)",
            on_disk.len()
        );
    }
    assert!(loaded.iter().all(|e| e.stage == Stage::Delayed));
}

#[test]
fn finished_runs_leave_the_queue_as_done_or_dead() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut flow = Flow::new();
    let mut ids = Vec::new();
    for key in ["ok", "failed"] {
        let cmds = flow.trigger("refresh", key, &FlowSpec::default(), work(key), T0);
        store.apply(&cmds, T0).unwrap();
        let Command::Start(run) = &cmds[0] else {
            panic!("{cmds:?}")
        };
        ids.push(run.run_id);
    }
    store
        .note_error(ids[1], "HTTP 503 Service Unavailable", at(1))
        .unwrap();
    store
        .apply(&flow.run_finished(ids[0], Outcome::Ok, at(1)), at(1))
        .unwrap();
    store
        .apply(&flow.run_finished(ids[1], Outcome::Failed, at(2)), at(2))
        .unwrap();

    assert!(store.list().unwrap().is_empty());
    assert!(store.load_pending::<Work>(at(3)).unwrap().is_empty());
    assert_eq!(store.get(ids[0]).unwrap().unwrap().state, RunState::Done);
    let dead = store.dead().unwrap();
    assert_eq!(dead.iter().map(|r| r.id).collect::<Vec<_>>(), vec![ids[1]]);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("HTTP 503 Service Unavailable")
    );
    assert_eq!(store.prune_done(at(2)).unwrap(), 1);
    assert!(store.get(ids[0]).unwrap().is_none());
}
