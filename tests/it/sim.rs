//! The simulator's REST side, driven with raw reqwest: token enforcement,
//! shapes, state changes, encoding round-trips and faults.

use std::time::{Duration, Instant};

use metarr_plex::sim::{ImageSlot, ItemKind, RestFault, SimOptions, Simulator, upload_key};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

const TOKEN: &str = "sim-token";

async fn sim() -> Simulator {
    Simulator::start(SimOptions::default()).await.unwrap()
}

fn url(sim: &Simulator, path: &str, query: &[(&str, &str)]) -> reqwest::Url {
    let mut u = sim.url();
    u.set_path(path);
    if !query.is_empty() {
        u.query_pairs_mut().extend_pairs(query);
    }
    u
}

async fn call(
    sim: &Simulator,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
) -> reqwest::Response {
    Client::new()
        .request(method, url(sim, path, query))
        .header("X-Plex-Token", TOKEN)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
}

async fn json(sim: &Simulator, path: &str, query: &[(&str, &str)]) -> Value {
    let r = call(sim, Method::GET, path, query).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

fn metadata(v: &Value) -> Vec<Value> {
    v["MediaContainer"]["Metadata"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn id_of(sim: &Simulator, file: &str) -> String {
    sim.with_library(|l| l.find_by_file(file).unwrap().rating_key.clone())
}

const ARRIVAL: &str = "/data/media/movies/Arrival (2016) {tmdb-329865}/Arrival (2016).mkv";
const MATRIX: &str = "/data/media/movies/The Matrix (1999)/The Matrix (1999).mkv";

#[tokio::test]
async fn identity_needs_no_token_and_reports_the_version() {
    let sim = sim().await;
    let r = Client::new()
        .get(url(&sim, "/identity", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-plex-protocol"], "1.0");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["MediaContainer"]["version"], "1.41.3.9314-a0bfb8370");
    assert_eq!(
        v["MediaContainer"]["machineIdentifier"],
        sim.machine_identifier()
    );
    assert_eq!(v["MediaContainer"]["claimed"], true);
}

#[tokio::test]
async fn missing_or_wrong_token_gets_plex_401_page_and_query_token_works() {
    let sim = sim().await;
    let c = Client::new();
    let none = c
        .get(url(&sim, "/library/sections", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(
        none.text().await.unwrap(),
        "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
    );
    let wrong = c
        .get(url(&sim, "/library/sections", &[]))
        .header("X-Plex-Token", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let by_query = c
        .get(url(&sim, "/library/sections", &[("X-Plex-Token", TOKEN)]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);

    let recorded = sim.requests();
    assert_eq!(
        recorded.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![401, 401, 200]
    );
    assert_eq!(recorded[1].header("x-plex-token"), Some("<redacted>"));
    assert_eq!(recorded[2].query_value("X-Plex-Token"), Some("<redacted>"));
    assert!(recorded.iter().all(|r| !format!("{r:?}").contains(TOKEN)));
}

#[tokio::test]
async fn rotated_token_locks_out_the_old_one() {
    let sim = sim().await;
    sim.set_token("fresh");
    assert_eq!(
        call(&sim, Method::GET, "/library/sections", &[])
            .await
            .status(),
        401
    );
    let r = Client::new()
        .get(url(&sim, "/library/sections", &[]))
        .header("X-Plex-Token", "fresh")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn sections_list_types_agents_and_locations() {
    let sim = sim().await;
    let v = json(&sim, "/library/sections", &[]).await;
    let dirs = v["MediaContainer"]["Directory"].as_array().unwrap();
    assert_eq!(v["MediaContainer"]["size"], 4);
    assert_eq!(dirs[0]["key"], "1");
    assert_eq!(dirs[0]["type"], "movie");
    assert_eq!(dirs[0]["agent"], "tv.plex.agents.movie");
    assert_eq!(dirs[0]["Location"][0]["path"], "/data/media/movies");
    assert_eq!(dirs[1]["type"], "show");
    assert_eq!(dirs[2]["type"], "artist");
    assert_eq!(dirs[3]["Location"].as_array().unwrap().len(), 2);
    let all = json(&sim, "/library/sections/all", &[]).await;
    assert_eq!(all, v);
}

#[tokio::test]
async fn unknown_ids_are_404_and_bad_params_400() {
    let sim = sim().await;
    for path in [
        "/library/metadata/99999",
        "/library/sections/42/all",
        "/library/metadata/99999/children",
        "/nowhere",
    ] {
        assert_eq!(
            call(&sim, Method::GET, path, &[]).await.status(),
            404,
            "{path}"
        );
    }
    assert_eq!(
        call(&sim, Method::PUT, "/library/metadata/99999/refresh", &[])
            .await
            .status(),
        404
    );
    assert_eq!(
        call(
            &sim,
            Method::GET,
            "/library/sections/1/all",
            &[("type", "x")]
        )
        .await
        .status(),
        400
    );
    let id = id_of(&sim, ARRIVAL);
    let p = format!("/library/metadata/{id}/match");
    assert_eq!(call(&sim, Method::PUT, &p, &[]).await.status(), 400);
}

#[tokio::test]
async fn metadata_carries_files_tags_locks_and_guids_on_request() {
    let sim = sim().await;
    let id = id_of(&sim, MATRIX);
    let plain = json(&sim, &format!("/library/metadata/{id}"), &[]).await;
    let m = &metadata(&plain)[0];
    assert_eq!(m["ratingKey"], id.as_str());
    assert_eq!(m["librarySectionID"], 1);
    assert_eq!(m["librarySectionTitle"], "Movies");
    assert_eq!(m["Media"][0]["Part"][0]["file"], MATRIX);
    assert_eq!(m["Genre"][0]["tag"], "Drama");
    assert!(m.get("Guid").is_none());
    let with = json(
        &sim,
        &format!("/library/metadata/{id}"),
        &[("includeGuids", "1")],
    )
    .await;
    let items = metadata(&with);
    let guids: Vec<&str> = items[0]["Guid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(guids, vec!["imdb://tt0133093", "tmdb://603"]);
}

#[tokio::test]
async fn episodes_know_their_season_and_show() {
    let sim = sim().await;
    let v = json(
        &sim,
        "/library/sections/2/all",
        &[("type", "4"), ("file", "S01E02")],
    )
    .await;
    let items = metadata(&v);
    assert_eq!(items.len(), 1);
    let ep = &items[0];
    assert_eq!(ep["parentTitle"], "Season 1");
    assert_eq!(ep["grandparentTitle"], "Severance");
    let show = ep["grandparentRatingKey"].as_str().unwrap();
    let seasons = json(&sim, &format!("/library/metadata/{show}/children"), &[]).await;
    assert_eq!(metadata(&seasons).len(), 2);
    // A show's file= filter looks through its episodes' files.
    let shows = json(
        &sim,
        "/library/sections/2/all",
        &[("file", "Severance - S02E01")],
    )
    .await;
    assert_eq!(metadata(&shows)[0]["ratingKey"], show);
}

#[tokio::test]
async fn special_characters_round_trip_through_file_filter() {
    let sim = sim().await;
    let files: Vec<String> = sim.with_library(|l| {
        l.items()
            .filter(|i| i.kind == ItemKind::Movie && i.section_id == "1")
            .flat_map(|i| i.files.clone())
            .collect()
    });
    for ch in ["&", "?", "+", "é", "#", "%", " "] {
        assert!(
            files.iter().any(|f| f.contains(ch)),
            "seed lacks a path with {ch:?}"
        );
    }
    for file in &files {
        let v = json(&sim, "/library/sections/1/all", &[("file", file)]).await;
        let found = metadata(&v);
        assert_eq!(found.len(), 1, "{file}");
        assert_eq!(found[0]["Media"][0]["Part"][0]["file"], file.as_str());
        let rec = sim.requests().pop().unwrap();
        assert_eq!(rec.query_value("file"), Some(file.as_str()));
    }
}

#[tokio::test]
async fn paging_by_headers_or_query_reports_totals() {
    let sim = sim().await;
    let r = Client::new()
        .get(url(&sim, "/library/sections/1/all", &[]))
        .header("X-Plex-Token", TOKEN)
        .header("X-Plex-Container-Start", "2")
        .header("X-Plex-Container-Size", "3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-plex-container-total-size"], "9");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["MediaContainer"]["totalSize"], 9);
    assert_eq!(v["MediaContainer"]["offset"], 2);
    assert_eq!(v["MediaContainer"]["size"], 3);
    let q = json(
        &sim,
        "/library/sections/1/all",
        &[
            ("X-Plex-Container-Start", "8"),
            ("X-Plex-Container-Size", "5"),
        ],
    )
    .await;
    assert_eq!(q["MediaContainer"]["size"], 1);
}

#[tokio::test]
async fn guid_filter_and_recently_added_order() {
    let sim = sim().await;
    let v = json(&sim, "/library/sections/1/all", &[("guid", "tmdb://603")]).await;
    assert_eq!(metadata(&v)[0]["title"], "The Matrix");
    let recent = json(&sim, "/library/recentlyAdded", &[]).await;
    let added: Vec<i64> = metadata(&recent)
        .iter()
        .map(|m| m["addedAt"].as_i64().unwrap())
        .collect();
    assert!(added.windows(2).all(|w| w[0] >= w[1]));
    let in_movies = json(&sim, "/library/sections/1/recentlyAdded", &[]).await;
    assert!(
        metadata(&in_movies)
            .iter()
            .all(|m| m["librarySectionID"] == 1)
    );
}

#[tokio::test]
async fn partial_scan_discovers_new_files_and_reports_its_activity() {
    let sim = sim().await;
    let folder = "/data/media/movies/Inception (2010) {tmdb-27205}";
    let r = call(
        &sim,
        Method::GET,
        "/library/sections/1/refresh",
        &[("path", folder)],
    )
    .await;
    assert_eq!(r.status(), 200);
    let uuid = r.headers()["x-plex-activity"].to_str().unwrap().to_owned();
    let new = sim.with_library(|l| {
        l.find_by_file(&format!("{folder}/Inception (2010).mkv"))
            .cloned()
            .unwrap()
    });
    assert_eq!((new.title.as_str(), new.year), ("Inception", Some(2010)));
    assert!(new.is_unmatched());
    let acts = json(&sim, "/activities", &[]).await;
    let act = &acts["MediaContainer"]["Activity"][0];
    assert_eq!(act["uuid"], uuid.as_str());
    assert_eq!(act["type"], "library.update.section");
    assert_eq!(act["Context"]["librarySectionID"], "1");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(sim.with_library(|l| l.activities().is_empty()));
    // The other unscanned file (an episode) was outside the scanned path.
    assert!(sim.with_library(|l| {
        l.find_by_file("/data/media/tv/Severance {tvdb-371980}/Season 02/Severance - S02E03.mkv")
            .is_none()
    }));
}

#[tokio::test]
async fn scan_path_with_special_characters_arrives_intact() {
    let sim = sim().await;
    let folder = "/data/media/movies/Tom & Jerry #2 - 100% ?+ Ünïcödé (2021)";
    let file = format!("{folder}/Tom & Jerry #2.mkv");
    sim.with_library_mut(|l| l.add_file_on_disk(&file));
    let r = call(
        &sim,
        Method::POST,
        "/library/sections/1/refresh",
        &[("path", folder)],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        sim.requests().last().unwrap().query_value("path"),
        Some(folder)
    );
    assert!(sim.with_library(|l| l.find_by_file(&file).is_some()));
}

#[tokio::test]
async fn scan_outside_the_section_is_refused_and_new_episodes_get_a_hierarchy() {
    let sim = sim().await;
    let r = call(
        &sim,
        Method::GET,
        "/library/sections/1/refresh",
        &[("path", "/data/media/tv/Severance {tvdb-371980}")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = call(
        &sim,
        Method::GET,
        "/library/sections/2/refresh",
        &[("path", "/data/media/tv/Severance {tvdb-371980}/Season 02")],
    )
    .await;
    assert_eq!(r.status(), 200);
    sim.with_library(|l| {
        let ep = l
            .find_by_file("/data/media/tv/Severance {tvdb-371980}/Season 02/Severance - S02E03.mkv")
            .unwrap();
        assert_eq!(ep.index, Some(3));
        let season = l.item(ep.parent.as_deref().unwrap()).unwrap();
        assert_eq!(season.index, Some(2));
        assert_eq!(
            l.item(ep.grandparent.as_deref().unwrap()).unwrap().title,
            "Severance"
        );
        assert_eq!(l.children(&season.rating_key).len(), 3);
    });
}

#[tokio::test]
async fn a_scan_deletes_items_whose_files_are_gone() {
    let sim = sim().await;
    sim.with_library_mut(|l| l.remove_file_from_disk(MATRIX));
    call(&sim, Method::GET, "/library/sections/1/refresh", &[]).await;
    assert!(sim.with_library(|l| l.find_by_file(MATRIX).is_none()));
}

#[tokio::test]
async fn cancelling_activities_404_unknown_400_not_cancellable() {
    let sim = sim().await;
    assert_eq!(
        call(&sim, Method::DELETE, "/activities/nope", &[])
            .await
            .status(),
        404
    );
    let id = id_of(&sim, MATRIX);
    let r = call(
        &sim,
        Method::PUT,
        &format!("/library/metadata/{id}/refresh"),
        &[],
    )
    .await;
    let refresh = r.headers()["x-plex-activity"].to_str().unwrap().to_owned();
    assert_eq!(
        call(&sim, Method::DELETE, &format!("/activities/{refresh}"), &[])
            .await
            .status(),
        400
    );
    let r = call(&sim, Method::GET, "/library/sections/1/refresh", &[]).await;
    let scan = r.headers()["x-plex-activity"].to_str().unwrap().to_owned();
    assert_eq!(
        call(&sim, Method::DELETE, &format!("/activities/{scan}"), &[])
            .await
            .status(),
        200
    );
    assert!(sim.with_library(|l| l.activities().iter().all(|a| a.uuid != scan)));
    // Cancelling a section's scans by section.
    let r = call(&sim, Method::GET, "/library/sections/2/refresh", &[]).await;
    let scan2 = r.headers()["x-plex-activity"].to_str().unwrap().to_owned();
    assert_eq!(
        call(&sim, Method::DELETE, "/library/sections/2/refresh", &[])
            .await
            .status(),
        200
    );
    assert!(sim.with_library(|l| l.activities().iter().all(|a| a.uuid != scan2)));
    assert_eq!(sim.with_library(|l| l.item(&id).unwrap().refresh_count), 1);
}

#[tokio::test]
async fn match_by_tmdb_id_changes_guid_title_and_external_ids() {
    let sim = sim().await;
    let id = id_of(&sim, ARRIVAL);
    let v = json(
        &sim,
        &format!("/library/metadata/{id}/matches"),
        &[("manual", "1"), ("title", "tmdb-329865")],
    )
    .await;
    let hit = &v["MediaContainer"]["SearchResult"][0];
    assert_eq!(hit["name"], "Arrival");
    assert_eq!(hit["year"], 2016);
    assert_eq!(hit["score"], 100);
    let guid = hit["guid"].as_str().unwrap().to_owned();
    assert!(guid.starts_with("plex://movie/"));
    let r = call(
        &sim,
        Method::PUT,
        &format!("/library/metadata/{id}/match"),
        &[("guid", &guid), ("name", "Arrival")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-plex-activity"));
    sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        assert_eq!(it.guid, guid);
        assert!(it.external_guids.contains(&"tmdb://329865".to_owned()));
    });
    let rec = sim.requests().pop().unwrap();
    assert_eq!(
        (rec.method.as_str(), rec.path.as_str()),
        ("PUT", format!("/library/metadata/{id}/match").as_str())
    );
    assert_eq!(rec.query_value("guid"), Some(guid.as_str()));
    // Plain titles search the catalogue; unmatch reverts to the file name.
    let v = json(
        &sim,
        &format!("/library/metadata/{id}/matches"),
        &[("manual", "1"), ("title", "Blade Runner")],
    )
    .await;
    assert_eq!(v["MediaContainer"]["size"], 2);
    assert_eq!(
        call(
            &sim,
            Method::PUT,
            &format!("/library/metadata/{id}/unmatch"),
            &[]
        )
        .await
        .status(),
        200
    );
    sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        assert_eq!(it.guid, format!("local://{id}"));
        assert!(it.external_guids.is_empty());
    });
}

#[tokio::test]
async fn edits_set_values_locks_and_tags_for_each_id() {
    let sim = sim().await;
    let a = id_of(&sim, ARRIVAL);
    let m = id_of(&sim, MATRIX);
    let ids = format!("{a},{m}");
    let r = call(
        &sim,
        Method::PUT,
        "/library/sections/1/all",
        &[
            ("type", "1"),
            ("id", &ids),
            ("summary.value", "A & B"),
            ("summary.locked", "1"),
            ("genre[0].tag.tag", "Sci-Fi"),
            ("genre[1].tag.tag", "Drama, Deep"),
            ("genre.locked", "1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let remove = format!("{},{}", "Drama%2C%20Deep", "Nope");
    call(
        &sim,
        Method::PUT,
        "/library/sections/1/all",
        &[("type", "1"), ("id", &a), ("genre[].tag.tag-", &remove)],
    )
    .await;
    sim.with_library(|l| {
        let ia = l.item(&a).unwrap();
        assert_eq!(ia.fields["summary"], "A & B");
        assert!(ia.is_locked("summary") && ia.is_locked("genre"));
        assert_eq!(ia.tags("genre"), ["Sci-Fi"]);
        assert_eq!(l.item(&m).unwrap().tags("genre"), ["Sci-Fi", "Drama, Deep"]);
    });
    let v = json(&sim, &format!("/library/metadata/{a}"), &[]).await;
    let items = metadata(&v);
    let fields: Vec<&str> = items[0]["Field"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["genre", "summary"]);
    assert_eq!(
        call(
            &sim,
            Method::PUT,
            "/library/sections/1/all",
            &[("type", "2"), ("id", &a)]
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        call(
            &sim,
            Method::PUT,
            "/library/sections/1/all",
            &[("type", "1"), ("id", "99999")]
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn uploads_are_content_addressed_and_selected() {
    let sim = sim().await;
    let id = id_of(&sim, MATRIX);
    let path = format!("/library/metadata/{id}/posters");
    let bytes = b"\x89PNG fake poster".to_vec();
    for _ in 0..2 {
        let r = Client::new()
            .post(url(&sim, &path, &[]))
            .header("X-Plex-Token", TOKEN)
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(sim.requests().last().unwrap().body_len, bytes.len());
    let key = upload_key(ImageSlot::Poster, &bytes);
    let v = json(&sim, &path, &[]).await;
    let list = metadata(&v);
    assert_eq!(list.len(), 2, "agent poster + one upload");
    let up: Vec<&Value> = list
        .iter()
        .filter(|p| p["ratingKey"] == key.as_str())
        .collect();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0]["selected"], true);
    let empty = Client::new()
        .post(url(&sim, &path, &[]))
        .header("X-Plex-Token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
    // By URL, then re-select the agent poster.
    call(
        &sim,
        Method::POST,
        &format!("/library/metadata/{id}/arts"),
        &[("url", "https://img.example/a b.jpg")],
    )
    .await;
    let agent = list
        .iter()
        .find(|p| p["ratingKey"] != key.as_str())
        .unwrap()["ratingKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = call(
        &sim,
        Method::PUT,
        &format!("/library/metadata/{id}/poster"),
        &[("url", &agent)],
    )
    .await;
    assert_eq!(r.status(), 200);
    sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        assert_eq!(it.selected_poster().unwrap().rating_key, agent);
        assert_eq!(
            it.selected_art().unwrap().rating_key,
            "https://img.example/a b.jpg"
        );
    });
    assert_eq!(
        call(
            &sim,
            Method::PUT,
            &format!("/library/metadata/{id}/poster"),
            &[("url", "upload://posters/none")]
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn collections_are_created_filled_and_emptied() {
    let sim = sim().await;
    let a = id_of(&sim, ARRIVAL);
    let m = id_of(&sim, MATRIX);
    let uri = format!(
        "server://{}/com.plexapp.plugins.library/library/metadata/{a}",
        sim.machine_identifier()
    );
    let r = call(
        &sim,
        Method::POST,
        "/library/collections",
        &[
            ("type", "1"),
            ("title", "Sci & Fi"),
            ("smart", "0"),
            ("sectionId", "1"),
            ("uri", &uri),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let cid = metadata(&v)[0]["ratingKey"].as_str().unwrap().to_owned();
    assert_eq!(metadata(&v)[0]["type"], "collection");
    let uri2 = format!(
        "server://{}/com.plexapp.plugins.library/library/metadata/{m}",
        sim.machine_identifier()
    );
    call(
        &sim,
        Method::PUT,
        &format!("/library/collections/{cid}/items"),
        &[("uri", &uri2)],
    )
    .await;
    let items = json(&sim, &format!("/library/collections/{cid}/items"), &[]).await;
    assert_eq!(metadata(&items).len(), 2);
    assert_eq!(
        call(
            &sim,
            Method::DELETE,
            &format!("/library/collections/{cid}/items/{a}"),
            &[]
        )
        .await
        .status(),
        200
    );
    sim.with_library(|l| {
        assert!(l.item(&a).unwrap().tags("collection").is_empty());
        assert_eq!(l.item(&m).unwrap().tags("collection"), ["Sci & Fi"]);
    });
    let smart = call(
        &sim,
        Method::POST,
        "/library/collections",
        &[
            ("type", "1"),
            ("title", "S"),
            ("smart", "1"),
            ("sectionId", "1"),
        ],
    )
    .await;
    assert_eq!(smart.status(), 400);
}

#[tokio::test]
async fn sessions_and_agents_have_plex_shapes() {
    let sim = sim().await;
    let s = json(&sim, "/status/sessions", &[]).await;
    assert_eq!(s["MediaContainer"]["size"], 0);
    let a = json(&sim, "/system/agents", &[]).await;
    let ids: Vec<&str> = a["MediaContainer"]["Agent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            "tv.plex.agents.movie",
            "tv.plex.agents.series",
            "tv.plex.agents.music",
            "com.plexapp.agents.none"
        ]
    );
}

#[tokio::test]
async fn status_and_429_faults_answer_then_clear() {
    let sim = sim().await;
    sim.inject(RestFault::TooManyRequests {
        retry_after_secs: 7,
        times: 1,
        path_prefix: Some("/library".into()),
    });
    sim.inject(RestFault::Status {
        code: 503,
        times: 2,
        path_prefix: None,
    });
    let id = call(&sim, Method::GET, "/identity", &[]).await;
    assert_eq!(id.status(), 503);
    assert!(id.text().await.unwrap().contains("503 Service Unavailable"));
    let r = call(&sim, Method::GET, "/library/sections", &[]).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    assert_eq!(
        call(&sim, Method::GET, "/library/sections", &[])
            .await
            .status(),
        503
    );
    assert_eq!(
        call(&sim, Method::GET, "/library/sections", &[])
            .await
            .status(),
        200
    );
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 429, 503, 200]);
}

#[tokio::test]
async fn slow_fault_delays_and_bad_json_truncates() {
    let sim = sim().await;
    sim.inject(RestFault::Slow {
        delay: Duration::from_millis(300),
        times: 1,
        path_prefix: Some("/identity".into()),
    });
    let t = Instant::now();
    assert_eq!(
        call(&sim, Method::GET, "/identity", &[]).await.status(),
        200
    );
    assert!(t.elapsed() >= Duration::from_millis(300));
    sim.inject(RestFault::BadJson {
        times: 1,
        path_prefix: None,
    });
    let r = call(&sim, Method::GET, "/library/sections", &[]).await;
    assert_eq!(r.status(), 200);
    assert!(serde_json::from_str::<Value>(&r.text().await.unwrap()).is_err());
    assert!(json(&sim, "/library/sections", &[]).await.is_object());
}

#[tokio::test]
async fn refuse_closes_the_port_then_listens_again() {
    let sim = sim().await;
    let addr = sim.addr();
    sim.inject(RestFault::Refuse {
        duration: Duration::from_millis(300),
    });
    let err = Client::new()
        .get(url(&sim, "/identity", &[]))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sim.addr(), addr);
    assert_eq!(
        call(&sim, Method::GET, "/identity", &[]).await.status(),
        200
    );
}

#[tokio::test]
async fn refuse_also_drops_pooled_connections() {
    let sim = sim().await;
    let client = Client::new();
    let ok = client
        .get(url(&sim, "/identity", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    sim.inject(RestFault::Refuse {
        duration: Duration::from_millis(300),
    });
    assert!(
        client
            .get(url(&sim, "/identity", &[]))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn only_loopback_addresses_are_served() {
    let opts = SimOptions {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..SimOptions::default()
    };
    let err = Simulator::start(opts).await.err().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn standalone_serves_until_told_to_stop() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = SimOptions {
        addr: ([127, 0, 0, 1], port).into(),
        ..SimOptions::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(metarr_plex::sim::run_standalone(opts, async {
        let _ = stopped.await;
    }));
    let identity = format!("http://127.0.0.1:{port}/identity");
    let mut answered = false;
    for _ in 0..50 {
        if let Ok(r) = Client::new().get(&identity).send().await {
            answered = r.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answered);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(3), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(Client::new().get(&identity).send().await.is_err());
}
