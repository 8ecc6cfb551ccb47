//! metarr-plex: a daemon that reacts to what happens on a Plex Media Server.
//!
//! # Layout
//!
//! The data path runs one way, and the modules follow it:
//!
//! - [`plex`]: the REST client and the notification stream (what Plex says and
//!   how we ask it to do things).
//! - [`event`]: raw notifications → normalized events, the contract rules are
//!   written against.
//! - [`token`]: where the Plex token comes from and how it stays out of logs.
//! - [`diag`]: `file:line:col` diagnostics for config and rule files.
//! - [`logging`]: text, JSON or journald log output, picked for where it goes.
//! - [`status`]: the connection state in words, shared by systemd, health, metrics.
//! - [`heartbeat`]: core loops report they are alive; the watchdog and health ask.
//! - [`notify`]: sd_notify (READY, STATUS, RELOADING, STOPPING) and the watchdog supervisor.
//! - [`metrics`]: the Prometheus metrics handle every part counts with.
//! - [`health`]: the opt-in `/healthz` + `/metrics` HTTP endpoint.
//! - [`service`]: starts the supervisor and health endpoint together for `run`.
//! - [`signals`]: SIGHUP → reload, SIGTERM/SIGINT → stop.
//! - [`login`]: `metarr-plex login`, the plex.tv PIN and password flows.
//!
//! Binaries stay thin: `main.rs` parses arguments and calls into here.

#![forbid(unsafe_code)]

pub mod diag;
pub mod event;
pub mod health;
pub mod heartbeat;
pub mod logging;
pub mod login;
pub mod metrics;
pub mod notify;
pub mod plex;
pub mod service;
pub mod signals;
pub mod status;
pub mod token;
