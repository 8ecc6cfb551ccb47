//! The REST endpoints of PROTOCOL.md §4, mounted behind the gate.

mod collections;
mod images;
mod metadata;
mod sections;
mod server;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};

use super::gate::gate;
use super::rejection::html_error;
use super::shared::Shared;

/// The whole HTTP surface: REST routes, the WebSocket endpoints, the gate.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    // The merged WebSocket routes start a segment with `:`; see there.
    Router::new()
        .without_v07_checks()
        .route("/", get(server::root))
        .route("/identity", get(server::identity))
        .route("/system/agents", get(server::agents))
        .route("/status/sessions", get(server::sessions))
        .route("/activities", get(server::activities))
        .route(
            "/activities/{uuid}",
            axum::routing::delete(server::cancel_activity),
        )
        .route("/library/sections", get(sections::list))
        .route("/library/sections/all", get(sections::list))
        .route(
            "/library/sections/{sid}/all",
            get(sections::items).put(sections::edit),
        )
        .route(
            "/library/sections/{sid}/recentlyAdded",
            get(sections::recently_added_in),
        )
        .route("/library/recentlyAdded", get(sections::recently_added))
        .route(
            "/library/sections/{sid}/refresh",
            get(sections::refresh)
                .post(sections::refresh)
                .delete(sections::cancel_refresh),
        )
        .route(
            "/library/sections/{sid}/collections",
            get(sections::collections),
        )
        .route("/library/sections/{sid}/analyze", put(sections::analyze))
        .route(
            "/library/sections/{sid}/collection/{cid}",
            axum::routing::delete(collections::delete),
        )
        .route("/library/metadata/{ids}", get(metadata::get_items))
        .route("/library/metadata/{id}/children", get(metadata::children))
        .route("/library/metadata/{id}/refresh", put(metadata::refresh))
        .route("/library/metadata/{id}/analyze", put(metadata::analyze))
        .route("/library/metadata/{id}/unmatch", put(metadata::unmatch))
        .route("/library/metadata/{id}/{job}", put(metadata::detect))
        .route(
            "/library/metadata/{id}/matches",
            get(metadata::matches).put(metadata::matches),
        )
        .route("/library/metadata/{id}/match", put(metadata::apply_match))
        .route(
            "/library/metadata/{id}/posters",
            get(images::list_posters).post(images::upload_poster),
        )
        .route(
            "/library/metadata/{id}/arts",
            get(images::list_arts).post(images::upload_art),
        )
        .route("/library/metadata/{id}/poster", put(images::select_poster))
        .route("/library/metadata/{id}/art", put(images::select_art))
        .route(
            "/library/collections",
            axum::routing::post(collections::create),
        )
        .route(
            "/library/collections/{cid}/items",
            get(collections::items).put(collections::add),
        )
        .route(
            "/library/collections/{cid}/items/{item}",
            axum::routing::delete(collections::remove).put(collections::remove),
        )
        .merge(super::websocket::routes())
        .fallback(not_found)
        // The gate already caps bodies; uploads may exceed axum's 2 MB default.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            gate,
        ))
        .with_state(shared)
}

async fn not_found() -> Response {
    html_error(StatusCode::NOT_FOUND)
}

/// An empty 200, Plex's answer to most actions.
pub(crate) fn done() -> Response {
    StatusCode::OK.into_response()
}

/// An empty 200 carrying the uuid of the activity the call started.
pub(crate) fn started(uuid: &str) -> Response {
    let mut r = done();
    if let Ok(v) = HeaderValue::from_str(uuid) {
        r.headers_mut().insert("x-plex-activity", v);
    }
    r
}
