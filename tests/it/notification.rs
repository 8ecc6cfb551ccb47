//! Parsing: every captured frame reads into the notification it is, and no
//! input — garbage bytes, arbitrary JSON, containers of odd shapes — panics.

use metarr_plex::plex::notification::{
    Notification, PlayState, TranscodePhase, parse_frame, parse_frame_entries, parse_sse,
};
use std::time::{Duration, Instant};

use metarr_plex::event::{Normalizer, NormalizerConfig};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::notification_fixtures::{all, load};

fn one(name: &str) -> Notification {
    let mut n = load(name);
    assert_eq!(n.len(), 1, "{name}: {n:?}");
    n.remove(0)
}

/// Each fixture file and the notification type it must read as; the test
/// below fails if a fixture is added without an expectation.
const EXPECTED_TYPES: &[(&str, &str)] = &[
    (
        "activity_ended_library-refresh-items__tautulli-issues-174.json",
        "activity",
    ),
    (
        "activity_ended_library-refresh-items_item10123__plextraktsync-events.json",
        "activity",
    ),
    (
        "activity_ended_library-refresh-items_item513__plextraktsync-events-played.json",
        "activity",
    ),
    (
        "activity_ended_provider-subscriptions-process__tautulli-issue-1221.json",
        "activity",
    ),
    (
        "activity_started_library-refresh-items_item513__plextraktsync-events-played.json",
        "activity",
    ),
    (
        "activity_started_provider-subscriptions-process__tautulli-issue-1221.json",
        "activity",
    ),
    (
        "activity_updated_checking-files_item513__plextraktsync-events-played.json",
        "activity",
    ),
    (
        "activity_updated_library-refresh-items__tautulli-issues-174.json",
        "activity",
    ),
    (
        "activity_updated_refreshing-local-metadata_item513__plextraktsync-events-played.json",
        "activity",
    ),
    (
        "activity_updated_refreshing-media-analysis_item513__plextraktsync-events-played.json",
        "activity",
    ),
    ("log__plexopedia-listen-notifications.json", "log"),
    (
        "playing_buffering_livetv__tautulli-issue-1221.json",
        "playing",
    ),
    (
        "playing_playing_movie__pkc-issue-162__converted-from-python-repr.json",
        "playing",
    ),
    ("playing_stopped_movie__tautulli-issue-1221.json", "playing"),
    (
        "playsessionstate_array_paused_sessionKey89__node-plex-api-issue-80__converted-from-js-repr.json",
        "playing",
    ),
    (
        "playsessionstate_array_stopped_new-sessionKey90__node-plex-api-issue-80__converted-from-js-repr.json",
        "playing",
    ),
    (
        "provider_content_change__tautulli-issue-1221.json",
        "provider.content.change",
    ),
    (
        "sse_data_activity_updated_library-refresh-items__plexopedia-listen-events.json",
        "activity",
    ),
    (
        "sse_data_playing_paused__plexopedia-listen-events.json",
        "playing",
    ),
    (
        "sse_data_transcodeSession_end__plexopedia-listen-events.json",
        "transcodeSession.end",
    ),
    (
        "sse_data_transcodeSession_update__plexopedia-listen-events.json",
        "transcodeSession.update",
    ),
    ("sse_frame_ping__plexopedia-listen-events.txt", ""),
    (
        "timeline_deleted_epg-episode__tautulli-issue-1221.json",
        "timeline",
    ),
    (
        "timeline_entry_only_state0_clip_section-1_created__moviebot-plexnotice__converted-from-python-repr.json",
        "timeline",
    ),
    (
        "timeline_state0_episode_created__moviebot-plexnotice__converted-from-python-repr.json",
        "timeline",
    ),
    (
        "timeline_state5_episode_processed__moviebot-plexnotice__converted-from-python-repr.json",
        "timeline",
    ),
    (
        "transcodeSession_end__tautulli-issue-1221.json",
        "transcodeSession.end",
    ),
    (
        "transcodeSession_update_a__tautulli-issue-1221.json",
        "transcodeSession.update",
    ),
    (
        "transcodeSession_update_throttled__tautulli-issue-1221.json",
        "transcodeSession.update",
    ),
    (
        "update_statechange__tautulli-issues-174.json",
        "update.statechange",
    ),
];

#[test]
fn every_fixture_parses_to_its_notification_type() {
    let listed: Vec<&str> = EXPECTED_TYPES.iter().map(|(f, _)| *f).collect();
    assert_eq!(all(), listed, "fixtures and expectations differ");
    for (file, kind) in EXPECTED_TYPES {
        let n = load(file);
        if kind.is_empty() {
            assert!(n.is_empty(), "{file}: {n:?}");
            continue;
        }
        assert_eq!(n.len(), 1, "{file}");
        assert_eq!(n[0].notification_type(), *kind, "{file}");
        assert!(n[0].raw().is_object(), "{file}: raw kept");
        assert!(
            !matches!(n[0], Notification::Unknown { .. }),
            "{file}: typed"
        );
    }
}

#[test]
fn live_tv_buffering_keeps_the_uri_rating_key() {
    let Notification::Playing(p) = one("playing_buffering_livetv__tautulli-issue-1221.json") else {
        panic!()
    };
    assert_eq!(p.session_key, "110");
    assert_eq!(p.state, PlayState::Buffering);
    assert_eq!(
        p.rating_key.as_deref(),
        Some("com.gracenote.onconnect://episode/EP019919100088")
    );
    assert_eq!(
        p.transcode_session.as_deref(),
        Some("48ed73b09b53b2109ce7af6bd5834001")
    );
    assert_eq!(p.view_offset, Some(0));
}

#[test]
fn playing_fixtures_carry_session_item_state_and_offset() {
    let Notification::Playing(p) = one("playing_stopped_movie__tautulli-issue-1221.json") else {
        panic!()
    };
    assert_eq!(
        (p.session_key.as_str(), p.rating_key.as_deref(), &p.state),
        ("112", Some("188653"), &PlayState::Stopped)
    );
    assert_eq!(p.view_offset, Some(381000));
    assert_eq!(p.play_queue_item_id.as_deref(), Some("63307"));

    let Notification::Playing(p) =
        one("playing_playing_movie__pkc-issue-162__converted-from-python-repr.json")
    else {
        panic!()
    };
    assert_eq!(
        (p.session_key.as_str(), p.rating_key.as_deref()),
        ("7", Some("2174"))
    );
    assert_eq!(p.state, PlayState::Playing);
    assert_eq!(p.view_offset, Some(2119067));

    let Notification::Playing(p) = one("sse_data_playing_paused__plexopedia-listen-events.json")
    else {
        panic!()
    };
    assert_eq!(
        p.client_identifier.as_deref(),
        Some("4b453df1-8fb1-4aee-bfb9-3ea219fce481")
    );
    assert_eq!(
        (p.session_key.as_str(), &p.state),
        ("45", &PlayState::Paused)
    );

    let Notification::Playing(p) = one(
        "playsessionstate_array_stopped_new-sessionKey90__node-plex-api-issue-80__converted-from-js-repr.json",
    ) else {
        panic!()
    };
    assert_eq!(
        (p.session_key.as_str(), p.rating_key.as_deref()),
        ("90", Some("23362"))
    );
}

#[test]
fn timeline_ids_read_the_same_as_numbers_or_strings() {
    let Notification::Timeline(t) = one("timeline_deleted_epg-episode__tautulli-issue-1221.json")
    else {
        panic!()
    };
    assert_eq!(t.section_id.as_deref(), Some("2"));
    assert_eq!(t.item_id.as_deref(), Some("583"));
    assert_eq!(t.parent_item_id.as_deref(), Some("582"));
    assert_eq!(t.root_item_id.as_deref(), Some("581"));
    assert_eq!(
        (t.state, t.metadata_state.as_deref()),
        (Some(9), Some("deleted"))
    );
    assert_eq!(
        t.identifier.as_deref(),
        Some("tv.plex.providers.epg.onconnect:4")
    );

    let Notification::Timeline(t) = one(
        "timeline_state0_episode_created__moviebot-plexnotice__converted-from-python-repr.json",
    ) else {
        panic!()
    };
    assert_eq!(
        (t.section_id.as_deref(), t.item_id.as_deref()),
        (Some("8"), Some("40011"))
    );
    assert_eq!((t.state, t.metadata_type), (Some(0), Some(4)));
    assert_eq!(t.updated_at, Some(1669341621));

    let Notification::Timeline(t) = one(
        "timeline_state5_episode_processed__moviebot-plexnotice__converted-from-python-repr.json",
    ) else {
        panic!()
    };
    assert_eq!(t.title.as_deref(), Some("斗罗大陆 S01 E235"));
    assert_eq!(
        (
            t.state,
            t.metadata_state.as_deref(),
            t.media_state.as_deref()
        ),
        (Some(5), None, None)
    );

    let Notification::Timeline(t) = one(
        "timeline_entry_only_state0_clip_section-1_created__moviebot-plexnotice__converted-from-python-repr.json",
    ) else {
        panic!()
    };
    assert_eq!(
        (t.section_id.as_deref(), t.metadata_type),
        (Some("-1"), Some(12))
    );
}

#[test]
fn activity_fixtures_carry_type_event_progress_and_context() {
    let Notification::Activity(a) =
        one("activity_started_library-refresh-items_item513__plextraktsync-events-played.json")
    else {
        panic!()
    };
    assert_eq!(
        (a.event.as_str(), a.uuid.as_str()),
        ("started", "c30c1edc-8df0-4713-a7f1-f1373f6db8e9")
    );
    assert_eq!(a.activity.kind, "library.refresh.items");
    assert_eq!(a.activity.context, None);

    let Notification::Activity(a) =
        one("activity_ended_library-refresh-items_item513__plextraktsync-events-played.json")
    else {
        panic!()
    };
    let ctx = a.activity.context.unwrap();
    assert_eq!(
        (ctx.item_id(), ctx.refreshed, ctx.analyzed),
        (Some("513"), Some(false), Some(false))
    );
    assert_eq!(a.activity.progress, Some(100));

    let Notification::Activity(a) =
        one("activity_updated_library-refresh-items__tautulli-issues-174.json")
    else {
        panic!()
    };
    assert_eq!(a.activity.context.unwrap().item_id(), Some("16417"));
    assert_eq!(a.activity.subtitle.as_deref(), Some("Augmenting metadata"));

    let Notification::Activity(a) =
        one("sse_data_activity_updated_library-refresh-items__plexopedia-listen-events.json")
    else {
        panic!()
    };
    assert_eq!(a.activity.context.unwrap().item_id(), Some("204922"));

    let Notification::Activity(a) =
        one("activity_ended_provider-subscriptions-process__tautulli-issue-1221.json")
    else {
        panic!()
    };
    assert_eq!(
        (a.activity.kind.as_str(), a.activity.cancellable),
        ("provider.subscriptions.process", Some(true))
    );
}

#[test]
fn other_fixtures_carry_their_fields() {
    let Notification::Transcode { phase, session } =
        one("transcodeSession_update_throttled__tautulli-issue-1221.json")
    else {
        panic!()
    };
    assert_eq!(phase, TranscodePhase::Update);
    assert_eq!(
        (session.throttled, session.progress),
        (Some(true), Some(-1.0))
    );
    assert_eq!(
        session.key.as_deref(),
        Some("/transcode/sessions/jn5iqovtyvj4ex24jc4lmm8r")
    );

    let Notification::Transcode { phase, session } =
        one("sse_data_transcodeSession_end__plexopedia-listen-events.json")
    else {
        panic!()
    };
    assert_eq!(
        (phase, session.audio_decision.as_deref()),
        (TranscodePhase::End, Some("transcode"))
    );

    let Notification::Log(l) = one("log__plexopedia-listen-notifications.json") else {
        panic!()
    };
    assert_eq!(
        (l.level, l.message.as_deref()),
        (Some(3), Some("Beginning read from WebSocket"))
    );

    let Notification::UpdateStateChange(u) = one("update_statechange__tautulli-issues-174.json")
    else {
        panic!()
    };
    assert_eq!(u.state.as_deref(), Some("done"));

    let Notification::ProviderContentChange(p) =
        one("provider_content_change__tautulli-issue-1221.json")
    else {
        panic!()
    };
    assert_eq!(
        (p.kind, p.identifier.as_deref()),
        (Some(1), Some("tv.plex.providers.epg.onconnect:4"))
    );
}

#[test]
fn the_documented_types_without_a_capture_parse_too() {
    let frames = [
        (
            "status",
            "StatusNotification",
            json!({"title":"Library scan complete","description":"","notificationName":"LIBRARY_UPDATE"}),
        ),
        (
            "progress",
            "ProgressNotification",
            json!({"message":"Scanning Legend (1985)"}),
        ),
        (
            "reachability",
            "ReachabilityNotification",
            json!({"reachability": true}),
        ),
        (
            "backgroundProcessingQueue",
            "BackgroundProcessingQueueEventNotification",
            json!({"queueID": 4, "event": "queueRegenerated"}),
        ),
        (
            "preference",
            "Setting",
            json!({"id":"FriendlyName","type":"text","value":"Home"}),
        ),
        (
            "account",
            "AccountUpdateNotification",
            json!({"anything": 1}),
        ),
        (
            "transcodeSession.start",
            "TranscodeSession",
            json!({"key":"/transcode/sessions/x"}),
        ),
    ];
    for (kind, key, entry) in frames {
        let text =
            json!({"NotificationContainer":{"type":kind,"size":1,key:[entry.clone()]}}).to_string();
        let n = parse_frame(&text).unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].notification_type(), kind);
        assert!(!matches!(n[0], Notification::Unknown { .. }), "{kind}");
        assert_eq!(n[0].raw(), &entry);
    }
    let n = parse_frame(r#"{"NotificationContainer":{"type":"status","size":1,"StatusNotification":[{"title":"Library scan complete"}]}}"#).unwrap();
    assert!(
        matches!(&n[0], Notification::Status(s) if s.title.as_deref() == Some("Library scan complete"))
    );
    let n = parse_frame(r#"{"NotificationContainer":{"type":"reachability","size":1,"ReachabilityNotification":[{"reachability":false}]}}"#).unwrap();
    assert!(matches!(&n[0], Notification::Reachability(r) if r.reachability == Some(false)));
}

#[test]
fn every_entry_of_a_container_is_parsed() {
    let text = json!({"NotificationContainer":{"type":"timeline","size":3,"TimelineEntry":[
        {"identifier":"com.plexapp.plugins.library","sectionID":"1","itemID":"1","state":0,"metadataState":"created"},
        {"identifier":"com.plexapp.plugins.library","sectionID":1,"itemID":2,"state":5},
        {"identifier":"com.plexapp.plugins.library","sectionID":"1","itemID":"3","state":9,"metadataState":"deleted"}]}})
    .to_string();
    let ids: Vec<String> = parse_frame(&text)
        .unwrap()
        .into_iter()
        .map(|n| match n {
            Notification::Timeline(t) => t.item_id.unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
}

#[test]
fn unknown_fields_stay_in_raw() {
    let text = r#"{"NotificationContainer":{"type":"playing","size":1,"PlaySessionStateNotification":[{"sessionKey":"1","state":"playing","newField":{"x":[1,2]}}]}}"#;
    let n = parse_frame(text).unwrap();
    assert_eq!(n[0].raw()["newField"]["x"][1], 2);
}

#[test]
fn sse_data_without_an_event_line_may_carry_the_container() {
    let data =
        r#"{"NotificationContainer":{"type":"log","size":1,"LogSentNotification":[{"level":1}]}}"#;
    assert_eq!(parse_sse("", data).unwrap()[0].notification_type(), "log");
    assert_eq!(
        parse_sse("playing", "not json").unwrap_err().kind(),
        "not_json"
    );
}

/// Arbitrary JSON values, biased toward container-like shapes.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("playing".to_owned()),
            Just("timeline".to_owned()),
            Just("activity".to_owned()),
            Just("NotificationContainer".to_owned()),
            Just("stopped".to_owned()),
            ".{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("NotificationContainer".to_owned()),
            Just("type".to_owned()),
            Just("size".to_owned()),
            Just("_children".to_owned()),
            Just("PlaySessionStateNotification".to_owned()),
            Just("TimelineEntry".to_owned()),
            Just("ActivityNotification".to_owned()),
            Just("Activity".to_owned()),
            Just("Context".to_owned()),
            Just("sessionKey".to_owned()),
            Just("state".to_owned()),
            Just("uuid".to_owned()),
            Just("event".to_owned()),
            "[a-zA-Z]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn parse_frame_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_frame(&text);
        let _ = parse_sse("playing", &text);
    }

    #[test]
    fn parse_frame_never_panics_on_json(v in json_value(), kind in prop_oneof![
        Just("playing"), Just("timeline"), Just("activity"), Just("transcodeSession.end"),
        Just("status"), Just("log"), Just("whatever")]) {
        let _ = parse_frame_entries(&v.to_string());
        let wrapped = json!({"NotificationContainer": {"type": kind, "size": 1, "PlaySessionStateNotification": v.clone(), "TimelineEntry": v.clone(), "ActivityNotification": v.clone(), "StatusNotification": v.clone(), "LogSentNotification": v.clone(), "TranscodeSession": v.clone()}});
        let _ = parse_frame_entries(&wrapped.to_string());
        let as_list = json!({"NotificationContainer": {"type": kind, "size": 1, "_children": [v.clone(), v]}});
        // Whatever parses must also normalize without panicking.
        let mut normalizer = Normalizer::new(NormalizerConfig::default());
        let now = Instant::now();
        for text in [wrapped.to_string(), as_list.to_string()] {
            for n in parse_frame_entries(&text).into_iter().flatten().flatten() {
                let _ = normalizer.ingest(&n, now);
            }
        }
        let _ = normalizer.tick(now + Duration::from_secs(3600));
    }
}
