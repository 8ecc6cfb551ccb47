//! Posters and backgrounds: listing candidates, uploads (content-addressed by
//! SHA-1, so the same bytes never make a second entry), and selection.

use sha1::{Digest, Sha1};

use super::item::{Image, SimItem};
use super::library::{Library, now_epoch};
use super::rejection::Rejection;

/// Which image list: `posters` (the `thumb` field) or `arts` (backgrounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSlot {
    /// Posters (`thumb`).
    Poster,
    /// Backgrounds (`art`).
    Art,
}

impl ImageSlot {
    /// The plural path segment, `posters` / `arts`, also used in `upload://` keys.
    pub fn plural(self) -> &'static str {
        match self {
            ImageSlot::Poster => "posters",
            ImageSlot::Art => "arts",
        }
    }

    pub(crate) fn list(self, item: &SimItem) -> &[Image] {
        match self {
            ImageSlot::Poster => &item.posters,
            ImageSlot::Art => &item.arts,
        }
    }

    fn list_mut(self, item: &mut SimItem) -> &mut Vec<Image> {
        match self {
            ImageSlot::Poster => &mut item.posters,
            ImageSlot::Art => &mut item.arts,
        }
    }
}

/// `upload://posters/<sha1 hex>` for these bytes.
pub fn upload_key(slot: ImageSlot, bytes: &[u8]) -> String {
    format!("upload://{}/{:x}", slot.plural(), Sha1::digest(bytes))
}

impl Library {
    /// Stores uploaded bytes as a candidate and selects it. Identical bytes
    /// reuse the existing entry. An empty body is refused (400).
    pub fn upload_image(
        &mut self,
        id: &str,
        slot: ImageSlot,
        bytes: &[u8],
    ) -> Result<String, Rejection> {
        if bytes.is_empty() {
            return Err(Rejection::BadRequest("empty upload".into()));
        }
        let key = upload_key(slot, bytes);
        self.add_and_select(id, slot, key, bytes.len())
    }

    /// Records a poster given by URL (`POST …/posters?url=`) and selects it.
    /// Nothing is fetched: the URL itself is the candidate's key.
    pub fn upload_image_url(
        &mut self,
        id: &str,
        slot: ImageSlot,
        url: &str,
    ) -> Result<String, Rejection> {
        if url.trim().is_empty() {
            return Err(Rejection::BadRequest("empty url".into()));
        }
        self.add_and_select(id, slot, url.to_owned(), 0)
    }

    /// Selects an existing candidate by its rating key (`PUT …/poster?url=`).
    pub fn select_image(&mut self, id: &str, slot: ImageSlot, key: &str) -> Result<(), Rejection> {
        let item = self
            .item_mut(id)
            .ok_or_else(|| Rejection::NotFound(format!("item {id}")))?;
        let list = slot.list_mut(item);
        if !list.iter().any(|i| i.rating_key == key) {
            return Err(Rejection::NotFound(format!(
                "no {} candidate {key}",
                slot.plural()
            )));
        }
        for i in list.iter_mut() {
            i.selected = i.rating_key == key;
        }
        item.updated_at = now_epoch();
        Ok(())
    }

    fn add_and_select(
        &mut self,
        id: &str,
        slot: ImageSlot,
        key: String,
        size: usize,
    ) -> Result<String, Rejection> {
        let item = self
            .item_mut(id)
            .ok_or_else(|| Rejection::NotFound(format!("item {id}")))?;
        let list = slot.list_mut(item);
        if !list.iter().any(|i| i.rating_key == key) {
            list.push(Image {
                rating_key: key.clone(),
                provider: None,
                selected: false,
                size,
            });
        }
        for i in list.iter_mut() {
            i.selected = i.rating_key == key;
        }
        item.updated_at = now_epoch();
        Ok(key)
    }
}
