//! Server activities.

use super::PlexClient;
use crate::plex::error::PlexError;
use crate::plex::model::{Activity, Item};
use crate::plex::request;

impl PlexClient {
    /// What the server is busy with.
    pub async fn activities(&self) -> Result<Vec<Activity>, PlexError> {
        Ok(self
            .container::<Item>(&request::activities())
            .await?
            .activity)
    }

    /// Cancels an activity.
    pub async fn cancel_activity(&self, uuid: &str) -> Result<(), PlexError> {
        self.send(&request::cancel_activity(uuid)).await
    }
}
