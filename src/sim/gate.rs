//! The front door every request passes: it is recorded (token redacted),
//! may meet a queued fault, must carry the token (except `/identity`), and
//! leaves with `X-Plex-Protocol: 1.0`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::fault::FaultAction;
use super::params::decode_query;
use super::recording::{REDACTED, RecordedRequest};
use super::rejection::html_error;
use super::shared::{Shared, lock};

/// Largest request body accepted (uploads); Plex's own limit is unknown,
/// clients cap posters near 10 MB.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// Paths answered without a token, as on a real server.
fn is_public(path: &str) -> bool {
    path == "/identity"
}

pub(crate) async fn gate(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let path = percent_encoding::percent_decode_str(parts.uri.path())
        .decode_utf8_lossy()
        .into_owned();
    let query = decode_query(parts.uri.query());
    let token = parts
        .headers
        .get("x-plex-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            query
                .iter()
                .find(|(k, _)| k == "X-Plex-Token")
                .map(|(_, v)| v.clone())
        });
    let record = RecordedRequest {
        received_at: std::time::Instant::now(),
        method: parts.method.as_str().to_owned(),
        path: path.clone(),
        query: query
            .into_iter()
            .map(|(k, v)| {
                let v = if k == "X-Plex-Token" {
                    REDACTED.to_owned()
                } else {
                    v
                };
                (k, v)
            })
            .collect(),
        body_len: 0,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                let v = if k == "x-plex-token" {
                    REDACTED.to_owned()
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                };
                (k.as_str().to_owned(), v)
            })
            .collect(),
        status: 0,
    };
    let record_method = record.method.clone();
    let bytes = axum::body::to_bytes(body, MAX_BODY).await;
    let body_len = bytes.as_ref().map(|b| b.len()).unwrap_or(0);
    let seq = lock(&shared.requests).push(RecordedRequest { body_len, ..record });

    let mut response = match bytes {
        Err(_) => html_error(StatusCode::PAYLOAD_TOO_LARGE),
        Ok(bytes) => {
            let fault = lock(&shared.faults).take(&path);
            let authorized =
                is_public(&path) || token.as_deref().is_some_and(|t| shared.token_matches(t));
            answer(
                fault,
                authorized,
                Request::from_parts(parts, Body::from(bytes)),
                next,
            )
            .await
        }
    };
    lock(&shared.requests).set_status(seq, response.status().as_u16());
    // The query is left out: it may carry the token.
    tracing::debug!(method = %record_method, path = %path, status = response.status().as_u16(), "Simulator answered.");
    response
        .headers_mut()
        .insert("x-plex-protocol", HeaderValue::from_static("1.0"));
    response
}

async fn answer(
    fault: Option<FaultAction>,
    authorized: bool,
    req: Request,
    next: Next,
) -> Response {
    let mut truncate = false;
    match fault {
        Some(FaultAction::Status(code)) => {
            return html_error(
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
        Some(FaultAction::TooManyRequests(secs)) => {
            let mut r = html_error(StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
        Some(FaultAction::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(FaultAction::BadJson) => truncate = true,
        None => {}
    }
    if !authorized {
        return html_error(StatusCode::UNAUTHORIZED);
    }
    let response = next.run(req).await;
    if truncate {
        return truncated(response).await;
    }
    response
}

/// The same answer with its body cut in half and a 200 status: what a client
/// sees when a proxy or a crashing server truncates JSON.
async fn truncated(response: Response) -> Response {
    let (_, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .unwrap_or_default();
    let mut cut = if bytes.len() > 2 {
        bytes.slice(..bytes.len() / 2).to_vec()
    } else {
        br#"{"MediaContainer":{"size":1,"Metadata":[{"#.to_vec()
    };
    if cut.is_empty() {
        cut = b"{".to_vec();
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        cut,
    )
        .into_response()
}
