//! `map-path PATH [--to-local] [--section]`.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::output::outln;
use super::output::print_json;
use super::{CliError, Context};

/// Arguments of `map-path`.
#[derive(Debug, Args)]
pub struct MapPathArgs {
    /// A local path (or, with --to-local, a Plex path).
    pub path: PathBuf,
    /// Translate a Plex path to the local one instead.
    #[arg(long, conflicts_with = "section")]
    pub to_local: bool,
    /// Also ask Plex which section holds the path.
    #[arg(long)]
    pub section: bool,
}

/// Shows a mapping; with `--section`, the section too.
pub(crate) async fn run(ctx: &Context, args: MapPathArgs) -> Result<(), CliError> {
    let map = &ctx.config.path_map;
    if args.to_local {
        let local = map
            .to_local(&args.path)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        if ctx.json {
            return print_json(&json!({ "plex": args.path, "local": local }));
        }
        outln!("{}", local.display());
        return Ok(());
    }
    let abs = std::path::absolute(&args.path)
        .map_err(|e| CliError::Usage(format!("cannot resolve {}: {e}", args.path.display())))?;
    let plex = map
        .to_plex(&abs)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let located = if args.section {
        let client = ctx.client()?;
        Some(
            client
                .locate(&plex)
                .await?
                .map_err(|e| CliError::Action(e.to_string()))?,
        )
    } else {
        None
    };
    if ctx.json {
        return print_json(&json!({
            "local": abs,
            "plex": plex,
            "section": located.as_ref().map(|l| json!({
                "id": l.section.id,
                "title": l.section.title,
                "location": l.location,
            })),
        }));
    }
    match located {
        Some(l) => outln!(
            "{}\tsection {} ({}) at {}",
            plex.display(),
            l.section.id,
            super::output::clean(&l.section.title),
            l.location
        ),
        None => outln!("{}", plex.display()),
    }
    Ok(())
}
