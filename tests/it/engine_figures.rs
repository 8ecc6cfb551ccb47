//! Measurements, not assertions (timings on a shared machine are not a
//! pass/fail signal). Run with:
//! `cargo test --test it engine_figures -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use metarr_plex::engine::{Clock, Command, Driver, Flow, FlowSpec, Input, Millis, Outcome};
use metarr_plex::journal::{Journal, Store};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name}: n={} p50={:?} p99={:?} max={:?}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

#[test]
#[ignore = "measurement"]
fn flow_trigger_cost() {
    let mut flow: Flow<u64> = Flow::new();
    let spec = FlowSpec {
        debounce: Some(Duration::from_secs(60)),
        ..FlowSpec::default()
    };
    let keys: Vec<String> = (0..10_000).map(|k| format!("/media/folder-{k}")).collect();
    let begin = Instant::now();
    for i in 0..200_000u64 {
        flow.trigger("rescan", &keys[(i % 10_000) as usize], &spec, i, Millis(i));
    }
    let per = begin.elapsed() / 200_000;
    let fired = begin.elapsed();
    let started = flow.poll(Millis(10_000_000)).len();
    println!(
        "flow: 200k debounced triggers over 10k keys: {per:?}/trigger; poll fired {started} runs in {:?}",
        begin.elapsed() - fired
    );
}

#[test]
#[ignore = "measurement"]
fn journal_apply_latency() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut flow: Flow<String> = Flow::new().with_max_waiting(1_000_000);
    let spec = FlowSpec {
        delay: Some(Duration::from_secs(600)),
        ..FlowSpec::default()
    };
    let mut samples = Vec::new();
    for i in 0..5_000u64 {
        let cmds = flow.trigger(
            "poster",
            &format!("item-{i}"),
            &spec,
            format!("/media/movies/{i}/poster.jpg"),
            Millis(i),
        );
        let t = Instant::now();
        store.apply(&cmds, Millis(i)).unwrap();
        samples.push(t.elapsed());
    }
    report(
        "journal apply (one accepted run, WAL, synchronous=NORMAL)",
        samples,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement"]
async fn driver_trigger_to_start_latency() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path()).await.unwrap();
    let (tx, mut commands) = mpsc::channel(1024);
    let (driver, handle) = Driver::new(Flow::<String>::new(), Some(journal), Clock::system(), tx);
    let stop = CancellationToken::new();
    let task = tokio::spawn(driver.run(stop.clone()));
    let mut samples = Vec::new();
    for i in 0..2_000 {
        let t = Instant::now();
        let input = Input::Trigger {
            rule: "analyze".into(),
            key: format!("{i}"),
            spec: FlowSpec::default(),
            payload: format!("{i}"),
        };
        handle.send(input).await.unwrap();
        let run = loop {
            if let Some(Command::Start(run)) = commands.recv().await {
                break run;
            }
        };
        samples.push(t.elapsed());
        handle
            .send(Input::Finished {
                run_id: run.run_id,
                outcome: Outcome::Ok,
                error: None,
            })
            .await
            .unwrap();
    }
    report(
        "driver: trigger (no delay) -> journaled -> Start at the executor",
        samples,
    );
    stop.cancel();
    task.await.unwrap();
}
