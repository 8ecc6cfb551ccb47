//! Matching throughput with 500 rules loaded: events per second through
//! `RuleSet::candidates` + `RuleSet::evaluate` (index lookup, trigger
//! filters, captures, CEL conditions, template rendering of the actions).
//!
//! Run: `cargo bench --bench matching`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use metarr_plex::event::{ActivityRef, Event, EventName, ItemRef, SectionRef, SessionRef};
use metarr_plex::rules::{ItemFacts, load_sources};

/// Rule templates in a realistic mix: mostly item and playback rules with
/// section filters and conditions, some scan and activity rules. `N` is
/// replaced with a number so every rule differs.
const KINDS: &[&str] = &[
    // Re-match by folder tag, per section.
    r#"mode = "queued"
debounce = "10s"
conditions = ['item.guid.startsWith("local://")']
[[triggers]]
events = ["item.ready", "library.refresh.ended"]
section = ["Movies N", "N"]
item_type = ["movie"]
[[captures]]
from = "item.folder"
regex = '\{tmdb-(?P<tmdb>\d+)\}'
[[actions]]
action = "match"
tmdb = "{{ tmdb }}"
"#,
    // Playback stops: analyze movies over a year.
    r#"when_idle = true
conditions = ['event.section.id == "N" || item.year > 2000']
[[triggers]]
event = "playback.stopped"
[[actions]]
action = "analyze"
"#,
    // Log playback per user session.
    r#"conditions = ['event.session.state == "playing" && event.item.id != "N"']
[[triggers]]
events = ["playback.started", "playback.resumed"]
[[actions]]
action = "log"
message = "{{ event.item.id }} started in session {{ event.session.key }} (rule N)"
"#,
    // Scan ended: rescan missing folders of one section.
    r#"debounce = "10s"
[[triggers]]
event = "library.scan.ended"
section = ["N"]
[[actions]]
action = "scan"
missing = true
"#,
    // Activities by glob: webhook.
    r#"conditions = ['event.activity.progress >= 100 || event.activity.event == "ended"']
[[triggers]]
event = "activity.ended"
activity = ["media.generate.*"]
[[actions]]
action = "webhook"
url = "http://127.0.0.1:9/hook/N"
body = { kind = "{{ event.activity.type }}", uuid = "{{ event.activity.uuid }}" }
"#,
    // Collections by label.
    r#"conditions = ['!(collection in item.collections)']
[[triggers]]
events = ["item.ready"]
[[captures]]
from = "item.labels"
regex = '^collection-N:(?P<collection>.+)$'
[[actions]]
action = "tags"
add = { collection = ["{{ collection }}"] }
"#,
    // Added items in a section type: refresh.
    r#"conditions = ['event.item.type in ["movie", "episode"]']
[[triggers]]
event = "item.added"
section_type = ["movie", "show"]
[[actions]]
action = "refresh"
"#,
];

fn rules(count: usize) -> Vec<(PathBuf, String)> {
    (0..count)
        .map(|i| {
            let text = KINDS[i % KINDS.len()].replace('N', &(i % 40).to_string());
            (PathBuf::from(format!("rules/r{i:03}.toml")), text)
        })
        .collect()
}

fn events() -> Vec<Event> {
    let names = [
        EventName::PlaybackStarted,
        EventName::PlaybackPaused,
        EventName::PlaybackResumed,
        EventName::PlaybackStopped,
        EventName::ItemAdded,
        EventName::ItemReady,
        EventName::LibraryScanEnded,
        EventName::LibraryRefreshEnded,
        EventName::ActivityUpdated,
        EventName::ActivityEnded,
    ];
    (0..200)
        .map(|i| {
            let name = names[i % names.len()];
            let mut e = Event::new(name);
            let s = name.subject();
            let section = (i % 40).to_string();
            if s.section {
                e.section = Some(SectionRef {
                    id: section.clone(),
                    title: Some(format!("Movies {section}")),
                    kind: Some(if i % 3 == 0 { "show" } else { "movie" }.into()),
                });
            }
            if s.item {
                e.item = Some(ItemRef {
                    id: (1000 + i).to_string(),
                    kind: Some("movie".into()),
                    title: None,
                    parent_id: None,
                    grandparent_id: None,
                });
            }
            if s.session {
                e.session = Some(SessionRef {
                    key: (i % 7).to_string(),
                    state: "playing".into(),
                    view_offset_ms: Some(1000),
                    client_identifier: None,
                });
            }
            if s.activity {
                e.activity = Some(ActivityRef {
                    uuid: format!("uuid-{i}"),
                    kind: if i % 2 == 0 {
                        "media.generate.bif"
                    } else {
                        "library.update.section"
                    }
                    .into(),
                    event: "ended".into(),
                    title: None,
                    subtitle: None,
                    progress: Some(100),
                });
            }
            e
        })
        .collect()
}

fn main() {
    let loaded = load_sources(rules(500));
    assert!(
        !loaded.has_errors(),
        "{}",
        metarr_plex::rules::render_human(&loaded, false)
    );
    let set = loaded.rules;
    let events = events();
    let facts = ItemFacts {
        id: "1000".into(),
        kind: "movie".into(),
        year: Some(2016),
        guid: "local://1000".into(),
        folder: Some("/data/Movies/Arrival (2016) {tmdb-329865}".into()),
        labels: vec!["collection-3:Sci-Fi".into()],
        ..Default::default()
    };

    let mut evaluated = 0usize;
    let mut fired = 0usize;
    let mut processed = 0usize;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        for e in &events {
            let item = set.needs_metadata(e).then_some(&facts);
            let prepared = set.prepare(e, item);
            for rule in set.candidates(e) {
                evaluated += 1;
                if let Ok(d) = set.evaluate_prepared(rule, &prepared) {
                    fired += usize::from(d.fired);
                }
            }
            processed += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "matching: 500 rules, {processed} events in {secs:.2}s = {:.0} events/s ({:.1} candidate rules/event, {:.0} evaluations/s, {:.1}% fired)",
        processed as f64 / secs,
        evaluated as f64 / processed as f64,
        evaluated as f64 / secs,
        100.0 * fired as f64 / evaluated.max(1) as f64,
    );
}
