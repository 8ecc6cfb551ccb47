//! The client's write side against the simulator: every action asserts on
//! the exact request Plex received and on the state change it caused.

use metarr_plex::plex::client::{CollectionContent, best_candidate};
use metarr_plex::plex::model::MediaType;
use metarr_plex::plex::request::{ImageKind, MatchQuery, TagKind, TagOp, upload_key};
use metarr_plex::sim::ImageSlot;

use super::client_harness::*;

#[tokio::test]
async fn match_by_tmdb_id_resolves_a_candidate_and_applies_it() {
    let (sim, client) = setup().await;
    let id = id_of(&sim, ARRIVAL);
    let candidates = client
        .match_candidates(&id, &MatchQuery::external("tmdb", "329865"))
        .await
        .unwrap();
    let best = best_candidate(&candidates).unwrap().clone();
    assert_eq!((best.name.as_str(), best.year), ("Arrival", Some(2016)));
    let r = &requests_to(&sim, "GET", &format!("/library/metadata/{id}/matches"))[0];
    assert_eq!(pairs(r), [("manual", "1"), ("title", "tmdb-329865")]);

    client
        .apply_match(&id, &best.guid, &best.name, best.year)
        .await
        .unwrap();
    let r = &requests_to(&sim, "PUT", &format!("/library/metadata/{id}/match"))[0];
    assert_eq!(
        pairs(r),
        [
            ("guid", best.guid.as_str()),
            ("name", "Arrival"),
            ("year", "2016")
        ]
    );
    let (guid, ext) = sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        (it.guid.clone(), it.external_guids.clone())
    });
    assert_eq!(guid, best.guid);
    assert!(ext.contains(&"tmdb://329865".to_owned()));
}

#[tokio::test]
async fn unmatch_refresh_and_analyze_change_the_item() {
    let (sim, client) = setup().await;
    let id = id_of(&sim, MATRIX);
    client.unmatch(&id).await.unwrap();
    assert!(sim.with_library(|l| l.item(&id).unwrap().is_unmatched()));
    let activity = client.refresh_item(&id, true).await.unwrap();
    assert!(activity.is_some(), "the refresh names its activity");
    let r = &requests_to(&sim, "PUT", &format!("/library/metadata/{id}/refresh"))[0];
    assert_eq!(pairs(r), [("force", "1")]);
    client.analyze_item(&id).await.unwrap();
    let (refreshed, analyzed) = sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        (it.refresh_count, it.analyze_count)
    });
    assert_eq!((refreshed, analyzed), (1, 1));
    assert_eq!(
        requests_to(&sim, "PUT", &format!("/library/metadata/{id}/unmatch")).len(),
        1
    );
}

#[tokio::test]
async fn edit_fields_is_one_put_that_sets_and_locks() {
    let (sim, client) = setup().await;
    let id = id_of(&sim, HEAT);
    let fields = vec![
        ("title".to_owned(), "Heat & Dust #2 100%?".to_owned()),
        ("summary".to_owned(), "Ça + ça".to_owned()),
    ];
    client
        .edit_fields(
            "1",
            MediaType::Movie,
            std::slice::from_ref(&id),
            &fields,
            true,
        )
        .await
        .unwrap();
    let r = only_request(&sim);
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("PUT", "/library/sections/1/all")
    );
    assert_eq!(
        pairs(&r),
        [
            ("type", "1"),
            ("id", id.as_str()),
            ("title.value", "Heat & Dust #2 100%?"),
            ("title.locked", "1"),
            ("summary.value", "Ça + ça"),
            ("summary.locked", "1"),
        ]
    );
    sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        assert_eq!(it.title, "Heat & Dust #2 100%?");
        assert!(it.is_locked("title") && it.is_locked("summary"));
    });
}

#[tokio::test]
async fn tags_add_keeps_existing_remove_and_set_replace() {
    let (sim, client) = setup().await;
    let id = id_of(&sim, MATRIX);
    let tags = |sim: &metarr_plex::sim::Simulator| {
        sim.with_library(|l| l.item(&id).unwrap().tags("genre").to_vec())
    };
    assert_eq!(tags(&sim), ["Drama"]);
    client
        .edit_tags(
            "1",
            MediaType::Movie,
            &id,
            TagKind::Genre,
            TagOp::Add,
            &["Sci-Fi & Fantasy".into(), "a,b".into()],
        )
        .await
        .unwrap();
    assert_eq!(tags(&sim), ["Drama", "Sci-Fi & Fantasy", "a,b"]);
    let put = requests_to(&sim, "PUT", "/library/sections/1/all")
        .pop()
        .unwrap();
    assert_eq!(put.query_value("genre[0].tag.tag"), Some("Drama"));
    assert_eq!(put.query_value("genre.locked"), Some("1"));

    client
        .edit_tags(
            "1",
            MediaType::Movie,
            &id,
            TagKind::Genre,
            TagOp::Remove,
            &["a,b".into(), "Drama".into()],
        )
        .await
        .unwrap();
    let put = requests_to(&sim, "PUT", "/library/sections/1/all")
        .pop()
        .unwrap();
    assert_eq!(put.query_value("genre[].tag.tag-"), Some("a%2Cb,Drama"));
    assert_eq!(tags(&sim), ["Sci-Fi & Fantasy"]);

    client
        .edit_tags(
            "1",
            MediaType::Movie,
            &id,
            TagKind::Label,
            TagOp::Set,
            &["4K".into()],
        )
        .await
        .unwrap();
    assert_eq!(
        sim.with_library(|l| l.item(&id).unwrap().tags("label").to_vec()),
        ["4K"]
    );
    let missing = client
        .edit_tags(
            "1",
            MediaType::Movie,
            "424242",
            TagKind::Genre,
            TagOp::Add,
            &["X".into()],
        )
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}

#[tokio::test]
async fn poster_bytes_upload_is_content_addressed_then_selected_and_locked() {
    let (sim, client) = setup().await;
    let id = id_of(&sim, ARRIVAL);
    let bytes = b"\x89PNG\r\n\x1a\nfake image".to_vec();
    let key = upload_key(ImageKind::Poster, &bytes);
    assert_eq!(
        key,
        metarr_plex::sim::upload_key(ImageSlot::Poster, &bytes),
        "same addressing as Plex"
    );
    client
        .upload_image(&id, ImageKind::Poster, bytes.clone(), "image/png")
        .await
        .unwrap();
    let up = &requests_to(&sim, "POST", &format!("/library/metadata/{id}/posters"))[0];
    assert_eq!(up.body_len, bytes.len());
    assert!(up.query.is_empty(), "raw body, no url");
    assert_eq!(up.header("content-type"), Some("image/png"));
    client.select_poster(&id, &key).await.unwrap();
    let sel = &requests_to(&sim, "PUT", &format!("/library/metadata/{id}/poster"))[0];
    assert_eq!(sel.query_value("url"), Some(key.as_str()));
    client
        .lock_fields(
            "1",
            MediaType::Movie,
            std::slice::from_ref(&id),
            &["thumb"],
            true,
        )
        .await
        .unwrap();
    sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        assert_eq!(it.selected_poster().unwrap().rating_key, key);
        assert!(it.is_locked("thumb"));
    });
    let posters = client.posters(&id).await.unwrap();
    assert!(posters.iter().any(|p| p.rating_key == key && p.selected));
}

#[tokio::test]
async fn art_by_url_sends_the_url_intact() {
    let (sim, client) = setup().await;
    let id = id_of(&sim, MATRIX);
    let url = "https://img.example/a b/ç.jpg?x=1&y=2#frag";
    client.upload_art_url(&id, url).await.unwrap();
    let r = &requests_to(&sim, "POST", &format!("/library/metadata/{id}/arts"))[0];
    assert_eq!(r.query_value("url"), Some(url));
    let arts = client.arts(&id).await.unwrap();
    assert!(arts.iter().any(|a| a.rating_key == url), "{arts:?}");
}

#[tokio::test]
async fn collections_are_created_filled_and_emptied() {
    let (sim, client) = setup().await;
    let matrix = id_of(&sim, MATRIX);
    let heat = id_of(&sim, HEAT);
    let created = client
        .create_collection(
            "1",
            MediaType::Movie,
            "Best & Worst",
            &CollectionContent::Items(vec![matrix.clone()]),
        )
        .await
        .unwrap()
        .unwrap();
    let r = &requests_to(&sim, "POST", "/library/collections")[0];
    assert_eq!(r.query_value("title"), Some("Best & Worst"));
    assert_eq!(r.query_value("smart"), Some("0"));
    assert_eq!(
        r.query_value("uri").unwrap(),
        format!(
            "server://{}/com.plexapp.plugins.library/library/metadata/{matrix}",
            sim.machine_identifier()
        )
    );
    client
        .add_to_collection(&created.rating_key, std::slice::from_ref(&heat))
        .await
        .unwrap();
    let in_it = |id: &str| {
        sim.with_library(|l| {
            l.item(id)
                .unwrap()
                .tags("collection")
                .contains(&"Best & Worst".to_owned())
        })
    };
    assert!(in_it(&matrix) && in_it(&heat));
    client
        .remove_from_collection(&created.rating_key, &matrix)
        .await
        .unwrap();
    assert!(!in_it(&matrix) && in_it(&heat));
    let smart = client
        .create_collection(
            "1",
            MediaType::Movie,
            "Dramas",
            &CollectionContent::Smart("genre=Drama".into()),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(sim.with_library(|l| {
        l.item(&smart.rating_key)
            .unwrap()
            .collection
            .as_ref()
            .unwrap()
            .smart
    }));
}

#[tokio::test]
async fn scans_carry_special_character_paths_intact_and_name_their_activity() {
    let (sim, client) = setup().await;
    for folder in [
        "/data/media/movies/Fast & Furious (2009)",
        "/data/media/movies/Romeo + Juliet (1996)",
        "/data/media/movies/Who Framed Roger Rabbit? (1988)",
        "/data/media/movies/Birthday #3 - 100% Fun (2019)",
        "/data/media/movies/Amélie (2001)",
    ] {
        sim.clear_requests();
        let activity = client.scan_path("1", folder).await.unwrap();
        assert!(activity.is_some());
        let r = only_request(&sim);
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("GET", "/library/sections/1/refresh")
        );
        assert_eq!(pairs(&r), [("path", folder)]);
    }
    let inception = "/data/media/movies/Inception (2010) {tmdb-27205}/Inception (2010).mkv";
    client
        .scan_path("1", "/data/media/movies/Inception (2010) {tmdb-27205}")
        .await
        .unwrap();
    assert!(
        sim.with_library(|l| l.find_by_file(inception).is_some()),
        "the scan found the new file"
    );
}

#[tokio::test]
async fn full_refresh_force_and_cancel() {
    let (sim, client) = setup().await;
    client.refresh_section("2", true).await.unwrap();
    let r = &requests_to(&sim, "GET", "/library/sections/2/refresh")[0];
    assert_eq!(pairs(r), [("force", "1")]);
    let running = client.activities().await.unwrap();
    let scan = running
        .iter()
        .find(|a| a.kind == "library.update.section")
        .unwrap();
    assert_eq!(scan.section_id(), Some("2"));
    client.cancel_section_scan("2").await.unwrap();
    assert_eq!(
        requests_to(&sim, "DELETE", "/library/sections/2/refresh").len(),
        1
    );
    assert!(
        sim.with_library(|l| l
            .activities()
            .iter()
            .all(|a| a.kind != "library.update.section")),
        "the scan was cancelled"
    );
}

#[tokio::test]
async fn cancel_activity_deletes_by_uuid_and_unknown_is_not_found() {
    let (sim, client) = setup().await;
    client.refresh_section("1", false).await.unwrap();
    let uuid = client.activities().await.unwrap()[0].uuid.clone();
    client.cancel_activity(&uuid).await.unwrap();
    assert_eq!(
        requests_to(&sim, "DELETE", &format!("/activities/{uuid}")).len(),
        1
    );
    assert!(sim.with_library(|l| l.activities().iter().all(|a| a.uuid != uuid)));
    let err = client.cancel_activity("no-such-uuid").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn art_bytes_and_poster_url_uploads_and_art_selection() {
    let (sim, client) = setup().await;
    let id = id_of(&sim, HEAT);
    let jpeg = b"\xff\xd8\xff\xe0 background".to_vec();
    client.upload_art(&id, jpeg.clone()).await.unwrap();
    let up = &requests_to(&sim, "POST", &format!("/library/metadata/{id}/arts"))[0];
    assert_eq!(
        (up.body_len, up.header("content-type")),
        (jpeg.len(), Some("image/jpeg"))
    );
    let key = upload_key(ImageKind::Art, &jpeg);
    client.select_art(&id, &key).await.unwrap();
    let sel = &requests_to(&sim, "PUT", &format!("/library/metadata/{id}/art"))[0];
    assert_eq!(pairs(sel), [("url", key.as_str())]);
    assert_eq!(
        sim.with_library(|l| l
            .item(&id)
            .unwrap()
            .selected_art()
            .unwrap()
            .rating_key
            .clone()),
        key
    );
    client
        .upload_poster_url(&id, "http://img.example/p.jpg?a=1&b=2")
        .await
        .unwrap();
    let by_url = &requests_to(&sim, "POST", &format!("/library/metadata/{id}/posters"))[0];
    assert_eq!(pairs(by_url), [("url", "http://img.example/p.jpg?a=1&b=2")]);
    assert_eq!(by_url.body_len, 0);
}

#[tokio::test]
async fn dry_run_sends_reads_but_not_changes() {
    let (sim, client) = setup().await;
    client.set_dry_run(true);
    let id = id_of(&sim, HEAT);
    let fields = vec![("title".to_owned(), "Changed".to_owned())];
    client
        .edit_fields(
            "1",
            MediaType::Movie,
            std::slice::from_ref(&id),
            &fields,
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        client.scan_path("1", "/data/media/movies").await.unwrap(),
        None
    );
    client.unmatch(&id).await.unwrap();
    assert!(
        sim.requests().is_empty(),
        "nothing reached Plex: {:#?}",
        sim.requests()
    );
    assert_eq!(
        client.item(&id).await.unwrap().unwrap().title,
        "Heat",
        "reads still work"
    );
    assert_eq!(sim.requests().len(), 1);
    client.set_dry_run(false);
    client.unmatch(&id).await.unwrap();
    assert!(sim.with_library(|l| l.item(&id).unwrap().is_unmatched()));
}
