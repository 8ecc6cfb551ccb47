//! Normalizing the captured notifications: each fixture, fed to a fresh
//! normalizer, yields exactly the events it should.

use std::time::Instant;

use metarr_plex::event::{Event, EventName, Normalizer, NormalizerConfig, SectionRef};

use crate::notification_fixtures::{all, load};

fn normalizer() -> Normalizer {
    let mut n = Normalizer::new(NormalizerConfig::default());
    n.set_sections(vec![SectionRef {
        id: "8".into(),
        title: Some("TV Shows".into()),
        kind: Some("show".into()),
    }]);
    n
}

fn normalize(files: &[&str]) -> Vec<Event> {
    let mut n = normalizer();
    let now = Instant::now();
    files
        .iter()
        .flat_map(|f| load(f))
        .flat_map(|notification| n.ingest(&notification, now))
        .collect()
}

fn names(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.name.as_str()).collect()
}

/// What each fixture alone normalizes to.
const EXPECTED: &[(&str, &[&str])] = &[
    // Refresh ends carry their item even without a start seen.
    (
        "activity_ended_library-refresh-items__tautulli-issues-174.json",
        &["library.refresh.ended"],
    ),
    (
        "activity_ended_library-refresh-items_item10123__plextraktsync-events.json",
        &["library.refresh.ended"],
    ),
    (
        "activity_ended_library-refresh-items_item513__plextraktsync-events-played.json",
        &["library.refresh.ended"],
    ),
    (
        "activity_ended_provider-subscriptions-process__tautulli-issue-1221.json",
        &["activity.ended"],
    ),
    // No Context yet: the start waits until the item is known.
    (
        "activity_started_library-refresh-items_item513__plextraktsync-events-played.json",
        &[],
    ),
    (
        "activity_started_provider-subscriptions-process__tautulli-issue-1221.json",
        &["activity.started"],
    ),
    // Progress of a refresh whose start we did not see: nothing to announce.
    (
        "activity_updated_checking-files_item513__plextraktsync-events-played.json",
        &[],
    ),
    (
        "activity_updated_library-refresh-items__tautulli-issues-174.json",
        &[],
    ),
    (
        "activity_updated_refreshing-local-metadata_item513__plextraktsync-events-played.json",
        &[],
    ),
    (
        "activity_updated_refreshing-media-analysis_item513__plextraktsync-events-played.json",
        &[],
    ),
    (
        "log__plexopedia-listen-notifications.json",
        &["notification"],
    ),
    // A first frame in buffering is not a start yet (Tautulli's rule).
    ("playing_buffering_livetv__tautulli-issue-1221.json", &[]),
    (
        "playing_playing_movie__pkc-issue-162__converted-from-python-repr.json",
        &["playback.started"],
    ),
    // A stop for a session never announced ends nothing.
    ("playing_stopped_movie__tautulli-issue-1221.json", &[]),
    (
        "playsessionstate_array_paused_sessionKey89__node-plex-api-issue-80__converted-from-js-repr.json",
        &["playback.started"],
    ),
    (
        "playsessionstate_array_stopped_new-sessionKey90__node-plex-api-issue-80__converted-from-js-repr.json",
        &[],
    ),
    (
        "provider_content_change__tautulli-issue-1221.json",
        &["notification"],
    ),
    (
        "sse_data_activity_updated_library-refresh-items__plexopedia-listen-events.json",
        &[],
    ),
    (
        "sse_data_playing_paused__plexopedia-listen-events.json",
        &["playback.started"],
    ),
    (
        "sse_data_transcodeSession_end__plexopedia-listen-events.json",
        &["notification"],
    ),
    (
        "sse_data_transcodeSession_update__plexopedia-listen-events.json",
        &["notification"],
    ),
    ("sse_frame_ping__plexopedia-listen-events.txt", &[]),
    // EPG, not the library.
    (
        "timeline_deleted_epg-episode__tautulli-issue-1221.json",
        &[],
    ),
    // An extra in section -1.
    (
        "timeline_entry_only_state0_clip_section-1_created__moviebot-plexnotice__converted-from-python-repr.json",
        &[],
    ),
    (
        "timeline_state0_episode_created__moviebot-plexnotice__converted-from-python-repr.json",
        &["item.added"],
    ),
    (
        "timeline_state5_episode_processed__moviebot-plexnotice__converted-from-python-repr.json",
        &["item.ready"],
    ),
    (
        "transcodeSession_end__tautulli-issue-1221.json",
        &["notification"],
    ),
    (
        "transcodeSession_update_a__tautulli-issue-1221.json",
        &["notification"],
    ),
    (
        "transcodeSession_update_throttled__tautulli-issue-1221.json",
        &["notification"],
    ),
    (
        "update_statechange__tautulli-issues-174.json",
        &["notification"],
    ),
];

#[test]
fn every_fixture_normalizes_to_its_events() {
    let listed: Vec<&str> = EXPECTED.iter().map(|(f, _)| *f).collect();
    assert_eq!(all(), listed, "fixtures and expectations differ");
    for (file, expected) in EXPECTED {
        let events = normalize(&[file]);
        assert_eq!(names(&events), *expected, "{file}");
        for e in &events {
            assert!(!e.synthetic && !e.caused_by_self, "{file}");
            assert!(e.raw.is_object(), "{file}: raw kept");
            assert!(e.notification_type.is_some(), "{file}");
            let subject = e.name.subject();
            assert!(e.section.is_none() || subject.section, "{file}: section");
            assert!(e.item.is_none() || subject.item, "{file}: item");
            assert!(!subject.session || e.session.is_some(), "{file}: session");
            assert!(
                !subject.activity || e.activity.is_some(),
                "{file}: activity"
            );
        }
    }
}

#[test]
fn created_episode_is_added_with_section_item_and_parents() {
    let e = &normalize(&[
        "timeline_state0_episode_created__moviebot-plexnotice__converted-from-python-repr.json",
    ])[0];
    let section = e.section.as_ref().unwrap();
    assert_eq!(
        (section.id.as_str(), section.title.as_deref()),
        ("8", Some("TV Shows"))
    );
    let item = e.item.as_ref().unwrap();
    assert_eq!(item.id, "40011");
    assert_eq!(item.kind.as_deref(), Some("episode"));
    assert_eq!(item.title, None, "empty title on creation is no title");
    assert_eq!(item.parent_id.as_deref(), Some("10653"));
    assert_eq!(item.grandparent_id.as_deref(), Some("10652"));
    assert_eq!(e.raw["metadataState"], "created");
}

#[test]
fn processed_episode_is_ready_with_its_title() {
    let e = &normalize(&[
        "timeline_state5_episode_processed__moviebot-plexnotice__converted-from-python-repr.json",
    ])[0];
    assert_eq!(e.name, EventName::ItemReady);
    let item = e.item.as_ref().unwrap();
    assert_eq!(
        (item.id.as_str(), item.title.as_deref()),
        ("40010", Some("斗罗大陆 S01 E235"))
    );
    assert_eq!(e.section.as_ref().unwrap().kind.as_deref(), Some("show"));
}

#[test]
fn refresh_lifecycle_is_one_start_and_one_end_with_the_item() {
    let events = normalize(&[
        "activity_started_library-refresh-items_item513__plextraktsync-events-played.json",
        "activity_updated_checking-files_item513__plextraktsync-events-played.json",
        "activity_updated_refreshing-local-metadata_item513__plextraktsync-events-played.json",
        "activity_updated_refreshing-media-analysis_item513__plextraktsync-events-played.json",
        "activity_ended_library-refresh-items_item513__plextraktsync-events-played.json",
    ]);
    assert_eq!(
        names(&events),
        ["library.refresh.started", "library.refresh.ended"]
    );
    for e in &events {
        assert_eq!(e.item.as_ref().unwrap().id, "513");
        let a = e.activity.as_ref().unwrap();
        assert_eq!(
            (a.uuid.as_str(), a.kind.as_str()),
            (
                "c30c1edc-8df0-4713-a7f1-f1373f6db8e9",
                "library.refresh.items"
            )
        );
    }
    assert_eq!(events[0].activity.as_ref().unwrap().event, "started");
    assert_eq!(events[1].activity.as_ref().unwrap().progress, Some(100));
}

#[test]
fn refresh_of_children_names_the_parent_item() {
    let events = normalize(&["activity_ended_library-refresh-items__tautulli-issues-174.json"]);
    assert_eq!(events[0].item.as_ref().unwrap().id, "16417");
    let a = events[0].activity.as_ref().unwrap();
    assert_eq!(a.subtitle.as_deref(), Some("Augmenting metadata"));
}

#[test]
fn generic_activity_keeps_its_type() {
    let events = normalize(&[
        "activity_started_provider-subscriptions-process__tautulli-issue-1221.json",
        "activity_ended_provider-subscriptions-process__tautulli-issue-1221.json",
    ]);
    assert_eq!(names(&events), ["activity.started", "activity.ended"]);
    let a = events[1].activity.as_ref().unwrap();
    assert_eq!(
        (a.kind.as_str(), a.title.as_deref()),
        (
            "provider.subscriptions.process",
            Some("Processing subscriptions")
        )
    );
    assert!(events[1].section.is_none() && events[1].item.is_none());
}

#[test]
fn playback_start_carries_session_item_and_offset() {
    let e = &normalize(&["sse_data_playing_paused__plexopedia-listen-events.json"])[0];
    let s = e.session.as_ref().unwrap();
    assert_eq!((s.key.as_str(), s.state.as_str()), ("45", "paused"));
    assert_eq!(s.view_offset_ms, Some(26530));
    assert_eq!(
        s.client_identifier.as_deref(),
        Some("4b453df1-8fb1-4aee-bfb9-3ea219fce481")
    );
    assert_eq!(e.item.as_ref().unwrap().id, "217468");
    assert_eq!(e.notification_type.as_deref(), Some("playing"));
}

#[test]
fn stop_under_new_session_key_ends_old_session() {
    let events = normalize(&[
        "playsessionstate_array_paused_sessionKey89__node-plex-api-issue-80__converted-from-js-repr.json",
        "playsessionstate_array_stopped_new-sessionKey90__node-plex-api-issue-80__converted-from-js-repr.json",
    ]);
    assert_eq!(names(&events), ["playback.started", "playback.stopped"]);
    let s = events[1].session.as_ref().unwrap();
    assert_eq!((s.key.as_str(), s.state.as_str()), ("89", "stopped"));
    assert_eq!(events[1].item.as_ref().unwrap().id, "23362");
    assert_eq!(
        events[1].raw["sessionKey"], "90",
        "raw is the frame that ended it"
    );
}

#[test]
fn other_notification_types_become_notification_events_by_type() {
    let events = normalize(&[
        "transcodeSession_update_a__tautulli-issue-1221.json",
        "update_statechange__tautulli-issues-174.json",
        "log__plexopedia-listen-notifications.json",
    ]);
    let types: Vec<&str> = events
        .iter()
        .map(|e| e.notification_type.as_deref().unwrap())
        .collect();
    assert_eq!(
        types,
        ["transcodeSession.update", "update.statechange", "log"]
    );
    assert_eq!(events[2].raw["message"], "Beginning read from WebSocket");
}
