//! Poster and background endpoints: list, upload (raw body or `?url=`), select.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{done, started};
use crate::sim::artwork::ImageSlot;
use crate::sim::params::Params;
use crate::sim::reaction::{self, RefreshCause};
use crate::sim::rejection::Rejection;
use crate::sim::render;
use crate::sim::shared::{Shared, lock};

fn list(sh: &Shared, id: &str, slot: ImageSlot) -> Result<Response, Rejection> {
    let lib = lock(&sh.library);
    let item = lib
        .item(id)
        .ok_or_else(|| Rejection::NotFound(format!("item {id}")))?;
    let entries: Vec<Value> = slot
        .list(item)
        .iter()
        .map(|img| {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("url", &img.rating_key)
                .finish();
            let key = format!("/library/metadata/{id}/file?{query}");
            let mut v = json!({
                "key": key,
                "ratingKey": img.rating_key,
                "selected": img.selected,
                "thumb": key,
            });
            if let (Some(p), Some(m)) = (&img.provider, v.as_object_mut()) {
                m.insert("provider".into(), p.clone().into());
            }
            v
        })
        .collect();
    Ok(render::container("Metadata", entries, Map::new()).into_response())
}

fn upload(
    sh: &Arc<Shared>,
    id: &str,
    slot: ImageSlot,
    params: &Params,
    body: &[u8],
) -> Result<Response, Rejection> {
    {
        let mut lib = lock(&sh.library);
        match params.get("url") {
            Some(url) => lib.upload_image_url(id, slot, url)?,
            None => lib.upload_image(id, slot, body)?,
        };
    }
    Ok(started(&reaction::refresh_item(
        sh,
        id,
        RefreshCause::Image,
    )))
}

fn select(sh: &Shared, id: &str, slot: ImageSlot, params: &Params) -> Result<Response, Rejection> {
    let key = params.required("url")?;
    lock(&sh.library).select_image(id, slot, key)?;
    Ok(done())
}

/// `GET /library/metadata/{id}/posters`.
pub(crate) async fn list_posters(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, Rejection> {
    list(&sh, &id, ImageSlot::Poster)
}

/// `GET /library/metadata/{id}/arts`.
pub(crate) async fn list_arts(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, Rejection> {
    list(&sh, &id, ImageSlot::Art)
}

/// `POST /library/metadata/{id}/posters` with raw bytes or `?url=`.
pub(crate) async fn upload_poster(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    params: Params,
    body: Bytes,
) -> Result<Response, Rejection> {
    upload(&sh, &id, ImageSlot::Poster, &params, &body)
}

/// `POST /library/metadata/{id}/arts` with raw bytes or `?url=`.
pub(crate) async fn upload_art(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    params: Params,
    body: Bytes,
) -> Result<Response, Rejection> {
    upload(&sh, &id, ImageSlot::Art, &params, &body)
}

/// `PUT /library/metadata/{id}/poster?url=<candidate ratingKey>`.
pub(crate) async fn select_poster(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    select(&sh, &id, ImageSlot::Poster, &params)
}

/// `PUT /library/metadata/{id}/art?url=<candidate ratingKey>`.
pub(crate) async fn select_art(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    select(&sh, &id, ImageSlot::Art, &params)
}
