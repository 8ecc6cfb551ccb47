//! The client's read side against the simulator: headers, sections and their
//! cache, items, files, paging, sessions, agents, activities.

use metarr_plex::plex::model::MediaType;
use metarr_plex::sim::{ItemKind, SimItem};

use super::client_harness::*;

#[tokio::test]
async fn every_request_carries_identity_headers_and_the_token_only_in_a_header() {
    let (sim, client) = setup().await;
    let id = client.identity().await.unwrap();
    assert_eq!(id.machine_identifier, sim.machine_identifier());
    let r = only_request(&sim);
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/identity"));
    assert_eq!(r.header("x-plex-client-identifier"), Some(CLIENT_ID));
    assert_eq!(r.header("x-plex-product"), Some("Metarr"));
    assert_eq!(r.header("x-plex-version"), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(r.header("x-plex-device"), Some("Metarr Server"));
    assert!(r.header("x-plex-platform").is_some());
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(
        r.header("x-plex-token"),
        Some("<redacted>"),
        "sent as a header"
    );
    assert!(r.query.is_empty(), "no token in the URL: {:?}", r.query);
}

#[tokio::test]
async fn sections_are_cached_and_an_unknown_id_refreshes_once() {
    let (sim, client) = setup().await;
    let first = client.sections().await.unwrap();
    assert_eq!(first.len(), 4);
    assert_eq!(first[3].locations.len(), 2);
    client.sections().await.unwrap();
    assert_eq!(
        requests_to(&sim, "GET", "/library/sections").len(),
        1,
        "second call is cached"
    );
    assert_eq!(
        client.section("2").await.unwrap().unwrap().title,
        "TV Shows"
    );
    assert_eq!(requests_to(&sim, "GET", "/library/sections").len(), 1);
    assert!(client.section("77").await.unwrap().is_none());
    assert_eq!(
        requests_to(&sim, "GET", "/library/sections").len(),
        2,
        "a miss refreshes once"
    );
}

#[tokio::test]
async fn locate_refreshes_the_cache_when_a_path_is_under_no_known_section() {
    let (sim, client) = setup().await;
    client.sections().await.unwrap();
    sim.with_library_mut(|l| {
        let mut s = l.sections()[0].clone();
        s.id = "9".into();
        s.title = "Docs".into();
        s.locations = vec!["/data/media/docs".into()];
        *l = metarr_plex::sim::Library::new(l.sections().iter().cloned().chain([s]).collect());
    });
    let located = client
        .locate("/data/media/docs/Earth/e.mkv".as_ref())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(located.section.id, "9");
    assert_eq!(requests_to(&sim, "GET", "/library/sections").len(), 2);
    let err = client
        .locate("/elsewhere/x".as_ref())
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.to_string().contains("/data/media/docs (Docs)"), "{err}");
}

#[tokio::test]
async fn item_asks_for_guids_and_a_missing_item_is_none() {
    let (sim, client) = setup().await;
    let id = id_of(&sim, MATRIX);
    let item = client.item(&id).await.unwrap().unwrap();
    assert_eq!(item.title, "The Matrix");
    assert_eq!(item.external_id("tmdb"), Some("603"));
    assert_eq!(item.library_section_id.as_deref(), Some("1"));
    assert_eq!(item.files().collect::<Vec<_>>(), [MATRIX]);
    let r = only_request(&sim);
    assert_eq!(r.path, format!("/library/metadata/{id}"));
    assert_eq!(pairs(&r), [("includeGuids", "1")]);
    assert!(
        client.item("424242").await.unwrap().is_none(),
        "404 is an answer"
    );
}

#[tokio::test]
async fn items_read_reads_many_in_one_request_and_leaves_out_the_missing() {
    let (sim, client) = setup().await;
    let ids: Vec<String> = sim.with_library(|l| {
        l.items()
            .filter(|i| i.section_id == "1")
            .map(|i| i.rating_key.clone())
            .take(3)
            .collect()
    });
    assert_eq!(ids.len(), 3);
    let asked: Vec<&str> = ids.iter().map(String::as_str).collect();
    let read = client.items_read(&asked).await.unwrap();
    let items: Vec<_> = read.iter().map(|(item, _)| item).collect();
    let mut got: Vec<&str> = items.iter().map(|i| i.rating_key.as_str()).collect();
    got.sort_unstable();
    let mut want = asked.clone();
    want.sort_unstable();
    assert_eq!(got, want);
    assert!(
        items
            .iter()
            .all(|i| i.library_section_id.as_deref() == Some("1"))
    );
    let r = only_request(&sim);
    assert_eq!(r.path, format!("/library/metadata/{}", ids.join(",")));
    assert_eq!(pairs(&r), [("includeGuids", "1")]);
    // An id Plex does not have: the simulator answers the whole list with
    // 404 (as a server might); the others are still read, in halves.
    sim.clear_requests();
    let with_gone = [asked[0], "424242", asked[1], asked[2]];
    let items = client.items_read(&with_gone).await.unwrap();
    assert_eq!(items.len(), 3);
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses[0], 404);
    assert!(statuses.len() <= 5, "{statuses:?}");
}

#[tokio::test]
async fn items_by_file_confirms_the_whole_path_with_special_characters() {
    let (sim, client) = setup().await;
    let file =
        "/data/media/movies/Who Framed Roger Rabbit? (1988)/Who Framed Roger Rabbit? (1988).mp4";
    client.sections().await.unwrap();
    sim.clear_requests();
    let items = client.items_by_file(file.as_ref()).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].title, "Who Framed Roger Rabbit");
    let r = only_request(&sim);
    assert_eq!(r.path, "/library/sections/1/all");
    assert_eq!(r.query_value("type"), Some("1"));
    assert_eq!(
        r.query_value("file"),
        Some("Who Framed Roger Rabbit? (1988).mp4")
    );
    let none = client
        .items_by_file("/data/media/movies/Other/Who Framed Roger Rabbit? (1988).mp4".as_ref())
        .await
        .unwrap();
    assert!(none.is_empty(), "same basename elsewhere is not the file");
    let episodes = client
        .items_by_file(
            "/data/media/tv/Severance {tvdb-371980}/Season 01/Severance - S01E02.mkv".as_ref(),
        )
        .await
        .unwrap();
    assert_eq!(episodes[0].kind, "episode");
    assert!(
        client
            .items_by_file("/not/in/plex.mkv".as_ref())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn all_section_items_pages_by_100_until_the_total() {
    let (sim, client) = setup().await;
    sim.with_library_mut(|l| {
        for n in 0..150 {
            let mut it = SimItem::new(ItemKind::Movie, "4", &format!("Filler {n}"));
            it.files = vec![format!("/data/media/kids/Filler {n}/f.mkv")];
            l.add_item(it);
        }
    });
    let items = client
        .all_section_items("4", Some(MediaType::Movie))
        .await
        .unwrap();
    assert_eq!(items.len(), 151);
    let pages = requests_to(&sim, "GET", "/library/sections/4/all");
    let starts: Vec<_> = pages
        .iter()
        .map(|r| r.query_value("X-Plex-Container-Start").unwrap())
        .collect();
    assert_eq!(starts, ["0", "100"]);
    assert!(
        pages
            .iter()
            .all(|r| r.query_value("X-Plex-Container-Size") == Some("100"))
    );
    let one = client.section_items("4", None, 10, 5).await.unwrap();
    assert_eq!(one.len(), 5);
}

#[tokio::test]
async fn recently_added_stops_at_since() {
    let (sim, client) = setup().await;
    let newest = client.recently_added("1", None).await.unwrap();
    assert!(newest.len() >= 2);
    let cutoff = newest[1].added_at.unwrap();
    let since = client.recently_added("1", Some(cutoff)).await.unwrap();
    assert_eq!(since.len(), 2);
    assert!(since.iter().all(|i| i.added_at.unwrap() >= cutoff));
    let pages = requests_to(&sim, "GET", "/library/sections/1/recentlyAdded");
    assert_eq!(
        pairs(&pages[0]),
        [
            ("X-Plex-Container-Start", "0"),
            ("X-Plex-Container-Size", "100")
        ]
    );
}

#[tokio::test]
async fn children_sessions_agents_and_activities_parse() {
    let (sim, client) = setup().await;
    let show = sim.with_library(|l| {
        l.items()
            .find(|i| i.kind == ItemKind::Show)
            .unwrap()
            .rating_key
            .clone()
    });
    let seasons = client.children(&show).await.unwrap();
    assert_eq!(seasons.len(), 2);
    let agents = client.agents().await.unwrap();
    assert!(
        agents
            .iter()
            .any(|a| a.identifier == "tv.plex.agents.movie")
    );
    assert!(client.sessions().await.unwrap().is_empty());
    assert!(client.activities().await.unwrap().is_empty());
    assert_eq!(requests_to(&sim, "GET", "/system/agents").len(), 1);
    assert_eq!(requests_to(&sim, "GET", "/status/sessions").len(), 1);
    assert_eq!(requests_to(&sim, "GET", "/activities").len(), 1);
}

#[tokio::test]
async fn a_rate_limit_spaces_requests_after_the_burst() {
    let (sim, client) = setup().await;
    client.set_rate_limit(5);
    let start = std::time::Instant::now();
    for _ in 0..10 {
        client.activities().await.unwrap();
    }
    // A burst of 5, then one every 200 ms.
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(requests_to(&sim, "GET", "/activities").len(), 10);
    client.set_rate_limit(0);
    let start = std::time::Instant::now();
    for _ in 0..10 {
        client.activities().await.unwrap();
    }
    assert!(
        start.elapsed() < std::time::Duration::from_millis(800),
        "no limit after 0"
    );
}
