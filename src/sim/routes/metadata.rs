//! Item endpoints: metadata, children, refresh, analyze, match candidates,
//! match and unmatch.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::started;
use crate::sim::detection;
use crate::sim::library::now_epoch;
use crate::sim::params::Params;
use crate::sim::reaction::{self, RefreshCause};
use crate::sim::rejection::Rejection;
use crate::sim::render;
use crate::sim::shared::{Shared, lock};

/// `GET /library/metadata/{ids}`: one id or a comma list; any unknown id is a 404.
pub(crate) async fn get_items(
    State(sh): State<Arc<Shared>>,
    Path(ids): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    let lib = lock(&sh.library);
    let mut entries = Vec::new();
    let mut section = None;
    for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let item = lib
            .item(id)
            .ok_or_else(|| Rejection::NotFound(format!("item {id}")))?;
        section = section.or_else(|| lib.section(&item.section_id));
        let mut entry = render::item(&lib, item, params.flag("includeGuids"));
        detection::decorate(
            item,
            &mut entry,
            params.flag("includeMarkers"),
            params.flag("includeChapters"),
        );
        entries.push(entry);
    }
    if entries.is_empty() {
        return Err(Rejection::NotFound("no ids".into()));
    }
    let extra = section.map(render::section_extra).unwrap_or_default();
    Ok(render::container("Metadata", entries, extra).into_response())
}

/// `GET /library/metadata/{id}/children`.
pub(crate) async fn children(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    let lib = lock(&sh.library);
    let parent = lib
        .item(&id)
        .ok_or_else(|| Rejection::NotFound(format!("item {id}")))?;
    let mut extra = lib
        .section(&parent.section_id)
        .map(render::section_extra)
        .unwrap_or_default();
    extra.insert("key".into(), id.clone().into());
    extra.insert("parentTitle".into(), parent.title.clone().into());
    let entries = lib
        .children(&id)
        .into_iter()
        .map(|c| render::item(&lib, c, params.flag("includeGuids")))
        .collect();
    Ok(render::container("Metadata", entries, extra).into_response())
}

/// Bumps a counter on the item (404 if unknown) and starts its refresh activity.
fn refresh_like(sh: &Arc<Shared>, id: &str, cause: RefreshCause) -> Result<Response, Rejection> {
    {
        let mut lib = lock(&sh.library);
        let item = lib
            .item_mut(id)
            .ok_or_else(|| Rejection::NotFound(format!("item {id}")))?;
        match cause {
            RefreshCause::Analyze => item.analyze_count += 1,
            _ => item.refresh_count += 1,
        }
        item.updated_at = now_epoch();
    }
    Ok(started(&reaction::refresh_item(sh, id, cause)))
}

/// `PUT /library/metadata/{id}/refresh`.
pub(crate) async fn refresh(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, Rejection> {
    refresh_like(&sh, &id, RefreshCause::Refresh)
}

/// `PUT /library/metadata/{id}/analyze`.
pub(crate) async fn analyze(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, Rejection> {
    refresh_like(&sh, &id, RefreshCause::Analyze)
}

/// `PUT /library/metadata/{id}/unmatch`.
pub(crate) async fn unmatch(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, Rejection> {
    lock(&sh.library).unmatch(&id)?;
    Ok(started(&reaction::refresh_item(
        &sh,
        &id,
        RefreshCause::Refresh,
    )))
}

/// `GET|PUT /library/metadata/{id}/matches?manual=1[&title=&year=&agent=]`.
pub(crate) async fn matches(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    let year = params
        .number("year")?
        .map(|y| i32::try_from(y).map_err(|_| Rejection::BadRequest("year out of range".into())))
        .transpose()?;
    let lib = lock(&sh.library);
    let found = lib.match_candidates(&id, params.get("title"), year)?;
    let kind = lib.item(&id).map(|i| i.kind.as_str()).unwrap_or("movie");
    let entries: Vec<Value> = found
        .into_iter()
        .map(|(e, score)| {
            let mut v = json!({
                "type": kind,
                "guid": e.guid,
                "name": e.title,
                "score": score,
                "lifespanEnded": false,
                "thumb": format!("https://metadata-static.plex.tv/sim/{}.jpg", e.guid.rsplit('/').next().unwrap_or("")),
            });
            if let (Some(y), Some(m)) = (e.year, v.as_object_mut()) {
                m.insert("year".into(), y.into());
            }
            v
        })
        .collect();
    let mut extra = Map::new();
    extra.insert("identifier".into(), "com.plexapp.plugins.library".into());
    Ok(render::container("SearchResult", entries, extra).into_response())
}

/// `PUT /library/metadata/{id}/match?guid=&name=[&year=]`.
pub(crate) async fn apply_match(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    let guid = params.required("guid")?;
    {
        let mut lib = lock(&sh.library);
        if lib.item(&id).is_none() {
            return Err(Rejection::NotFound(format!("item {id}")));
        }
        lib.apply_match(&id, guid)?;
    }
    Ok(started(&reaction::refresh_item(
        &sh,
        &id,
        RefreshCause::Match,
    )))
}

/// `PUT /library/metadata/{id}/{intro|credits|chapterThumbs|voiceActivity|addetect}[?force=1]`.
pub(crate) async fn detect(
    State(sh): State<Arc<Shared>>,
    Path((id, job)): Path<(String, String)>,
    params: Params,
) -> Result<Response, Rejection> {
    let uuid = detection::start(&sh, &id, &job, params.flag("force"))?;
    Ok(started(&uuid))
}
