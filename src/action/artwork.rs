//! `upload_poster` / `upload_art`: a local file (confined to the artwork
//! roots, checked to be an image by its bytes, at most 10 MB, never the same
//! bytes twice to one item) or a URL Plex fetches itself; then selected and
//! locked so the next agent refresh keeps it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha1::Digest;

use super::outcome::{Step, Stop};
use super::{ActionOutcome, Call, current};
use crate::engine::Millis;
use crate::journal::UploadKind;
use crate::plex::model::{Envelope, Image, MediaType};
use crate::plex::request::{self, ImageKind, MAX_UPLOAD_BYTES, sniff_image, upload_key};
use crate::rules::{IfMissing, ImageSource};

/// Uploads `source` as item `id`'s `image`.
pub(crate) async fn upload(
    call: &Call<'_>,
    id: &str,
    image: crate::rules::ImageKind,
    source: &ImageSource,
    if_missing: IfMissing,
) -> Step {
    let kind = match image {
        crate::rules::ImageKind::Poster => ImageKind::Poster,
        crate::rules::ImageKind::Art => ImageKind::Art,
    };
    match source {
        ImageSource::Url(url) => from_url(call, id, kind, url).await,
        ImageSource::File(file) => from_file(call, id, kind, file, if_missing).await,
    }
}

async fn from_url(call: &Call<'_>, id: &str, kind: ImageKind, url: &str) -> Step {
    let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if !ok {
        return Err(ActionOutcome::refused(format!("`{url}` is not an http(s) URL")).into());
    }
    // A dry run (and `test`, `explain`) fetches nothing from the network.
    if !call.dry_run()
        && let Err(why) = check_image_url(url).await
    {
        return Err(
            ActionOutcome::refused(format!("{url} {why}; nothing was uploaded or locked")).into(),
        );
    }
    let now = current::fetch(call, id).await?;
    let (section, media) = now.section_and_type()?;
    call.touch_item(id);
    // Plex adds the fetched image and selects it; only the lock is left.
    call.send(&request::upload_image_url(id, kind, url)).await?;
    lock(call, id, kind, &section, media).await?;
    Ok(format!("{} fetched from URL, locked", kind.singular()))
}

/// Plex fetches a URL itself and says nothing when that fails: the upload
/// "succeeds", and the lock that follows pins the old image. So the URL is
/// asked first, from here: it must answer 2xx with an image (or an
/// unspecified) content type. The reason it is refused otherwise, to be
/// said after the URL. Shared by the `poster`/`art` commands and the rule
/// actions.
pub async fn check_image_url(url: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot be fetched: {e}"))?;
    let answer = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("cannot be fetched ({})", e.without_url()))?;
    let status = answer.status();
    if !status.is_success() {
        return Err(format!("answered {status}"));
    }
    let content_type = answer
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !content_type.is_empty()
        && !content_type.starts_with("image/")
        && !content_type.starts_with("application/octet-stream")
    {
        return Err(format!("is not an image (Content-Type: {content_type})"));
    }
    Ok(())
}

async fn from_file(
    call: &Call<'_>,
    id: &str,
    kind: ImageKind,
    file: &str,
    if_missing: IfMissing,
) -> Step {
    let local = local_path(call, id, file).await?;
    let bytes = load(call, &local).await?;
    let Some(bytes) = bytes else {
        let what = format!("{} does not exist", local.display());
        return Err(match if_missing {
            IfMissing::Skip => ActionOutcome::skipped(what),
            IfMissing::Fail => ActionOutcome::refused(what),
        }
        .into());
    };
    if bytes.len() as u64 > MAX_UPLOAD_BYTES {
        return Err(ActionOutcome::refused(format!(
            "{} is {} bytes; images must be at most {MAX_UPLOAD_BYTES} bytes",
            local.display(),
            bytes.len()
        ))
        .into());
    }
    let Some(content_type) = sniff_image(&bytes) else {
        return Err(ActionOutcome::refused(format!(
            "{} is not a JPEG, PNG, WebP, GIF or BMP image",
            local.display()
        ))
        .into());
    };
    let sha1 = hex_sha1(&bytes);
    // The lock needs only the item's section and type, which nothing
    // moves: any read of the item will do.
    let (section, media) = current::placement(call, id).await?.section_and_type()?;
    let key = upload_key(kind, &bytes);
    if already_uploaded(call, id, kind, &sha1).await {
        let now = current::fetch(call, id).await?;
        // Plex has these bytes. Make sure they are still the selected,
        // locked image (an attempt may have failed after the upload).
        let req = request::list_images(id, kind);
        let resp = call.send(&req).await?;
        let env: Envelope<Image> = resp.json(&req.endpoint())?;
        let selected = env
            .container
            .metadata
            .iter()
            .any(|i| i.selected && i.rating_key == key);
        let locked = now.item.is_locked(kind.lock_field());
        if selected && locked {
            return Err(ActionOutcome::skipped(format!(
                "{} was already uploaded to item {id}",
                local.display()
            ))
            .into());
        }
        call.touch_item(id);
        if !selected {
            call.send(&request::select_image(id, kind, &key)).await?;
        }
        lock(call, id, kind, &section, media).await?;
        return Ok(format!(
            "{} from {} was uploaded before; selected and locked again",
            kind.singular(),
            local.display()
        ));
    }
    let size = bytes.len();
    call.touch_item(id);
    call.send(&request::upload_image(id, kind, bytes, content_type))
        .await?;
    // Remember the bytes as soon as Plex has them: a retry after a failed
    // select must not upload a second copy.
    remember(call, id, kind, sha1).await;
    call.send(&request::select_image(id, kind, &key)).await?;
    lock(call, id, kind, &section, media).await?;
    Ok(format!(
        "{} uploaded from {} ({size} bytes), selected and locked",
        kind.singular(),
        local.display()
    ))
}

/// Locks the image field so agent refreshes keep our choice.
async fn lock(
    call: &Call<'_>,
    id: &str,
    kind: ImageKind,
    section: &str,
    media: MediaType,
) -> Result<(), Stop> {
    call.send(&request::lock_fields(
        section,
        media,
        &[id.to_owned()],
        &[kind.lock_field()],
        true,
    ))
    .await?;
    Ok(())
}

/// The local path of `file`: an absolute Plex path is mapped back through
/// `[[path_map]]` (a path under no mapping is taken as local already)
/// without reading the item — most candidates the shipped rules render
/// (`folder.jpg`, `fanart.jpg`…) do not exist, and finding that out costs
/// Plex nothing; a relative one is under the item's folder, read from
/// Plex, mapped the same way. A path with `..` is refused; the roots fence
/// is checked when reading.
async fn local_path(call: &Call<'_>, id: &str, file: &str) -> Result<PathBuf, Stop> {
    let path = Path::new(file);
    // No legitimate artwork path climbs; refusing `..` outright also keeps a
    // Plex-side `..` from landing somewhere the mapping did not intend.
    if path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(ActionOutcome::refused(format!(
            "`{file}` uses `..`: files outside the artwork roots are refused"
        ))
        .into());
    }
    let map = &call.settings().path_map;
    let as_local = |p: &Path| map.to_local(p).unwrap_or_else(|_| p.to_owned());
    if path.is_absolute() {
        return Ok(as_local(path));
    }
    let item = current::fetch(call, id).await?.item;
    let folder = item
        .files()
        .next()
        .and_then(|f| Path::new(f).parent().map(Path::to_owned))
        .ok_or_else(|| {
            ActionOutcome::refused(format!(
                "item {} has no folder to find `{file}` in",
                item.rating_key
            ))
        })?;
    Ok(as_local(&folder).join(path))
}

/// Reads the file off the runtime's threads, through the executor's file source.
async fn load(call: &Call<'_>, local: &Path) -> Result<Option<Vec<u8>>, Stop> {
    let files: Arc<dyn super::ArtworkFiles> = call.files();
    let roots = call.settings().artwork_roots.clone();
    let path = local.to_owned();
    let read = tokio::task::spawn_blocking(move || files.load(&path, &roots)).await;
    match read {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(refusal)) => Err(ActionOutcome::refused(refusal.to_string()).into()),
        Err(e) => {
            Err(ActionOutcome::transient(format!("reading {} failed: {e}", local.display())).into())
        }
    }
}

fn hex_sha1(bytes: &[u8]) -> String {
    sha1::Sha1::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn slot(kind: ImageKind) -> UploadKind {
    match kind {
        ImageKind::Poster => UploadKind::Poster,
        ImageKind::Art => UploadKind::Art,
    }
}

async fn already_uploaded(call: &Call<'_>, id: &str, kind: ImageKind, sha1: &str) -> bool {
    let exec = call.exec();
    match &exec.journal {
        Some(j) => match j
            .upload_seen(id.to_owned(), slot(kind), sha1.to_owned())
            .await
        {
            Ok(seen) => seen,
            Err(e) => {
                // Better one duplicate poster than a lost upload.
                tracing::warn!(rule = %call.ctx().rule, run_id = %call.ctx().run_id, event_id = %call.ctx().event_id, item = %id, error = %e, "Upload journal unreadable; uploading anyway.");
                false
            }
        },
        None => exec
            .uploads
            .lock()
            .map(|s| s.contains(&(id.to_owned(), slot(kind).as_str(), sha1.to_owned())))
            .unwrap_or(false),
    }
}

async fn remember(call: &Call<'_>, id: &str, kind: ImageKind, sha1: String) {
    if call.dry_run() {
        return;
    }
    let exec = call.exec();
    match &exec.journal {
        Some(j) => {
            if let Err(e) = j
                .upload_record(id.to_owned(), slot(kind), sha1, Millis::now())
                .await
            {
                tracing::warn!(rule = %call.ctx().rule, run_id = %call.ctx().run_id, event_id = %call.ctx().event_id, item = %id, error = %e, "Upload not recorded in the journal.");
            }
        }
        None => {
            if let Ok(mut s) = exec.uploads.lock() {
                s.insert((id.to_owned(), slot(kind).as_str(), sha1));
            }
        }
    }
}
