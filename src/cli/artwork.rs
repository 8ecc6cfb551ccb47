//! `poster ID (FILE|URL)` and `art ID (FILE|URL)`.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::item::{fetch, section_and_type};
use super::output::outln;
use super::output::print_json;
use super::{CliError, Context};
use crate::plex::request::{ImageKind, MAX_UPLOAD_BYTES, sniff_image, upload_key};

/// Arguments of `poster` and `art`.
#[derive(Debug, Args)]
pub struct ArtworkArgs {
    /// The item id (ratingKey).
    #[arg(value_parser = super::ids::item_id)]
    pub id: String,
    /// A local image file, or an http(s) URL Plex fetches itself.
    pub source: String,
    /// Leave the field unlocked (by default the choice is locked so agent
    /// refreshes keep it).
    #[arg(long)]
    pub no_lock: bool,
}

/// Uploads, selects and locks an image.
pub(crate) async fn run(ctx: &Context, args: ArtworkArgs, kind: ImageKind) -> Result<(), CliError> {
    // The source is checked before anything is asked of Plex.
    if args.source.trim().is_empty() {
        return Err(CliError::Usage(format!(
            "the {} source is empty: give an image file or an http(s) URL",
            kind.singular()
        )));
    }
    let is_url =
        url::Url::parse(&args.source).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    let local = if is_url {
        check_image_url(&args.source).await?;
        None
    } else {
        Some(read_image(&PathBuf::from(&args.source)).await?)
    };
    let item = fetch(ctx, &args.id).await?;
    let (section, media_type) = section_and_type(&item)?;
    let client = ctx.client()?;
    let (key, bytes) = match local {
        None => {
            client
                .upload_image_url(&args.id, kind, &args.source)
                .await?;
            (None, None)
        }
        Some(bytes) => {
            let content_type = sniff_image(&bytes).unwrap_or("application/octet-stream");
            let key = upload_key(kind, &bytes);
            let len = bytes.len();
            client
                .upload_image(&args.id, kind, bytes, content_type)
                .await?;
            // Uploads are content-addressed, so the new image's key is known.
            client.select_image(&args.id, kind, &key).await?;
            (Some(key), Some(len))
        }
    };
    if !args.no_lock {
        client
            .lock_fields(
                &section,
                media_type,
                std::slice::from_ref(&args.id),
                &[kind.lock_field()],
                true,
            )
            .await?;
    }
    if ctx.json {
        return print_json(&json!({
            "id": args.id,
            "kind": kind,
            "source": if is_url { "url" } else { "file" },
            "key": key,
            "bytes": bytes,
            "locked": !args.no_lock,
        }));
    }
    let what = kind.singular();
    let lock = if args.no_lock { "" } else { " and locked" };
    match (key, bytes) {
        (Some(key), Some(n)) => {
            outln!(
                "Uploaded {what} for item {} ({n} bytes), selected{lock} {key}.",
                args.id
            )
        }
        _ => outln!(
            "Asked Plex to fetch the {what} for item {} from the URL{lock}.",
            args.id
        ),
    }
    Ok(())
}

/// Plex fetches a URL itself and says nothing when that fails: the upload
/// "succeeds", and the lock that follows pins the old image. So the URL is
/// asked first, from here: it must answer 2xx with an image (or an
/// unspecified) content type. Nothing is sent to Plex otherwise.
async fn check_image_url(source: &str) -> Result<(), CliError> {
    let fail =
        |why: String| CliError::Action(format!("{source} {why}; nothing was uploaded or locked"));
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| fail(format!("cannot be fetched: {e}")))?;
    let answer = client
        .get(source)
        .send()
        .await
        .map_err(|e| fail(format!("cannot be fetched ({})", e.without_url())))?;
    let status = answer.status();
    if !status.is_success() {
        return Err(fail(format!("answered {status}")));
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
        return Err(fail(format!(
            "is not an image (Content-Type: {content_type})"
        )));
    }
    Ok(())
}

/// Reads a local image, refusing what Plex would choke on: missing files,
/// files over [`MAX_UPLOAD_BYTES`], bytes that are not an image.
async fn read_image(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(CliError::Usage(format!("{} is not a file", path.display())));
    }
    if meta.len() >= MAX_UPLOAD_BYTES {
        return Err(CliError::Usage(format!(
            "{} is {} bytes; images must be under {MAX_UPLOAD_BYTES} bytes",
            path.display(),
            meta.len()
        )));
    }
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| CliError::Action(format!("cannot read {}: {e}", path.display())))?;
    if sniff_image(&bytes).is_none() {
        return Err(CliError::Usage(format!(
            "{} is not a JPEG, PNG, WebP, GIF or BMP image",
            path.display()
        )));
    }
    Ok(bytes)
}
