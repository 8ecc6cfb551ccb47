//! Uploads: confined to the artwork roots, checked by content and size,
//! never the same bytes twice to one item; selected and locked after.

use std::path::Path;

use metarr_plex::action::ActionOutcome;
use metarr_plex::rules::{IfMissing, ImageKind, ImageSource, ResolvedAction};

use super::action_support::*;

const ARRIVAL_DIR: &str = "/data/media/movies/Arrival (2016) {tmdb-329865}";

/// A small "JPEG": the magic bytes and some payload.
fn jpeg(payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0xff, 0xd8, 0xff, 0xe0];
    b.extend_from_slice(payload);
    b
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn upload(item: &str, image: ImageKind, file: &str, if_missing: IfMissing) -> ResolvedAction {
    ResolvedAction::Upload {
        item: item.to_owned(),
        image,
        source: ImageSource::File(file.to_owned()),
        if_missing,
    }
}

fn posts(r: &Rig) -> usize {
    r.sim
        .requests()
        .iter()
        .filter(|q| q.method == "POST")
        .count()
}

fn refused(out: &ActionOutcome, needle: &str) -> bool {
    matches!(out, ActionOutcome::Failed { retryable: false, error, .. } if error.contains(needle))
}

#[tokio::test]
async fn a_local_poster_is_uploaded_selected_and_locked_once() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    let bytes = jpeg(b"arrival poster");
    write(&r.local(&format!("{ARRIVAL_DIR}/poster.jpg")), &bytes);
    let action = upload(
        &id,
        ImageKind::Poster,
        &format!("{ARRIVAL_DIR}/poster.jpg"),
        IfMissing::Skip,
    );
    r.sim.clear_requests();
    let out = r.exec.execute(&action, &r.ctx(&id)).await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    let w = writes(&r.sim);
    assert_eq!(w.len(), 3, "{w:#?}");
    assert_eq!(
        (w[0].method.as_str(), w[0].path.as_str(), w[0].body_len),
        (
            "POST",
            format!("/library/metadata/{id}/posters").as_str(),
            bytes.len()
        )
    );
    assert_eq!(w[0].header("content-type"), Some("image/jpeg"));
    let key = metarr_plex::plex::request::upload_key(
        metarr_plex::plex::request::ImageKind::Poster,
        &bytes,
    );
    assert_eq!(w[1].method, "PUT");
    assert_eq!(w[1].path, format!("/library/metadata/{id}/poster"));
    assert_eq!(pairs(&w[1]), vec![("url", key.as_str())]);
    assert_eq!(w[2].path, "/library/sections/1/all");
    assert_eq!(
        pairs(&w[2]),
        vec![("type", "1"), ("id", id.as_str()), ("thumb.locked", "1")]
    );
    r.sim.with_library(|l| {
        let it = l.item(&id).unwrap();
        assert_eq!(it.selected_poster().unwrap().rating_key, key);
        assert!(it.is_locked("thumb"));
    });
    assert!(r.guard_covers_item(&id));

    // The same bytes again (even from another file name): no second POST.
    write(&r.local(&format!("{ARRIVAL_DIR}/folder.jpg")), &bytes);
    r.sim.clear_requests();
    for file in ["poster.jpg", "folder.jpg"] {
        let again = upload(&id, ImageKind::Poster, file, IfMissing::Skip);
        let out = r.exec.execute(&again, &r.ctx(&id)).await;
        assert!(matches!(out, ActionOutcome::Skipped { .. }), "{out:?}");
    }
    assert!(writes(&r.sim).is_empty());
    // Different bytes are uploaded.
    write(&r.local(&format!("{ARRIVAL_DIR}/poster.jpg")), &jpeg(b"v2"));
    let out = r.exec.execute(&action, &r.ctx(&id)).await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    assert_eq!(posts(&r), 1);
}

#[tokio::test]
async fn two_identical_uploads_at_once_send_one_post() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    write(&r.local(&format!("{ARRIVAL_DIR}/fanart.jpg")), &jpeg(b"bg"));
    let action = upload(&id, ImageKind::Art, "fanart.jpg", IfMissing::Skip);
    r.sim.clear_requests();
    let ctx = r.ctx(&id);
    let (a, b) = tokio::join!(r.exec.execute(&action, &ctx), r.exec.execute(&action, &ctx));
    assert!(matches!(a, ActionOutcome::Done { .. }), "{a:?}");
    assert_eq!(a, b, "the second joined the first");
    assert_eq!(posts(&r), 1);
    let post = r
        .sim
        .requests()
        .into_iter()
        .find(|q| q.method == "POST")
        .unwrap();
    assert_eq!(post.path, format!("/library/metadata/{id}/arts"));
    assert!(
        r.sim
            .with_library(|l| l.item(&id).unwrap().is_locked("art"))
    );
}

#[tokio::test]
async fn oversized_and_non_image_files_are_refused_by_content() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    let mut big = jpeg(b"");
    big.resize(10_480_001, 0);
    write(&r.local(&format!("{ARRIVAL_DIR}/poster.jpg")), &big);
    write(
        &r.local(&format!("{ARRIVAL_DIR}/fanart.jpg")),
        b"<html>not an image</html>",
    );
    let out = r
        .exec
        .execute(
            &upload(&id, ImageKind::Poster, "poster.jpg", IfMissing::Skip),
            &r.ctx(&id),
        )
        .await;
    assert!(refused(&out, "bytes"), "{out:?}");
    let out = r
        .exec
        .execute(
            &upload(&id, ImageKind::Art, "fanart.jpg", IfMissing::Skip),
            &r.ctx(&id),
        )
        .await;
    assert!(refused(&out, "is not a JPEG"), "{out:?}");
    // A PNG named .jpg is fine: the bytes decide.
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    png.extend_from_slice(b"png body");
    write(&r.local(&format!("{ARRIVAL_DIR}/backdrop.jpg")), &png);
    let out = r
        .exec
        .execute(
            &upload(&id, ImageKind::Art, "backdrop.jpg", IfMissing::Skip),
            &r.ctx(&id),
        )
        .await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    let post: Vec<_> = r
        .sim
        .requests()
        .into_iter()
        .filter(|q| q.method == "POST")
        .collect();
    assert_eq!(post.len(), 1);
    assert_eq!(post[0].header("content-type"), Some("image/png"));
}

#[tokio::test]
async fn files_outside_the_artwork_roots_are_refused_even_through_symlinks_or_dotdot() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    let outside = r.dir.path().join("secrets");
    write(&outside.join("key.jpg"), &jpeg(b"secret"));
    // Absolute local path outside the roots.
    let abs = outside.join("key.jpg").to_string_lossy().into_owned();
    // `..` climbing out of the item's folder.
    let dotdot = format!("{ARRIVAL_DIR}/../../../secrets/key.jpg");
    // A symlink inside the item's folder pointing outside.
    let link = r.local(&format!("{ARRIVAL_DIR}/poster.jpg"));
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(outside.join("key.jpg"), &link).unwrap();
    for file in [
        abs.as_str(),
        dotdot.as_str(),
        "poster.jpg",
        "../../../secrets/key.jpg",
    ] {
        let out = r
            .exec
            .execute(
                &upload(&id, ImageKind::Poster, file, IfMissing::Skip),
                &r.ctx(&id),
            )
            .await;
        assert!(
            refused(&out, "outside the artwork roots"),
            "{file}: {out:?}"
        );
    }
    assert_eq!(posts(&r), 0);
}

#[tokio::test]
async fn a_missing_file_is_skipped_or_failed_as_the_rule_says() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    std::fs::create_dir_all(r.local(ARRIVAL_DIR)).unwrap();
    let skip = r
        .exec
        .execute(
            &upload(&id, ImageKind::Poster, "poster.jpg", IfMissing::Skip),
            &r.ctx(&id),
        )
        .await;
    assert!(
        matches!(&skip, ActionOutcome::Skipped { reason } if reason.contains("does not exist")),
        "{skip:?}"
    );
    let fail = r
        .exec
        .execute(
            &upload(&id, ImageKind::Poster, "poster.jpg", IfMissing::Fail),
            &r.ctx(&id),
        )
        .await;
    assert!(refused(&fail, "does not exist"), "{fail:?}");
    assert!(writes(&r.sim).is_empty());
}

#[tokio::test]
async fn a_url_upload_passes_the_url_and_locks() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    let host = crate::support::image_host::start().await;
    let url = format!("{host}/t/p/original/x%20y&z.jpg");
    let url = url.as_str();
    let action = ResolvedAction::Upload {
        item: id.clone(),
        image: ImageKind::Poster,
        source: ImageSource::Url(url.into()),
        if_missing: IfMissing::Skip,
    };
    r.sim.clear_requests();
    let out = r.exec.execute(&action, &r.ctx(&id)).await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    let w = writes(&r.sim);
    assert_eq!(w.len(), 2, "{w:#?}");
    assert_eq!(w[0].method, "POST");
    assert_eq!(w[0].path, format!("/library/metadata/{id}/posters"));
    assert_eq!(pairs(&w[0]), vec![("url", url)]);
    assert_eq!(w[0].body_len, 0);
    assert_eq!(w[1].query_value("thumb.locked"), Some("1"));
    r.sim.with_library(|l| {
        assert_eq!(
            l.item(&id).unwrap().selected_poster().unwrap().rating_key,
            url
        )
    });
    let bad = ResolvedAction::Upload {
        item: id.clone(),
        image: ImageKind::Poster,
        source: ImageSource::Url("file:///etc/passwd".into()),
        if_missing: IfMissing::Skip,
    };
    let out = r.exec.execute(&bad, &r.ctx(&id)).await;
    assert!(refused(&out, "not an http"), "{out:?}");
}

#[tokio::test]
async fn a_url_that_answers_404_is_refused_before_plex_is_asked_and_nothing_is_locked() {
    let r = rig().await;
    let id = r.id(ARRIVAL);
    let host = crate::support::image_host::start().await;
    let action = ResolvedAction::Upload {
        item: id.clone(),
        image: ImageKind::Poster,
        source: ImageSource::Url(format!("{host}/missing.jpg")),
        if_missing: IfMissing::Skip,
    };
    r.sim.clear_requests();
    let out = r.exec.execute(&action, &r.ctx(&id)).await;
    assert!(refused(&out, "answered 404"), "{out:?}");
    assert!(writes(&r.sim).is_empty(), "{:#?}", writes(&r.sim));
}

/// The executors take `artwork_roots` from the config as it is: unset, the
/// mapped folders; an explicit `[]`, nowhere (uploads are off).
#[tokio::test]
async fn an_explicit_empty_artwork_roots_turns_uploads_off() {
    use metarr_plex::action::{Executor, ExecutorSettings};
    use metarr_plex::config::Config;
    use metarr_plex::event::SelfCauses;
    use metarr_plex::plex::conn::identity::ClientIdentity;

    let r = rig().await;
    let id = r.id(ARRIVAL);
    let poster = r.local(&format!("{ARRIVAL_DIR}/poster.jpg"));
    write(&poster, &jpeg(b"roots"));
    let executor = |roots_line: &str| {
        let text = format!(
            "{roots_line}\n[server]\nurl = \"{}\"\ntoken = \"{}\"\n\n[[path_map]]\nfrom = \"{}\"\nto = \"/data/media\"\n",
            r.sim.url(),
            r.sim.token(),
            r.dir.path().join("media").display()
        );
        let config = Config::from_str_at(&r.dir.path().join("config.toml"), &text).unwrap();
        let client = config.client(ClientIdentity::new("roots-test")).unwrap();
        Executor::new(
            client,
            ExecutorSettings::from_config(&config),
            SelfCauses::new(),
            None,
        )
    };
    let action = upload(&id, ImageKind::Poster, "poster.jpg", IfMissing::Fail);
    let off = executor("artwork_roots = []")
        .execute(&action, &r.ctx(&id))
        .await;
    assert!(refused(&off, "outside the artwork roots"), "{off:?}");
    assert_eq!(posts(&r), 0);
    let on = executor("").execute(&action, &r.ctx(&id)).await;
    assert!(matches!(on, ActionOutcome::Done { .. }), "{on:?}");
    assert_eq!(posts(&r), 1);
}
