//! metarr-plex: a daemon that reacts to what happens on a Plex Media Server.
//!
//! # Layout
//!
//! The data path runs one way, and the modules follow it:
//!
//! - [`plex`]: the REST client and the notification stream (what Plex says and
//!   how we ask it to do things).
//!   - [`plex::notification`]: push-channel frames → typed notifications (pure).
//!   - [`plex::listener`]: the WebSocket that never gives up, feeding events.
//! - [`source`]: sources of work besides the stream: [`source::intake`], the
//!   HTTP intake (Metarr sync, *arr and Plex webhooks, autoscan triggers).
//! - [`event`]: raw notifications → normalized events, the contract rules are
//!   written against.
//!   - [`event::Normalizer`]: the pure, stateful notification → event step
//!     (playback sessions, items, activities, reconciliation, loop guard).
//! - [`backoff`]: full-jitter exponential backoff for every retry loop.
//! - [`engine`]: flow control per rule and key (debounce, delay, cooldown,
//!   modes, `when_idle`): a pure, clock-driven core with one timer structure,
//!   and the async loop that persists its decisions and wakes at deadlines.
//! - [`action`]: executors — each typed action as the right Plex calls (or a
//!   webhook, program, log line), with pacing, loop-guard registration,
//!   retry policy, dry runs and plans.
//! - [`daemon`]: `metarr-plex run`: listener → rules → engine → actions, wired, with drain and reload.
//! - [`demo`]: `metarr-plex demo`: simulator + daemon + shipped rules playing the story.
//! - [`journal`]: the SQLite journal in the state dir: accepted runs with
//!   their deadlines, cooldowns, upload hashes, watermarks.
//! - [`rules`]: rule files — load, check, compile, and match events to
//!   the actions they call for; `explain`, `test`, and hot reload.
//! - [`token`]: where the Plex token comes from and how it stays out of logs.
//! - [`diag`]: `file:line:col` diagnostics for config and rule files.
//! - [`config`]: the TOML config file, parsed and validated.
//! - [`identity`]: the `X-Plex-*` identity and the client id kept in the state dir.
//! - [`tls`]: the one rustls configuration the REST client and the WebSocket share.
//! - [`pathmap`]: local ↔ Plex path translation and section lookup.
//! - [`cli`]: the command line (one-shot commands); `main.rs` only calls it.
//! - [`sim`]: a Plex Media Server simulator on loopback, for tests and `metarr-plex sim`.
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

pub mod action;
pub mod backoff;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod diag;
pub mod engine;
pub mod event;
pub mod health;
pub mod heartbeat;
pub mod identity;
pub mod journal;
pub mod logging;
pub mod login;
pub mod metrics;
pub mod notify;
pub mod pathmap;
pub mod plex;
pub mod rules;
pub mod service;
pub mod signals;
pub mod sim;
pub mod source;
pub mod status;
pub mod tls;
pub mod token;
