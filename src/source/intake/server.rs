//! The intake's HTTP server (axum): authentication, the 1 MiB body limit,
//! one handler per route. Every handler that accepts work answers only once
//! the work is in the journal, then wakes the worker.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, RawQuery, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::arr::{self, Arr, ArrWork};
use super::auth::{authorized, redact_query};
use super::settings::{IntakeKey, IntakeStartError};
use super::sighting::StreamTap;
use super::spec::ItemSpec;
use super::{plex_hook, sync};
use crate::event::Event;
use crate::journal::{Journal, NewItem, NewRequest, RequestState};

/// Bodies above this are refused with 413: no honest sender needs more.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct Shared {
    /// `None`: no key (loopback only).
    pub key: Option<IntakeKey>,
    /// Where requests are written before they are answered.
    pub journal: Journal,
    /// Tells the worker a request id is waiting.
    pub wake: mpsc::UnboundedSender<String>,
    /// Plex webhook events go to the rules here.
    pub events: mpsc::Sender<Event>,
    /// `library.new` webhooks are also hints for the worker's scans.
    pub tap: StreamTap,
}

/// A bound, not yet serving, intake.
pub struct IntakeServer {
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
}

impl IntakeServer {
    /// Binds `addr`, so a busy port is an error at start.
    pub(crate) async fn bind(
        addr: SocketAddr,
        shared: Shared,
    ) -> Result<IntakeServer, IntakeStartError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| IntakeStartError::Bind { addr, source })?;
        Ok(IntakeServer {
            listener,
            shared: Arc::new(shared),
        })
    }

    /// The bound address (the port, when 0 was asked).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown`.
    pub async fn serve(self, shutdown: CancellationToken) {
        let app = router(self.shared);
        let result = axum::serve(self.listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "The intake server stopped.");
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/sync", post(sync_request))
        .route("/api/v1/requests", get(list_requests))
        .route("/api/v1/requests/{id}", get(show_request))
        .route("/api/v1/hooks/plex", post(plex_webhook))
        .route("/api/v1/hooks/{kind}", post(arr_webhook).put(arr_webhook))
        .route("/triggers/manual", post(manual).head(manual_head))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

/// Authentication and the request's log line (query redacted).
async fn guard(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(redact_query);
    if !authorized(shared.key.as_ref(), req.headers(), req.uri().query()) {
        tracing::info!(method = %method, path = %path, query = query.as_deref().unwrap_or(""), status = 401, "Intake request refused: wrong or missing key (send it as X-Api-Key, as the Basic auth password, or as ?apikey=).");
        return error(StatusCode::UNAUTHORIZED, "wrong or missing key");
    }
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    if resp.status().is_success() {
        tracing::debug!(method = %method, path = %path, query = query.as_deref().unwrap_or(""), status, "Intake request answered.");
    } else {
        tracing::info!(method = %method, path = %path, query = query.as_deref().unwrap_or(""), status, "Intake request not accepted.");
    }
    resp
}

/// A one-line JSON error.
fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// A fresh request id: short enough to type in `requests show`.
fn new_id() -> String {
    let full = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes())
        .into_uuid()
        .simple()
        .to_string();
    full[..12].to_owned()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Journals a request, wakes the worker, and says where its status is.
async fn accept(
    shared: &Shared,
    source: &str,
    items: Vec<(String, ItemSpec)>,
    callback: Option<String>,
) -> Result<Value, Response> {
    let id = new_id();
    let items = items
        .into_iter()
        .map(|(path, spec)| NewItem {
            path,
            spec: serde_json::to_string(&spec).unwrap_or_else(|_| "{}".to_owned()),
        })
        .collect::<Vec<_>>();
    let count = items.len();
    let req = NewRequest {
        id: id.clone(),
        source: source.to_owned(),
        callback,
        items,
    };
    if let Err(e) = shared.journal.intake_insert(req, now_ms()).await {
        tracing::error!(source, error = %e, "Could not journal an intake request; it was refused with 503.");
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the journal could not take the request; try again",
        ));
    }
    tracing::info!(request = %id, source, items = count, "Intake request accepted.");
    if count > 0 {
        let _ = shared.wake.send(id.clone());
    }
    Ok(json!({ "id": id, "status_url": format!("/api/v1/requests/{id}") }))
}

async fn sync_request(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req = match sync::parse(&body) {
        Ok(r) => r,
        Err(errors) => {
            let first = errors.first().cloned().unwrap_or_default();
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({ "error": first, "errors": errors })),
            )
                .into_response();
        }
    };
    match accept(&shared, "sync", req.items, req.callback).await {
        Ok(body) => (StatusCode::ACCEPTED, axum::Json(body)).into_response(),
        Err(resp) => resp,
    }
}

async fn arr_webhook(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    body: Bytes,
) -> Response {
    let Some(arr) = Arr::parse(&kind) else {
        return error(
            StatusCode::NOT_FOUND,
            "unknown hook; use /api/v1/hooks/sonarr, radarr, lidarr, readarr or plex",
        );
    };
    // Content problems are answered 200: an *arr that sees an error blocks
    // the whole connection, and a body we cannot use will not improve.
    let work = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => arr::parse(&v),
        Err(e) => ArrWork::Ignored(format!("the body is not JSON: {e}")),
    };
    match work {
        ArrWork::Ignored(why) => {
            tracing::info!(source = arr.as_str(), reason = %why, "Intake webhook ignored.");
            (StatusCode::OK, axum::Json(json!({ "ignored": why }))).into_response()
        }
        ArrWork::Paths(items) => match accept(&shared, arr.as_str(), items, None).await {
            Ok(body) => (StatusCode::OK, axum::Json(body)).into_response(),
            Err(resp) => resp,
        },
    }
}

async fn plex_webhook(State(shared): State<Arc<Shared>>, mut form: Multipart) -> Response {
    let mut payload = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("payload") => match field.bytes().await {
                Ok(b) => payload = Some(b),
                Err(e) => return error(e.status(), &e.body_text()),
            },
            // The thumbnail (and anything else) is read past and dropped.
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return error(e.status(), &e.body_text()),
        }
    }
    let Some(payload) = payload else {
        return error(StatusCode::BAD_REQUEST, "no `payload` part");
    };
    let event = match serde_json::from_slice::<Value>(&payload)
        .map_err(|e| format!("the payload is not JSON: {e}"))
        .and_then(|v| plex_hook::event(&v))
    {
        Ok(e) => e,
        Err(why) => {
            tracing::info!(source = "plex", reason = %why, "Intake webhook ignored.");
            return (StatusCode::OK, axum::Json(json!({ "ignored": why }))).into_response();
        }
    };
    let name = event.name.as_str();
    let body = match accept(&shared, "plex", Vec::new(), None).await {
        Ok(mut body) => {
            body["event"] = json!(name);
            body
        }
        Err(resp) => return resp,
    };
    // A new item is a hint for a scan being watched, like the stream's
    // `item.added` for the same item (the watch reports it once).
    shared.tap.offer(&event);
    if shared.events.send(event).await.is_err() {
        tracing::warn!(
            event = name,
            "The daemon is stopping; a Plex webhook event was not handed to the rules."
        );
    }
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// `?dir=…&dir=…&path=…`, as autoscan and autopulse take them.
async fn manual(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let paths: Vec<(String, ItemSpec)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .filter(|(k, _)| k == "dir" || k == "path")
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .map(|v| (v, ItemSpec::added()))
            .collect();
    if paths.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "name what to scan: ?dir=<folder> or ?path=<file>",
        );
    }
    if let Some((p, _)) = paths.iter().find(|(p, _)| !p.starts_with('/')) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("not an absolute path: {p}"),
        );
    }
    match accept(&shared, "manual", paths, None).await {
        Ok(body) => (StatusCode::OK, axum::Json(body)).into_response(),
        Err(resp) => resp,
    }
}

/// autoscan's own target checks it can reach us with `HEAD` first.
async fn manual_head(method: Method) -> StatusCode {
    debug_assert_eq!(method, Method::HEAD);
    StatusCode::OK
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    limit: Option<usize>,
}

async fn list_requests(State(shared): State<Arc<Shared>>, Query(q): Query<ListQuery>) -> Response {
    let state = match q.state.as_deref().map(|s| (s, RequestState::parse(s))) {
        None => None,
        Some((_, Some(s))) => Some(s),
        Some((s, None)) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("unknown state `{s}`; use queued, working, done, partial or failed"),
            );
        }
    };
    match shared
        .journal
        .intake_list(state, q.limit.unwrap_or(100).min(1000))
        .await
    {
        Ok(list) => axum::Json(json!({ "requests": list })).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &format!("journal: {e}")),
    }
}

async fn show_request(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.journal.intake_get(id.clone()).await {
        Ok(Some(r)) => axum::Json(r).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no request {id}")),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &format!("journal: {e}")),
    }
}
