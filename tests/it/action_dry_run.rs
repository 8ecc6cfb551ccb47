//! Dry runs and plans: writes are recorded, never sent; reads may come from
//! canned answers and files from a fake disk (what `explain` and
//! `metarr-plex test` use).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use metarr_plex::action::{
    ActionContext, ActionOutcome, Canned, Executor, ExecutorSettings, FakeFiles, PlanEnv,
};
use metarr_plex::event::SelfCauses;
use metarr_plex::plex::PlexRequest;
use metarr_plex::plex::pathmap::PathMap;
use metarr_plex::rules::{
    IfMissing, ImageKind, ImageSource, MatchTarget, ResolvedAction, ScanTarget,
};
use reqwest::Method;

use super::action_support::*;
use metarr_plex::plex::conn::token::{Token, TokenSource};

fn dry(r: &Rig, item: &str) -> ActionContext {
    ActionContext {
        dry_run: true,
        ..r.ctx(item)
    }
}

#[tokio::test]
async fn a_dry_run_sends_no_writes_and_changes_nothing() {
    let r = rig().await;
    let arrival = r.id(ARRIVAL);
    let dir = "/data/media/movies/Arrival (2016) {tmdb-329865}";
    let poster = r.local(&format!("{dir}/poster.jpg"));
    std::fs::create_dir_all(poster.parent().unwrap()).unwrap();
    std::fs::write(&poster, [0xff, 0xd8, 0xff, 0xe0, 9]).unwrap();
    let mut fields = BTreeMap::new();
    fields.insert("title".to_string(), "Premier Contact".to_string());
    let before = r.sim.with_library(|l| l.item(&arrival).unwrap().clone());
    let actions = [
        ResolvedAction::Edit {
            item: arrival.clone(),
            fields,
            lock: true,
        },
        ResolvedAction::Match {
            item: arrival.clone(),
            target: MatchTarget::Tmdb("329865".into()),
            agent: None,
        },
        ResolvedAction::Upload {
            item: arrival.clone(),
            image: ImageKind::Poster,
            source: ImageSource::File("poster.jpg".into()),
            if_missing: IfMissing::Fail,
        },
        ResolvedAction::Refresh {
            item: arrival.clone(),
        },
        ResolvedAction::Scan {
            target: ScanTarget::Paths(vec![r.local(ARRIVAL).to_string_lossy().into_owned()]),
        },
        ResolvedAction::RefreshSection {
            section: "1".into(),
            wait: true,
        },
        ResolvedAction::Exec {
            argv: vec![
                "/bin/sh".into(),
                "-c".into(),
                "touch should-not-exist".into(),
            ],
            timeout: None,
        },
    ];
    for action in &actions {
        let out = r.exec.execute(action, &dry(&r, &arrival)).await;
        assert!(
            matches!(out, ActionOutcome::Done { .. }),
            "{action:?}: {out:?}"
        );
    }
    assert!(writes(&r.sim).is_empty(), "{:#?}", writes(&r.sim));
    assert!(r.sim.requests().iter().all(|q| q.method == "GET"));
    let after = r.sim.with_library(|l| l.item(&arrival).unwrap().clone());
    assert_eq!(before, after);
    // Nothing was registered with the loop guard: nothing was touched.
    assert!(!r.guard_covers_item(&arrival));
    // Nor remembered as uploaded: the real run uploads.
    let out = r.exec.execute(&actions[2], &r.ctx(&arrival)).await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
}

const ITEM_42: &str = r#"{"MediaContainer":{"size":1,"Metadata":[{
    "ratingKey":"42","type":"movie","title":"Arrival","year":2016,
    "guid":"local://42","librarySectionID":1,"studio":"Paramount",
    "Genre":[{"tag":"Drama"}],
    "Media":[{"Part":[{"file":"/data/Movies/Arrival (2016)/Arrival.mkv"}]}]}]}}"#;

const MATCHES_42: &str = r#"{"MediaContainer":{"size":1,"SearchResult":[
    {"guid":"plex://movie/5d776be5","name":"Arrival","year":2016,"score":100}]}}"#;

/// An executor whose client points nowhere: every read must be canned.
fn offline_executor() -> Executor {
    let sim_less = url::Url::parse("http://127.0.0.1:9/").unwrap();
    let client = metarr_plex::plex::PlexClient::new(metarr_plex::plex::ClientSettings {
        base_url: sim_less,
        tokens: TokenSource::fixed(Token::new("t").unwrap()),
        identity: metarr_plex::plex::conn::identity::ClientIdentity::new("plan-test"),
        timeout: Duration::from_secs(1),
        tls: metarr_plex::plex::conn::tls::TlsSettings::default(),
    })
    .unwrap();
    let settings = ExecutorSettings {
        path_map: PathMap::default(),
        artwork_roots: vec!["/data/Movies".into()],
        ..ExecutorSettings::default()
    };
    Executor::new(client, settings, SelfCauses::new(), None)
}

fn shown(requests: &[PlexRequest]) -> Vec<String> {
    requests.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn plans_answer_reads_from_canned_json_and_files_from_a_fake_disk() {
    let exec = offline_executor();
    let env = PlanEnv {
        reads: Some(Arc::new(
            Canned::new()
                .with("GET /library/metadata/42", ITEM_42)
                .with("GET /library/metadata/42/matches", MATCHES_42),
        )),
        files: Some(Arc::new(
            FakeFiles::new().with_jpeg("/data/Movies/Arrival (2016)/poster.jpg"),
        )),
    };
    let ctx = ActionContext::default();
    let mut fields = BTreeMap::new();
    fields.insert("studio".to_string(), "Paramount".to_string());
    fields.insert("title".to_string(), "Arrival & Co".to_string());
    let (out, reqs) = exec
        .plan(
            &ResolvedAction::Edit {
                item: "42".into(),
                fields,
                lock: false,
            },
            &ctx,
            &env,
        )
        .await;
    assert!(
        matches!(out, ActionOutcome::Done { requests: 2, .. }),
        "{out:?}"
    );
    assert_eq!(
        shown(&reqs),
        [
            "GET /library/metadata/42?includeGuids=1",
            "PUT /library/sections/1/all?type=1&id=42&title.value=Arrival+%26+Co",
        ]
    );
    let (out, reqs) = exec
        .plan(
            &ResolvedAction::Match {
                item: "42".into(),
                target: MatchTarget::Tmdb("329865".into()),
                agent: None,
            },
            &ctx,
            &env,
        )
        .await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    assert_eq!(
        shown(&reqs)[1..],
        [
            "GET /library/metadata/42/matches?manual=1&title=tmdb-329865",
            "PUT /library/metadata/42/match?guid=plex%3A%2F%2Fmovie%2F5d776be5&name=Arrival&year=2016",
        ]
    );
    for (file, expect_post) in [("poster.jpg", true), ("fanart.jpg", false)] {
        let (out, reqs) = exec
            .plan(
                &ResolvedAction::Upload {
                    item: "42".into(),
                    image: ImageKind::Poster,
                    source: ImageSource::File(format!("/data/Movies/Arrival (2016)/{file}")),
                    if_missing: IfMissing::Skip,
                },
                &ctx,
                &env,
            )
            .await;
        let posted = reqs
            .iter()
            .any(|q| q.method == Method::POST && q.path.join("/") == "library/metadata/42/posters");
        assert_eq!(posted, expect_post, "{file}: {out:?} {reqs:?}");
    }
    // An item the canned answers do not know is gone: skipped.
    let (out, _) = exec
        .plan(&ResolvedAction::Refresh { item: "7".into() }, &ctx, &env)
        .await;
    assert!(
        matches!(out, ActionOutcome::Done { .. }),
        "a refresh reads nothing: {out:?}"
    );
    let (out, _) = exec
        .plan(
            &ResolvedAction::Analyze { item: "7".into() },
            &ctx,
            &PlanEnv::default(),
        )
        .await;
    assert!(
        matches!(out, ActionOutcome::Done { .. }),
        "writes never leave: {out:?}"
    );
    let mut tags = BTreeMap::new();
    tags.insert("genre".to_string(), vec!["Sci-Fi".to_string()]);
    let (out, _) = exec
        .plan(
            &ResolvedAction::Tags {
                item: "7".into(),
                change: metarr_plex::rules::TagChange::Add,
                tags,
            },
            &ctx,
            &env,
        )
        .await;
    assert!(matches!(out, ActionOutcome::Skipped { .. }), "{out:?}");
}

/// Collects log output.
#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test]
async fn a_dry_run_logs_the_exact_requests_and_every_action_line_names_its_run() {
    let r = rig().await;
    let id = r.id(MATRIX);
    crate::log_capture::interest_in_everything();
    let out = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(out.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut fields = BTreeMap::new();
    fields.insert("title".to_string(), "Matrix & Co".to_string());
    let action = ResolvedAction::Edit {
        item: id.clone(),
        fields,
        lock: true,
    };
    let result = r.exec.execute(&action, &dry(&r, &id)).await;
    assert!(matches!(result, ActionOutcome::Done { .. }), "{result:?}");
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let planned = lines
        .iter()
        .find(|l| l["fields"]["message"] == "Dry run: request not sent.")
        .expect("the write is logged");
    assert_eq!(
        planned["fields"]["request"],
        format!(
            "PUT /library/sections/1/all?type=1&id={id}&title.value=Matrix+%26+Co&title.locked=1"
        )
    );
    let done = lines
        .iter()
        .find(|l| l["fields"]["message"] == "Action done.")
        .expect("one line for the action");
    let f = &done["fields"];
    assert_eq!(f["rule"], "test-rule");
    assert_eq!(f["run_id"], "7");
    assert_eq!(f["event_id"], "ev-1");
    assert_eq!(f["item"], id.as_str());
    assert_eq!(f["action"], "edit");
    assert_eq!(f["outcome"], "done");
    assert!(f["duration_ms"].is_u64());
    assert!(!text.contains(&r.sim.token()), "no token in logs");
}
