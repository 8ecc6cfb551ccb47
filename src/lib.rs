//! metarr-plex: a daemon that reacts to what happens on a Plex Media Server.
//!
//! # Layout
//!
//! The data path runs one way, and the modules follow it; each layer imports
//! only the layers listed above it (`ci/module-graph.py` checks that there is
//! no cycle):
//!
//! - [`diag`]: `file:line:col` diagnostics for config and rule files.
//! - [`plex`]: talking to Plex — requests as values, the REST client, typed
//!   models, notification parsing, scan planning, path mapping, and the
//!   connection (token, identity, TLS).
//! - [`service`]: the daemon's face towards its operator — logging, sd_notify
//!   and the watchdog, status, heartbeats, health, metrics, signals.
//! - [`config`]: the TOML config file, parsed and validated.
//! - [`event`]: raw notifications → normalized events, the contract rules are
//!   written against (playback sessions, items, activities, loop guard).
//! - [`rules`]: rule files — load, check, compile, and match events to the
//!   actions they call for; hot reload.
//! - [`engine`]: flow control per rule and key (debounce, delay, cooldown,
//!   modes, `when_idle`): a pure, clock-driven core with one timer structure,
//!   and the loop that persists its decisions (through
//!   [`engine::RunStore`], which the journal implements) and wakes at
//!   deadlines.
//! - [`journal`]: the SQLite journal in the state dir: accepted runs with
//!   their deadlines, cooldowns, upload hashes, watermarks.
//! - [`action`]: executors — each typed action as the right Plex calls (or a
//!   webhook, program, log line), with pacing (the one concurrency limit),
//!   loop-guard registration, dry runs and plans; and the one run sequencing
//!   and retry policy ([`action::Sequencer`]), for the daemon and for
//!   `explain`/`test` alike.
//! - [`source`]: where work comes from, on top of the pipeline it feeds —
//!   the notification stream that never gives up (a coalescing backlog,
//!   reconciling after every reconnect, an event-stream fallback); and the
//!   HTTP intake (Metarr sync, *arr and Plex webhooks, autoscan triggers),
//!   which journals each request and carries it out through the executor.
//! - [`daemon`]: `metarr-plex run`, wiring only: sources → rules → engine →
//!   actions, with drain and reload.
//! - [`sim`]: a Plex Media Server simulator on loopback, for tests, the demo
//!   and `metarr-plex sim`.
//! - [`tools`]: beside the daemon — the rule test runner and `explain`'s
//!   planner, the demo, login.
//! - [`cli`]: the command line; `main.rs` only calls it.

#![forbid(unsafe_code)]

pub mod action;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod diag;
pub mod engine;
pub mod event;
pub mod journal;
pub mod plex;
pub mod rules;
pub mod service;
pub mod sim;
pub mod source;
pub mod tools;
