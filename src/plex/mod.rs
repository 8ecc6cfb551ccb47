//! Everything that talks to a Plex Media Server: the REST client and the
//! notification stream.

pub mod id;
pub mod listener;
pub mod notification;
