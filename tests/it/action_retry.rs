//! Retries under injected faults: 429 (its `Retry-After` honoured), 500 and
//! a refused port are retried and the work is done exactly once in the
//! simulator's state; a 4xx is not retried; the last attempt dead-letters.

use std::time::Duration;

use metarr_plex::action::{ActionContext, ActionOutcome, Executor, RetryDecision, RetryPolicy};
use metarr_plex::engine::Outcome;
use metarr_plex::rules::{IfMissing, ImageKind, ImageSource, ResolvedAction};
use metarr_plex::sim::RestFault;

use super::action_support::*;

const ARRIVAL_DIR: &str = "/data/media/movies/Arrival (2016) {tmdb-329865}";

/// Runs `action` the way the daemon does: attempt, ask the policy, wait
/// what it says (at least `min_wait`), again. Returns every outcome and
/// every wait asked for.
async fn with_retries(
    exec: &Executor,
    action: &ResolvedAction,
    ctx: &ActionContext,
    min_wait: Duration,
) -> (Vec<ActionOutcome>, Vec<Duration>, RetryDecision) {
    let policy = RetryPolicy::default();
    let (mut outcomes, mut waits) = (Vec::new(), Vec::new());
    for attempt in 1.. {
        let out = exec.execute(action, ctx).await;
        let decision = policy.decide(attempt, &out);
        outcomes.push(out);
        match decision {
            RetryDecision::Retry { after, .. } => {
                waits.push(after);
                tokio::time::sleep(after.max(min_wait)).await;
            }
            finish => return (outcomes, waits, finish),
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

fn finished_ok() -> RetryDecision {
    RetryDecision::Finish {
        outcome: Outcome::Ok,
        error: None,
    }
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    let action = poster_upload(&r, &id);
    r.sim.inject(RestFault::TooManyRequests {
        retry_after_secs: 1,
        times: 1,
        path_prefix: Some(format!("/library/metadata/{id}/posters")),
    });
    let (outcomes, waits, end) = with_retries(&r.exec, &action, &r.ctx(&id), Duration::ZERO).await;
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(matches!(
        outcomes[0],
        ActionOutcome::Failed { retryable: true, retry_after: Some(d), .. } if d == Duration::from_secs(1)
    ));
    assert_eq!(waits, [Duration::from_secs(1)]);
    assert_eq!(end, finished_ok());
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
    let (outcomes, waits, end) = with_retries(&r.exec, &action, &r.ctx(&id), Duration::ZERO).await;
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(matches!(
        outcomes[0],
        ActionOutcome::Failed {
            retryable: true,
            retry_after: None,
            ..
        }
    ));
    assert!(waits[0] <= Duration::from_secs(2), "jittered first backoff");
    assert_eq!(end, finished_ok());
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
    let (outcomes, _, end) =
        with_retries(&r.exec, &action, &r.ctx(&id), Duration::from_millis(400)).await;
    assert!(
        matches!(&outcomes[0], ActionOutcome::Failed { retryable: true, error, .. } if error.contains("unavailable")),
        "{outcomes:?}"
    );
    assert_eq!(end, finished_ok());
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
    let (outcomes, waits, end) = with_retries(&r.exec, &action, &r.ctx(&id), Duration::ZERO).await;
    assert_eq!(outcomes.len(), 1);
    assert!(waits.is_empty());
    assert!(matches!(
        end,
        RetryDecision::Finish {
            outcome: Outcome::Failed,
            error: Some(_)
        }
    ));

    // 503 on every attempt: five tries, then failed (the engine dead-letters it).
    r.sim.inject(RestFault::Status {
        code: 503,
        times: 5,
        path_prefix: None,
    });
    let policy = RetryPolicy::default();
    let mut decisions = Vec::new();
    for attempt in 1..=5 {
        let out = r.exec.execute(&action, &r.ctx(&id)).await;
        decisions.push(policy.decide(attempt, &out));
    }
    assert!(
        decisions[..4]
            .iter()
            .all(|d| matches!(d, RetryDecision::Retry { .. }))
    );
    assert!(matches!(
        decisions[4],
        RetryDecision::Finish {
            outcome: Outcome::Failed,
            ..
        }
    ));
}
