//! The Plex REST client: one `reqwest` client with our identity headers, the
//! token in a sensitive header, and status codes mapped to [`PlexError`].
//!
//! Every typed method (in the files under `client/`) builds a
//! [`PlexRequest`] with a pure builder from [`crate::plex::request`] and sends
//! it through [`PlexClient::send`] (actions) or [`PlexClient::send_raw`]
//! (answers), so what `--dry-run` prints is exactly what is sent.

mod activity;
mod artwork;
mod collection;
mod detect;
mod edit;
mod feature;
mod library;
mod matching;
mod pacing;
mod responder;

pub use collection::CollectionContent;
pub use feature::FeatureTarget;
pub use matching::best_candidate;
pub use responder::Responder;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
use url::Url;

use crate::plex::conn::identity::ClientIdentity;
use crate::plex::conn::tls::{TlsSettings, build_client_config};
use crate::plex::conn::token::{Token, TokenSource};
use crate::plex::error::{PlexError, parse_retry_after};
use crate::plex::model::Section;
use crate::plex::request::PlexRequest;

pub use library::SECTIONS_TTL;

/// Everything needed to build a [`PlexClient`].
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The server, e.g. `http://127.0.0.1:32400`; a path prefix is kept.
    pub base_url: Url,
    /// Where the token comes from; re-read after a 401 so a rotated token
    /// file is picked up without a restart.
    pub tokens: TokenSource,
    /// The `X-Plex-*` identity.
    pub identity: ClientIdentity,
    /// Per-request timeout (connect + answer).
    pub timeout: Duration,
    /// Certificate verification.
    pub tls: TlsSettings,
}

/// A cheap-to-clone handle on one Plex server.
#[derive(Clone)]
pub struct PlexClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    tokens: TokenSource,
    /// The token in use; `None` until first needed, replaced by
    /// [`PlexClient::reload_token`].
    token: ArcSwapOption<Token>,
    identity: ClientIdentity,
    tls: Arc<rustls::ClientConfig>,
    /// `/library/sections`, with when it was fetched.
    sections: Mutex<Option<library::SectionCache>>,
    /// Ceiling on writes and scans per second (what costs Plex work),
    /// when set. Shared by every client derived with
    /// [`PlexClient::with_responder`], so a dry run is paced like the live
    /// one.
    limiter: Arc<ArcSwapOption<pacing::RequestPacer>>,
    /// Ceiling on reads per second: the same bucket as `limiter` until
    /// [`PlexClient::set_read_rate_limit`] gives reads their own, so a
    /// burst of rule facts neither waits behind the writes nor starves them.
    read_limiter: Arc<ArcSwapOption<pacing::RequestPacer>>,
    /// Answers requests before the network does (dry runs, canned tests).
    responder: Option<Arc<dyn Responder>>,
    /// Where request latencies are counted (the daemon's `/metrics`), once
    /// set; shared by derived clients.
    metrics: Arc<std::sync::OnceLock<Arc<dyn RequestObserver>>>,
    /// `--dry-run`: requests that change state are logged, not sent.
    dry_run: AtomicBool,
    /// Endpoints this server lacks (old versions), shared by derived clients.
    features: Arc<feature::Features>,
}

/// Told about every request the client sent. The daemon counts them in its
/// metrics; a trait, so that the client needs nothing from the layers above.
pub trait RequestObserver: Send + Sync + std::fmt::Debug {
    /// A request took `elapsed` and got `status` (`None` when no response
    /// arrived: refused, timed out).
    fn request_done(&self, elapsed: std::time::Duration, status: Option<u16>);
}

/// What Plex answered to a request that succeeded (2xx).
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The 2xx status Plex answered with.
    pub status: StatusCode,
    /// Response headers (`X-Plex-Activity` among them).
    pub headers: HeaderMap,
    /// The body as received; often empty for actions.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The `X-Plex-Activity` uuid a scan or refresh answer carries: the id of
    /// the activity it started.
    pub fn activity_uuid(&self) -> Option<String> {
        self.headers
            .get("x-plex-activity")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    /// The body as JSON of type `T`; the error names `endpoint`.
    pub fn json<T: DeserializeOwned>(&self, endpoint: &str) -> Result<T, PlexError> {
        serde_json::from_slice(&self.body).map_err(|e| PlexError::BadJson {
            endpoint: endpoint.to_owned(),
            detail: e.to_string(),
        })
    }
}

impl std::fmt::Debug for PlexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlexClient")
            .field("base", &self.inner.base.as_str())
            .field("client_id", &self.inner.identity.client_id)
            .finish_non_exhaustive()
    }
}

impl PlexClient {
    /// Builds the client. The token is not read yet: a missing token shows
    /// up on the first request, so `map-path` and friends work without one.
    pub fn new(settings: ClientSettings) -> Result<PlexClient, PlexError> {
        let tls = build_client_config(&settings.tls, &settings.base_url)
            .map_err(|e| PlexError::Tls(e.to_string()))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls.clone())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            // A redirect would carry X-Plex-Token to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| PlexError::Tls(e.without_url().to_string()))?;
        Ok(PlexClient {
            inner: Arc::new(Inner {
                http,
                base: settings.base_url,
                tokens: settings.tokens,
                token: ArcSwapOption::empty(),
                identity: settings.identity,
                tls: Arc::new(tls),
                sections: Mutex::new(None),
                limiter: Arc::new(ArcSwapOption::empty()),
                read_limiter: Arc::new(ArcSwapOption::empty()),
                responder: None,
                metrics: Arc::default(),
                dry_run: AtomicBool::new(false),
                features: Arc::default(),
            }),
        })
    }

    /// A client for the same server whose requests go to `responder` first:
    /// what it answers is never sent. Everything else (token, identity, rate
    /// limit) is shared with `self`; the section cache starts empty, so
    /// canned answers are used for it too.
    pub fn with_responder(&self, responder: Arc<dyn Responder>) -> PlexClient {
        let i = &self.inner;
        PlexClient {
            inner: Arc::new(Inner {
                http: i.http.clone(),
                base: i.base.clone(),
                tokens: i.tokens.clone(),
                token: ArcSwapOption::new(i.token.load_full()),
                identity: i.identity.clone(),
                tls: i.tls.clone(),
                sections: Mutex::new(None),
                limiter: i.limiter.clone(),
                read_limiter: i.read_limiter.clone(),
                responder: Some(responder),
                metrics: i.metrics.clone(),
                dry_run: AtomicBool::new(i.dry_run.load(Ordering::Relaxed)),
                features: i.features.clone(),
            }),
        }
    }

    /// Reports every request's latency and status to `observer` from now on
    /// (the daemon's Plex latency histogram); only the first call has an
    /// effect.
    pub fn count_in(&self, observer: Arc<dyn RequestObserver>) {
        let _ = self.inner.metrics.set(observer);
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The identity sent with every request.
    pub fn identity_headers(&self) -> &ClientIdentity {
        &self.inner.identity
    }

    /// The TLS configuration, for the WebSocket connector.
    pub fn tls_config(&self) -> Arc<rustls::ClientConfig> {
        self.inner.tls.clone()
    }

    /// Caps requests at `per_second` (bursts up to the same number), so a
    /// storm of rule actions cannot swamp a small server; 0 removes the cap.
    /// Reads share this one bucket until [`PlexClient::set_read_rate_limit`]
    /// gives them their own (call that after this).
    pub fn set_rate_limit(&self, per_second: u32) {
        let limiter =
            std::num::NonZeroU32::new(per_second).map(|n| Arc::new(pacing::RequestPacer::new(n)));
        self.inner.read_limiter.store(limiter.clone());
        self.inner.limiter.store(limiter);
    }

    /// Gives reads ([`PlexRequest::is_write`] false) their own ceiling of
    /// `per_second`: answering a `GET` costs Plex little next to a match or
    /// a scan, and rule facts for a burst of new items should not queue
    /// behind the writes (or hold them up). 0 removes the read cap.
    pub fn set_read_rate_limit(&self, per_second: u32) {
        let limiter =
            std::num::NonZeroU32::new(per_second).map(|n| Arc::new(pacing::RequestPacer::new(n)));
        self.inner.read_limiter.store(limiter);
    }

    /// In dry-run mode, requests that change state
    /// ([`PlexRequest::changes_state`]) are logged exactly as they would be
    /// sent and answered with an empty 200 without reaching Plex; reads still
    /// go through, so what would happen is computed from real data.
    pub fn set_dry_run(&self, on: bool) {
        self.inner.dry_run.store(on, Ordering::Relaxed);
    }

    /// Whether dry-run mode is on.
    pub fn is_dry_run(&self) -> bool {
        self.inner.dry_run.load(Ordering::Relaxed)
    }

    /// Re-reads the token from its source (after a 401, or on SIGHUP).
    pub fn reload_token(&self) -> Result<(), PlexError> {
        let (token, origin) = self.inner.tokens.read()?;
        tracing::debug!(origin = %origin, "Plex token loaded.");
        self.inner.token.store(Some(Arc::new(token)));
        Ok(())
    }

    fn token(&self) -> Result<Arc<Token>, PlexError> {
        if let Some(t) = self.inner.token.load_full() {
            return Ok(t);
        }
        self.reload_token()?;
        self.inner.token.load_full().ok_or(PlexError::Token(
            crate::plex::conn::token::TokenError::Missing,
        ))
    }

    /// The identity headers plus `Accept` and the token (marked sensitive),
    /// for the WebSocket upgrade request.
    pub fn upgrade_headers(&self) -> Result<HeaderMap, PlexError> {
        let token = self.token()?;
        self.headers(&token)
    }

    /// The notification stream URL: `path` under the base URL, `http`→`ws`,
    /// `https`→`wss`, with `filters=` when given. No token in it.
    pub fn notifications_url(&self, path: &str, filters: Option<&str>) -> Url {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let mut req = PlexRequest::new(reqwest::Method::GET, segments);
        if let Some(f) = filters.filter(|f| !f.is_empty()) {
            req = req.with_query("filters", f);
        }
        let mut url = req.url(&self.inner.base);
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        // http→ws and https→wss are both "special" schemes, so this cannot fail.
        let _ = url.set_scheme(scheme);
        url
    }

    fn headers(&self, token: &Token) -> Result<HeaderMap, PlexError> {
        let mut h = HeaderMap::new();
        for (name, value) in self.inner.identity.headers() {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(HeaderName::from_static(name), v);
            }
        }
        h.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let mut tv = HeaderValue::from_str(token.expose())
            .map_err(|_| PlexError::Token(crate::plex::conn::token::TokenError::Malformed))?;
        tv.set_sensitive(true);
        h.insert(HeaderName::from_static("x-plex-token"), tv);
        Ok(h)
    }

    /// Sends an action and only cares whether it succeeded.
    pub async fn send(&self, req: &PlexRequest) -> Result<(), PlexError> {
        self.send_raw(req).await.map(drop)
    }

    /// Sends `req` and returns Plex's answer when it is a success (2xx);
    /// maps every failure to a [`PlexError`]. A 401 re-reads the token once
    /// and retries when it changed (a rotated token file).
    pub async fn send_raw(&self, req: &PlexRequest) -> Result<RawResponse, PlexError> {
        // Paced before the responder too, so a dry run is paced like the
        // live run it stands for.
        self.pace(req).await;
        if let Some(answer) = self.inner.responder.as_ref().and_then(|r| r.respond(req)) {
            return answer;
        }
        if self.is_dry_run() && req.changes_state() {
            tracing::info!(request = %req, "Dry run: not sent.");
            return Ok(RawResponse {
                status: StatusCode::OK,
                headers: HeaderMap::new(),
                body: Vec::new(),
            });
        }
        let token = self.token()?;
        match self.send_with(req, &token).await {
            Err(PlexError::InvalidToken) => {
                if self.reload_token().is_ok()
                    && let Some(fresh) = self.inner.token.load_full()
                    && *fresh != *token
                {
                    tracing::info!("Plex token changed on disk; retrying with the new one.");
                    self.pace(req).await;
                    return self.send_with(req, &fresh).await;
                }
                Err(PlexError::InvalidToken)
            }
            other => other,
        }
    }

    async fn send_with(&self, req: &PlexRequest, token: &Token) -> Result<RawResponse, PlexError> {
        let url = req.url(&self.inner.base);
        let mut builder = self
            .inner
            .http
            .request(req.method.clone(), url)
            .headers(self.headers(token)?);
        if let Some(body) = &req.body {
            builder = builder
                .header(CONTENT_TYPE, body.content_type.as_str())
                .body(body.bytes.clone());
        }
        let started = tokio::time::Instant::now();
        let resp = match builder.send().await {
            Ok(resp) => resp,
            Err(e) => {
                if let Some(m) = self.inner.metrics.get() {
                    m.request_done(started.elapsed(), None);
                }
                return Err(PlexError::unavailable(&self.inner.base, &e));
            }
        };
        let status = resp.status();
        if let Some(m) = self.inner.metrics.get() {
            m.request_done(started.elapsed(), Some(status.as_u16()));
        }
        let headers = resp.headers().clone();
        let body = resp
            .bytes()
            .await
            .map_err(|e| PlexError::unavailable(&self.inner.base, &e))?
            .to_vec();
        tracing::debug!(
            request = %req,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "Plex answered."
        );
        if status.is_success() {
            return Ok(RawResponse {
                status,
                headers,
                body,
            });
        }
        let retry_after = parse_retry_after(headers.get(RETRY_AFTER));
        Err(PlexError::from_status(
            status,
            retry_after,
            &body,
            req.endpoint(),
        ))
    }

    /// Waits for the write or the read budget, whichever `req` spends,
    /// when one is set.
    async fn pace(&self, req: &PlexRequest) {
        let budget = if req.is_write() {
            &self.inner.limiter
        } else {
            &self.inner.read_limiter
        };
        if let Some(limiter) = budget.load_full() {
            limiter.until_ready().await;
        }
    }

    /// Sends `req` and parses the `MediaContainer` it answers with.
    pub(crate) async fn container<M: DeserializeOwned>(
        &self,
        req: &PlexRequest,
    ) -> Result<crate::plex::model::MediaContainer<M>, PlexError> {
        let resp = self.send_raw(req).await?;
        let env: crate::plex::model::Envelope<M> = resp.json(&req.endpoint())?;
        Ok(env.container)
    }

    /// The cached sections, if fresh.
    pub(crate) fn cached_sections(&self) -> Option<Arc<Vec<Section>>> {
        let guard = self.inner.sections.lock().ok()?;
        guard
            .as_ref()
            .filter(|c| c.is_fresh())
            .map(|c| c.sections.clone())
    }

    pub(crate) fn store_sections(&self, sections: Arc<Vec<Section>>) {
        if let Ok(mut guard) = self.inner.sections.lock() {
            *guard = Some(library::SectionCache::new(sections));
        }
    }
}

/// 404 as a normal answer: `Ok(None)`.
pub fn found<T>(r: Result<T, PlexError>) -> Result<Option<T>, PlexError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(PlexError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> PlexClient {
        PlexClient::new(ClientSettings {
            base_url: Url::parse(base).unwrap(),
            tokens: TokenSource::fixed(Token::new("t0ken-VALUE").unwrap()),
            identity: ClientIdentity::new("cid"),
            timeout: Duration::from_secs(1),
            tls: TlsSettings::default(),
        })
        .unwrap()
    }

    #[test]
    fn notifications_url_swaps_the_scheme_and_keeps_the_token_out() {
        let c = client("http://127.0.0.1:32400");
        assert_eq!(
            c.notifications_url("/:/websockets/notifications", None)
                .as_str(),
            "ws://127.0.0.1:32400/:/websockets/notifications"
        );
        let c = client("https://plex.lan:32400/prefix/");
        assert_eq!(
            c.notifications_url("/:/eventsource/notifications", Some("playing,timeline"))
                .as_str(),
            "wss://plex.lan:32400/prefix/:/eventsource/notifications?filters=playing%2Ctimeline"
        );
    }

    #[test]
    fn upgrade_headers_hold_identity_and_a_sensitive_token() {
        let h = client("http://127.0.0.1:32400").upgrade_headers().unwrap();
        assert_eq!(h["x-plex-client-identifier"], "cid");
        assert_eq!(h["x-plex-product"], "Metarr");
        assert_eq!(h["x-plex-device"], "Metarr Server");
        assert_eq!(h["accept"], "application/json");
        assert!(h["x-plex-token"].is_sensitive());
        assert!(
            !format!("{h:?}").contains("t0ken-VALUE"),
            "sensitive values are hidden"
        );
    }
}
