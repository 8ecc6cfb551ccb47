//! `match`: a guid is applied directly; an external id (tmdb, imdb, tvdb) is
//! searched as `title=tmdb-N` with `manual=1`, and the best candidate is
//! applied with `PUT …/match?guid=&name=`. An item already matched to the
//! target is skipped.

use super::outcome::Step;
use super::{ActionOutcome, Call, current};
use crate::plex::client::best_candidate;
use crate::plex::model::{Envelope, MatchCandidate};
use crate::plex::request::{self, MatchQuery};
use crate::rules::MatchTarget;

/// Matches item `id` to `target`, searching with `agent` when given.
pub(crate) async fn apply(
    call: &Call<'_>,
    id: &str,
    target: &MatchTarget,
    agent: Option<&str>,
) -> Step {
    let now = current::fetch(call, id).await?;
    let (provider, external) = match target {
        MatchTarget::Guid(guid) => {
            if now.item.guid.as_deref() == Some(guid.as_str()) {
                return Err(ActionOutcome::skipped(format!("already matched to {guid}")).into());
            }
            call.touch_item(id);
            call.send(&request::match_item(
                id,
                guid,
                &now.item.title,
                now.item.year,
            ))
            .await?;
            return Ok(format!("matched to {guid}"));
        }
        MatchTarget::Tmdb(n) => ("tmdb", n),
        MatchTarget::Imdb(n) => ("imdb", n),
        MatchTarget::Tvdb(n) => ("tvdb", n),
    };
    if now.item.external_id(provider) == Some(external.as_str()) {
        return Err(
            ActionOutcome::skipped(format!("already matched to {provider}-{external}")).into(),
        );
    }
    let mut query = MatchQuery::external(provider, external);
    query.agent = agent.map(str::to_owned);
    let req = request::match_candidates(id, &query);
    let resp = call.send(&req).await?;
    let env: Envelope<serde_json::Value> = resp.json(&req.endpoint())?;
    let candidates: Vec<MatchCandidate> = env.container.search_result;
    let Some(best) = best_candidate(&candidates) else {
        return Err(ActionOutcome::refused(format!(
            "Plex found no match for {provider}-{external}"
        ))
        .into());
    };
    if now.item.guid.as_deref() == Some(best.guid.as_str()) {
        return Err(ActionOutcome::skipped(format!("already matched to {}", best.guid)).into());
    }
    call.touch_item(id);
    call.send(&request::match_item(id, &best.guid, &best.name, best.year))
        .await?;
    Ok(format!(
        "matched to {} ({}) from {provider}-{external}",
        best.guid, best.name
    ))
}
