//! Detection jobs (intro, credits, chapter thumbnails, voice, ads) and a
//! section's analysis: each starts a background activity and answers at once.

use super::PlexClient;
use super::feature::FeatureTarget;
use crate::plex::error::PlexError;
use crate::plex::model::Item;
use crate::plex::request::{self, DetectKind};

impl PlexClient {
    /// Starts `kind` on item `id`; returns the `X-Plex-Activity` uuid when
    /// Plex names the activity. An old server without the endpoint gives
    /// [`PlexError::Unsupported`] (warned about once).
    pub async fn detect(
        &self,
        id: &str,
        kind: DetectKind,
        force: bool,
    ) -> Result<Option<String>, PlexError> {
        let req = request::detect(id, kind, force);
        let resp = self
            .send_feature(&req, kind.feature(), FeatureTarget::Item(id))
            .await?;
        Ok(resp.activity_uuid())
    }

    /// Starts the analysis of every item in section `id`.
    pub async fn analyze_section(&self, id: &str) -> Result<Option<String>, PlexError> {
        let req = request::analyze_section(id);
        let resp = self
            .send_feature(&req, "section analysis", FeatureTarget::Section(id))
            .await?;
        Ok(resp.activity_uuid())
    }

    /// An item with its markers and chapters; `None` when it is gone.
    pub async fn item_with_markers(&self, id: &str) -> Result<Option<Item>, PlexError> {
        let c = super::found(
            self.container::<Item>(&request::item_with_markers(id))
                .await,
        )?;
        Ok(c.and_then(|c| c.metadata.into_iter().next()))
    }
}
