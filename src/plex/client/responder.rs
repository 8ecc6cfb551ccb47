//! A hook in front of the network: answers some requests without sending
//! them.
//!
//! `--dry-run`, `explain` and rule tests need the same executors to run
//! against something other than the live server: writes recorded and
//! answered with an empty success, reads passed through or answered from
//! canned JSON. A [`Responder`] installed with
//! [`PlexClient::with_responder`](super::PlexClient::with_responder) sees
//! every request first; what it does not answer goes to Plex as usual.

use crate::plex::client::RawResponse;
use crate::plex::error::PlexError;
use crate::plex::request::PlexRequest;

/// Decides, per request, whether the network is used at all.
pub trait Responder: Send + Sync {
    /// `Some(answer)` answers `req` without sending it; `None` sends it.
    fn respond(&self, req: &PlexRequest) -> Option<Result<RawResponse, PlexError>>;
}
