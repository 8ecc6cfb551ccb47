//! The notification event stream: `/:/eventsource/notifications` as
//! PROTOCOL.md §1.5 describes it — `event: <type>` and `data:` the child key
//! with a single entry (no `NotificationContainer`, no array), one event per
//! entry, `event: ping` with `data: {}` every 10 s, the same `filters=` as
//! the WebSocket. Open streams count as sockets and close on a restart.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use futures::Stream;
use serde_json::{Map, Value};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

use super::notify::{Notification, numeric_ids};
use super::params::Params;
use super::shared::{Shared, lock};
use super::websocket::Filter;

/// How often Plex pings an event stream.
const PING_EVERY: Duration = Duration::from_secs(10);

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .without_v07_checks()
        .route("/:/eventsource/notifications", get(stream))
}

/// One open stream's state; counted as an open socket while it lives.
struct Feed {
    sh: Arc<Shared>,
    filter: Filter,
    notifications: broadcast::Receiver<Notification>,
    close: CancellationToken,
    /// Events of a notification with several entries, not yet sent.
    queued: Vec<Event>,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.sh.open_sockets.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn stream(
    State(sh): State<Arc<Shared>>,
    params: Params,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    sh.open_sockets.fetch_add(1, Ordering::SeqCst);
    let close = lock(&sh.close_sockets).clone();
    let feed = Feed {
        filter: Filter::parse(params.get("filters")),
        notifications: sh.hub.subscribe(),
        close,
        sh,
        queued: Vec::new(),
    };
    Sse::new(futures::stream::unfold(feed, next))
}

async fn next(mut feed: Feed) -> Option<(Result<Event, Infallible>, Feed)> {
    loop {
        if let Some(event) = feed.queued.pop() {
            return Some((Ok(event), feed));
        }
        tokio::select! {
            () = feed.sh.shutdown.cancelled() => return None,
            () = feed.close.cancelled() => return None,
            () = tokio::time::sleep(PING_EVERY) => {
                return Some((Ok(Event::default().event("ping").data("{}")), feed));
            }
            n = feed.notifications.recv() => match n {
                Ok(n) if feed.filter.allows(&n.kind) => {
                    let frame = if feed.sh.numeric_ids.load(Ordering::Relaxed) {
                        numeric_ids(&n.frame)
                    } else {
                        n.frame
                    };
                    let mut events = events_of(&n.kind, &frame);
                    events.reverse();
                    feed.queued = events;
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return None,
            },
        }
    }
}

/// `{"NotificationContainer":{"type":t,"size":n,"Key":[a,b]}}` → one
/// `event: t` per entry, each with `data: {"Key":a}`.
fn events_of(kind: &str, frame: &Value) -> Vec<Event> {
    let Some(container) = frame["NotificationContainer"].as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, entries) in container {
        let Some(entries) = entries.as_array() else {
            continue;
        };
        for entry in entries {
            let mut data = Map::new();
            data.insert(key.clone(), entry.clone());
            out.push(
                Event::default()
                    .event(kind)
                    .data(Value::Object(data).to_string()),
            );
        }
    }
    out
}
