//! Collection endpoints (official spec paths): create, list members, add by
//! `uri=`, remove one item (`DELETE` as python-plexapi sends it, `PUT` as the
//! spec documents it), delete the collection.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::Map;

use super::done;
use crate::sim::item::ItemKind;
use crate::sim::params::Params;
use crate::sim::rejection::Rejection;
use crate::sim::render;
use crate::sim::shared::{Shared, lock};

/// `POST /library/collections?type=&title=&smart=0|1&sectionId=&uri=`;
/// answers with the collection's `Metadata`.
pub(crate) async fn create(
    State(sh): State<Arc<Shared>>,
    params: Params,
) -> Result<Response, Rejection> {
    let section = params.required("sectionId")?;
    let title = params.required("title")?;
    let content = params
        .number("type")?
        .and_then(|c| ItemKind::from_code(c as u32))
        .ok_or_else(|| Rejection::BadRequest("type= is missing or unknown".into()))?;
    let smart = params.flag("smart");
    let mut lib = lock(&sh.library);
    let id = lib.create_collection(section, title, content, smart, params.get("uri"))?;
    let entry = lib
        .item(&id)
        .map(|c| render::item(&lib, c, false))
        .into_iter()
        .collect();
    Ok(render::container("Metadata", entry, Map::new()).into_response())
}

/// `GET /library/collections/{cid}/items`.
pub(crate) async fn items(
    State(sh): State<Arc<Shared>>,
    Path(cid): Path<String>,
) -> Result<Response, Rejection> {
    let lib = lock(&sh.library);
    if lib.item(&cid).is_none_or(|c| c.collection.is_none()) {
        return Err(Rejection::NotFound(format!("collection {cid}")));
    }
    let entries = lib
        .children(&cid)
        .into_iter()
        .map(|i| render::item(&lib, i, false))
        .collect();
    Ok(render::container("Metadata", entries, Map::new()).into_response())
}

/// `PUT /library/collections/{cid}/items?uri=`.
pub(crate) async fn add(
    State(sh): State<Arc<Shared>>,
    Path(cid): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    let uri = params.required("uri")?;
    lock(&sh.library).add_to_collection(&cid, uri)?;
    Ok(done())
}

/// `DELETE|PUT /library/collections/{cid}/items/{item}`.
pub(crate) async fn remove(
    State(sh): State<Arc<Shared>>,
    Path((cid, item)): Path<(String, String)>,
) -> Result<Response, Rejection> {
    lock(&sh.library).remove_from_collection(&cid, &item)?;
    Ok(done())
}

/// `DELETE /library/sections/{sid}/collection/{cid}`: the collection goes,
/// its items stay (without its tag).
pub(crate) async fn delete(
    State(sh): State<Arc<Shared>>,
    Path((sid, cid)): Path<(String, String)>,
) -> Result<Response, Rejection> {
    lock(&sh.library).delete_collection(&sid, &cid)?;
    Ok(done())
}
