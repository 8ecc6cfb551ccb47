//! Sources of work besides the rules' own triggers.
//!
//! - [`intake`]: the HTTP intake: Metarr sync requests, *arr and Plex
//!   webhooks and autoscan-style triggers hand work to the daemon and hear
//!   back.

pub mod intake;
