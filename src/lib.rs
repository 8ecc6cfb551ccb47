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
//! - [`event`]: raw notifications → normalized events, the contract rules are
//!   written against.
//! - [`backoff`]: full-jitter exponential backoff for every retry loop.
//! - [`token`]: where the Plex token comes from and how it stays out of logs.
//! - [`diag`]: `file:line:col` diagnostics for config and rule files.
//!
//! Binaries stay thin: `main.rs` parses arguments and calls into here.

#![forbid(unsafe_code)]

pub mod backoff;
pub mod diag;
pub mod event;
pub mod plex;
pub mod token;
