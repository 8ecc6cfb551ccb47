//! Retries under injected faults, through the daemon's own path
//! ([`Sequencer::attempt`]; the test waits what it says, as the engine
//! would): 429 (its `Retry-After` honoured), 500 and a refused port are
//! retried and the work is done exactly once in the simulator's state; a
//! retry resumes at the failed action; a 4xx is not retried; the last
//! attempt dead-letters.

use std::time::Duration;

use metarr_plex::action::{ActionContext, RetryPolicy, RunEnd, Sequencer};
use metarr_plex::engine::Outcome;
use metarr_plex::rules::{IfMissing, ImageKind, ImageSource, MatchTarget, ResolvedAction};
use metarr_plex::sim::RestFault;

use super::action_support::*;

const ARRIVAL_DIR: &str = "/data/media/movies/Arrival (2016) {tmdb-329865}";

/// Runs `actions` the way the daemon does: an attempt, then another after
/// `min_wait`, until the run ends. The wait the policy asked for is the
/// engine's business (each end carries it, for the test to check); the
/// simulator's faults are used up by count, not by time.
/// Returns every attempt's end.
async fn with_retries(
    runs: &Sequencer,
    actions: &[ResolvedAction],
    ctx: &ActionContext,
    min_wait: Duration,
) -> Vec<RunEnd> {
    let mut ends = Vec::new();
    for attempt in 1.. {
        let end = runs.attempt(attempt, actions, ctx).await;
        ends.push(end.clone());
        match end {
            RunEnd::Retry { .. } => tokio::time::sleep(min_wait).await,
            _ => return ends,
        }
    }
    unreachable!()
}

fn poster_upload(r: &Rig, id: &str) -> ResolvedAction {
    let file = r.local(&format!("{ARRIVAL_DIR}/poster.jpg"));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]).unwrap();
    ResolvedAction::Upload {
        item: id.to_owned(),
        image: ImageKind::Poster,
        source: ImageSource::File(file.to_string_lossy().into_owned()),
        if_missing: IfMissing::Fail,
    }
}

fn uploaded_posters(r: &Rig, id: &str) -> usize {
    r.sim.with_library(|l| {
        l.item(id)
            .unwrap()
            .posters
            .iter()
            .filter(|p| p.rating_key.starts_with("upload://"))
            .count()
    })
}

fn finished_ok() -> RunEnd {
    RunEnd::Finished(Outcome::Ok)
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_and_a_slower_backoff() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    let action = poster_upload(&r, &id);
    r.sim.inject(RestFault::TooManyRequests {
        retry_after_secs: 1,
        times: 1,
        path_prefix: Some(format!("/library/metadata/{id}/posters")),
    });
    let ends = with_retries(&r.sequencer(), &[action], &r.ctx(&id), Duration::ZERO).await;
    assert_eq!(ends.len(), 2, "{ends:?}");
    // Pushback: at least the 1 s asked, and at least half the 30 s ceiling.
    assert!(
        matches!(
            &ends[0],
            RunEnd::Retry { after, .. } if *after >= Duration::from_secs(15)
        ),
        "{ends:?}"
    );
    assert_eq!(ends[1], finished_ok());
    assert_eq!(uploaded_posters(&r, &id), 1);
    let posts = r
        .sim
        .requests()
        .iter()
        .filter(|q| q.method == "POST")
        .count();
    assert_eq!(posts, 2, "one refused with 429, one accepted");
}

#[tokio::test]
async fn a_500_after_the_upload_finishes_the_work_without_a_second_upload() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    let action = poster_upload(&r, &id);
    // The upload and its selection go through; locking it fails once.
    r.sim.inject(RestFault::Status {
        code: 500,
        times: 1,
        path_prefix: Some("/library/sections/1/all".into()),
    });
    let ends = with_retries(&r.sequencer(), &[action], &r.ctx(&id), Duration::ZERO).await;
    assert_eq!(ends.len(), 2, "{ends:?}");
    assert!(
        matches!(&ends[0], RunEnd::Retry { after, .. }
            if *after >= Duration::from_millis(2500) && *after <= Duration::from_secs(5)),
        "first backoff from the upper half of 5 s: {ends:?}"
    );
    assert_eq!(ends[1], finished_ok());
    let posts: Vec<_> = r
        .sim
        .requests()
        .into_iter()
        .filter(|q| q.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "never uploaded twice: {posts:#?}");
    assert_eq!(uploaded_posters(&r, &id), 1);
    r.sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        assert!(
            it.selected_poster()
                .unwrap()
                .rating_key
                .starts_with("upload://")
        );
        assert!(it.is_locked("thumb"));
    });
}

#[tokio::test]
async fn a_refused_connection_is_retried_until_the_server_is_back() {
    let r = rig().await;
    let id = r.id(MATRIX);
    let action = ResolvedAction::Analyze { item: id.clone() };
    r.sim.inject(RestFault::Refuse {
        duration: Duration::from_millis(300),
    });
    let ends = with_retries(
        &r.sequencer(),
        &[action],
        &r.ctx(&id),
        Duration::from_millis(400),
    )
    .await;
    assert!(
        matches!(&ends[0], RunEnd::Retry { error, .. } if error.contains("unavailable")),
        "{ends:?}"
    );
    assert_eq!(ends.last(), Some(&finished_ok()));
    let analyzed = r
        .sim
        .requests()
        .into_iter()
        .filter(|q| q.path == format!("/library/metadata/{id}/analyze") && q.status == 200)
        .count();
    assert_eq!(analyzed, 1);
}

#[tokio::test]
async fn a_4xx_is_not_retried_and_the_last_attempt_dead_letters() {
    let r = rig().await;
    let id = r.id(MATRIX);
    let action = ResolvedAction::Refresh { item: id.clone() };
    r.sim.inject(RestFault::Status {
        code: 400,
        times: 1,
        path_prefix: None,
    });
    let runs = r.sequencer();
    let actions = [action];
    let ends = with_retries(&runs, &actions, &r.ctx(&id), Duration::ZERO).await;
    assert!(
        matches!(&ends[..], [RunEnd::Failed { error }] if error.starts_with("refresh: ")),
        "{ends:?}"
    );

    // 503 on every attempt: every try the policy allows, then a dead
    // letter. (The waits are the engine's business; the attempt numbers
    // are what count.)
    let last = RetryPolicy::default().max_attempts;
    r.sim.inject(RestFault::Status {
        code: 503,
        times: last as usize,
        path_prefix: None,
    });
    let mut ends = Vec::new();
    for attempt in 1..=last {
        ends.push(runs.attempt(attempt, &actions, &r.ctx(&id)).await);
    }
    let (dead, retried) = ends.split_last().unwrap();
    assert!(
        retried.iter().all(|e| matches!(e, RunEnd::Retry { .. })),
        "{ends:?}"
    );
    assert!(matches!(dead, RunEnd::Dead { .. }), "{ends:?}");
}

#[tokio::test]
async fn a_retry_resumes_at_the_failed_action_and_never_repeats_one_that_worked() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    let actions = [
        ResolvedAction::Match {
            item: id.clone(),
            target: MatchTarget::Tmdb("329865".into()),
            agent: None,
        },
        ResolvedAction::Analyze { item: id.clone() },
    ];
    r.sim.inject(RestFault::Status {
        code: 503,
        times: 1,
        path_prefix: Some(format!("/library/metadata/{id}/analyze")),
    });
    let runs = r.sequencer();
    let ends = with_retries(&runs, &actions, &r.ctx(&id), Duration::ZERO).await;
    assert!(
        matches!(
            &ends[..],
            [RunEnd::Retry { .. }, RunEnd::Finished(Outcome::Ok)]
        ),
        "{ends:?}"
    );
    let w: Vec<(String, u16)> = writes(&r.sim)
        .into_iter()
        .map(|q| (q.path, q.status))
        .collect();
    assert_eq!(
        w,
        [
            (format!("/library/metadata/{id}/match"), 200),
            (format!("/library/metadata/{id}/analyze"), 503),
            (format!("/library/metadata/{id}/analyze"), 200),
        ],
        "the match is sent once; the retry starts at the analysis"
    );
}
