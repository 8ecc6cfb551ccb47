//! The engine loop on tokio's paused clock: it wakes exactly at deadlines,
//! persists before acknowledging, and resumes journaled deadlines after a
//! restart with the remaining time.

use std::time::Duration;

use metarr_plex::engine::{
    Clock, Command, Driver, EngineHandle, Flow, FlowSpec, Input, Millis, Outcome, Run,
};
use metarr_plex::journal::{Journal, RunState, Store};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const T0: Millis = Millis(1_800_000_000_000);

type Payload = String;

struct Engine {
    handle: EngineHandle<Payload>,
    commands: mpsc::Receiver<Command<Payload>>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

async fn start(journal: Option<Journal>, clock: Clock) -> Engine {
    start_with(journal, clock, false).await
}

async fn start_with(journal: Option<Journal>, clock: Clock, busy: bool) -> Engine {
    let (tx, commands) = mpsc::channel(64);
    let (mut driver, handle) = Driver::new(Flow::new(), journal, clock, tx);
    driver.restore().await.unwrap();
    driver.assume_busy(busy);
    let stop = CancellationToken::new();
    let task = tokio::spawn(driver.run(stop.clone()));
    Engine {
        handle,
        commands,
        stop,
        task,
    }
}

impl Engine {
    async fn trigger(&self, key: &str, spec: &FlowSpec, payload: &str) {
        let input = Input::Trigger {
            rule: "r".into(),
            key: key.into(),
            spec: spec.clone(),
            payload: payload.into(),
        };
        self.handle.send(input).await.unwrap();
    }

    async fn next_start(&mut self) -> Run<Payload> {
        loop {
            match self.commands.recv().await.expect("engine stopped") {
                Command::Start(run) => return run,
                _ => continue,
            }
        }
    }

    async fn stop(self) {
        self.stop.cancel();
        self.task.await.unwrap();
    }
}

fn debounce(secs: u64) -> FlowSpec {
    FlowSpec {
        debounce: Some(Duration::from_secs(secs)),
        ..FlowSpec::default()
    }
}

#[tokio::test(start_paused = true)]
async fn loop_wakes_exactly_at_the_debounce_deadline() {
    let begin = Instant::now();
    let mut engine = start(None, Clock::starting_at(T0)).await;
    engine.trigger("k", &debounce(10), "a").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    engine.trigger("k", &debounce(10), "b").await;
    let run = engine.next_start().await;
    assert_eq!(run.payload, "b");
    assert_eq!(begin.elapsed(), Duration::from_secs(14));
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn held_runs_wait_for_idle_without_waking_the_loop() {
    let mut engine = start(None, Clock::starting_at(T0)).await;
    let idle = FlowSpec {
        when_idle: true,
        ..FlowSpec::default()
    };
    engine.handle.send(Input::Busy(true)).await.unwrap();
    engine.trigger("42", &idle, "analyze").await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(matches!(
        engine.commands.try_recv(),
        Err(mpsc::error::TryRecvError::Empty)
    ));

    engine.handle.send(Input::Busy(false)).await.unwrap();
    let run = engine.next_start().await;
    assert_eq!(run.payload, "analyze");
    engine
        .handle
        .send(Input::Finished {
            run_id: run.run_id,
            outcome: Outcome::Ok,
            error: None,
        })
        .await
        .unwrap();
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn restart_resumes_a_journaled_debounce_with_its_remaining_time() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(T0);

    let engine = start(Some(Journal::open(dir.path()).await.unwrap()), clock).await;
    engine
        .trigger("/movies/Heat (1995)", &debounce(300), "scan heat")
        .await;
    // Acknowledged means on disk, before anything ran.
    let on_disk = Store::open(dir.path()).unwrap().list().unwrap();
    assert_eq!(on_disk.len(), 1);
    assert_eq!(on_disk[0].state, RunState::Debounced);
    assert_eq!(on_disk[0].due_at, Some(T0.after(Duration::from_secs(300))));
    engine.stop().await;

    // Down for two minutes.
    tokio::time::advance(Duration::from_secs(120)).await;
    let restarted = Instant::now();
    let mut engine = start(Some(Journal::open(dir.path()).await.unwrap()), clock).await;
    let run = engine.next_start().await;
    assert_eq!(run.payload, "scan heat");
    assert_eq!(
        restarted.elapsed(),
        Duration::from_secs(180),
        "only the remaining time is waited"
    );
    engine
        .handle
        .send(Input::Finished {
            run_id: run.run_id,
            outcome: Outcome::Ok,
            error: None,
        })
        .await
        .unwrap();

    // A new trigger gets a fresh id, not the restored one.
    engine
        .trigger("/movies/Alien (1979)", &FlowSpec::default(), "scan alien")
        .await;
    let fresh = engine.next_start().await;
    assert!(fresh.run_id > run.run_id);
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn finished_runs_are_not_run_again_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(T0);
    let mut engine = start(Some(Journal::open(dir.path()).await.unwrap()), clock).await;
    engine.trigger("ok", &FlowSpec::default(), "fine").await;
    let ok = engine.next_start().await;
    engine.trigger("bad", &FlowSpec::default(), "doomed").await;
    let bad = engine.next_start().await;
    engine
        .trigger("cut", &FlowSpec::default(), "interrupted")
        .await;
    let interrupted = engine.next_start().await;
    for (run, outcome, error) in [
        (&ok, Outcome::Ok, None),
        (&bad, Outcome::Failed, Some("HTTP 404".to_owned())),
    ] {
        let input = Input::Finished {
            run_id: run.run_id,
            outcome,
            error,
        };
        engine.handle.send(input).await.unwrap();
    }
    engine.stop().await;

    let dead = Store::open(dir.path()).unwrap().dead().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].id, dead[0].last_error.as_deref()),
        (bad.run_id, Some("HTTP 404"))
    );

    // Only the run that was still running when the process stopped runs again.
    let mut engine = start(Some(Journal::open(dir.path()).await.unwrap()), clock).await;
    let again = engine.next_start().await;
    assert_eq!(
        (again.run_id, again.payload.as_str()),
        (interrupted.run_id, "interrupted")
    );
    tokio::time::sleep(Duration::from_secs(3600)).await;
    engine.handle.send(Input::Busy(false)).await.unwrap();
    assert!(matches!(
        engine.commands.try_recv(),
        Err(mpsc::error::TryRecvError::Empty)
    ));
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_retried_run_comes_back_after_its_backoff_with_the_error_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = start(
        Some(Journal::open(dir.path()).await.unwrap()),
        Clock::starting_at(T0),
    )
    .await;
    engine.trigger("42", &FlowSpec::default(), "refresh").await;
    let first = engine.next_start().await;
    let failed_at = Instant::now();
    let retry = Input::Retry {
        run_id: first.run_id,
        after: Duration::from_secs(30),
        error: Some("HTTP 503".into()),
    };
    engine.handle.send(retry).await.unwrap();

    let row = Store::open(dir.path())
        .unwrap()
        .get(first.run_id)
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.state, row.last_error.as_deref()),
        (RunState::Retrying, Some("HTTP 503"))
    );

    let again = engine.next_start().await;
    assert_eq!((again.run_id, again.attempt), (first.run_id, 2));
    assert_eq!(failed_at.elapsed(), Duration::from_secs(30));
    engine.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_held_run_stays_held_across_a_restart_while_playback_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(T0);
    let idle = FlowSpec {
        when_idle: true,
        delay: Some(Duration::from_secs(60)),
        ..FlowSpec::default()
    };
    let engine = start_with(Some(Journal::open(dir.path()).await.unwrap()), clock, true).await;
    engine.trigger("42", &idle, "analyze 42").await;
    tokio::time::sleep(Duration::from_secs(90)).await;
    // The paused clock moves on while the journal thread writes; an acked
    // input means the loop has finished everything before it.
    engine.handle.send(Input::Busy(true)).await.unwrap();
    let row = &Store::open(dir.path()).unwrap().list().unwrap()[0];
    assert_eq!(row.state, RunState::Deferred);
    engine.stop().await;

    let mut engine = start_with(Some(Journal::open(dir.path()).await.unwrap()), clock, true).await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    engine.handle.send(Input::Busy(true)).await.unwrap();
    assert!(matches!(
        engine.commands.try_recv(),
        Err(mpsc::error::TryRecvError::Empty)
    ));
    engine.handle.send(Input::Busy(false)).await.unwrap();
    assert_eq!(engine.next_start().await.payload, "analyze 42");
    engine.stop().await;
}
