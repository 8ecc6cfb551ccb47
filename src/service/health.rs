//! The opt-in HTTP endpoint for monitoring: `/healthz` and `/metrics`.
//!
//! Nothing here touches Plex: health is answered from the core loops'
//! heartbeats and the published connection state, so a monitor sees
//! "running, reconnecting to Plex" while Plex is down rather than a timeout.
//! It listens on loopback unless the config says otherwise, because the
//! metrics name rules and the status names the server.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::service::heartbeat::Heartbeats;
use crate::service::metrics::{self, Metrics};
use crate::service::status::StatusBoard;

/// The `[health]` table of the config file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HealthSettings {
    /// Where to serve `/healthz` and `/metrics`, e.g. `"127.0.0.1:9847"`.
    /// Absent means no server: monitoring is opt-in.
    pub listen: Option<SocketAddr>,
}

/// The suggested address, printed in docs and config examples.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9847";

/// What the endpoint reads from; all cheap clones of the daemon's handles.
#[derive(Debug, Clone)]
pub struct HealthSources {
    /// Core loop liveness: 503 as soon as one stalls.
    pub heartbeats: Heartbeats,
    /// The connection state shown in the body and exported as a metric.
    pub status: StatusBoard,
    /// What `/metrics` renders.
    pub metrics: Metrics,
}

/// The `/healthz` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HealthBody {
    /// `ok` or `stalled`.
    pub status: String,
    /// The connection phase (`connected`, `reconnecting`, …).
    pub connection: String,
    /// The same sentence as systemd's `STATUS=`.
    pub detail: String,
    /// Loops that stopped beating, e.g. `engine silent for 40 s`.
    pub stalled: Vec<String>,
}

/// A bound, not yet serving, health endpoint.
#[derive(Debug)]
pub struct HealthServer {
    /// Bound before serving so the caller learns the port (tests use port 0)
    /// and a busy port is an error at start, not later.
    listener: tokio::net::TcpListener,
    /// What it answers from.
    sources: Arc<HealthSources>,
}

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// The address is taken or not ours.
    #[error("cannot listen for health checks on {addr}: {source}; change [health] listen")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an IO error.
    #[error("the health endpoint failed: {0}")]
    Serve(#[source] std::io::Error),
}

impl HealthServer {
    /// Binds `addr`. A non-loopback address works but is warned about.
    pub async fn bind(
        addr: SocketAddr,
        sources: HealthSources,
    ) -> Result<HealthServer, HealthError> {
        if !addr.ip().is_loopback() {
            tracing::warn!(%addr, "The health endpoint listens beyond loopback; anyone who can reach it sees the metrics.");
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| HealthError::Bind { addr, source })?;
        Ok(HealthServer {
            listener,
            sources: Arc::new(sources),
        })
    }

    /// The bound address (with the real port when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown`.
    pub async fn serve(self, shutdown: CancellationToken) -> Result<(), HealthError> {
        if let Ok(addr) = self.listener.local_addr() {
            tracing::info!(%addr, "Health endpoint listening.");
        }
        let app = router(self.sources);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
            .map_err(HealthError::Serve)
    }
}

fn router(sources: Arc<HealthSources>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .with_state(sources)
}

async fn healthz(State(sources): State<Arc<HealthSources>>) -> Response {
    let stalled: Vec<String> = sources
        .heartbeats
        .stalled()
        .iter()
        .map(ToString::to_string)
        .collect();
    let status = sources.status.current();
    let code = if stalled.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = HealthBody {
        status: if stalled.is_empty() { "ok" } else { "stalled" }.to_owned(),
        connection: status.phase.as_str().to_owned(),
        detail: status.text,
        stalled,
    };
    (code, axum::Json(body)).into_response()
}

async fn metrics_text(State(sources): State<Arc<HealthSources>>) -> Response {
    // The state metric follows the board, so nobody has to update both.
    sources
        .metrics
        .set_connection_state(sources.status.current().phase);
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        sources.metrics.render(),
    )
        .into_response()
}
