//! Features an older Plex Media Server lacks. Such a server answers 404 for
//! the whole endpoint (`PUT /library/metadata/{id}/intro`), which looks like
//! "item not found". [`PlexClient::send_feature`] tells the two apart once
//! (the item or section is there, so the endpoint is not), warns once per
//! feature naming the server's version, and from then on refuses the feature
//! without sending anything: an old server gets one warning, not a retry storm.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{PlexClient, RawResponse};
use crate::plex::error::PlexError;
use crate::plex::request::PlexRequest;

/// What proves the target of a feature request exists, so that a 404 must be
/// the endpoint's.
#[derive(Debug, Clone, Copy)]
pub enum FeatureTarget<'a> {
    /// An item (ratingKey).
    Item(&'a str),
    /// A library section id.
    Section(&'a str),
}

/// Features found missing on this server, with the version it reported.
#[derive(Debug, Default)]
pub(crate) struct Features {
    missing: Mutex<HashMap<String, String>>,
}

impl Features {
    fn missing(&self, feature: &str) -> Option<String> {
        self.missing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(feature)
            .cloned()
    }

    /// Records the feature as missing; true the first time.
    fn mark(&self, feature: &str, version: &str) -> bool {
        self.missing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(feature.to_owned(), version.to_owned())
            .is_none()
    }
}

impl PlexClient {
    /// Sends `req`, a request for `feature` about `target`. A 404 while the
    /// target exists marks the feature missing: one WARN line naming the
    /// feature and the server version, then [`PlexError::Unsupported`] now
    /// and for every later call, without a request.
    pub async fn send_feature(
        &self,
        req: &PlexRequest,
        feature: &str,
        target: FeatureTarget<'_>,
    ) -> Result<RawResponse, PlexError> {
        if let Some(version) = self.inner.features.missing(feature) {
            return Err(unsupported(feature, version));
        }
        let err = match self.send_raw(req).await {
            Err(e @ PlexError::NotFound { .. }) => e,
            other => return other,
        };
        let exists = match target {
            FeatureTarget::Item(id) => self.item(id).await?.is_some(),
            FeatureTarget::Section(id) => self.section(id).await?.is_some(),
        };
        if !exists {
            return Err(err);
        }
        let version = match self.identity().await {
            Ok(id) => id.version.unwrap_or_else(|| "unknown".to_owned()),
            Err(_) => "unknown".to_owned(),
        };
        if self.inner.features.mark(feature, &version) {
            tracing::warn!(
                feature,
                server_version = %version,
                endpoint = %req.endpoint(),
                "This Plex server does not know {feature} (404 for the whole endpoint); it is skipped until Plex is upgraded."
            );
        }
        Err(unsupported(feature, version))
    }
}

fn unsupported(feature: &str, version: String) -> PlexError {
    PlexError::Unsupported {
        feature: feature.to_owned(),
        version,
    }
}
