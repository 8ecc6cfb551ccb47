//! `explain`: recorded events through the shipped rules against the
//! simulator — why each rule fires or not, the values it saw, and the
//! requests it would send, with no write ever reaching the server.

use std::path::Path;
use std::process::Command;

use metarr_plex::action::{Executor, ExecutorSettings};
use metarr_plex::event::{Event, SelfCauses};
use metarr_plex::rules::{self, EventExplanation, Metadata, Outcome, RuleExplanation, Skip};
use metarr_plex::tools::runner;

use crate::client_harness::{ARRIVAL, MATRIX, id_of, setup};

fn shipped() -> rules::Loaded {
    let loaded = rules::load_dir(Path::new("rules")).unwrap();
    assert!(!loaded.has_errors());
    loaded
}

fn event(json: &str) -> Event {
    let mut events = metarr_plex::cli::parse_events(json).unwrap();
    assert_eq!(events.len(), 1);
    events.remove(0)
}

fn rule<'a>(x: &'a EventExplanation, id: &str) -> &'a RuleExplanation {
    x.rules.iter().find(|r| r.rule == id).unwrap()
}

#[tokio::test]
async fn an_unmatched_movie_shows_the_match_it_would_make_and_nothing_is_written() {
    let (sim, client) = setup().await;
    let id = id_of(&sim, ARRIVAL);
    let loaded = shipped();
    let executor = Executor::new(
        client.clone(),
        ExecutorSettings::default(),
        SelfCauses::new(),
        None,
    );
    let ev = event(&format!(
        r#"{{"name":"item.ready","section":{{"id":"1","type":"movie"}},"item":{{"id":"{id}","type":"movie"}}}}"#
    ));
    sim.clear_requests();
    let x = runner::explain_on_server(&loaded.rules, &ev, &client, &executor).await;

    let facts = x.metadata.facts().expect("metadata fetched");
    assert_eq!(facts.guid, format!("local://{id}"));
    let rematch = rule(&x, "rematch-from-folder-tag");
    assert_eq!(rematch.outcome, Outcome::Fires);
    assert_eq!(rematch.captures["provider"], "tmdb");
    assert_eq!(rematch.captures["external_id"], "329865");
    assert_eq!(rematch.key.as_deref(), Some(id.as_str()));
    assert_eq!(rematch.flow.debounce.as_deref(), Some("10s"));
    assert_eq!(rematch.flow.cooldown.as_deref(), Some("1h"));
    let cond = &rematch.conditions[0];
    assert!(cond.result);
    assert_eq!(cond.values["item.guid"], format!("local://{id}"));
    let requests = &rematch.actions[0].requests;
    let writes: Vec<&str> = requests
        .iter()
        .filter(|r| r.write)
        .map(|r| r.request.as_str())
        .collect();
    assert_eq!(writes.len(), 1, "{requests:?}");
    assert!(
        writes[0].starts_with(&format!(
            "PUT /library/metadata/{id}/match?guid=plex%3A%2F%2Fmovie%2F"
        )),
        "{writes:?}"
    );
    assert!(requests.iter().any(|r| !r.write
        && r.request == format!("GET /library/metadata/{id}/matches?manual=1&title=tmdb-329865")));

    // The simulator saw the reads and no write at all; the item is still unmatched.
    let seen = sim.requests();
    assert!(
        seen.iter()
            .any(|r| r.path == format!("/library/metadata/{id}/matches"))
    );
    assert!(seen.iter().all(|r| r.method == "GET"), "{seen:?}");
    assert!(
        seen.iter().all(|r| !r.path.ends_with("/refresh")),
        "{seen:?}"
    );
    let guid = sim.with_library(|l| l.item(&id).unwrap().guid.clone());
    assert_eq!(guid, format!("local://{id}"));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_movie_without_an_id_tag_stops_at_the_capture() {
    let (sim, client) = setup().await;
    let id = id_of(&sim, MATRIX);
    let executor = Executor::new(
        client.clone(),
        ExecutorSettings::default(),
        SelfCauses::new(),
        None,
    );
    let ev = event(&format!(
        r#"{{"name":"library.refresh.ended","section":{{"id":"1"}},"item":{{"id":{id}}}}}"#
    ));
    let x = runner::explain_on_server(&shipped().rules, &ev, &client, &executor).await;
    let rematch = rule(&x, "rematch-from-folder-tag");
    // The Matrix has no id tag in its folder: the capture refuses first.
    assert_eq!(rematch.outcome, Outcome::Skipped);
    assert_eq!(
        rematch.skipped,
        Some(Skip::Capture {
            from: "item.folder".into()
        })
    );
    assert!(rematch.actions.is_empty());
    // The trigger's item type filter was answered from the metadata.
    assert!(rematch.triggers[0].matched);
    sim.shutdown().await;
}

#[test]
fn a_refused_trigger_names_the_filter_and_the_value_it_saw() {
    let loaded = shipped();
    let ev = event(
        r#"{"name":"playback.stopped","section":{"id":"3"},"item":{"id":"900","type":"track"},"session":{"key":"13","state":"stopped"}}"#,
    );
    let x = rules::explain_event(&loaded.rules, &ev, Metadata::NotNeeded);
    let analyze = rule(&x, "analyze-after-playback");
    assert_eq!(analyze.outcome, Outcome::Skipped);
    let miss = analyze.triggers[0].miss.as_ref().unwrap();
    assert_eq!(miss.filter, "item_type");
    assert_eq!(miss.wanted, ["movie", "episode"]);
    assert_eq!(miss.saw.as_deref(), Some("track"));
    // A rule that listens to other events says which.
    let rescan = rule(&x, "rescan-missing-folders");
    let miss = rescan.triggers[0].miss.as_ref().unwrap();
    assert_eq!(miss.filter, "event");
    assert_eq!(miss.wanted, ["library.scan.ended"]);
    assert_eq!(miss.saw.as_deref(), Some("playback.stopped"));

    // A section type filter shows what the event carried.
    let ev = event(
        r#"{"name":"library.scan.ended","section":{"id":"3","type":"artist"},"activity":{"uuid":"u","type":"library.update.section","event":"ended"}}"#,
    );
    let x = rules::explain_event(&loaded.rules, &ev, Metadata::NotNeeded);
    let miss = rule(&x, "rescan-missing-folders").triggers[0]
        .miss
        .clone()
        .unwrap();
    assert_eq!(
        (miss.filter, miss.saw.as_deref()),
        ("section_type", Some("artist"))
    );
}

#[test]
fn a_false_condition_shows_the_values_it_read() {
    let loaded = shipped();
    let ev =
        event(r#"{"name":"item.ready","section":{"id":"1"},"item":{"id":"43","type":"movie"}}"#);
    let facts = rules::ItemFacts {
        id: "43".into(),
        kind: "movie".into(),
        guid: "plex://movie/5d7768313c3c2a001fbcab1e".into(),
        folder: Some("/data/Movies/Arrival (2016) {tmdb-329865}".into()),
        ..Default::default()
    };
    let x = rules::explain_event(&loaded.rules, &ev, Metadata::Fetched(Box::new(facts)));
    let rematch = rule(&x, "rematch-from-folder-tag");
    assert_eq!(rematch.outcome, Outcome::Skipped);
    assert_eq!(rematch.captures["external_id"], "329865");
    let cond = &rematch.conditions[0];
    assert!(!cond.result);
    assert_eq!(
        cond.values["item.guid"],
        "plex://movie/5d7768313c3c2a001fbcab1e"
    );
    assert!(
        matches!(&rematch.skipped, Some(Skip::Condition { expression }) if expression.contains("local://"))
    );
    assert!(rematch.key.is_none() && rematch.actions.is_empty());
}

#[test]
fn a_rule_that_needs_metadata_it_could_not_get_is_an_error_not_a_skip() {
    let loaded = shipped();
    let ev =
        event(r#"{"name":"item.ready","section":{"id":"1"},"item":{"id":"404","type":"movie"}}"#);
    let x = rules::explain_event(&loaded.rules, &ev, Metadata::Gone);
    let rematch = rule(&x, "rematch-from-folder-tag");
    assert_eq!(rematch.outcome, Outcome::Error);
    assert!(rematch.error.as_deref().unwrap().contains("metadata"));
}

#[test]
fn events_parse_as_printed_or_hand_written_and_a_bad_line_is_named() {
    let text = "# a comment\n\n{\"name\":\"item.added\",\"item\":{\"id\":42}}\n";
    let events = metarr_plex::cli::parse_events(text).unwrap();
    assert_eq!(events[0].item.as_ref().unwrap().id, "42");
    assert_eq!(events[0].id, "line-3");
    let printed = serde_json::to_string(&events[0]).unwrap();
    assert_eq!(metarr_plex::cli::parse_events(&printed).unwrap(), events);

    let err = metarr_plex::cli::parse_events("{\"name\":\"item.added\"}\n{\"name\":\"item.addd\"}")
        .unwrap_err();
    assert_eq!(err.0, 2);
}

#[test]
fn the_command_prints_why_and_what_against_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    std::fs::write(
        &events,
        "{\"name\":\"playback.stopped\",\"section\":{\"id\":\"3\"},\"item\":{\"id\":\"900\",\"type\":\"track\"}}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .args(["explain", "--sim", "--rules", "rules"])
        .arg(&events)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("trigger 1: `item_type` wants movie | episode, the event has track"),
        "{stdout}"
    );

    let json = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .args(["explain", "--sim", "--json", "--rules", "rules"])
        .arg(&events)
        .output()
        .unwrap();
    let line: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(line["name"], "playback.stopped");
    let analyze = line["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "analyze-after-playback")
        .unwrap();
    assert_eq!(analyze["outcome"], "skipped");
    assert_eq!(analyze["triggers"][0]["miss"]["saw"], "track");

    // A bad line is a usage error naming its line.
    std::fs::write(&events, "{\"name\":\"item.ready\"}\nnot json\n").unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_metarr-plex"))
        .args(["explain", "--sim", "--rules", "rules"])
        .arg(&events)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("events.jsonl:2:"));
}
