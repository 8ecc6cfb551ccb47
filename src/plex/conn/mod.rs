//! How we present ourselves to a Plex server: the token (and the list of
//! secrets kept out of every log line), the `X-Plex-*` identity, and the TLS
//! configuration. The REST client and the
//! notification stream share all three.

pub mod identity;
pub mod secrets;
pub mod tls;
pub mod token;
