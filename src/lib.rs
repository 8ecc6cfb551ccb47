//! metarr-plex: a daemon that reacts to what happens on a Plex Media Server.
//!
//! # Layout
//!
//! The data path runs one way, and the modules follow it:
//!
//! - [`plex`]: the REST client and the notification stream (what Plex says and
//!   how we ask it to do things).
//!   - [`plex::notification`]: push-channel frames → typed notifications (pure).
//! - [`event`]: raw notifications → normalized events, the contract rules are
//!   written against.
//! - [`engine`]: flow control per rule and key (debounce, delay, cooldown,
//!   modes, `when_idle`): a pure, clock-driven core with one timer structure,
//!   and the async loop that persists its decisions and wakes at deadlines.
//! - [`journal`]: the SQLite journal in the state dir: accepted runs with
//!   their deadlines, cooldowns, upload hashes, watermarks.
//!   - [`event::Normalizer`]: the pure, stateful notification → event step
//!     (playback sessions, items, activities, reconciliation, loop guard).
//! - [`token`]: where the Plex token comes from and how it stays out of logs.
//! - [`diag`]: `file:line:col` diagnostics for config and rule files.
//!
//! Binaries stay thin: `main.rs` parses arguments and calls into here.

#![forbid(unsafe_code)]

pub mod diag;
pub mod engine;
pub mod event;
pub mod journal;
pub mod plex;
pub mod token;
