//! Collections: list, create, add and remove items, edit, delete.

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

    /// The collections of section `section`.
    pub async fn collections(&self, section: &str) -> Result<Vec<Item>, PlexError> {
        Ok(self
            .container::<Item>(&request::section_collections(section))
            .await?
            .metadata)
    }

    /// What collection `collection` holds now (a smart one: what its filter selects).
    pub async fn collection_items(&self, collection: &str) -> Result<Vec<Item>, PlexError> {
        Ok(self
            .container::<Item>(&request::collection_items(collection))
            .await?
            .metadata)
    }

    /// Sets title, sort title or summary of a collection in `section`.
    pub async fn edit_collection(
        &self,
        section: &str,
        collection: &str,
        fields: &[(String, String)],
        lock: bool,
    ) -> Result<(), PlexError> {
        self.send(&request::edit_collection(section, collection, fields, lock))
            .await
    }

    /// Deletes a collection of `section` (its items stay).
    pub async fn delete_collection(
        &self,
        section: &str,
        collection: &str,
    ) -> Result<(), PlexError> {
        self.send(&request::delete_collection(section, collection))
            .await
    }
}
