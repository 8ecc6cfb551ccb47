//! The two ways notifications arrive — a WebSocket, or the Server-Sent
//! Events fallback when a proxy refuses the upgrade — behind one reader, so
//! a session reads, pings, notices silence and closes the same way on both.

use std::fmt;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};

use super::connect::Socket;
use super::sse::{SseItem, SseStream};

/// Which transport carries the notifications (shown in STATUS and /healthz).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `/:/websockets/notifications`.
    WebSocket,
    /// `/:/eventsource/notifications`, used when the upgrade is refused.
    EventStream,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::WebSocket => "WebSocket",
            Transport::EventStream => "event stream (the WebSocket upgrade was refused)",
        })
    }
}

/// An open notification stream.
pub(crate) enum Stream {
    Ws(Box<Socket>),
    Sse(SseStream),
}

/// What one read yielded.
pub(crate) enum Inbound {
    /// A notification frame (JSON text in the WebSocket shape).
    Text(Utf8Bytes),
    /// Pong, ping, binary or an SSE keep-alive: proof of life only.
    Alive,
    /// The server closed the stream (with its reason).
    Closed(String),
}

impl Stream {
    pub(crate) fn transport(&self) -> Transport {
        match self {
            Stream::Ws(_) => Transport::WebSocket,
            Stream::Sse(_) => Transport::EventStream,
        }
    }

    /// The next inbound item; `None` when the connection ended. Cancel-safe.
    pub(crate) async fn next(&mut self) -> Option<Result<Inbound, String>> {
        match self {
            Stream::Ws(socket) => Some(match socket.next().await? {
                Err(e) => Err(e.to_string()),
                Ok(Message::Text(text)) => Ok(Inbound::Text(text)),
                Ok(Message::Close(frame)) => Ok(Inbound::Closed(
                    frame.map_or_else(|| "no close code".to_owned(), |f| f.to_string()),
                )),
                // Pings are answered by tungstenite on the next poll.
                Ok(_) => Ok(Inbound::Alive),
            }),
            Stream::Sse(sse) => Some(match sse.next().await? {
                Err(e) => Err(e),
                Ok(SseItem::Frame(text)) => Ok(Inbound::Text(text)),
                Ok(SseItem::Alive) => Ok(Inbound::Alive),
            }),
        }
    }

    /// A WebSocket ping (draws a pong, keeps NATs open). The event stream
    /// has no client-to-server direction; Plex pings it every 10 s.
    pub(crate) async fn ping(&mut self) -> Result<(), String> {
        match self {
            Stream::Ws(socket) => socket
                .send(Message::Ping(Bytes::new()))
                .await
                .map_err(|e| e.to_string()),
            Stream::Sse(_) => Ok(()),
        }
    }

    /// Sends a Close frame (WebSocket) without letting a dead peer hold up
    /// shutdown; the event stream is simply dropped.
    pub(crate) async fn close(&mut self) {
        if let Stream::Ws(socket) = self {
            let _ = timeout(Duration::from_secs(1), (**socket).close(None)).await;
        }
    }
}
