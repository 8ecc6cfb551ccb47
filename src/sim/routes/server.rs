//! Server-wide endpoints: identity, root, agents, sessions, activities.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::done;
use crate::sim::activity::{self, CancelError};
use crate::sim::params::Params;
use crate::sim::rejection::{Rejection, html_error};
use crate::sim::render;
use crate::sim::shared::{Shared, lock};

/// The version the simulator claims to be.
pub(crate) const VERSION: &str = "1.41.3.9314-a0bfb8370";

/// The version it claims when playing an old server: before intro
/// detection (1.21) and the other detection endpoints.
pub(crate) const OLD_VERSION: &str = "1.19.5.3112-b23ab3896";

fn version(sh: &Shared) -> &'static str {
    if sh.is_old() { OLD_VERSION } else { VERSION }
}

/// `GET /identity`: needs no token.
pub(crate) async fn identity(State(sh): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "MediaContainer": {
        "size": 0,
        "claimed": true,
        "machineIdentifier": sh.machine_id,
        "version": version(&sh),
    }}))
}

/// `GET /`: the server root; `updatedAt` is the (simulated) start time, so
/// a restart is visible.
pub(crate) async fn root(State(sh): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "MediaContainer": {
        "size": 0,
        "friendlyName": "metarr-plex simulator",
        "machineIdentifier": sh.machine_id,
        "version": version(&sh),
        "platform": "Linux",
        "myPlex": true,
        "updatedAt": sh.started_at(),
    }}))
}

/// `GET /system/agents[?mediaType=N]`.
pub(crate) async fn agents(params: Params) -> Result<Json<Value>, Rejection> {
    let media_type = params.number("mediaType")?;
    let all = [
        ("tv.plex.agents.movie", "Plex Movie", &[1u64][..]),
        ("tv.plex.agents.series", "Plex Series", &[2, 3, 4][..]),
        ("tv.plex.agents.music", "Plex Music", &[8, 9, 10][..]),
        (
            "com.plexapp.agents.none",
            "Personal Media",
            &[1, 2, 8, 13][..],
        ),
    ];
    let agents = all
        .iter()
        .filter(|(_, _, types)| media_type.is_none_or(|t| types.contains(&t)))
        .map(|(id, name, types)| {
            json!({
                "hasAttribution": *id != "com.plexapp.agents.none",
                "hasPrefs": true,
                "identifier": id,
                "primary": true,
                "name": name,
                "MediaType": types.iter().map(|t| json!({ "mediaType": t })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(render::container("Agent", agents, Map::new()))
}

/// `GET /status/sessions`: the item being played plus `User`/`Player`/`Session`.
pub(crate) async fn sessions(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let lib = lock(&sh.library);
    let entries = lib
        .sessions()
        .iter()
        .map(|s| {
            let mut v = match lib.item(&s.rating_key) {
                Some(it) => render::item(&lib, it, false),
                None => json!({ "ratingKey": s.rating_key, "key": format!("/library/metadata/{}", s.rating_key) }),
            };
            if let Some(m) = v.as_object_mut() {
                s.decorate(m);
            }
            v
        })
        .collect();
    render::container("Metadata", entries, Map::new())
}

/// `GET /activities`.
pub(crate) async fn activities(State(sh): State<Arc<Shared>>) -> Json<Value> {
    let entries = lock(&sh.library)
        .activities()
        .iter()
        .map(|a| a.to_json())
        .collect();
    render::container("Activity", entries, Map::new())
}

/// `DELETE /activities/{uuid}`: 404 unknown, 400 not cancellable.
pub(crate) async fn cancel_activity(
    State(sh): State<Arc<Shared>>,
    Path(uuid): Path<String>,
) -> Response {
    match activity::cancel(&sh, &uuid) {
        Ok(()) => done(),
        Err(CancelError::Unknown) => html_error(StatusCode::NOT_FOUND),
        Err(CancelError::NotCancellable) => html_error(StatusCode::BAD_REQUEST),
    }
    .into_response()
}
