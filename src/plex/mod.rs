//! Everything that talks to a Plex Media Server: the REST client, the
//! notification format, and how we connect. The stream itself, as a source of
//! events, is [`crate::source::listener`].
//!
//! - [`notification`]: push-channel frames → typed notifications (pure).
//! - [`request`]: requests as values, one pure builder per endpoint.
//! - [`client`]: sends them, with identity headers and the token.
//! - [`error`]: what can go wrong, one variant per kind callers branch on.
//! - [`model`]: what Plex answers, typed.
//! - [`scan`]: plans and runs partial scans for a set of local paths.
//! - [`follow`]: follows the activity a request started to its end.
//! - [`id`]: ids as strings, whatever Plex sent.
//! - [`conn`]: the token, the `X-Plex-*` identity and TLS, shared by the
//!   client and the notification stream.
//! - [`pathmap`]: local ↔ Plex path translation and section lookup.
//! - [`backoff`]: full-jitter exponential backoff for every retry loop.
//! - [`reachability`]: whether Plex can be asked now; work waits on it.
//! - [`snapshot`]: items as last read, until an event says they changed.

pub mod backoff;
pub mod client;
pub mod conn;
pub mod error;
pub mod follow;
pub mod id;
pub mod model;
pub mod notification;
pub mod pathmap;
pub mod reachability;
pub mod request;
pub mod scan;
pub mod snapshot;

pub use client::{ClientSettings, PlexClient, RawResponse};
pub use error::PlexError;
pub use request::PlexRequest;
