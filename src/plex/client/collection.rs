//! Collections: create, add and remove items.

use super::PlexClient;
use crate::plex::error::PlexError;
use crate::plex::model::{Item, MediaType};
use crate::plex::request;

/// What a new collection holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectionContent {
    /// A regular collection of these items.
    Items(Vec<String>),
    /// A smart collection over this section filter (`genre=Action`).
    Smart(String),
}

impl PlexClient {
    /// Creates a collection and returns it as Plex describes it.
    pub async fn create_collection(
        &self,
        section: &str,
        kind: MediaType,
        title: &str,
        content: &CollectionContent,
    ) -> Result<Option<Item>, PlexError> {
        let machine = self.identity().await?.machine_identifier;
        let (smart, uri) = match content {
            CollectionContent::Items(ids) => (false, request::items_uri(&machine, ids)),
            CollectionContent::Smart(filter) => {
                (true, request::smart_uri(&machine, section, kind, filter))
            }
        };
        let req = request::create_collection(section, kind, title, smart, &uri);
        Ok(self
            .container::<Item>(&req)
            .await?
            .metadata
            .into_iter()
            .next())
    }

    /// Adds items to a collection.
    pub async fn add_to_collection(
        &self,
        collection: &str,
        ids: &[String],
    ) -> Result<(), PlexError> {
        let machine = self.identity().await?.machine_identifier;
        let uri = request::items_uri(&machine, ids);
        self.send(&request::add_to_collection(collection, &uri))
            .await
    }

    /// Removes one item from a collection.
    pub async fn remove_from_collection(
        &self,
        collection: &str,
        item: &str,
    ) -> Result<(), PlexError> {
        self.send(&request::remove_from_collection(collection, item))
            .await
    }
}
