//! Why the simulator refused a request, and the HTTP answer Plex gives for it.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A refused request. Library operations return it; routes turn it into the
/// status code Plex uses (404 unknown id, 400 bad parameters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// An id (item, section, activity, image) that does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A missing or malformed parameter.
    #[error("bad request: {0}")]
    BadRequest(String),
}

impl Rejection {
    /// The status code Plex answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::NotFound(_) => StatusCode::NOT_FOUND,
            Rejection::BadRequest(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        html_error(self.status())
    }
}

/// Plex's short HTML error page, e.g.
/// `<html><head><title>Not Found</title></head><body><h1>404 Not Found</h1></body></html>`.
pub(crate) fn html_error(status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = format!(
        "<html><head><title>{reason}</title></head><body><h1>{} {reason}</h1></body></html>",
        status.as_u16()
    );
    (status, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}
