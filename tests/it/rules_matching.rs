//! Matching: the index by event name, trigger filters, captures, runtime
//! condition errors, and the one-metadata-fetch contract.

use std::path::PathBuf;

use metarr_plex::event::{ActivityRef, Event, EventName, ItemRef, SectionRef};
use metarr_plex::rules::{ItemFacts, ResolvedAction, RuleError, RuleSet, Skip, load_sources};

fn set(files: &[(&str, &str)]) -> RuleSet {
    let loaded = load_sources(
        files
            .iter()
            .map(|(n, t)| (PathBuf::from(format!("{n}.toml")), (*t).to_owned()))
            .collect(),
    );
    assert!(
        loaded.diagnostics.is_empty(),
        "{}",
        metarr_plex::rules::render_human(&loaded, false)
    );
    loaded.rules
}

fn event(name: EventName) -> Event {
    let mut e = Event::new(name);
    let s = name.subject();
    if s.section {
        e.section = Some(SectionRef {
            id: "1".into(),
            title: Some("Movies".into()),
            kind: Some("movie".into()),
        });
    }
    if s.item {
        e.item = Some(ItemRef {
            id: "42".into(),
            kind: Some("movie".into()),
            title: None,
            parent_id: None,
            grandparent_id: None,
        });
    }
    if s.activity {
        e.activity = Some(ActivityRef {
            uuid: "u-1".into(),
            kind: "library.update.section".into(),
            event: "ended".into(),
            title: None,
            subtitle: None,
            progress: Some(100),
        });
    }
    e
}

const ON_ADDED: &str = "[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"refresh\"\n";
const ON_STOPPED: &str =
    "[[triggers]]\nevent = \"playback.stopped\"\n[[actions]]\naction = \"analyze\"\n";

#[test]
fn rules_are_indexed_by_event_name() {
    let set = set(&[("on-added", ON_ADDED), ("on-stopped", ON_STOPPED)]);
    let ids = |e: &Event| set.candidates(e).map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&event(EventName::ItemAdded)), ["on-added"]);
    assert_eq!(ids(&event(EventName::PlaybackStopped)), ["on-stopped"]);
    assert!(ids(&event(EventName::LibraryScanEnded)).is_empty());
    // Even evaluated directly, a rule does not fire for an event it has no trigger for.
    let rule = set.get("on-added").unwrap();
    let d = set
        .evaluate(rule, &event(EventName::PlaybackStopped), None)
        .unwrap();
    assert_eq!((d.fired, d.skipped), (false, Some(Skip::NoTrigger)));
}

#[test]
fn section_type_and_activity_filters_apply() {
    let set = set(&[
        (
            "by-title",
            "[[triggers]]\nevent = \"item.added\"\nsection = [\"movies\"]\n[[actions]]\naction = \"refresh\"\n",
        ),
        (
            "by-id",
            "[[triggers]]\nevent = \"item.added\"\nsection = [2]\n[[actions]]\naction = \"refresh\"\n",
        ),
        (
            "shows",
            "[[triggers]]\nevent = \"item.added\"\nsection_type = \"show\"\n[[actions]]\naction = \"refresh\"\n",
        ),
        (
            "scans",
            "[[triggers]]\nevent = \"library.scan.ended\"\nactivity = \"library.*\"\n[[actions]]\naction = \"refresh_section\"\n",
        ),
        (
            "thumbs",
            "[[triggers]]\nevent = \"activity.ended\"\nactivity = \"media.generate.*\"\n[[actions]]\naction = \"log\"\nmessage = \"{{ event.activity.type }}\"\n",
        ),
    ]);
    let ids = |e: &Event| set.candidates(e).map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&event(EventName::ItemAdded)), ["by-title"]);
    let mut other = event(EventName::ItemAdded);
    other.section = Some(SectionRef {
        id: "2".into(),
        title: Some("TV".into()),
        kind: Some("show".into()),
    });
    assert_eq!(ids(&other), ["by-id", "shows"]);
    assert_eq!(ids(&event(EventName::LibraryScanEnded)), ["scans"]);
    let mut bif = event(EventName::ActivityEnded);
    bif.activity.as_mut().unwrap().kind = "media.generate.bif".into();
    assert_eq!(ids(&bif), ["thumbs"]);
    let d = set
        .evaluate(set.get("thumbs").unwrap(), &bif, None)
        .unwrap();
    assert_eq!(
        d.actions,
        [ResolvedAction::Log {
            message: "media.generate.bif".into(),
            level: "info".into()
        }]
    );
    bif.activity.as_mut().unwrap().kind = "library.refresh.items".into();
    assert!(ids(&bif).is_empty());
}

#[test]
fn events_we_caused_are_ignored_unless_the_rule_opts_in() {
    let set = set(&[
        ("plain", ON_ADDED),
        (
            "opted-in",
            "include_self = true\n[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"refresh\"\n",
        ),
    ]);
    let mut e = event(EventName::ItemAdded);
    e.caused_by_self = true;
    let ids: Vec<String> = set.candidates(&e).map(|r| r.id.clone()).collect();
    assert_eq!(ids, ["opted-in"]);
    let d = set.evaluate(set.get("plain").unwrap(), &e, None).unwrap();
    assert_eq!(d.skipped, Some(Skip::CausedBySelf));
}

#[test]
fn disabled_rules_are_loaded_but_never_candidates() {
    let set = set(&[(
        "off",
        "enabled = false\n[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"refresh\"\n",
    )]);
    assert_eq!(set.rules().len(), 1);
    assert_eq!(set.candidates(&event(EventName::ItemAdded)).count(), 0);
}

#[test]
fn a_runtime_condition_error_is_an_error_not_false() {
    // `raw` is free-form, so the checker cannot know `raw.missing` is absent.
    let set = set(&[(
        "raw",
        "conditions = ['event.raw.missing == \"x\"']\n[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"refresh\"\n",
    )]);
    let mut e = event(EventName::ItemAdded);
    e.raw = serde_json::json!({ "present": 1 }).into();
    let err = set.evaluate(set.get("raw").unwrap(), &e, None).unwrap_err();
    match &err {
        RuleError::Condition {
            expression,
            message,
        } => {
            assert_eq!(expression, "event.raw.missing == \"x\"");
            assert!(message.contains("missing"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("condition `event.raw.missing == \"x\"` failed:"),
        "{err}"
    );
}

#[test]
fn absent_known_fields_are_null_not_errors() {
    let set = set(&[(
        "title",
        "conditions = ['event.item.title == null']\n[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"refresh\"\n",
    )]);
    let d = set
        .evaluate(
            set.get("title").unwrap(),
            &event(EventName::ItemAdded),
            None,
        )
        .unwrap();
    assert!(d.fired, "{d:?}");
}

const READS_ITEM: &str = "conditions = ['item.guid.startsWith(\"local://\")']\n[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"refresh\"\n";

#[test]
fn needs_metadata_only_when_a_candidate_reads_item() {
    let set = set(&[("reads-item", READS_ITEM), ("on-stopped", ON_STOPPED)]);
    assert!(set.needs_metadata(&event(EventName::ItemAdded)));
    assert!(!set.needs_metadata(&event(EventName::PlaybackStopped)));
    assert!(!set.needs_metadata(&event(EventName::LibraryScanEnded)));
    let rule = set.get("reads-item").unwrap();
    assert_eq!(
        set.evaluate(rule, &event(EventName::ItemAdded), None),
        Err(RuleError::NeedsMetadata)
    );
    let facts = ItemFacts {
        id: "42".into(),
        guid: "local://42".into(),
        ..Default::default()
    };
    let d = set
        .evaluate(rule, &event(EventName::ItemAdded), Some(&facts))
        .unwrap();
    assert!(d.fired);
    assert_eq!(d.conditions[0].values["item.guid"], "local://42");
    let matched = ItemFacts {
        guid: "plex://movie/1".into(),
        ..facts
    };
    let d = set
        .evaluate(rule, &event(EventName::ItemAdded), Some(&matched))
        .unwrap();
    assert!(!d.fired);
    assert!(!d.conditions[0].result);
}

#[test]
fn item_type_unknown_from_the_event_is_decided_from_metadata() {
    let set = set(&[(
        "movies",
        "[[triggers]]\nevent = \"playback.stopped\"\nitem_type = \"movie\"\n[[actions]]\naction = \"analyze\"\n",
    )]);
    let mut e = event(EventName::PlaybackStopped);
    e.item.as_mut().unwrap().kind = None;
    assert!(set.needs_metadata(&e));
    let rule = set.get("movies").unwrap();
    let track = ItemFacts {
        id: "42".into(),
        kind: "track".into(),
        ..Default::default()
    };
    let d = set.evaluate(rule, &e, Some(&track)).unwrap();
    assert_eq!(
        d.skipped,
        Some(Skip::ItemType {
            kind: "track".into()
        })
    );
    let movie = ItemFacts {
        kind: "movie".into(),
        ..track
    };
    assert!(set.evaluate(rule, &e, Some(&movie)).unwrap().fired);
    // With the type in the event, no fetch is needed.
    assert!(!set.needs_metadata(&event(EventName::PlaybackStopped)));
}

#[test]
fn captures_feed_templates_and_skip_when_nothing_matches() {
    let set = set(&[(
        "tag",
        "[[triggers]]\nevent = \"item.added\"\n[[captures]]\nfrom = \"item.folder\"\nregex = '\\{tmdb-(?P<tmdb>\\d+)\\}'\n[[actions]]\naction = \"match\"\ntmdb = \"{{ tmdb }}\"\n",
    )]);
    let rule = set.get("tag").unwrap();
    let e = event(EventName::ItemAdded);
    let facts = ItemFacts {
        id: "42".into(),
        folder: Some("/m/Heat (1995) {tmdb-949}".into()),
        ..Default::default()
    };
    let d = set.evaluate(rule, &e, Some(&facts)).unwrap();
    assert_eq!(d.captures["tmdb"], "949");
    assert_eq!(d.key, "42");
    assert!(matches!(&d.actions[0], ResolvedAction::Match { item, .. } if item == "42"));
    let bare = ItemFacts {
        folder: Some("/m/Heat (1995)".into()),
        ..facts
    };
    let d = set.evaluate(rule, &e, Some(&bare)).unwrap();
    assert_eq!(
        d.skipped,
        Some(Skip::Capture {
            from: "item.folder".into()
        })
    );
}

#[test]
fn a_template_rendering_an_empty_id_is_an_error() {
    let set = set(&[(
        "empty",
        // The group matches the empty string: the id renders empty.
        "[[triggers]]\nevent = \"item.added\"\n[[captures]]\nfrom = \"event.item.id\"\nregex = '(?P<tmdb>x*)'\n[[actions]]\naction = \"refresh\"\nitem = \"{{ tmdb }}\"\n",
    )]);
    let err = set
        .evaluate(
            set.get("empty").unwrap(),
            &event(EventName::ItemAdded),
            None,
        )
        .unwrap_err();
    assert_eq!(
        err,
        RuleError::EmptyValue {
            action: "refresh",
            param: "item".into()
        }
    );
}

#[test]
fn rule_sets_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<RuleSet>();
}

#[test]
fn embedded_tests_accept_numeric_ids() {
    let loaded = load_sources(vec![(
        PathBuf::from("t.toml"),
        "[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"refresh\"\n[[tests]]\nevent = { name = \"item.added\", section = { id = 1 }, item = { id = 42 } }\nexpect = [\"PUT /library/metadata/42/refresh\"]\n"
            .to_owned(),
    )]);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let rule = loaded.rules.get("t").unwrap();
    let t = &rule.tests[0];
    assert_eq!(t.event.item.as_ref().unwrap().id, "42");
    let d = loaded.rules.evaluate(rule, &t.event, None).unwrap();
    assert_eq!(d.actions, [ResolvedAction::Refresh { item: "42".into() }]);
}

#[test]
fn explain_shows_a_null_value_in_a_template_as_an_error() {
    let loaded = load_sources(vec![(
        PathBuf::from("notify.toml"),
        "[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"log\"\nmessage = \"New: {{ event.item.title }}\"\n".to_owned(),
    )]);
    assert!(!loaded.has_errors());
    // The event carries an item without a title: `event.item.title` is null.
    let mut e = event(EventName::ItemAdded);
    e.item.as_mut().unwrap().title = None;
    let x = metarr_plex::rules::explain_event(
        &loaded.rules,
        &e,
        metarr_plex::rules::Metadata::NotNeeded,
    );
    let r = &x.rules[0];
    assert_eq!(r.outcome, metarr_plex::rules::Outcome::Error, "{r:?}");
    let error = r.error.as_deref().unwrap();
    assert!(error.contains("`message`: undefined value"), "{error}");
    assert!(error.contains("null"), "{error}");
    assert!(r.actions.is_empty());
    // With a fallback it renders.
    let loaded = load_sources(vec![(
        PathBuf::from("notify.toml"),
        "[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"log\"\nmessage = \"New: {{ event.item.title | default('untitled', true) }}\"\n".to_owned(),
    )]);
    let x = metarr_plex::rules::explain_event(
        &loaded.rules,
        &e,
        metarr_plex::rules::Metadata::NotNeeded,
    );
    assert_eq!(x.rules[0].outcome, metarr_plex::rules::Outcome::Fires);
}

#[test]
fn a_value_missing_at_render_time_is_an_error_not_an_empty_string() {
    let set = set(&[(
        "raw",
        "[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"log\"\nmessage = \"{{ event.raw.player.title }}\"\n",
    )]);
    let err = set
        .evaluate(set.get("raw").unwrap(), &event(EventName::ItemAdded), None)
        .unwrap_err();
    match err {
        RuleError::Template { template, message } => {
            assert_eq!(template, "{{ event.raw.player.title }}");
            assert!(
                message.starts_with("`message`: undefined value"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn cancel_events_find_their_rules_and_render_the_same_key() {
    let set = set(&[
        (
            "delayed",
            "delay = \"10s\"\n[[triggers]]\nevent = \"playback.stopped\"\n[cancel]\nevents = [\"playback.started\"]\n[[actions]]\naction = \"analyze\"\n",
        ),
        ("plain", ON_STOPPED),
    ]);
    let stop = event(EventName::PlaybackStopped);
    let start = event(EventName::PlaybackStarted);
    let ids: Vec<&str> = set.cancelled_by(&start).map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["delayed"]);
    assert_eq!(set.cancelled_by(&stop).count(), 0);
    let rule = set.get("delayed").unwrap();
    let fired = set.evaluate(rule, &stop, None).unwrap();
    assert_eq!(set.key_for(rule, &start, None).unwrap(), fired.key);
}

#[test]
fn a_key_that_cancel_events_cannot_render_is_refused() {
    let loaded = load_sources(vec![(
        PathBuf::from("k.toml"),
        "key = \"{{ event.item.id }}\"\ndebounce = \"5s\"\n[[triggers]]\nevent = \"item.added\"\n[cancel]\nevents = [\"library.scan.started\"]\n[[actions]]\naction = \"refresh\"\n"
            .to_owned(),
    )]);
    let messages: Vec<&str> = loaded
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "`event.item` is not set on `library.scan.started` (in `key`, rendered for a cancel event)"
        ]
    );
}

#[test]
fn one_set_of_facts_is_shared_by_every_rule_and_none_needed_when_unread() {
    let set = set(&[
        ("a", READS_ITEM),
        ("b", READS_ITEM),
        ("on-stopped", ON_STOPPED),
    ]);
    let e = event(EventName::ItemAdded);
    assert!(set.needs_metadata(&e));
    let facts = ItemFacts {
        id: "1".into(),
        guid: "local://1".into(),
        ..Default::default()
    };
    let prepared = set.prepare(&e, Some(&facts));
    let fired: Vec<bool> = set
        .candidates(&e)
        .map(|r| set.evaluate_prepared(r, &prepared).unwrap().fired)
        .collect();
    assert_eq!(fired, [true, true]);
    assert!(!set.needs_metadata(&event(EventName::PlaybackStopped)));
}
