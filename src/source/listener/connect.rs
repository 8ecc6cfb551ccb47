//! Opening one WebSocket to Plex's notification endpoint: the URL, the
//! headers (token included, in a header only), the size limits, the TLS
//! config, one deadline over TCP + TLS + upgrade, and a classification of
//! failures the reconnect loop can branch on.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderMap, HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use url::Url;

use crate::plex::conn::token::{TokenError, TokenSource};

/// The socket type a successful connect yields.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Frames and messages beyond this are refused (tungstenite would accept
/// 16/64 MiB); real notifications are a few KiB.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Why a connection attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Plex answered the upgrade with 401 or 403: the token is wrong or revoked.
    #[error("Invalid Plex token (HTTP {0} on the notification upgrade)")]
    Unauthorized(u16),
    /// No token could be read; treated like a rejected token (slow retry).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Plex answered the upgrade with another HTTP status.
    #[error("Plex refused the notification upgrade with HTTP {0}")]
    Rejected(u16),
    /// TCP, TLS and the upgrade did not finish within the connect timeout.
    #[error("Plex server unavailable at {url}: no answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    /// Refused, reset, unreachable, TLS or protocol failure.
    #[error("Plex server unavailable at {url}: {reason}")]
    Unavailable { url: String, reason: String },
    /// The configured server URL cannot become a WebSocket URL.
    #[error("cannot build the notification URL from {url}: {reason}")]
    BadUrl { url: String, reason: String },
}

impl ConnectError {
    /// True when retrying fast cannot help until someone fixes the token.
    pub fn is_auth(&self) -> bool {
        matches!(self, ConnectError::Unauthorized(_) | ConnectError::Token(_))
    }
}

/// Everything needed to dial; built once, reused by every attempt.
#[derive(Clone)]
pub(crate) struct Dialer {
    /// `ws(s)://host:port/path?filters=…`, never carrying the token.
    pub(crate) url: Url,
    /// X-Plex-* identity headers (without the token).
    pub(crate) headers: HeaderMap,
    /// Re-read before every attempt so a rotated token is picked up.
    pub(crate) token: TokenSource,
    /// Shared rustls config for `wss`; `None` uses tungstenite's default roots.
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    pub(crate) timeout: Duration,
}

/// Turns the server's `http(s)://` URL into the notification `ws(s)://` URL.
pub fn notification_url(
    server: &Url,
    path: &str,
    filters: Option<&str>,
) -> Result<Url, ConnectError> {
    let bad = |reason: &str| ConnectError::BadUrl {
        url: server.to_string(),
        reason: reason.to_owned(),
    };
    let scheme = match server.scheme() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        _ => return Err(bad("the scheme must be http or https")),
    };
    if server.host_str().is_none() {
        return Err(bad("the URL has no host"));
    }
    let mut url = server.clone();
    url.set_scheme(scheme)
        .map_err(|()| bad("the scheme cannot be changed to ws"))?;
    url.set_username("")
        .and_then(|()| url.set_password(None))
        .map_err(|()| bad("the URL cannot carry credentials"))?;
    url.set_fragment(None);
    url.set_query(None);
    // A server URL behind a reverse proxy may carry a base path; keep it.
    let base = server.path().trim_end_matches('/');
    url.set_path(&format!("{base}/{}", path.trim_start_matches('/')));
    if let Some(filters) = filters {
        url.query_pairs_mut().append_pair("filters", filters);
    }
    Ok(url)
}

impl Dialer {
    /// One attempt: read the token, dial, upgrade, all within the timeout.
    pub(crate) async fn connect(&self) -> Result<Socket, ConnectError> {
        let (token, _origin) = self.token.read()?;
        let mut request =
            self.url
                .as_str()
                .into_client_request()
                .map_err(|e| ConnectError::BadUrl {
                    url: self.url.to_string(),
                    reason: e.to_string(),
                })?;
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        let mut value = HeaderValue::from_str(token.expose()).map_err(|_| TokenError::Malformed)?;
        value.set_sensitive(true);
        headers.insert(HeaderName::from_static("x-plex-token"), value);

        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let connector = self.tls.clone().map(Connector::Rustls);
        let attempt = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(config),
            true,
            connector,
        );
        match tokio::time::timeout(self.timeout, attempt).await {
            Err(_elapsed) => Err(ConnectError::Timeout {
                url: self.url.to_string(),
                timeout: self.timeout,
            }),
            Ok(Ok((socket, _response))) => Ok(socket),
            Ok(Err(e)) => Err(self.classify(e)),
        }
    }

    fn classify(&self, e: tokio_tungstenite::tungstenite::Error) -> ConnectError {
        use tokio_tungstenite::tungstenite::Error;
        match e {
            Error::Http(response) => match response.status().as_u16() {
                code @ (401 | 403) => ConnectError::Unauthorized(code),
                code => ConnectError::Rejected(code),
            },
            other => ConnectError::Unavailable {
                url: self.url.to_string(),
                reason: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_becomes_ws_and_https_becomes_wss() {
        let u = notification_url(
            &Url::parse("http://127.0.0.1:32400").unwrap(),
            "/:/websockets/notifications",
            None,
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "ws://127.0.0.1:32400/:/websockets/notifications"
        );
        let u = notification_url(
            &Url::parse("https://1-2-3-4.abc.plex.direct:32400/").unwrap(),
            "/:/websockets/notifications",
            Some("playing,timeline"),
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "wss://1-2-3-4.abc.plex.direct:32400/:/websockets/notifications?filters=playing%2Ctimeline"
        );
    }

    #[test]
    fn base_path_is_kept_and_query_or_credentials_are_dropped() {
        let u = notification_url(
            &Url::parse("https://user:pw@example.org/plex/?X-Plex-Token=leak#x").unwrap(),
            ":/websockets/notifications",
            None,
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "wss://example.org/plex/:/websockets/notifications"
        );
    }

    #[test]
    fn other_schemes_are_refused() {
        let e = notification_url(&Url::parse("ftp://h/").unwrap(), "/x", None).unwrap_err();
        assert!(e.to_string().contains("http or https"), "{e}");
    }
}
