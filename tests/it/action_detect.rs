//! The `detect` and `collection` actions against the simulator: the spec's
//! requests, activities followed to their end, markers on the item, one job
//! per kind and item at a time, one warning per feature on an old server,
//! and collections changed only when needed.

use std::sync::Arc;

use metarr_plex::action::ActionOutcome;
use metarr_plex::plex::request::DetectKind;
use metarr_plex::rules::{CollectionChange, ResolvedAction};
use metarr_plex::sim::SimOptions;

use super::action_support::{HEAT, MATRIX, Rig, rig, rig_with, writes};

/// The first episode of the seeded show.
fn episode(r: &Rig) -> String {
    r.id("/data/media/tv/Severance {tvdb-371980}/Season 01/Severance - S01E01.mkv")
}

fn detect(item: &str, kind: DetectKind, force: bool) -> ResolvedAction {
    ResolvedAction::Detect {
        item: item.to_owned(),
        kind,
        force,
        wait: true,
    }
}

#[tokio::test]
async fn detect_sends_the_spec_request_follows_the_activity_and_the_marker_appears() {
    let r = rig().await;
    let ep = episode(&r);
    let out = r
        .exec
        .execute(&detect(&ep, DetectKind::Intro, false), &r.ctx(&ep))
        .await;
    let ActionOutcome::Done { detail, .. } = &out else {
        panic!("{out:?}");
    };
    assert!(
        detail.starts_with("intro detection finished (activity "),
        "{detail}"
    );
    let w = writes(&r.sim);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(
        (w[0].method.as_str(), w[0].path.clone()),
        ("PUT", format!("/library/metadata/{ep}/intro"))
    );
    assert!(w[0].query.is_empty(), "no force=1 unless asked");
    // Followed: /activities was polled after the PUT until the job was gone,
    // and by then the intro marker was on the item.
    let polls_after = r
        .sim
        .requests()
        .iter()
        .skip_while(|q| q.method != "PUT")
        .filter(|q| q.path == "/activities")
        .count();
    assert!(polls_after >= 1);
    let markers = r.sim.with_library(|l| l.item(&ep).unwrap().markers.clone());
    assert_eq!(markers.len(), 1);
    assert_eq!(markers[0].kind, "intro");
    // Detection changes no metadata: Plex's own item events stay visible.
    assert!(!r.guard_covers_item(&ep));
}

#[tokio::test]
async fn force_and_every_kind_reach_their_own_endpoint() {
    let r = rig().await;
    let ep = episode(&r);
    for kind in DetectKind::ALL {
        let out = r.exec.execute(&detect(&ep, kind, true), &r.ctx(&ep)).await;
        assert!(matches!(out, ActionOutcome::Done { .. }), "{kind}: {out:?}");
    }
    let sent: Vec<String> = writes(&r.sim)
        .iter()
        .map(|w| {
            let q: Vec<String> = w.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} {}?{}", w.method, w.path, q.join("&"))
        })
        .collect();
    assert_eq!(
        sent,
        [
            format!("PUT /library/metadata/{ep}/intro?force=1"),
            format!("PUT /library/metadata/{ep}/credits?force=1"),
            format!("PUT /library/metadata/{ep}/chapterThumbs?force=1"),
            format!("PUT /library/metadata/{ep}/voiceActivity?force=1"),
            format!("PUT /library/metadata/{ep}/addetect?"),
        ]
    );
    let thumbs = r
        .sim
        .with_library(|l| l.item(&ep).unwrap().chapters.iter().all(|c| c.has_thumb));
    assert!(thumbs);
}

#[tokio::test]
async fn intro_detection_on_a_movie_is_skipped_without_a_write() {
    let r = rig().await;
    let id = r.id(MATRIX);
    let out = r
        .exec
        .execute(&detect(&id, DetectKind::Intro, false), &r.ctx(&id))
        .await;
    let ActionOutcome::Skipped { reason } = &out else {
        panic!("{out:?}");
    };
    assert!(reason.contains("episodes"), "{reason}");
    assert!(writes(&r.sim).is_empty());
}

/// Two runs of one kind on one item (different parameters, so not joined)
/// never overlap: the second job starts after the first one's activity ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_jobs_of_one_kind_on_one_item_never_run_at_once() {
    let r = rig().await;
    let ep = episode(&r);
    let mut notes = r.sim.notifications();
    let (plain, forced, ctx) = (
        detect(&ep, DetectKind::Credits, false),
        detect(&ep, DetectKind::Credits, true),
        r.ctx(&ep),
    );
    let (a, b) = tokio::join!(r.exec.execute(&plain, &ctx), r.exec.execute(&forced, &ctx));
    assert!(matches!(a, ActionOutcome::Done { .. }), "{a:?}");
    assert!(matches!(b, ActionOutcome::Done { .. }), "{b:?}");
    let mut events = Vec::new();
    while let Ok(n) = notes.try_recv() {
        if n.kind != "activity" {
            continue;
        }
        let e = &n.frame["NotificationContainer"]["ActivityNotification"][0];
        if e["Activity"]["type"] == "media.generate.credits" && e["event"] != "updated" {
            events.push(e["event"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(events, ["started", "ended", "started", "ended"]);
}

/// Captures log lines (JSON) for one test.
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
async fn an_old_server_gets_one_warning_per_feature_and_no_retry_storm() {
    let r = rig_with(
        SimOptions {
            old_server: true,
            ..SimOptions::default()
        },
        |_| {},
    )
    .await;
    crate::log_capture::interest_in_everything();
    let out = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(out.clone())
        .with_max_level(tracing::Level::WARN)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let ep = episode(&r);
    let heat = r.id(HEAT);
    for (item, kind) in [
        (&ep, DetectKind::Intro),
        (&ep, DetectKind::Credits),
        (&heat, DetectKind::Credits),
        (&ep, DetectKind::Intro),
        (&ep, DetectKind::Credits),
    ] {
        let outcome = r
            .exec
            .execute(&detect(item, kind, false), &r.ctx(item))
            .await;
        let ActionOutcome::Skipped { reason } = &outcome else {
            panic!("{kind}: {outcome:?}");
        };
        assert!(
            reason.contains("not supported by Plex 1.19.5.3112-b23ab3896"),
            "{reason}"
        );
    }
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let warnings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"level\":\"WARN\"") && l.contains("does not know"))
        .collect();
    assert_eq!(warnings.len(), 2, "{text}");
    assert!(warnings[0].contains("intro detection") && warnings[0].contains("1.19.5.3112"));
    assert!(warnings[1].contains("credits detection"));
    // One request per feature reached the server; the rest were not sent.
    let detections: Vec<String> = writes(&r.sim).iter().map(|w| w.path.clone()).collect();
    assert_eq!(
        detections,
        [
            format!("/library/metadata/{ep}/intro"),
            format!("/library/metadata/{ep}/credits"),
        ]
    );
}

#[tokio::test]
async fn an_unknown_item_on_a_current_server_is_gone_not_unsupported() {
    let r = rig().await;
    let out = r
        .exec
        .execute(
            &detect("99999", DetectKind::Credits, false),
            &r.ctx("99999"),
        )
        .await;
    assert_eq!(
        out,
        ActionOutcome::Skipped {
            reason: "item 99999 is gone".into()
        }
    );
}

fn collection(item: Option<&str>, title: &str, change: CollectionChange) -> ResolvedAction {
    ResolvedAction::Collection {
        item: item.map(str::to_owned),
        section: Some("1".into()),
        title: title.to_owned(),
        change,
    }
}

#[tokio::test]
async fn the_collection_action_creates_fills_and_empties_only_when_needed() {
    let r = rig().await;
    let (heat, matrix) = (r.id(HEAT), r.id(MATRIX));
    let add = |id: &str| collection(Some(id), "Heists", CollectionChange::Add);
    let done = |o: ActionOutcome| matches!(o, ActionOutcome::Done { .. });
    assert!(done(r.exec.execute(&add(&heat), &r.ctx(&heat)).await));
    assert!(done(r.exec.execute(&add(&matrix), &r.ctx(&matrix)).await));
    let again = r.exec.execute(&add(&heat), &r.ctx(&heat)).await;
    assert!(matches!(again, ActionOutcome::Skipped { .. }), "{again:?}");
    let remove = collection(Some(&heat), "Heists", CollectionChange::Remove);
    assert!(done(r.exec.execute(&remove, &r.ctx(&heat)).await));
    let w: Vec<String> = writes(&r.sim)
        .iter()
        .map(|w| format!("{} {}", w.method, w.path))
        .collect();
    assert_eq!(w.len(), 3, "{w:?}");
    assert_eq!(w[0], "POST /library/collections");
    assert!(w[1].starts_with("PUT /library/collections/") && w[1].ends_with("/items"));
    assert_eq!(w[2], format!("{}/{heat}", w[1]));
    let members: Vec<String> = r.sim.with_library(|l| {
        let c = l.items().find(|i| i.title == "Heists").unwrap();
        l.children(&c.rating_key)
            .iter()
            .map(|i| i.rating_key.clone())
            .collect()
    });
    assert_eq!(members, [matrix]);
}

#[tokio::test]
async fn the_collection_action_keeps_one_smart_collection_of_its_filter() {
    let r = rig().await;
    let heat = r.id(HEAT);
    r.sim.with_library_mut(|l| {
        l.item_mut(&heat)
            .unwrap()
            .tags
            .insert("genre".into(), vec!["Crime".into()]);
    });
    let smart = collection(
        None,
        "Crime",
        CollectionChange::Smart {
            filter: "genre=Crime".into(),
        },
    );
    let first = r.exec.execute(&smart, &r.ctx(&heat)).await;
    assert!(matches!(first, ActionOutcome::Done { .. }), "{first:?}");
    let second = r.exec.execute(&smart, &r.ctx(&heat)).await;
    assert!(
        matches!(second, ActionOutcome::Skipped { .. }),
        "{second:?}"
    );
    let created: Vec<_> = writes(&r.sim);
    assert_eq!(created.len(), 1);
    let uri = created[0]
        .query
        .iter()
        .find(|(k, _)| k == "uri")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(
        uri.ends_with("/library/sections/1/all?type=1&genre=Crime"),
        "{uri}"
    );
    let members: Vec<String> = r.sim.with_library(|l| {
        let c = l.items().find(|i| i.title == "Crime").unwrap();
        l.children(&c.rating_key)
            .iter()
            .map(|i| i.rating_key.clone())
            .collect()
    });
    assert_eq!(members, [heat]);
}
