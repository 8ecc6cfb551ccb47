//! The notification WebSocket: `/:/websockets/notifications` (and the
//! seed's `/:/websockets/listen`), `filters=` as PROTOCOL.md §1.3 describes,
//! one JSON text frame per notification, and the socket-level faults.
//!
//! The token is checked by the gate, so a bad one gets 401 before the upgrade.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

use super::notify::{Notification, numeric_ids};
use super::params::Params;
use super::shared::{Shared, lock};
use super::ws_fault::{OVERSIZED_BYTES, SocketCommand};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    // `:` starts these segments literally; axum 0.8 would take it for an
    // old-style capture without this.
    Router::new()
        .without_v07_checks()
        .route("/:/websockets/notifications", get(upgrade))
        .route("/:/websockets/listen", get(upgrade))
}

/// Which notification types a socket receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Everything except these types.
    Except(BTreeSet<String>),
    /// Only these types.
    Only(BTreeSet<String>),
}

impl Filter {
    /// Absent: everything but `log`; empty: everything; `a,b`: only those;
    /// `-a,b`: everything but those.
    pub(crate) fn parse(raw: Option<&str>) -> Filter {
        let Some(raw) = raw else {
            return Filter::Except(BTreeSet::from(["log".to_owned()]));
        };
        let list = |s: &str| -> BTreeSet<String> {
            s.split(',')
                .map(|t| t.trim().trim_start_matches('-').to_owned())
                .filter(|t| !t.is_empty())
                .collect()
        };
        match raw.strip_prefix('-') {
            Some(rest) => Filter::Except(list(rest)),
            None if raw.trim().is_empty() => Filter::Except(BTreeSet::new()),
            None => Filter::Only(list(raw)),
        }
    }

    pub(crate) fn allows(&self, kind: &str) -> bool {
        match self {
            Filter::Except(set) => !set.contains(kind),
            Filter::Only(set) => set.contains(kind),
        }
    }
}

/// Everything a socket task listens to, taken before the 101 answer so no
/// notification emitted right after the handshake is missed.
struct Feeds {
    notifications: broadcast::Receiver<Notification>,
    commands: broadcast::Receiver<SocketCommand>,
    pending: Vec<SocketCommand>,
    close: CancellationToken,
}

async fn upgrade(State(sh): State<Arc<Shared>>, params: Params, ws: WebSocketUpgrade) -> Response {
    if sh.refuse_upgrades.load(Ordering::Relaxed) {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            "WebSocket upgrades are not forwarded",
        )
            .into_response();
    }
    let filter = Filter::parse(params.get("filters"));
    let feeds = {
        let mut pending = lock(&sh.pending_socket_commands);
        sh.open_sockets.fetch_add(1, Ordering::SeqCst);
        Feeds {
            notifications: sh.hub.subscribe(),
            commands: sh.socket_commands.subscribe(),
            pending: std::mem::take(&mut *pending),
            close: lock(&sh.close_sockets).clone(),
        }
    };
    let guard = OpenSocket(Arc::clone(&sh));
    ws.on_upgrade(move |socket| async move {
        let _guard = guard;
        serve(sh, socket, filter, feeds).await;
    })
}

/// Counts a socket as open until its task ends.
struct OpenSocket(Arc<Shared>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.open_sockets.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What the socket task does next.
enum Next {
    Continue,
    Close,
    Stall,
}

async fn serve(sh: Arc<Shared>, mut socket: WebSocket, filter: Filter, mut feeds: Feeds) {
    let mut budget: Option<usize> = None;
    let pending = std::mem::take(&mut feeds.pending);
    for cmd in pending {
        if let Next::Stall = apply(&mut socket, cmd, &mut budget).await {
            return stall(&sh, &feeds.close).await;
        }
    }
    loop {
        let next = tokio::select! {
            () = sh.shutdown.cancelled() => Next::Close,
            () = feeds.close.cancelled() => Next::Close,
            n = feeds.notifications.recv() => match n {
                Ok(n) if filter.allows(&n.kind) => {
                    let frame = if sh.numeric_ids.load(Ordering::Relaxed) { numeric_ids(&n.frame) } else { n.frame };
                    send(&mut socket, Message::Text(frame.to_string().into()), &mut budget).await
                }
                Ok(_) => Next::Continue,
                // A socket too slow for the hub loses frames, as on a real server.
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(dropped = n, "Simulator socket fell behind; notifications dropped.");
                    Next::Continue
                }
                Err(RecvError::Closed) => Next::Close,
            },
            c = feeds.commands.recv() => match c {
                Ok(cmd) => apply(&mut socket, cmd, &mut budget).await,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(dropped = n, "Simulator socket fell behind; raw frames dropped.");
                    Next::Continue
                }
                Err(RecvError::Closed) => Next::Close,
            },
            m = socket.recv() => match m {
                // Pings are answered by the WebSocket layer while we read.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => Next::Close,
                Some(Ok(_)) => Next::Continue,
            },
        };
        match next {
            Next::Continue => {}
            Next::Close => return,
            Next::Stall => return stall(&sh, &feeds.close).await,
        }
    }
}

/// Sends one message, counting it against a `DropAfter` budget.
async fn send(socket: &mut WebSocket, msg: Message, budget: &mut Option<usize>) -> Next {
    if socket.send(msg).await.is_err() {
        return Next::Close;
    }
    match budget {
        Some(n) => {
            *n = n.saturating_sub(1);
            if *n == 0 { Next::Close } else { Next::Continue }
        }
        None => Next::Continue,
    }
}

async fn apply(socket: &mut WebSocket, cmd: SocketCommand, budget: &mut Option<usize>) -> Next {
    match cmd {
        SocketCommand::DropAfter(0) => Next::Close,
        SocketCommand::DropAfter(n) => {
            *budget = Some(n);
            Next::Continue
        }
        SocketCommand::Stall => Next::Stall,
        SocketCommand::Garbage => {
            if let Next::Close =
                send(socket, Message::Text("this is not json {".into()), budget).await
            {
                return Next::Close;
            }
            let bytes: Vec<u8> = vec![0xff, 0xfe, 0x00, 0xc3, 0x28, 0xa0, 0xa1];
            send(socket, Message::Binary(bytes.into()), budget).await
        }
        SocketCommand::Oversized => {
            let pad = "x".repeat(OVERSIZED_BYTES);
            let frame = format!(
                r#"{{"NotificationContainer":{{"type":"status","size":1,"StatusNotification":[{{"title":"{pad}","description":"","notificationName":"OVERSIZED"}}]}}}}"#
            );
            send(socket, Message::Text(frame.into()), budget).await
        }
        SocketCommand::Raw(text) => send(socket, Message::Text(text.into()), budget).await,
    }
}

/// Holds the connection without reading or writing until the simulator
/// closes its sockets or stops (at most ten minutes, so nothing leaks).
async fn stall(sh: &Shared, close: &CancellationToken) {
    tokio::select! {
        () = sh.shutdown.cancelled() => {}
        () = close.cancelled() => {}
        () = tokio::time::sleep(Duration::from_secs(600)) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_plex_text() {
        assert!(!Filter::parse(None).allows("log"));
        assert!(Filter::parse(None).allows("timeline"));
        assert!(!Filter::parse(Some("-log")).allows("log"));
        assert!(Filter::parse(Some("")).allows("log"));
        let only = Filter::parse(Some("playing,timeline"));
        assert!(only.allows("playing") && !only.allows("activity"));
        let except = Filter::parse(Some("-activity,status"));
        assert!(!except.allows("activity") && !except.allows("status") && except.allows("playing"));
    }
}
