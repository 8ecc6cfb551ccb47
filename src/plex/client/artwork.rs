//! Posters and backgrounds: list candidates, upload, select.

use super::PlexClient;
use crate::plex::error::PlexError;
use crate::plex::model::Image;
use crate::plex::request::{self, ImageKind};

impl PlexClient {
    /// The candidates of one image kind.
    pub async fn images(&self, id: &str, kind: ImageKind) -> Result<Vec<Image>, PlexError> {
        Ok(self
            .container::<Image>(&request::list_images(id, kind))
            .await?
            .metadata)
    }

    /// Poster candidates.
    pub async fn posters(&self, id: &str) -> Result<Vec<Image>, PlexError> {
        self.images(id, ImageKind::Poster).await
    }

    /// Background candidates.
    pub async fn arts(&self, id: &str) -> Result<Vec<Image>, PlexError> {
        self.images(id, ImageKind::Art).await
    }

    /// Uploads raw image bytes.
    pub async fn upload_image(
        &self,
        id: &str,
        kind: ImageKind,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), PlexError> {
        self.send(&request::upload_image(id, kind, bytes, content_type))
            .await
    }

    /// Asks Plex to fetch an image from `url`.
    pub async fn upload_image_url(
        &self,
        id: &str,
        kind: ImageKind,
        url: &str,
    ) -> Result<(), PlexError> {
        self.send(&request::upload_image_url(id, kind, url)).await
    }

    /// Uploads a poster from bytes; the content type comes from the bytes.
    pub async fn upload_poster(&self, id: &str, bytes: Vec<u8>) -> Result<(), PlexError> {
        let content_type = sniffed(&bytes);
        self.upload_image(id, ImageKind::Poster, bytes, content_type)
            .await
    }

    /// Uploads a poster by URL.
    pub async fn upload_poster_url(&self, id: &str, url: &str) -> Result<(), PlexError> {
        self.upload_image_url(id, ImageKind::Poster, url).await
    }

    /// Uploads a background from bytes; the content type comes from the bytes.
    pub async fn upload_art(&self, id: &str, bytes: Vec<u8>) -> Result<(), PlexError> {
        let content_type = sniffed(&bytes);
        self.upload_image(id, ImageKind::Art, bytes, content_type)
            .await
    }

    /// Uploads a background by URL.
    pub async fn upload_art_url(&self, id: &str, url: &str) -> Result<(), PlexError> {
        self.upload_image_url(id, ImageKind::Art, url).await
    }

    /// Selects a candidate by its key.
    pub async fn select_image(
        &self,
        id: &str,
        kind: ImageKind,
        key: &str,
    ) -> Result<(), PlexError> {
        self.send(&request::select_image(id, kind, key)).await
    }

    /// Selects a poster.
    pub async fn select_poster(&self, id: &str, key: &str) -> Result<(), PlexError> {
        self.select_image(id, ImageKind::Poster, key).await
    }

    /// Selects a background.
    pub async fn select_art(&self, id: &str, key: &str) -> Result<(), PlexError> {
        self.select_image(id, ImageKind::Art, key).await
    }
}

fn sniffed(bytes: &[u8]) -> &'static str {
    request::sniff_image(bytes).unwrap_or("application/octet-stream")
}
