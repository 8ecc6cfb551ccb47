//! Section endpoints: the section list, filtered and paged item lists,
//! recently added, scans and their cancellation, edits, collections.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::{done, started};
use crate::sim::activity;
use crate::sim::item::{ItemKind, SimItem};
use crate::sim::library::Library;
use crate::sim::notify;
use crate::sim::params::Params;
use crate::sim::reaction;
use crate::sim::rejection::Rejection;
use crate::sim::render;
use crate::sim::shared::{Shared, lock};

/// `GET /library/sections` (and `/library/sections/all`).
pub(crate) async fn list(State(sh): State<Arc<Shared>>) -> Response {
    let lib = lock(&sh.library);
    let dirs = lib
        .sections()
        .iter()
        .map(|s| render::section(&lib, s))
        .collect();
    let mut extra = Map::new();
    extra.insert("allowSync".into(), false.into());
    extra.insert("title1".into(), "Plex Library".into());
    render::container("Directory", dirs, extra).into_response()
}

/// Sort order from `sort=addedAt:desc` (also `updatedAt`, `title`, `titleSort`).
fn sort_items(items: &mut [&SimItem], sort: Option<&str>) {
    let Some(sort) = sort else {
        return;
    };
    let (field, desc) = match sort.split_once(':') {
        Some((f, dir)) => (f, dir.eq_ignore_ascii_case("desc")),
        None => (sort, false),
    };
    match field {
        "addedAt" => items.sort_by_key(|i| i.added_at),
        "updatedAt" => items.sort_by_key(|i| i.updated_at),
        "title" | "titleSort" => items.sort_by_key(|i| i.title.to_lowercase()),
        _ => return,
    }
    if desc {
        items.reverse();
    }
}

/// Pages a list and renders it with `totalSize`/`offset` and the paging
/// response headers.
fn paged(
    lib: &Library,
    items: &[&SimItem],
    params: &Params,
    mut extra: Map<String, Value>,
) -> Result<Response, Rejection> {
    let total = items.len();
    let start = params.container("start")?.unwrap_or(0) as usize;
    let size = params
        .container("size")?
        .map(|s| s as usize)
        .unwrap_or(usize::MAX);
    let include_guids = params.flag("includeGuids");
    let page: Vec<Value> = items
        .iter()
        .skip(start)
        .take(size)
        .map(|i| render::item(lib, i, include_guids))
        .collect();
    extra.insert("totalSize".into(), total.into());
    extra.insert("offset".into(), start.into());
    let mut r = render::container("Metadata", page, extra).into_response();
    for (name, value) in [
        ("x-plex-container-start", start),
        ("x-plex-container-total-size", total),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
            r.headers_mut().insert(name, v);
        }
    }
    Ok(r)
}

/// `GET /library/sections/{sid}/all[?type=&file=&guid=&title=&sort=&includeGuids=1]`.
/// `file=` and `title=` are contains-matches (Plex's string filters); for
/// shows, `file=` looks at the files of every episode below.
pub(crate) async fn items(
    State(sh): State<Arc<Shared>>,
    Path(sid): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    let lib = lock(&sh.library);
    let section = lib
        .section(&sid)
        .ok_or_else(|| Rejection::NotFound(format!("section {sid}")))?;
    let kind = match params.number("type")? {
        Some(code) => ItemKind::from_code(code as u32)
            .ok_or_else(|| Rejection::BadRequest(format!("unknown type {code}")))?,
        None => section.kind,
    };
    let file = params.get("file").filter(|f| !f.is_empty());
    let guid = params.get("guid").filter(|g| !g.is_empty());
    let title = params
        .get("title")
        .map(str::to_lowercase)
        .filter(|t| !t.is_empty());
    let mut found: Vec<&SimItem> = lib
        .items()
        .filter(|i| i.section_id == sid && i.kind == kind)
        .filter(|i| file.is_none_or(|f| lib.files_below(i).iter().any(|p| p.contains(f))))
        .filter(|i| guid.is_none_or(|g| i.guid == g || i.external_guids.iter().any(|x| x == g)))
        .filter(|i| {
            title
                .as_deref()
                .is_none_or(|t| i.title.to_lowercase().contains(t))
        })
        .collect();
    sort_items(&mut found, params.get("sort"));
    let extra = render::section_extra(section);
    paged(&lib, &found, &params, extra)
}

/// `GET /library/sections/{sid}/recentlyAdded`.
pub(crate) async fn recently_added_in(
    State(sh): State<Arc<Shared>>,
    Path(sid): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    let lib = lock(&sh.library);
    let section = lib
        .section(&sid)
        .ok_or_else(|| Rejection::NotFound(format!("section {sid}")))?;
    let extra = render::section_extra(section);
    recent(&lib, Some(&sid), &params, extra)
}

/// `GET /library/recentlyAdded`.
pub(crate) async fn recently_added(
    State(sh): State<Arc<Shared>>,
    params: Params,
) -> Result<Response, Rejection> {
    let lib = lock(&sh.library);
    recent(&lib, None, &params, Map::new())
}

/// Every item but collections, newest `addedAt` first (rating key breaks ties).
fn recent(
    lib: &Library,
    sid: Option<&str>,
    params: &Params,
    extra: Map<String, Value>,
) -> Result<Response, Rejection> {
    let kind = params
        .number("type")?
        .and_then(|c| ItemKind::from_code(c as u32));
    let mut found: Vec<&SimItem> = lib
        .items()
        .filter(|i| i.collection.is_none())
        .filter(|i| sid.is_none_or(|s| i.section_id == s))
        .filter(|i| kind.is_none_or(|k| i.kind == k))
        .collect();
    found.sort_by_key(|i| {
        (
            std::cmp::Reverse(i.added_at),
            std::cmp::Reverse(i.rating_key.parse::<u64>().unwrap_or(0)),
        )
    });
    paged(lib, &found, params, extra)
}

/// `GET|POST /library/sections/{sid}/refresh[?path=&force=1]`; `sid` may be
/// `all`. Returns the scan activity's uuid in `X-Plex-Activity`.
pub(crate) async fn refresh(
    State(sh): State<Arc<Shared>>,
    Path(sid): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    let path = params.get("path").filter(|p| !p.is_empty());
    let targets: Vec<String> = if sid == "all" {
        lock(&sh.library)
            .sections()
            .iter()
            .map(|s| s.id.clone())
            .collect()
    } else {
        vec![sid]
    };
    let mut first = None;
    for target in targets {
        let outcome = lock(&sh.library).scan(&target, path)?;
        let uuid = reaction::scan(&sh, &target, path, &outcome);
        first.get_or_insert(uuid);
    }
    Ok(match first {
        Some(uuid) => started(&uuid),
        None => done(),
    })
}

/// `DELETE /library/sections/{sid}/refresh`: cancels the section's scans.
pub(crate) async fn cancel_refresh(
    State(sh): State<Arc<Shared>>,
    Path(sid): Path<String>,
) -> Result<Response, Rejection> {
    let running: Vec<String> = {
        let lib = lock(&sh.library);
        if sid != "all" && lib.section(&sid).is_none() {
            return Err(Rejection::NotFound(format!("section {sid}")));
        }
        lib.activities()
            .iter()
            .filter(|a| a.kind == "library.update.section")
            .filter(|a| {
                sid == "all"
                    || a.context.get("librarySectionID").and_then(Value::as_str)
                        == Some(sid.as_str())
            })
            .map(|a| a.uuid.clone())
            .collect()
    };
    for uuid in running {
        let _ = activity::cancel(&sh, &uuid);
    }
    Ok(done())
}

/// `PUT /library/sections/{sid}/all?type=&id=&…`: field and tag edits. Each
/// edited item gets a timeline state-5 entry, as after any metadata change.
pub(crate) async fn edit(
    State(sh): State<Arc<Shared>>,
    Path(sid): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    let frames: Vec<_> = {
        let mut lib = lock(&sh.library);
        let titles = lib.collection_titles(&params.pairs);
        let ids = lib.edit(&sid, &params.pairs)?;
        lib.follow_collection_renames(&titles);
        ids.iter()
            .filter_map(|id| lib.item(id))
            .map(|i| notify::timeline(i, i.grandparent.as_deref(), notify::DONE))
            .collect()
    };
    for f in frames {
        sh.notify(f);
    }
    Ok(done())
}

/// `GET /library/sections/{sid}/collections`.
pub(crate) async fn collections(
    State(sh): State<Arc<Shared>>,
    Path(sid): Path<String>,
    params: Params,
) -> Result<Response, Rejection> {
    let lib = lock(&sh.library);
    let section = lib
        .section(&sid)
        .ok_or_else(|| Rejection::NotFound(format!("section {sid}")))?;
    let found: Vec<&SimItem> = lib
        .items()
        .filter(|i| i.section_id == sid && i.collection.is_some())
        .collect();
    paged(&lib, &found, &params, render::section_extra(section))
}

/// `PUT /library/sections/{sid}/analyze`: analysis of every item, as one activity.
pub(crate) async fn analyze(
    State(sh): State<Arc<Shared>>,
    Path(sid): Path<String>,
) -> Result<Response, Rejection> {
    Ok(started(&crate::sim::detection::analyze_section(&sh, &sid)?))
}
