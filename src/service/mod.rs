//! The daemon's face towards its operator, started in one call: the systemd
//! supervisor (READY/STATUS/WATCHDOG/STOPPING) and the optional health and
//! metrics endpoint, sharing one set of handles.
//!
//! `run` starts a [`Service`] first, hands [`Service::heartbeats`] to each
//! core loop, [`Service::metrics`] to every part that counts, publishes the
//! listener's state on [`Service::status`], calls [`Service::ready`] once
//! config and rules are loaded, wraps each SIGHUP reload in
//! [`Service::reloading`] / [`Service::ready`], and awaits
//! [`Service::stopped`] after cancelling the shutdown token.

//! - [`logging`]: text, JSON or journald log output, secrets redacted.
//! - [`status`]: the connection state in words, shared by systemd, health, metrics.
//! - [`heartbeat`]: core loops report they are alive; the watchdog and health ask.
//! - [`sd_notify`]: READY, STATUS, RELOADING, STOPPING and the watchdog supervisor.
//! - [`metrics`]: the Prometheus metrics handle every part counts with.
//! - [`health`]: the opt-in `/healthz` + `/metrics` HTTP endpoint.
//! - [`signals`]: SIGHUP → reload, SIGTERM/SIGINT → stop.

pub mod health;
pub mod heartbeat;
pub mod logging;
pub mod metrics;
pub mod sd_notify;
pub mod signals;
pub mod status;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::service::health::{HealthError, HealthServer, HealthSettings, HealthSources};
use crate::service::heartbeat::Heartbeats;
use crate::service::metrics::Metrics;
use crate::service::sd_notify::{Notifier, Supervisor};
use crate::service::status::StatusBoard;

/// The running supervisor and health endpoint, and the handles they read.
#[derive(Debug)]
pub struct Service {
    /// Register each core loop here.
    pub heartbeats: Heartbeats,
    /// Publish the connection state here.
    pub status: StatusBoard,
    /// Count here.
    pub metrics: Metrics,
    /// sd_notify, for READY and RELOADING.
    notifier: Notifier,
    /// The supervisor task; it sends STOPPING=1 when the token is cancelled.
    supervisor: JoinHandle<()>,
    /// The health endpoint task, when configured.
    health: Option<JoinHandle<Result<(), HealthError>>>,
    /// The bound health address (port 0 resolved).
    health_addr: Option<std::net::SocketAddr>,
}

impl Service {
    /// Starts the supervisor (always; it is a no-op without systemd) and the
    /// health endpoint (when `health.listen` is set). Both stop on `shutdown`.
    pub async fn start(
        notifier: Notifier,
        health: &HealthSettings,
        shutdown: &CancellationToken,
    ) -> Result<Service, HealthError> {
        let heartbeats = Heartbeats::new();
        let status = StatusBoard::new();
        let metrics = Metrics::new();

        let (health, health_addr) = match health.listen {
            Some(addr) => {
                let server = HealthServer::bind(
                    addr,
                    HealthSources {
                        heartbeats: heartbeats.clone(),
                        status: status.clone(),
                        metrics: metrics.clone(),
                    },
                )
                .await?;
                let bound = server.local_addr().ok();
                (Some(tokio::spawn(server.serve(shutdown.clone()))), bound)
            }
            None => (None, None),
        };
        let supervisor = tokio::spawn(
            Supervisor::new(notifier.clone(), heartbeats.clone(), status.clone())
                .run(shutdown.clone()),
        );
        Ok(Service {
            heartbeats,
            status,
            metrics,
            notifier,
            supervisor,
            health,
            health_addr,
        })
    }

    /// Where `/healthz` is served, if it is.
    pub fn health_addr(&self) -> Option<std::net::SocketAddr> {
        self.health_addr
    }

    /// `READY=1` with the current status: config and rules are loaded and
    /// the engine runs. Also ends a reload.
    pub fn ready(&self) {
        self.notifier.ready(&self.status.current());
    }

    /// `RELOADING=1`: a SIGHUP reload has begun; call [`Service::ready`] when
    /// it is done, whether the new rules were taken or the old ones kept.
    pub fn reloading(&self) {
        self.notifier.reloading();
    }

    /// Waits for the supervisor (which sends `STOPPING=1`) and the health
    /// endpoint to finish after the shutdown token was cancelled.
    pub async fn stopped(self) {
        if let Err(error) = self.supervisor.await {
            tracing::error!(%error, "The systemd supervisor task failed.");
        }
        if let Some(health) = self.health {
            match health.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%error, "The health endpoint failed."),
                Err(error) => tracing::error!(%error, "The health endpoint task failed."),
            }
        }
    }
}
