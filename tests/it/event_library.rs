//! Items and activities: timeline entries and server activities → item,
//! scan, refresh and generic activity events.

use metarr_plex::event::SectionRef;
use serde_json::json;

use crate::event_feed::*;

#[test]
fn item_rules_follow_state_metadata_state_and_section() {
    let mut f = Feed::new();
    let cases = [
        (
            lib_entry(json!("1"), json!("1"), 0, None),
            Some("item.added"),
        ),
        (
            lib_entry(json!("1"), json!("2"), 0, Some("processing")),
            None,
        ),
        (
            lib_entry(json!("1"), json!("3"), 5, None),
            Some("item.ready"),
        ),
        (
            lib_entry(json!("1"), json!("4"), 5, Some("processing")),
            None,
        ),
        (
            {
                let mut e = lib_entry(json!("1"), json!("5"), 5, None);
                e["mediaState"] = json!("analyzing");
                e
            },
            None,
        ),
        (lib_entry(json!("1"), json!("6"), 3, Some("loading")), None),
        (
            lib_entry(json!("1"), json!("7"), 9, None),
            Some("item.deleted"),
        ),
        (lib_entry(json!("-1"), json!("8"), 0, Some("created")), None),
        (lib_entry(json!("0"), json!("9"), 0, Some("created")), None),
        (
            {
                let mut e = lib_entry(json!("2"), json!("10"), 0, Some("created"));
                e["identifier"] = json!("tv.plex.providers.epg.onconnect:4");
                e
            },
            None,
        ),
    ];
    for (entry, expected) in cases {
        let events = f.push(timeline(entry.clone()));
        assert_eq!(names(&events).first().copied(), expected, "{entry}");
    }
}

#[test]
fn an_item_is_added_once() {
    let mut f = Feed::new();
    let created = lib_entry(json!("1"), json!("42"), 0, Some("created"));
    assert_eq!(f.push(timeline(created.clone())).len(), 1);
    assert!(f.push(timeline(created)).is_empty());
    assert_eq!(
        f.push(timeline(lib_entry(json!("1"), json!("42"), 5, None)))
            .len(),
        1,
        "ready still fires"
    );
}

#[test]
fn section_cache_fills_titles_and_playback_learns_sections() {
    let mut f = Feed::new();
    f.n.set_sections(vec![SectionRef {
        id: "3".into(),
        title: Some("Movies".into()),
        kind: Some("movie".into()),
    }]);
    f.push(timeline(lib_entry(json!(3), json!(900), 5, None)));
    let events = f.push(playing("1", "900", "playing"));
    let section = events[0].section.as_ref().unwrap();
    assert_eq!(
        (section.id.as_str(), section.title.as_deref()),
        ("3", Some("Movies"))
    );
}

#[test]
fn scan_section_is_remembered_by_uuid() {
    let mut f = Feed::new();
    let mut events = f.push(activity("started", "u1", "library.update.section", None));
    assert!(events.is_empty(), "start waits for the section");
    events.extend(f.push(activity(
        "updated",
        "u1",
        "library.update.section",
        Some(json!({"librarySectionID": "3"})),
    )));
    events.extend(f.push(activity("updated", "u1", "library.update.section", None)));
    events.extend(f.push(activity("ended", "u1", "library.update.section", None)));
    assert_eq!(
        names(&events),
        ["library.scan.started", "library.scan.ended"]
    );
    assert!(events.iter().all(|e| e.section.as_ref().unwrap().id == "3"));
}

#[test]
fn scan_without_any_context_still_starts_before_it_ends() {
    let mut f = Feed::new();
    f.push(activity("started", "u1", "library.update.section", None));
    let events = f.push(activity("ended", "u1", "library.update.section", None));
    assert_eq!(
        names(&events),
        ["library.scan.started", "library.scan.ended"]
    );
}

#[test]
fn the_same_activity_ended_twice_yields_one_event() {
    let mut f = Feed::new();
    f.push(activity("started", "u2", "media.generate.bif", None));
    assert_eq!(
        names(&f.push(activity("updated", "u2", "media.generate.bif", None))),
        ["activity.updated"]
    );
    assert_eq!(
        names(&f.push(activity("ended", "u2", "media.generate.bif", None))),
        ["activity.ended"]
    );
    assert!(
        f.push(activity("ended", "u2", "media.generate.bif", None))
            .is_empty()
    );
    assert!(
        f.push(activity("updated", "u2", "media.generate.bif", None))
            .is_empty()
    );
}

#[test]
fn refresh_children_key_names_the_item() {
    let mut f = Feed::new();
    f.push(activity("started", "u3", "library.refresh.items", None));
    let events = f.push(activity(
        "updated",
        "u3",
        "library.refresh.items",
        Some(json!({"key": "/library/metadata/16417/children"})),
    ));
    assert_eq!(names(&events), ["library.refresh.started"]);
    assert_eq!(events[0].item.as_ref().unwrap().id, "16417");
}
