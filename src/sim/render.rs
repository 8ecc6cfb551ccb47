//! JSON in the shapes of `fixtures/rest`: `MediaContainer` with
//! `Directory[]` for sections and `Metadata[]` for items, `Media[].Part[]`,
//! tag arrays, `Field[]` locks and (on request) `Guid[]`.

use axum::Json;
use serde_json::{Map, Value, json};

use super::item::{ItemKind, SimItem};
use super::library::{Library, Section};

/// `{"MediaContainer":{"size":N, <key>:[…], …extra}}`.
pub(crate) fn container(key: &str, entries: Vec<Value>, extra: Map<String, Value>) -> Json<Value> {
    let mut c = Map::new();
    c.insert("size".into(), entries.len().into());
    c.extend(extra);
    if !entries.is_empty() {
        c.insert(key.into(), Value::Array(entries));
    }
    Json(json!({ "MediaContainer": c }))
}

/// One `Directory` of `/library/sections`.
pub(crate) fn section(lib: &Library, s: &Section) -> Value {
    let idx = lib.sections.iter().position(|x| x.id == s.id).unwrap_or(0);
    let refreshing = lib.activities.iter().any(|a| {
        a.kind == "library.update.section"
            && a.context.get("librarySectionID").and_then(Value::as_str) == Some(&s.id)
    });
    let locations: Vec<Value> = s
        .locations
        .iter()
        .enumerate()
        .map(|(j, p)| json!({ "id": idx * 10 + j + 1, "path": p }))
        .collect();
    json!({
        "allowSync": true,
        "art": format!("/:/resources/{}-fanart.jpg", s.kind.as_str()),
        "composite": format!("/library/sections/{}/composite/1700000000", s.id),
        "contentChangedAt": 1000 + idx,
        "filters": true,
        "refreshing": refreshing,
        "thumb": format!("/:/resources/{}.png", s.kind.as_str()),
        "key": s.id,
        "type": s.kind.as_str(),
        "title": s.title,
        "agent": s.agent,
        "scanner": s.scanner,
        "language": "en-US",
        "uuid": s.uuid,
        "updatedAt": 1_700_000_000,
        "createdAt": 1_690_000_000,
        "scannedAt": 1_700_000_000,
        "content": true,
        "directory": true,
        "hidden": 0,
        "Location": locations,
    })
}

/// The container fields list endpoints of a section carry.
pub(crate) fn section_extra(s: &Section) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("allowSync".into(), true.into());
    m.insert("identifier".into(), "com.plexapp.plugins.library".into());
    m.insert("librarySectionID".into(), section_number(&s.id));
    m.insert("librarySectionTitle".into(), s.title.clone().into());
    m.insert("librarySectionUUID".into(), s.uuid.clone().into());
    m.insert(
        "mediaTagPrefix".into(),
        "/system/bundle/media/flags/".into(),
    );
    m
}

/// `librarySectionID` is a JSON number in item JSON.
fn section_number(id: &str) -> Value {
    id.parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| id.into())
}

/// The JSON key of a tag kind: `genre` → `Genre`.
pub(crate) fn tag_key(kind: &str) -> String {
    let mut c = kind.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// One `Metadata` entry.
pub(crate) fn item(lib: &Library, it: &SimItem, include_guids: bool) -> Value {
    let mut m = Map::new();
    let rk = &it.rating_key;
    m.insert("ratingKey".into(), rk.clone().into());
    let key = match it.kind {
        ItemKind::Show
        | ItemKind::Season
        | ItemKind::Artist
        | ItemKind::Album
        | ItemKind::Collection => {
            format!("/library/metadata/{rk}/children")
        }
        _ => it.key(),
    };
    m.insert("key".into(), key.into());
    m.insert("guid".into(), it.guid.clone().into());
    m.insert("type".into(), it.kind.as_str().into());
    m.insert("title".into(), it.title.clone().into());
    if let Some(y) = it.year {
        m.insert("year".into(), y.into());
    }
    if let Some(s) = lib.section(&it.section_id) {
        m.insert("librarySectionID".into(), section_number(&s.id));
        m.insert("librarySectionTitle".into(), s.title.clone().into());
        m.insert(
            "librarySectionKey".into(),
            format!("/library/sections/{}", s.id).into(),
        );
    }
    for (k, v) in &it.fields {
        m.insert(k.clone(), v.clone().into());
    }
    if let Some(i) = it.index {
        m.insert("index".into(), i.into());
    }
    m.insert("addedAt".into(), it.added_at.into());
    m.insert("updatedAt".into(), it.updated_at.into());
    if it.selected_poster().is_some() {
        m.insert(
            "thumb".into(),
            format!("/library/metadata/{rk}/thumb/{}", it.updated_at).into(),
        );
    }
    if it.selected_art().is_some() {
        m.insert(
            "art".into(),
            format!("/library/metadata/{rk}/art/{}", it.updated_at).into(),
        );
    }
    ancestry(lib, it, &mut m);
    if let Some(c) = &it.collection {
        m.insert("subtype".into(), c.content.as_str().into());
        m.insert("smart".into(), Value::from(if c.smart { "1" } else { "0" }));
        if let Some(uri) = &c.uri {
            m.insert("content".into(), uri.clone().into());
        }
        m.insert("childCount".into(), lib.children(rk).len().into());
    }
    if !it.files.is_empty() {
        m.insert("Media".into(), media(it));
    }
    if let Some(folder) = &it.folder {
        m.insert("Location".into(), json!([{ "path": folder }]));
    }
    for (kind, tags) in &it.tags {
        if !tags.is_empty() {
            let arr: Vec<Value> = tags.iter().map(|t| json!({ "tag": t })).collect();
            m.insert(tag_key(kind), Value::Array(arr));
        }
    }
    if !it.locked_fields.is_empty() {
        let arr: Vec<Value> = it
            .locked_fields
            .iter()
            .map(|f| json!({ "locked": true, "name": f }))
            .collect();
        m.insert("Field".into(), Value::Array(arr));
    }
    if include_guids && !it.external_guids.is_empty() {
        let arr: Vec<Value> = it
            .external_guids
            .iter()
            .map(|g| json!({ "id": g }))
            .collect();
        m.insert("Guid".into(), Value::Array(arr));
    }
    Value::Object(m)
}

/// `parent*` / `grandparent*` fields of seasons, episodes, albums, tracks.
fn ancestry(lib: &Library, it: &SimItem, m: &mut Map<String, Value>) {
    if let Some(p) = it.parent.as_deref().and_then(|p| lib.item(p)) {
        m.insert("parentRatingKey".into(), p.rating_key.clone().into());
        m.insert("parentKey".into(), p.key().into());
        m.insert("parentTitle".into(), p.title.clone().into());
        m.insert("parentGuid".into(), p.guid.clone().into());
        if let Some(i) = p.index {
            m.insert("parentIndex".into(), i.into());
        }
    }
    if let Some(g) = it.grandparent.as_deref().and_then(|g| lib.item(g)) {
        m.insert("grandparentRatingKey".into(), g.rating_key.clone().into());
        m.insert("grandparentKey".into(), g.key().into());
        m.insert("grandparentTitle".into(), g.title.clone().into());
        m.insert("grandparentGuid".into(), g.guid.clone().into());
    }
}

/// `Media[].Part[]` for an item's files; ids derive from the rating key so
/// they are stable between requests.
fn media(it: &SimItem) -> Value {
    let base: u64 = it.rating_key.parse().unwrap_or(0) * 100;
    let arr: Vec<Value> = it
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let id = base + i as u64;
            let ext = f.rsplit_once('.').map(|(_, e)| e).unwrap_or("mkv");
            json!({
                "id": id,
                "container": ext,
                "Part": [{
                    "id": id,
                    "key": format!("/library/parts/{id}/{}/file.{ext}", it.added_at),
                    "file": f,
                    "size": 1_000_000 + id,
                    "container": ext,
                }],
            })
        })
        .collect();
    Value::Array(arr)
}
