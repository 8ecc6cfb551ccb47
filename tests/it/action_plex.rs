//! Item actions against the simulator: the exact requests and the state
//! they leave (refresh, analyze, unmatch, match, edit, tags, cancel, raw).

use std::collections::BTreeMap;

use metarr_plex::action::ActionOutcome;
use metarr_plex::rules::{MatchTarget, ResolvedAction, TagChange};

use super::action_support::*;

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn refresh_analyze_unmatch_send_one_put_each_and_register_the_item() {
    let r = rig().await;
    let metrics = metarr_plex::service::metrics::Metrics::new();
    r.exec.count_in(metrics.clone());
    let id = r.id(MATRIX);
    for (action, path) in [
        (ResolvedAction::Refresh { item: id.clone() }, "refresh"),
        (ResolvedAction::Analyze { item: id.clone() }, "analyze"),
        (ResolvedAction::Unmatch { item: id.clone() }, "unmatch"),
    ] {
        r.sim.clear_requests();
        let out = r.exec.execute(&action, &r.ctx(&id)).await;
        assert!(
            matches!(out, ActionOutcome::Done { requests: 1, .. }),
            "{out:?}"
        );
        let sent = r.sim.requests();
        assert_eq!(sent.len(), 1, "{sent:#?}");
        assert_eq!(sent[0].method, "PUT");
        assert_eq!(sent[0].path, format!("/library/metadata/{id}/{path}"));
    }
    assert!(r.sim.with_library(|l| l.item(&id).unwrap().is_unmatched()));
    assert!(r.guard_covers_item(&id));
    let text = metrics.render();
    for name in ["refresh", "analyze", "unmatch"] {
        let line =
            format!("metarr_plex_action_outcomes_total{{action=\"{name}\",outcome=\"done\"}} 1");
        assert!(text.contains(&line), "{line} in {text}");
    }
}

#[tokio::test]
async fn a_deleted_item_is_skipped_not_failed() {
    let r = rig().await;
    let id = r.id(MATRIX);
    assert!(r.sim.delete_item(&id));
    let out = r
        .exec
        .execute(&ResolvedAction::Refresh { item: id.clone() }, &r.ctx(&id))
        .await;
    assert_eq!(
        out,
        ActionOutcome::Skipped {
            reason: format!("item {id} is gone")
        }
    );
    let out = r
        .exec
        .execute(
            &ResolvedAction::Edit {
                item: id.clone(),
                fields: fields(&[("title", "X")]),
                lock: true,
            },
            &r.ctx(&id),
        )
        .await;
    assert!(matches!(out, ActionOutcome::Skipped { .. }), "{out:?}");
    // The refresh was tried (and answered 404); the edit read first and
    // wrote nothing.
    let w = writes(&r.sim);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].status, 404);
}

#[tokio::test]
async fn edit_sends_only_the_fields_that_differ_and_locks_them() {
    let r = rig().await;
    let id = r.id(MATRIX);
    r.sim.with_library_mut(|l| {
        let it = l.item_mut(&id).unwrap();
        it.fields.insert("summary".into(), "Neo wakes up.".into());
        it.locked_fields.insert("summary".into());
    });
    let action = ResolvedAction::Edit {
        item: id.clone(),
        fields: fields(&[
            ("summary", "Neo wakes up."),
            ("title", "The Matrix"),
            ("titleSort", "Matrix, The"),
            ("studio", "Warner & Co #1"),
        ]),
        lock: true,
    };
    r.sim.clear_requests();
    let out = r.exec.execute(&action, &r.ctx(&id)).await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    let w = writes(&r.sim);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].method, "PUT");
    assert_eq!(w[0].path, "/library/sections/1/all");
    // summary has the value and the lock already; title has the value but
    // no lock yet, so it is re-sent with its lock.
    assert_eq!(
        pairs(&w[0]),
        vec![
            ("type", "1"),
            ("id", id.as_str()),
            ("studio.value", "Warner & Co #1"),
            ("studio.locked", "1"),
            ("title.value", "The Matrix"),
            ("title.locked", "1"),
            ("titleSort.value", "Matrix, The"),
            ("titleSort.locked", "1"),
        ]
    );
    r.sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        assert_eq!(it.fields["studio"], "Warner & Co #1");
        assert!(it.is_locked("studio") && it.is_locked("titleSort"));
    });
    // Everything is now as asked: nothing more is written.
    r.sim.clear_requests();
    let again = r.exec.execute(&action, &r.ctx(&id)).await;
    assert_eq!(
        again,
        ActionOutcome::Skipped {
            reason: "already up to date".into()
        }
    );
    assert!(writes(&r.sim).is_empty());
    // The item was registered with the loop guard.
    assert!(r.guard_covers_item(&id));
}

#[tokio::test]
async fn adding_tags_keeps_the_existing_ones() {
    let r = rig().await;
    let id = r.id(MATRIX);
    r.sim.with_library_mut(|l| {
        l.item_mut(&id)
            .unwrap()
            .tags
            .insert("genre".into(), vec!["Action".into(), "Sci-Fi".into()]);
    });
    let mut tags = BTreeMap::new();
    tags.insert(
        "genre".to_string(),
        vec!["Cyberpunk".to_string(), "action".to_string()],
    );
    tags.insert("label".to_string(), vec!["4K".to_string()]);
    let action = ResolvedAction::Tags {
        item: id.clone(),
        change: TagChange::Add,
        tags,
    };
    r.sim.clear_requests();
    let out = r.exec.execute(&action, &r.ctx(&id)).await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    let w = writes(&r.sim);
    assert_eq!(w.len(), 1, "one PUT for both lists: {w:#?}");
    assert_eq!(
        pairs(&w[0]),
        vec![
            ("type", "1"),
            ("id", id.as_str()),
            ("genre[0].tag.tag", "Action"),
            ("genre[1].tag.tag", "Sci-Fi"),
            ("genre[2].tag.tag", "Cyberpunk"),
            ("genre.locked", "1"),
            ("label[0].tag.tag", "4K"),
            ("label.locked", "1"),
        ]
    );
    r.sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        assert_eq!(it.tags("genre"), ["Action", "Sci-Fi", "Cyberpunk"]);
        assert_eq!(it.tags("label"), ["4K"]);
    });
    r.sim.clear_requests();
    let again = r.exec.execute(&action, &r.ctx(&id)).await;
    assert!(matches!(again, ActionOutcome::Skipped { .. }), "{again:?}");
    assert!(writes(&r.sim).is_empty());
}

async fn match_and_check(r: &Rig, id: &str, target: MatchTarget, search: &str, guid_has: &str) {
    r.sim.clear_requests();
    let action = ResolvedAction::Match {
        item: id.to_owned(),
        target,
        agent: None,
    };
    let out = r.exec.execute(&action, &r.ctx(id)).await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    let sent = r.sim.requests();
    let search_req = sent
        .iter()
        .find(|q| q.path == format!("/library/metadata/{id}/matches"))
        .expect("a search");
    assert_eq!(search_req.method, "GET");
    assert_eq!(pairs(search_req), vec![("manual", "1"), ("title", search)]);
    let w = writes(&r.sim);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].method, "PUT");
    assert_eq!(w[0].path, format!("/library/metadata/{id}/match"));
    let guid = w[0].query_value("guid").unwrap().to_owned();
    assert!(w[0].query_value("name").is_some());
    r.sim.with_library(|l| {
        let it = l.item(id).unwrap();
        assert_eq!(it.guid, guid);
        assert!(!it.is_unmatched());
        assert!(
            it.external_guids.iter().any(|g| g == guid_has),
            "{:?}",
            it.external_guids
        );
    });
    // Matched now: the same action is skipped without a search.
    r.sim.clear_requests();
    let again = r.exec.execute(&action, &r.ctx(id)).await;
    assert!(matches!(again, ActionOutcome::Skipped { .. }), "{again:?}");
    assert!(writes(&r.sim).is_empty());
}

#[tokio::test]
async fn match_by_tmdb_imdb_and_tvdb() {
    let r = rig().await;
    let arrival = r.id(ARRIVAL);
    match_and_check(
        &r,
        &arrival,
        MatchTarget::Tmdb("329865".into()),
        "tmdb-329865",
        "tmdb://329865",
    )
    .await;
    let heat = r.id(HEAT);
    match_and_check(
        &r,
        &heat,
        MatchTarget::Imdb("tt0113277".into()),
        "imdb-tt0113277",
        "imdb://tt0113277",
    )
    .await;
    let show = r.sim.with_library(|l| {
        l.items()
            .find(|i| i.title == "Severance")
            .unwrap()
            .rating_key
            .clone()
    });
    let out = r
        .exec
        .execute(
            &ResolvedAction::Unmatch { item: show.clone() },
            &r.ctx(&show),
        )
        .await;
    assert!(matches!(out, ActionOutcome::Done { .. }));
    match_and_check(
        &r,
        &show,
        MatchTarget::Tvdb("371980".into()),
        "tvdb-371980",
        "tvdb://371980",
    )
    .await;
}

#[tokio::test]
async fn match_to_a_guid_is_applied_directly_and_only_once() {
    let r = rig().await;
    let arrival = r.id(ARRIVAL);
    let guid = r.sim.with_library(|l| {
        l.catalogue()
            .by_id_title("tmdb-329865")
            .unwrap()
            .guid
            .clone()
    });
    r.sim.clear_requests();
    let action = ResolvedAction::Match {
        item: arrival.clone(),
        target: MatchTarget::Guid(guid.clone()),
        agent: None,
    };
    let out = r.exec.execute(&action, &r.ctx(&arrival)).await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    let w = writes(&r.sim);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].query_value("guid"), Some(guid.as_str()));
    assert!(
        r.sim
            .requests()
            .iter()
            .all(|q| !q.path.ends_with("/matches"))
    );
    r.sim.clear_requests();
    let again = r.exec.execute(&action, &r.ctx(&arrival)).await;
    assert!(matches!(again, ActionOutcome::Skipped { .. }), "{again:?}");
    assert!(writes(&r.sim).is_empty());
}

#[tokio::test]
async fn raw_plex_requests_reach_only_the_configured_server() {
    let r = rig().await;
    let id = r.id(MATRIX);
    for path in [
        "http://127.0.0.2:1/library/sections",
        "//evil.example/library/sections",
        "library/sections",
        "/library/../../etc/passwd",
    ] {
        let out = r
            .exec
            .execute(
                &ResolvedAction::Plex {
                    method: "GET".into(),
                    path: path.into(),
                    query: BTreeMap::new(),
                },
                &r.ctx(&id),
            )
            .await;
        assert!(
            matches!(
                out,
                ActionOutcome::Failed {
                    retryable: false,
                    ..
                }
            ),
            "{path}: {out:?}"
        );
    }
    assert!(r.sim.requests().is_empty());
    let mut query = BTreeMap::new();
    query.insert("title.value".to_string(), "Neo & Trinity".to_string());
    query.insert("type".to_string(), "1".to_string());
    query.insert("id".to_string(), id.clone());
    let out = r
        .exec
        .execute(
            &ResolvedAction::Plex {
                method: "put".into(),
                path: "/library/sections/1/all".into(),
                query,
            },
            &r.ctx(&id),
        )
        .await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    let sent = r.sim.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "PUT");
    assert_eq!(sent[0].query_value("title.value"), Some("Neo & Trinity"));
    assert_eq!(
        r.sim.with_library(|l| l.item(&id).unwrap().title.clone()),
        "Neo & Trinity"
    );
}

#[tokio::test]
async fn cancel_activity_deletes_it_and_a_gone_one_is_skipped() {
    let r = rig().await;
    let out = r
        .exec
        .execute(
            &ResolvedAction::CancelActivity {
                uuid: "no-such-activity".into(),
            },
            &r.ctx("1"),
        )
        .await;
    assert!(matches!(out, ActionOutcome::Skipped { .. }), "{out:?}");
    let sent = r.sim.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "DELETE");
    assert_eq!(sent[0].path, "/activities/no-such-activity");
}

#[tokio::test]
async fn a_rules_actions_run_in_order_and_stop_at_the_first_failure() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    let actions = [
        ResolvedAction::Match {
            item: id.clone(),
            target: MatchTarget::Tmdb("329865".into()),
            agent: None,
        },
        ResolvedAction::Upload {
            item: id.clone(),
            image: metarr_plex::rules::ImageKind::Poster,
            source: metarr_plex::rules::ImageSource::File("poster.jpg".into()),
            if_missing: metarr_plex::rules::IfMissing::Skip,
        },
        ResolvedAction::Analyze { item: id.clone() },
    ];
    let out = r.exec.execute_all(&actions, &r.ctx(&id)).await;
    assert!(
        matches!(&out, ActionOutcome::Done { detail, .. } if detail.contains("upload_poster: skipped")),
        "{out:?}"
    );
    let w: Vec<String> = writes(&r.sim).iter().map(|q| q.path.clone()).collect();
    assert_eq!(
        w,
        [
            format!("/library/metadata/{id}/match"),
            format!("/library/metadata/{id}/analyze")
        ]
    );
    // Again: the match is done, the poster still missing, the analysis is
    // requested again; a 400 on it fails the run, not retryable.
    r.sim.clear_requests();
    r.sim.inject(metarr_plex::sim::RestFault::Status {
        code: 400,
        times: 1,
        path_prefix: Some(format!("/library/metadata/{id}/analyze")),
    });
    let out = r.exec.execute_all(&actions, &r.ctx(&id)).await;
    assert!(
        matches!(
            out,
            ActionOutcome::Failed {
                retryable: false,
                ..
            }
        ),
        "{out:?}"
    );
    let w = writes(&r.sim);
    assert_eq!(w.len(), 1, "{w:#?}");
    // Nothing to do at all: skipped.
    let out = r.exec.execute_all(&actions[..2], &r.ctx(&id)).await;
    assert!(matches!(out, ActionOutcome::Skipped { .. }), "{out:?}");
}
