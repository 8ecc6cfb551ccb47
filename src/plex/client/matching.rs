//! Matching items to agents, and the item-level refresh and analyze.

use super::PlexClient;
use crate::plex::error::PlexError;
use crate::plex::model::MatchCandidate;
use crate::plex::request::{self, MatchQuery};

impl PlexClient {
    /// The candidates Plex offers for an item, best first as Plex ranks them.
    pub async fn match_candidates(
        &self,
        id: &str,
        query: &MatchQuery,
    ) -> Result<Vec<MatchCandidate>, PlexError> {
        let req = request::match_candidates(id, query);
        Ok(self
            .container::<serde_json::Value>(&req)
            .await?
            .search_result)
    }

    /// Applies a match.
    pub async fn apply_match(
        &self,
        id: &str,
        guid: &str,
        name: &str,
        year: Option<i32>,
    ) -> Result<(), PlexError> {
        self.send(&request::match_item(id, guid, name, year)).await
    }

    /// `PUT …/unmatch`.
    pub async fn unmatch(&self, id: &str) -> Result<(), PlexError> {
        self.send(&request::unmatch(id)).await
    }

    /// `PUT …/refresh`; returns the activity uuid when Plex sends one.
    pub async fn refresh_item(&self, id: &str, force: bool) -> Result<Option<String>, PlexError> {
        Ok(self
            .send_raw(&request::refresh_item(id, force))
            .await?
            .activity_uuid())
    }

    /// `PUT …/analyze`; returns the activity uuid when Plex sends one.
    pub async fn analyze_item(&self, id: &str) -> Result<Option<String>, PlexError> {
        Ok(self
            .send_raw(&request::analyze_item(id))
            .await?
            .activity_uuid())
    }
}

/// The candidate to apply: the highest score, the first one on ties (Plex
/// already ranks them).
pub fn best_candidate(candidates: &[MatchCandidate]) -> Option<&MatchCandidate> {
    candidates
        .iter()
        .enumerate()
        .max_by(|(ia, a), (ib, b)| {
            a.score
                .unwrap_or(0)
                .cmp(&b.score.unwrap_or(0))
                .then(ib.cmp(ia))
        })
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(guid: &str, score: Option<i64>) -> MatchCandidate {
        MatchCandidate {
            guid: guid.into(),
            name: guid.into(),
            year: None,
            score,
            summary: None,
        }
    }

    #[test]
    fn best_candidate_prefers_score_then_plex_order() {
        let c = [
            cand("a", Some(90)),
            cand("b", Some(100)),
            cand("c", Some(100)),
        ];
        assert_eq!(best_candidate(&c).unwrap().guid, "b");
        let c = [cand("a", None), cand("b", None)];
        assert_eq!(best_candidate(&c).unwrap().guid, "a");
        assert!(best_candidate(&[]).is_none());
    }
}
