//! How we present ourselves to a Plex server: the token, the `X-Plex-*`
//! identity, and the TLS configuration. The REST client and the
//! notification stream share all three.

pub mod identity;
pub mod tls;
pub mod token;
