//! The Server-Sent Events fallback: `GET /:/eventsource/notifications`, for
//! when a reverse proxy without upgrade support sits in front of Plex.
//!
//! Plex sends each notification as `event: <type>` + `data: {"<ChildKey>":
//! {…}}` — no `NotificationContainer` and a single object rather than an
//! array — and `event: ping` with `data: {}` every 10 s (PROTOCOL.md §1.5,
//! §1.6). Each event is rewritten into the WebSocket frame shape so both
//! transports share one parser and normalizer.

use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderName, HeaderValue};
use serde_json::{Map, Value};
use tokio_tungstenite::tungstenite::Utf8Bytes;
use url::Url;

use super::connect::{ConnectError, Dialer, MAX_MESSAGE_BYTES};
use crate::plex::conn::token::TokenError;

/// The SSE path every client that uses it requests.
pub const SSE_PATH: &str = "/:/eventsource/notifications";

/// One open event stream.
pub(crate) struct SseStream {
    response: reqwest::Response,
    parser: SseParser,
}

/// The `text/event-stream` line protocol: bytes in, events out.
#[derive(Default)]
struct SseParser {
    buffer: Vec<u8>,
    /// `event:` of the event being read.
    event: String,
    /// `data:` lines of the event being read.
    data: String,
}

/// What the stream yielded.
pub(crate) enum SseItem {
    /// A notification, in the WebSocket frame shape.
    Frame(Utf8Bytes),
    /// A ping or another event without a notification: proof of life only.
    Alive,
}

/// The event-stream URL for the server, with the same `filters`.
pub(crate) fn sse_url(server: &Url, filters: Option<&str>) -> Result<Url, ConnectError> {
    let mut url = server.clone();
    url.set_fragment(None);
    url.set_query(None);
    let base = server.path().trim_end_matches('/');
    url.set_path(&format!("{base}{SSE_PATH}"));
    if let Some(filters) = filters {
        url.query_pairs_mut().append_pair("filters", filters);
    }
    Ok(url)
}

impl Dialer {
    /// Opens the event stream (same headers, token in a header only).
    pub(crate) async fn connect_sse(&self) -> Result<SseStream, ConnectError> {
        let url = self.sse_url.clone();
        let unavailable = |reason: String| ConnectError::Unavailable {
            url: url.to_string(),
            reason,
        };
        let (token, _origin) = self.token.read()?;
        let mut request = self
            .http
            .get(url.clone())
            .header(ACCEPT, "text/event-stream");
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_str().as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) {
                request = request.header(name, value);
            }
        }
        let mut value = HeaderValue::from_str(token.expose()).map_err(|_| TokenError::Malformed)?;
        value.set_sensitive(true);
        request = request.header("X-Plex-Token", value);
        let response = match tokio::time::timeout(self.timeout, request.send()).await {
            Err(_) => {
                return Err(ConnectError::Timeout {
                    url: url.to_string(),
                    timeout: self.timeout,
                });
            }
            // reqwest's error text carries the URL, which never has the token.
            Ok(Err(e)) => return Err(unavailable(e.without_url().to_string())),
            Ok(Ok(response)) => response,
        };
        match response.status().as_u16() {
            200 => {}
            code @ (401 | 403) => return Err(ConnectError::Unauthorized(code)),
            code => return Err(ConnectError::Rejected(code)),
        }
        let is_stream = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_stream {
            return Err(unavailable(
                "the event-stream endpoint did not answer with text/event-stream".to_owned(),
            ));
        }
        Ok(SseStream {
            response,
            parser: SseParser::default(),
        })
    }
}

/// How long a connect may take, for the HTTP client built per dialer.
pub(crate) fn http_client(
    tls: Option<&std::sync::Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(timeout)
        .http1_only();
    if let Some(tls) = tls {
        builder = builder.tls_backend_preconfigured(tls.as_ref().clone());
    }
    builder.build().unwrap_or_default()
}

impl SseStream {
    /// The next item; `None` when the server ended the stream. Cancel-safe:
    /// what was read stays in the buffer.
    pub(crate) async fn next(&mut self) -> Option<Result<SseItem, String>> {
        loop {
            if let Some(item) = self.parser.parse_buffered() {
                return Some(item);
            }
            match self.response.chunk().await {
                Ok(Some(bytes)) => self.parser.buffer.extend_from_slice(&bytes),
                Ok(None) => return None,
                Err(e) => return Some(Err(e.without_url().to_string())),
            }
        }
    }
}

impl SseParser {
    /// Takes complete lines from the buffer until an event is complete.
    fn parse_buffered(&mut self) -> Option<Result<SseItem, String>> {
        while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if self.event.is_empty() && self.data.is_empty() {
                    continue;
                }
                let event = std::mem::take(&mut self.event);
                let data = std::mem::take(&mut self.data);
                return Some(Ok(to_frame(&event, &data)));
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => value.clone_into(&mut self.event),
                "data" => {
                    if !self.data.is_empty() {
                        self.data.push('\n');
                    }
                    self.data.push_str(value);
                }
                _ => {}
            }
        }
        if self.buffer.len() + self.data.len() > MAX_MESSAGE_BYTES {
            self.buffer.clear();
            return Some(Err(format!(
                "an event-stream event exceeded {MAX_MESSAGE_BYTES} bytes"
            )));
        }
        None
    }
}

/// `event: timeline` + `data: {"TimelineEntry":{…}}` →
/// `{"NotificationContainer":{"type":"timeline","size":1,"TimelineEntry":[{…}]}}`.
/// Data that is not a JSON object is passed on as it is, so the parser
/// counts and reports it like a bad WebSocket frame.
fn to_frame(event: &str, data: &str) -> SseItem {
    if event == "ping" {
        return SseItem::Alive;
    }
    let Ok(Value::Object(children)) = serde_json::from_str::<Value>(data) else {
        return SseItem::Frame(Utf8Bytes::from(data.to_owned()));
    };
    if children.is_empty() {
        return SseItem::Alive;
    }
    let mut container = Map::new();
    container.insert("type".into(), Value::from(event));
    container.insert("size".into(), Value::from(1));
    for (key, child) in children {
        let child = match child {
            Value::Array(items) => Value::Array(items),
            other => Value::Array(vec![other]),
        };
        container.insert(key, child);
    }
    let mut frame = Map::new();
    frame.insert("NotificationContainer".into(), Value::Object(container));
    SseItem::Frame(Utf8Bytes::from(Value::Object(frame).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plexopedia's captured `data:` line for a paused session, and its ping.
    const PAUSED: &str = include_str!(
        "../../../tests/fixtures/ws/sse_data_playing_paused__plexopedia-listen-events.json"
    );
    const PING: &str =
        include_str!("../../../tests/fixtures/ws/sse_frame_ping__plexopedia-listen-events.txt");

    #[test]
    fn a_captured_sse_event_becomes_the_websocket_frame_shape() {
        let SseItem::Frame(frame) = to_frame("playing", PAUSED.trim()) else {
            panic!("not a frame")
        };
        let entries = crate::plex::notification::parse_frame(&frame).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].notification_type(), "playing");
        let v: Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(
            v["NotificationContainer"]["PlaySessionStateNotification"][0]["sessionKey"],
            "45"
        );
    }

    #[test]
    fn the_line_parser_splits_events_and_takes_pings_as_life() {
        let mut stream = SseParser {
            buffer: format!(
                "{PING}\n: comment\nevent: playing\ndata: {}\n\n",
                PAUSED.trim()
            )
            .into_bytes(),
            ..SseParser::default()
        };
        assert!(matches!(stream.parse_buffered(), Some(Ok(SseItem::Alive))));
        let Some(Ok(SseItem::Frame(frame))) = stream.parse_buffered() else {
            panic!("no frame")
        };
        assert!(frame.contains("\"state\":\"paused\""));
        assert!(stream.parse_buffered().is_none());
    }

    #[test]
    fn the_url_keeps_a_base_path_and_the_filters() {
        let u = sse_url(
            &Url::parse("https://example.org/plex/?X-Plex-Token=leak").unwrap(),
            Some("playing,timeline"),
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "https://example.org/plex/:/eventsource/notifications?filters=playing%2Ctimeline"
        );
    }
}
