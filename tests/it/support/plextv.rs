//! A fake plex.tv on a loopback port: the PIN, user and sign-in endpoints
//! `metarr-plex login` uses, answering with the recorded fixtures and
//! recording every request so tests assert on what was sent.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

const PIN_NEW: &str =
    include_str!("../../fixtures/rest/plextv_api_v2_pins_POST_new__plex-api-rs.json");
const PIN_LINKED: &str =
    include_str!("../../fixtures/rest/plextv_api_v2_pins_GET_linked__plex-api-rs.json");

/// How the fake behaves.
#[derive(Clone, Debug)]
pub struct Script {
    /// The token plex.tv hands out and accepts.
    pub token: String,
    /// The PIN is linked on this poll (1-based); `None`: never.
    pub link_on_poll: Option<usize>,
    /// `/api/v2/user` rejects every token with 401.
    pub reject_user: bool,
    /// Accepted sign-in.
    pub login: String,
    pub password: String,
    /// When set, sign-in needs this 2FA code (error 1029 without it).
    pub otp: Option<String>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            token: "fake-plextv-token-9f8e7d6c".into(),
            link_on_poll: Some(3),
            reject_user: false,
            login: "alice".into(),
            password: "correct horse".into(),
            otp: None,
        }
    }
}

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: &'static str,
    pub path: String,
    pub query: Option<String>,
    pub headers: HashMap<String, String>,
    pub form: HashMap<String, String>,
}

#[derive(Default)]
struct Inner {
    seen: Vec<Seen>,
    polls: usize,
}

#[derive(Clone)]
struct FakeState {
    script: Script,
    inner: Arc<Mutex<Inner>>,
}

pub struct FakePlexTv {
    pub addr: SocketAddr,
    state: FakeState,
}

impl FakePlexTv {
    pub async fn start(script: Script) -> FakePlexTv {
        let state = FakeState {
            script,
            inner: Arc::default(),
        };
        let app = Router::new()
            .route("/api/v2/pins", post(create_pin))
            .route("/api/v2/pins/{id}", get(poll_pin))
            .route("/api/v2/user", get(user))
            .route("/api/v2/users/signin", post(sign_in))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakePlexTv { addr, state }
    }

    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}", self.addr)).unwrap()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.inner.lock().unwrap().seen.clone()
    }
}

fn record(
    state: &FakeState,
    method: &'static str,
    path: String,
    query: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
) {
    let headers = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let form = url::form_urlencoded::parse(body).into_owned().collect();
    state.inner.lock().unwrap().seen.push(Seen {
        method,
        path,
        query,
        headers,
        form,
    });
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn plex_error(code: u32, message: &str) -> Response {
    json_response(
        StatusCode::UNAUTHORIZED,
        json!({"errors": [{"code": code, "message": message, "status": 401}]}),
    )
}

async fn create_pin(
    State(s): State<FakeState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    record(&s, "POST", "/api/v2/pins".into(), q, &headers, b"");
    let pin: Value = serde_json::from_str(PIN_NEW).unwrap();
    json_response(StatusCode::CREATED, pin)
}

async fn poll_pin(
    State(s): State<FakeState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    record(&s, "GET", format!("/api/v2/pins/{id}"), None, &headers, b"");
    let polls = {
        let mut inner = s.inner.lock().unwrap();
        inner.polls += 1;
        inner.polls
    };
    let expected: Value = serde_json::from_str(PIN_NEW).unwrap();
    if expected["id"].as_u64().map(|n| n.to_string()).as_deref() != Some(id.as_str()) {
        return json_response(
            StatusCode::NOT_FOUND,
            json!({"errors": [{"code": 1020, "message": "Code not found or expired", "status": 404}]}),
        );
    }
    if s.script.link_on_poll.is_some_and(|n| polls >= n) {
        let mut pin: Value = serde_json::from_str(PIN_LINKED).unwrap();
        pin["authToken"] = Value::String(s.script.token.clone());
        json_response(StatusCode::OK, pin)
    } else {
        json_response(StatusCode::OK, expected)
    }
}

async fn user(State(s): State<FakeState>, headers: HeaderMap) -> Response {
    record(&s, "GET", "/api/v2/user".into(), None, &headers, b"");
    let token = headers.get("x-plex-token").and_then(|v| v.to_str().ok());
    if s.script.reject_user || token != Some(s.script.token.as_str()) {
        return plex_error(1001, "User could not be authenticated");
    }
    json_response(
        StatusCode::OK,
        json!({"id": 1, "uuid": "abc", "username": "alice", "title": "alice", "email": "alice@example.invalid"}),
    )
}

async fn sign_in(State(s): State<FakeState>, headers: HeaderMap, body: Bytes) -> Response {
    record(
        &s,
        "POST",
        "/api/v2/users/signin".into(),
        None,
        &headers,
        &body,
    );
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    if form.get("login") != Some(&s.script.login)
        || form.get("password") != Some(&s.script.password)
    {
        return plex_error(1001, "User could not be authenticated");
    }
    if let Some(otp) = &s.script.otp
        && form.get("verificationCode") != Some(otp)
    {
        return plex_error(1029, "Please enter the verification code");
    }
    json_response(
        StatusCode::CREATED,
        json!({"id": 1, "username": "alice", "title": "alice", "authToken": s.script.token}),
    )
}
