//! Flow control, driven by a hand-held clock: what starts, when, and with
//! which payload.

use std::time::Duration;

use metarr_plex::engine::{
    Command, DropReason, Entry, Flow, FlowSpec, Millis, Mode, Outcome, RunId, Stage,
};
use proptest::prelude::*;

const SEC: u64 = 1_000;

fn secs(s: u64) -> Millis {
    Millis(s * SEC)
}

fn spec(f: impl FnOnce(&mut FlowSpec)) -> FlowSpec {
    let mut s = FlowSpec::default();
    f(&mut s);
    s
}

/// The (run id, key, payload) of every `Start` in `cmds`.
fn starts<P: Clone>(cmds: &[Command<P>]) -> Vec<(RunId, String, P)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Start(run) => Some((run.run_id, run.key.clone(), run.payload.clone())),
            _ => None,
        })
        .collect()
}

fn drops<P>(cmds: &[Command<P>]) -> Vec<DropReason> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Dropped { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

fn start_payloads<P: Clone>(cmds: &[Command<P>]) -> Vec<P> {
    starts(cmds).into_iter().map(|(_, _, p)| p).collect()
}

fn only_start<P: Clone + std::fmt::Debug>(cmds: &[Command<P>]) -> RunId {
    let s = starts(cmds);
    assert_eq!(s.len(), 1, "expected exactly one start in {cmds:?}");
    s[0].0
}

#[test]
fn debounce_runs_once_after_quiet_with_last_payload() {
    let mut flow = Flow::new();
    let s = spec(|s| s.debounce = Some(Duration::from_secs(10)));
    for (at, payload) in [(0, "a"), (4, "b"), (8, "c")] {
        let cmds = flow.trigger("scan", "folder-1", &s, payload, secs(at));
        assert!(starts(&cmds).is_empty());
        assert!(matches!(cmds.as_slice(), [Command::Persist(e)] if e.stage == Stage::Debounced));
    }
    assert_eq!(
        flow.next_deadline(),
        Some(secs(18)),
        "the last trigger re-arms the deadline"
    );
    assert!(flow.poll(Millis(18 * SEC - 1)).is_empty());
    assert_eq!(start_payloads(&flow.poll(secs(18))), vec!["c"]);
    assert_eq!(flow.next_deadline(), None);
    assert!(flow.poll(secs(100)).is_empty(), "one run per quiet window");
}

#[test]
fn delay_absorbs_later_triggers() {
    let mut flow = Flow::new();
    let s = spec(|s| s.delay = Some(Duration::from_secs(10)));
    flow.trigger("analyze", "42", &s, "first", secs(0));
    let cmds = flow.trigger("analyze", "42", &s, "second", secs(3));
    assert_eq!(drops(&cmds), vec![DropReason::Absorbed]);
    assert_eq!(
        flow.next_deadline(),
        Some(secs(10)),
        "a later trigger does not move a delay"
    );
    assert!(flow.poll(Millis(10 * SEC - 1)).is_empty());
    let started = flow.poll(secs(10));
    assert_eq!(start_payloads(&started), vec!["first"]);
    flow.run_finished(only_start(&started), Outcome::Ok, secs(11));
    flow.trigger("analyze", "42", &s, "third", secs(12));
    assert_eq!(
        flow.next_deadline(),
        Some(secs(22)),
        "after it fired, a new delay starts"
    );
}

#[test]
fn cancel_drops_pending_run() {
    let mut flow = Flow::new();
    let s = spec(|s| s.delay = Some(Duration::from_secs(600)));
    let accepted = flow.trigger("analyze", "42", &s, "x", secs(0));
    let Command::Persist(entry) = &accepted[0] else {
        panic!("expected a persist: {accepted:?}")
    };
    flow.trigger("analyze", "other", &s, "y", secs(0));

    let cmds = flow.cancel("analyze", "42", secs(30));
    assert!(matches!(
        cmds.as_slice(),
        [Command::Dropped { run_id: Some(id), reason: DropReason::Cancelled, .. }] if *id == entry.run_id
    ));
    let fired = flow.poll(secs(601));
    assert_eq!(
        start_payloads(&fired),
        vec!["y"],
        "only the other key's run remains"
    );
    assert!(flow.cancel("analyze", "nothing-here", secs(602)).is_empty());
}

#[test]
fn cooldown_drops_triggers_until_expiry() {
    let mut flow = Flow::new();
    let s = spec(|s| s.cooldown = Some(Duration::from_secs(60)));
    let run = only_start(&flow.trigger("poster", "7", &s, "a", secs(0)));
    let cmds = flow.run_finished(run, Outcome::Ok, secs(1));
    assert!(matches!(
        cmds.as_slice(),
        [Command::Finished { outcome: Outcome::Ok, .. }, Command::Cooldown { until, .. }] if *until == secs(61)
    ));
    assert_eq!(
        drops(&flow.trigger("poster", "7", &s, "b", secs(30))),
        vec![DropReason::Cooldown]
    );
    assert_eq!(
        drops(&flow.trigger("poster", "7", &s, "c", Millis(61 * SEC - 1))),
        vec![DropReason::Cooldown]
    );
    assert_eq!(
        start_payloads(&flow.trigger("poster", "8", &s, "other key", secs(30))),
        vec!["other key"]
    );
    let run = only_start(&flow.trigger("poster", "7", &s, "d", secs(61)));

    // A failed run starts no cooldown.
    let cmds = flow.run_finished(run, Outcome::Failed, secs(62));
    assert!(matches!(
        cmds.as_slice(),
        [Command::Finished {
            outcome: Outcome::Failed,
            ..
        }]
    ));
    assert_eq!(
        start_payloads(&flow.trigger("poster", "7", &s, "e", secs(63))),
        vec!["e"]
    );
}

#[test]
fn cooldown_also_drops_a_run_that_comes_due_inside_it() {
    let mut flow = Flow::new();
    let s = spec(|s| {
        s.cooldown = Some(Duration::from_secs(3600));
        s.debounce = Some(Duration::from_secs(5));
    });
    flow.trigger("poster", "7", &s, "a", secs(0));
    let run = only_start(&flow.poll(secs(5)));
    flow.trigger("poster", "7", &s, "during the run", secs(6));
    flow.run_finished(run, Outcome::Ok, secs(7));
    let cmds = flow.poll(secs(11));
    assert!(starts(&cmds).is_empty());
    assert_eq!(drops(&cmds), vec![DropReason::Cooldown]);
}

#[test]
fn single_drops_while_running() {
    let mut flow = Flow::new();
    let s = FlowSpec::default();
    let run = only_start(&flow.trigger("match", "42", &s, "a", secs(0)));
    let cmds = flow.trigger("match", "42", &s, "b", secs(1));
    assert!(matches!(
        cmds.as_slice(),
        [Command::Dropped { reason: DropReason::AlreadyRunning, key, .. }] if key == "42"
    ));
    assert_eq!(
        start_payloads(&flow.trigger("match", "43", &s, "other key", secs(1))),
        vec!["other key"]
    );
    flow.run_finished(run, Outcome::Ok, secs(2));
    assert_eq!(
        start_payloads(&flow.trigger("match", "42", &s, "c", secs(3))),
        vec!["c"]
    );
}

#[test]
fn restart_cancels_running_run() {
    let mut flow = Flow::new();
    let s = spec(|s| s.mode = Mode::Restart);
    let first = only_start(&flow.trigger("refresh", "42", &s, "a", secs(0)));
    let cmds = flow.trigger("refresh", "42", &s, "b", secs(1));
    assert!(matches!(cmds[0], Command::Cancel(id) if id == first));
    let second = only_start(&cmds);
    assert_eq!(start_payloads(&cmds), vec!["b"]);

    // The cancelled run's late report changes nothing: the second still holds the slot.
    assert!(flow.run_finished(first, Outcome::Ok, secs(2)).is_empty());
    let cmds = flow.trigger("refresh", "42", &s, "c", secs(3));
    assert!(matches!(cmds[0], Command::Cancel(id) if id == second));
    assert_eq!(start_payloads(&cmds), vec!["c"]);
    assert_eq!(flow.running_len(), 1);
}

#[test]
fn queued_runs_in_order_up_to_max() {
    let mut flow = Flow::new();
    let s = spec(|s| {
        s.mode = Mode::Queued;
        s.max = 2;
    });
    let a = only_start(&flow.trigger("scan", "section-1", &s, "a", secs(0)));
    for p in ["b", "c"] {
        let cmds = flow.trigger("scan", "section-1", &s, p, secs(1));
        assert!(matches!(cmds.as_slice(), [Command::Persist(e)] if e.stage == Stage::Queued));
    }
    assert_eq!(
        drops(&flow.trigger("scan", "section-1", &s, "d", secs(2))),
        vec![DropReason::QueueFull]
    );

    let next = flow.run_finished(a, Outcome::Ok, secs(3));
    assert_eq!(start_payloads(&next), vec!["b"]);
    let b = only_start(&next);
    assert_eq!(
        start_payloads(&flow.run_finished(b, Outcome::Failed, secs(4))),
        vec!["c"]
    );
    assert_eq!(flow.waiting_len(), 0);
}

#[test]
fn parallel_caps_at_max() {
    let mut flow = Flow::new();
    let s = spec(|s| {
        s.mode = Mode::Parallel;
        s.max = 2;
    });
    let a = only_start(&flow.trigger("webhook", "k", &s, "a", secs(0)));
    only_start(&flow.trigger("webhook", "k", &s, "b", secs(0)));
    assert_eq!(
        drops(&flow.trigger("webhook", "k", &s, "c", secs(0))),
        vec![DropReason::MaxParallel]
    );
    assert_eq!(
        start_payloads(&flow.trigger("webhook", "other", &s, "x", secs(0))),
        vec!["x"]
    );
    flow.run_finished(a, Outcome::Ok, secs(1));
    assert_eq!(
        start_payloads(&flow.trigger("webhook", "k", &s, "d", secs(1))),
        vec!["d"]
    );
    assert_eq!(flow.running_len(), 3);
}

#[test]
fn when_idle_holds_until_no_playback() {
    let mut flow = Flow::new();
    let s = spec(|s| {
        s.when_idle = true;
        s.delay = Some(Duration::from_secs(5));
    });
    assert!(flow.set_busy(true, secs(0)).is_empty());
    flow.trigger("analyze", "1", &s, "one", secs(0));
    flow.trigger("analyze", "2", &s, "two", secs(1));
    let due = flow.poll(secs(6));
    assert!(
        starts(&due).is_empty(),
        "held while a session plays: {due:?}"
    );
    assert!(
        due.iter()
            .all(|c| matches!(c, Command::Persist(e) if e.stage == Stage::Deferred))
    );
    assert_eq!(
        flow.next_deadline(),
        None,
        "held runs set no timer: nothing to busy-loop on"
    );

    // A later due run for a held key only refreshes the held one's payload.
    flow.trigger("analyze", "1", &s, "one again", secs(10));
    let again = flow.poll(secs(15));
    assert_eq!(drops(&again), vec![DropReason::Coalesced]);

    // Unrelated rules are not held.
    let other = flow.trigger("log", "1", &FlowSpec::default(), "not idle-bound", secs(16));
    assert_eq!(start_payloads(&other), vec!["not idle-bound"]);

    assert!(
        flow.set_busy(true, secs(20)).is_empty(),
        "still busy: nothing released"
    );
    let released = flow.set_busy(false, secs(30));
    let keys: Vec<_> = starts(&released)
        .into_iter()
        .map(|(_, k, p)| (k, p))
        .collect();
    assert_eq!(
        keys,
        vec![("1".to_owned(), "one again"), ("2".to_owned(), "two")],
        "released in order"
    );
    assert_eq!(flow.waiting_len(), 0);
}

#[test]
fn restored_deadline_keeps_remaining_time() {
    let t0 = Millis(1_700_000_000_000);
    let s = spec(|s| s.debounce = Some(Duration::from_secs(300)));
    let mut before = Flow::new();
    before.trigger("rescan", "/movies/a", &s, "a".to_owned(), t0);
    let saved: Vec<Entry<String>> = before.entries().cloned().collect();
    let saved = serde_json::to_string(&saved).unwrap();
    drop(before);

    // Two minutes later, a new process.
    let restart = t0.after(Duration::from_secs(120));
    let mut after: Flow<String> = Flow::new();
    after.restore(
        serde_json::from_str::<Vec<Entry<String>>>(&saved).unwrap(),
        restart,
    );
    assert_eq!(
        after.next_deadline(),
        Some(t0.after(Duration::from_secs(300)))
    );
    assert_eq!(
        restart.until(after.next_deadline().unwrap()),
        Duration::from_secs(180)
    );
    assert!(after.poll(t0.after(Duration::from_secs(299))).is_empty());
    let fired = after.poll(t0.after(Duration::from_secs(300)));
    assert_eq!(start_payloads(&fired), vec!["a".to_owned()]);

    // New runs never reuse a restored id.
    let fresh = after.trigger(
        "rescan",
        "/movies/b",
        &FlowSpec::default(),
        "b".to_owned(),
        restart,
    );
    assert!(only_start(&fresh) > only_start(&fired));
}

#[test]
fn restored_debounce_is_rearmed_by_a_new_trigger() {
    let s = spec(|s| s.debounce = Some(Duration::from_secs(60)));
    let mut before = Flow::new();
    before.trigger("rescan", "k", &s, "old", secs(0));
    let saved: Vec<Entry<&str>> = before.entries().cloned().collect();
    let mut after = Flow::new();
    after.restore(saved, secs(10));
    after.trigger("rescan", "k", &s, "new", secs(20));
    assert_eq!(after.next_deadline(), Some(secs(80)));
    assert_eq!(start_payloads(&after.poll(secs(80))), vec!["new"]);
}

#[test]
fn restored_running_and_queued_runs_run_again_in_order() {
    let s = spec(|s| s.mode = Mode::Queued);
    let mut before = Flow::new();
    before.trigger("scan", "s1", &s, "running", secs(0));
    before.trigger("scan", "s1", &s, "queued", secs(1));
    let mut saved: Vec<Entry<&str>> = before.entries().cloned().collect();
    saved.reverse();
    let mut after = Flow::new();
    after.restore(saved, secs(50));
    let cmds = after.poll(secs(50));
    let run = only_start(&cmds);
    assert_eq!(
        start_payloads(&cmds),
        vec!["running"],
        "the interrupted run goes first"
    );
    assert_eq!(
        start_payloads(&after.run_finished(run, Outcome::Ok, secs(51))),
        vec!["queued"]
    );
}

#[test]
fn retry_comes_due_with_the_next_attempt() {
    let mut flow = Flow::new();
    let run = only_start(&flow.trigger("webhook", "k", &FlowSpec::default(), "a", secs(0)));
    let cmds = flow.retry_at(run, secs(30), secs(1));
    assert!(
        matches!(cmds.as_slice(), [Command::Persist(e)] if e.stage == Stage::Retrying && e.attempt == 2)
    );
    assert_eq!(flow.next_deadline(), Some(secs(30)));
    let again = flow.poll(secs(30));
    assert!(matches!(again.as_slice(), [Command::Start(r)] if r.run_id == run && r.attempt == 2));
}

#[test]
fn waiting_runs_are_capped_by_dropping_the_oldest() {
    let mut flow = Flow::new().with_max_waiting(3);
    let s = spec(|s| s.delay = Some(Duration::from_secs(60)));
    for k in 0..5 {
        let cmds = flow.trigger("r", &format!("k{k}"), &s, k, secs(k));
        if k >= 3 {
            assert!(matches!(
                &cmds[0],
                Command::Dropped { reason: DropReason::Overflow, key, .. } if *key == format!("k{}", k - 3)
            ));
        }
    }
    assert_eq!(flow.waiting_len(), 3);
    assert_eq!(flow.overflow_dropped(), 2);
    assert_eq!(start_payloads(&flow.poll(secs(1000))), vec![2, 3, 4]);
}

/// One trigger of the random schedule: which key, and how long after the previous one.
#[derive(Debug, Clone)]
struct Trigger {
    key: u8,
    gap_ms: u64,
}

fn triggers() -> impl Strategy<Value = Vec<Trigger>> {
    prop::collection::vec(
        (0u8..3, 0u64..2_500).prop_map(|(key, gap_ms)| Trigger { key, gap_ms }),
        1..60,
    )
}

proptest! {
    /// Driven the way the daemon drives it (sleep until the next deadline or
    /// the next event, whichever is first): for every key, exactly one run
    /// per burst of triggers separated by less than the debounce, each at
    /// exactly last-trigger + debounce, with that last trigger's payload.
    #[test]
    fn debounce_gives_one_run_per_quiet_window_never_early(schedule in triggers()) {
        const D: u64 = 1_000;
        let s = spec(|s| s.debounce = Some(Duration::from_millis(D)));
        let mut at = 0;
        let timed: Vec<(u64, u8, usize)> = schedule
            .iter()
            .enumerate()
            .map(|(i, t)| { at += t.gap_ms; (at, t.key, i) })
            .collect();

        let mut flow = Flow::new();
        let mut runs: Vec<(u64, String, usize)> = Vec::new();
        let mut next = 0;
        loop {
            let trigger_at = timed.get(next).map(|t| t.0);
            let cmds = match (trigger_at, flow.next_deadline()) {
                (None, None) => break,
                (Some(t), Some(d)) if d.0 <= t => (d.0, flow.poll(d)),
                (None, Some(d)) => (d.0, flow.poll(d)),
                (Some(t), _) => {
                    let (_, key, i) = timed[next];
                    next += 1;
                    (t, flow.trigger("r", &key.to_string(), &s, i, Millis(t)))
                }
            };
            let (now, cmds) = cmds;
            for (run_id, key, payload) in starts(&cmds) {
                runs.push((now, key, payload));
                flow.run_finished(run_id, Outcome::Ok, Millis(now));
            }
        }

        for key in 0u8..3 {
            let mine: Vec<&(u64, u8, usize)> = timed.iter().filter(|t| t.1 == key).collect();
            let bursts_end: Vec<&(u64, u8, usize)> = mine
                .iter()
                .enumerate()
                .filter(|(j, t)| mine.get(j + 1).is_none_or(|n| n.0 - t.0 >= D))
                .map(|(_, t)| *t)
                .collect();
            let got: Vec<(u64, usize)> = runs
                .iter()
                .filter(|r| r.1 == key.to_string())
                .map(|r| (r.0, r.2))
                .collect();
            let want: Vec<(u64, usize)> = bursts_end.iter().map(|t| (t.0 + D, t.2)).collect();
            prop_assert_eq!(got, want);
        }
    }
}

#[test]
fn counters_report_waiting_running_and_the_oldest_waiting_run() {
    let mut flow = Flow::new();
    let delayed = spec(|s| s.delay = Some(Duration::from_secs(60)));
    assert_eq!(flow.oldest_waiting(), None);
    flow.trigger("a", "1", &delayed, "x", secs(5));
    flow.trigger("a", "2", &delayed, "y", secs(9));
    flow.trigger("b", "1", &FlowSpec::default(), "z", secs(10));
    assert_eq!((flow.waiting_len(), flow.running_len()), (2, 1));
    assert_eq!(flow.oldest_waiting(), Some(secs(5)));
    flow.cancel("a", "1", secs(11));
    assert_eq!(flow.oldest_waiting(), Some(secs(9)));
}
