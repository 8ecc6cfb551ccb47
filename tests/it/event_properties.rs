//! Properties over random sequences of well-formed notifications.

use std::collections::HashMap;
use std::time::Duration;

use metarr_plex::event::{Event, EventName, LiveSession};
use proptest::prelude::*;
use serde_json::json;

use crate::event_feed::*;

#[derive(Debug, Clone)]
enum Step {
    Frame {
        key: u8,
        rk: u8,
        state: u8,
        client: Option<u8>,
    },
    Wait(u16),
    Reconcile(Vec<(u8, u8, u8)>),
    Restart,
    Other(u8, u8, u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0u8..4, 0u8..3, 0u8..6, proptest::option::of(0u8..2))
            .prop_map(|(key, rk, state, client)| Step::Frame { key, rk, state, client }),
        2 => (0u16..400).prop_map(Step::Wait),
        1 => prop::collection::vec((0u8..4, 0u8..3, 0u8..3), 0..3).prop_map(Step::Reconcile),
        1 => Just(Step::Restart),
        2 => (0u8..3, 0u8..4, 0u8..12).prop_map(|(a, b, c)| Step::Other(a, b, c)),
    ]
}

const STATES: [&str; 6] = [
    "playing",
    "paused",
    "buffering",
    "stopped",
    "error",
    "weird",
];

fn run(steps: &[Step]) -> Vec<Event> {
    let mut f = Feed::new();
    // The start-up reconciliation tracks what is live without announcing
    // it (the previous process did); start from a reconnect state so
    // every session this run sees is announced.
    f.n.reconcile_sessions(&[], f.now);
    let mut out = Vec::new();
    let mut marker = 0;
    for s in steps {
        match s {
            Step::Frame {
                key,
                rk,
                state,
                client,
            } => {
                let mut entry = json!({"sessionKey": key.to_string(), "ratingKey": rk.to_string(), "state": STATES[*state as usize]});
                if let Some(c) = client {
                    entry["clientIdentifier"] = json!(c.to_string());
                }
                out.extend(f.push(frame(
                    "playing",
                    "PlaySessionStateNotification",
                    json!([entry]),
                )));
            }
            Step::Wait(secs) => out.extend(f.advance(Duration::from_secs(u64::from(*secs)))),
            Step::Reconcile(live_list) => {
                let list: Vec<LiveSession> = live_list
                    .iter()
                    .map(|(k, rk, st)| live(&k.to_string(), &rk.to_string(), STATES[*st as usize]))
                    .collect();
                out.extend(f.n.reconcile_sessions(&list, f.now));
            }
            Step::Restart => {
                marker += 1;
                out.extend(f.n.observe_identity("m", &marker.to_string(), f.now));
            }
            Step::Other(kind, uuid, x) => {
                let ns = match kind {
                    0 => activity(
                        ["started", "updated", "ended", "odd"][*x as usize % 4],
                        &uuid.to_string(),
                        ["library.update.section", "library.refresh.items", "x"][*x as usize % 3],
                        Some(
                            json!({"librarySectionID": x.to_string(), "key": format!("/library/metadata/{x}")}),
                        ),
                    ),
                    1 => timeline(lib_entry(
                        json!(x % 3),
                        json!(uuid),
                        i64::from(*x),
                        [None, Some("created"), Some("deleted")]
                            .get(*x as usize % 3)
                            .copied()
                            .flatten(),
                    )),
                    _ => frame("status", "StatusNotification", json!([{"title": x}])),
                };
                out.extend(f.push(ns));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn starts_and_stops_alternate_per_session(steps in prop::collection::vec(step(), 0..60)) {
        let events = run(&steps);
        // Per session key: started, then at most one stopped, then maybe
        // started again — never a stop without a start, never two stops.
        let mut open: HashMap<String, bool> = HashMap::new();
        for e in &events {
            let Some(s) = &e.session else { continue };
            let is_open = open.entry(s.key.clone()).or_default();
            match e.name {
                EventName::PlaybackStarted => {
                    prop_assert!(!*is_open, "started twice for {}: {:?}", s.key, names(&events));
                    *is_open = true;
                }
                EventName::PlaybackStopped => {
                    prop_assert!(*is_open, "stop without start for {}: {:?}", s.key, names(&events));
                    *is_open = false;
                }
                _ => prop_assert!(*is_open, "{} on a closed session {}", e.name, s.key),
            }
        }
    }

    #[test]
    fn activities_end_at_most_once(steps in prop::collection::vec(step(), 0..60)) {
        let events = run(&steps);
        let mut ended = std::collections::HashSet::new();
        for e in &events {
            if matches!(e.name, EventName::ActivityEnded | EventName::LibraryScanEnded | EventName::LibraryRefreshEnded) {
                let uuid = e.activity.as_ref().unwrap().uuid.clone();
                prop_assert!(ended.insert(uuid), "{:?}", names(&events));
            }
        }
    }
}
