//! `match ID (--guid G | --tmdb N | --imdb tt… | --tvdb N)`.

use clap::{ArgGroup, Args};
use serde_json::json;

use super::item::fetch;
use super::output::outln;
use super::output::{clean, print_json};
use super::{CliError, Context};
use crate::plex::client::best_candidate;
use crate::plex::request::MatchQuery;

/// Arguments of `match`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["guid", "tmdb", "imdb", "tvdb"])))]
pub struct MatchArgs {
    /// The item id (ratingKey).
    #[arg(value_parser = super::ids::item_id)]
    pub id: String,
    /// Apply this agent guid directly (e.g. plex://movie/5d776…).
    #[arg(long)]
    pub guid: Option<String>,
    /// Resolve a TMDB id through Plex's agent and apply the best candidate.
    #[arg(long, value_name = "N")]
    pub tmdb: Option<u64>,
    /// Resolve an IMDb id (tt…).
    #[arg(long, value_name = "ttN", value_parser = parse_imdb)]
    pub imdb: Option<String>,
    /// Resolve a TVDB id.
    #[arg(long, value_name = "N")]
    pub tvdb: Option<u64>,
    /// With --guid: the title to apply (default: the item's title).
    #[arg(long, requires = "guid")]
    pub name: Option<String>,
    /// With --guid: the year to apply.
    #[arg(long, requires = "guid")]
    pub year: Option<i32>,
    /// The agent to search with (default: the section's).
    #[arg(long)]
    pub agent: Option<String>,
}

fn parse_imdb(s: &str) -> Result<String, String> {
    let digits = s.strip_prefix("tt").unwrap_or("");
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err("an IMDb id looks like tt0133093".to_owned())
    }
}

/// Matches an item.
pub(crate) async fn run(ctx: &Context, args: MatchArgs) -> Result<(), CliError> {
    let client = ctx.client()?;
    let (guid, name, year) = match &args.guid {
        Some(guid) => {
            let name = match &args.name {
                Some(n) => n.clone(),
                None => fetch(ctx, &args.id).await?.title,
            };
            (guid.clone(), name, args.year)
        }
        None => {
            let mut query = match (&args.tmdb, &args.imdb, &args.tvdb) {
                (Some(n), _, _) => MatchQuery::external("tmdb", &n.to_string()),
                (_, Some(tt), _) => MatchQuery::external("imdb", tt),
                (_, _, Some(n)) => MatchQuery::external("tvdb", &n.to_string()),
                _ => {
                    return Err(CliError::Usage(
                        "give --guid, --tmdb, --imdb or --tvdb".into(),
                    ));
                }
            };
            query.agent = args.agent.clone();
            let candidates = client
                .match_candidates(&args.id, &query)
                .await
                .map_err(CliError::for_item(&args.id))?;
            let best = best_candidate(&candidates).ok_or_else(|| {
                CliError::Action(format!(
                    "Plex found no match for {} (item {})",
                    query.title.as_deref().unwrap_or(""),
                    clean(&args.id)
                ))
            })?;
            (best.guid.clone(), best.name.clone(), best.year)
        }
    };
    client
        .apply_match(&args.id, &guid, &name, year)
        .await
        .map_err(CliError::for_item(&args.id))?;
    if ctx.json {
        return print_json(&json!({ "id": args.id, "guid": guid, "name": name, "year": year }));
    }
    let year = year.map(|y| format!(" ({y})")).unwrap_or_default();
    outln!(
        "Matched item {} to {}{year} [{}].",
        clean(&args.id),
        clean(&name),
        clean(&guid)
    );
    Ok(())
}
