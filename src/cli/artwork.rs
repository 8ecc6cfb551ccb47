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
        crate::action::check_image_url(&args.source)
            .await
            .map_err(|why| {
                CliError::Action(format!(
                    "{} {why}; nothing was uploaded or locked",
                    args.source
                ))
            })?;
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
