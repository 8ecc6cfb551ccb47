//! Everything that talks to a Plex Media Server: the REST client and the
//! notification stream.
//!
//! - [`notification`]: push-channel frames → typed notifications (pure).
//! - [`listener`]: the WebSocket that never gives up, feeding events.
//! - [`request`]: requests as values, one pure builder per endpoint.
//! - [`client`]: sends them, with identity headers and the token.
//! - [`error`]: what can go wrong, one variant per kind callers branch on.
//! - [`model`]: what Plex answers, typed.
//! - [`scan`]: plans and runs partial scans for a set of local paths.
//! - [`follow`]: follows the activity a request started to its end.
//! - [`id`]: ids as strings, whatever Plex sent.

pub mod client;
pub mod error;
pub mod follow;
pub mod id;
pub mod listener;
pub mod model;
pub mod notification;
pub mod request;
pub mod scan;

pub use client::{ClientSettings, PlexClient, RawResponse};
pub use error::PlexError;
pub use request::PlexRequest;
