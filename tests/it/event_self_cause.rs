//! The loop guard: events caused by our own writes are marked.

use std::time::{Duration, Instant};

use metarr_plex::event::{Normalizer, NormalizerConfig, SelfCauses};
use serde_json::json;

use crate::event_feed::*;
use crate::notification_fixtures::load;

#[test]
fn own_refresh_is_marked_caused_by_self() {
    let causes = SelfCauses::new();
    let mut f = Feed::with_causes(causes.clone());
    // The action layer, about to refresh item 513 (a fake caller).
    causes.touching_item_at("513", Duration::from_secs(60), f.now);
    // What Plex answers with: the refresh lifecycle captured for item 513...
    let mut events = Vec::new();
    for file in [
        "activity_started_library-refresh-items_item513__plextraktsync-events-played.json",
        "activity_updated_checking-files_item513__plextraktsync-events-played.json",
        "activity_updated_refreshing-local-metadata_item513__plextraktsync-events-played.json",
        "activity_updated_refreshing-media-analysis_item513__plextraktsync-events-played.json",
    ] {
        f.now += Duration::from_secs(5);
        events.extend(f.push(load(file)));
    }
    // ...and its timeline state 5.
    events.extend(f.push(timeline(lib_entry(json!("1"), json!("513"), 5, None))));
    f.now += Duration::from_secs(90); // past the item window: the activity stays ours
    events.extend(f.push(load(
        "activity_ended_library-refresh-items_item513__plextraktsync-events-played.json",
    )));
    assert_eq!(
        names(&events),
        [
            "library.refresh.started",
            "item.ready",
            "library.refresh.ended"
        ]
    );
    assert!(events.iter().all(|e| e.caused_by_self), "{events:?}");
    // A state 5 for the item after the window is somebody else's edit.
    let later = f.push(timeline(lib_entry(json!("1"), json!("513"), 5, None)));
    assert!(!later[0].caused_by_self);
    // Another item's refresh at the same time is not ours.
    let other = f.push(load(
        "activity_ended_library-refresh-items_item10123__plextraktsync-events.json",
    ));
    assert!(!other[0].caused_by_self);
}

#[test]
fn own_write_marks_only_its_item_within_the_window() {
    let causes = SelfCauses::new();
    let mut f = Feed::with_causes(causes.clone());
    causes.touching_item_at("513", Duration::from_secs(30), f.now);
    f.now += Duration::from_secs(5);
    let ours = f.push(timeline(lib_entry(json!("1"), json!("513"), 5, None)));
    let theirs = f.push(timeline(lib_entry(json!("1"), json!("514"), 5, None)));
    assert!(ours[0].caused_by_self);
    assert!(!theirs[0].caused_by_self);
    f.now += Duration::from_secs(30);
    assert!(!f.push(timeline(lib_entry(json!("1"), json!("513"), 5, None)))[0].caused_by_self);
}

#[test]
fn own_activity_uuid_marks_all_its_events() {
    let causes = SelfCauses::new();
    let mut f = Feed::with_causes(causes.clone());
    causes.activity_at("a-1", f.now);
    let events = f.push(activity("started", "a-1", "media.generate.bif", None));
    assert!(events[0].caused_by_self);
    assert!(!f.push(activity("started", "a-2", "media.generate.bif", None))[0].caused_by_self);
}

#[test]
fn own_scan_marks_the_scan_but_not_the_items_it_finds() {
    let causes = SelfCauses::new();
    let mut f = Feed::with_causes(causes.clone());
    causes.touching_section_at("3", Duration::from_secs(60), f.now);
    let scan = f.push(activity(
        "started",
        "s",
        "library.update.section",
        Some(json!({"librarySectionID": "3"})),
    ));
    let found = f.push(timeline(lib_entry(
        json!("3"),
        json!("77"),
        0,
        Some("created"),
    )));
    assert!(scan[0].caused_by_self);
    assert!(!found[0].caused_by_self, "rules must still see new items");
}

#[tokio::test(start_paused = true)]
async fn registrations_follow_the_tokio_clock() {
    let causes = SelfCauses::new();
    let n = Normalizer::new(NormalizerConfig::default()).with_self_causes(causes.clone());
    let mut n = n;
    causes.touching_item("42", Duration::from_secs(10));
    tokio::time::advance(Duration::from_secs(5)).await;
    let now = tokio::time::Instant::now().into_std();
    let ours = timeline(lib_entry(json!("1"), json!("42"), 5, None));
    assert!(n.ingest(&ours[0], now)[0].caused_by_self);
    tokio::time::advance(Duration::from_secs(6)).await;
    let now = tokio::time::Instant::now().into_std();
    assert!(!n.ingest(&ours[0], now)[0].caused_by_self);
}

#[test]
fn registering_outside_a_runtime_uses_the_system_clock() {
    let causes = SelfCauses::new();
    causes.touching_item("7", Duration::from_secs(60));
    causes.touching_section("1", Duration::from_secs(60));
    causes.activity("u");
    let mut f = Feed::with_causes(causes);
    f.now = Instant::now();
    let events = f.push(timeline(lib_entry(json!("1"), json!("7"), 5, None)));
    assert!(events[0].caused_by_self);
}
