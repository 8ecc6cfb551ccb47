//! Where work comes from. Each source turns something outside into
//! [`crate::event::Event`]s for the rules, or work for the executors.
//!
//! - [`listener`]: Plex's notification stream (WebSocket), reconnecting
//!   forever, reconciling after every reconnect.
//! - [`intake`]: the HTTP intake: Metarr sync requests, *arr and Plex
//!   webhooks and autoscan-style triggers hand work to the daemon and hear
//!   back.

pub mod intake;
pub mod listener;
