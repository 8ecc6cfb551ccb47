//! Where work comes from. Each source turns something outside into
//! [`crate::event::Event`]s for the rules.
//!
//! - [`listener`]: Plex's notification stream (WebSocket), reconnecting
//!   forever, reconciling after every reconnect.

pub mod listener;
