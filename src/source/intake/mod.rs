//! The HTTP intake: a second source of work next to the notification stream.
//!
//! Metarr (`POST /api/v1/sync`), Sonarr/Radarr/Lidarr/Readarr
//! (`/api/v1/hooks/{kind}`), Plex webhooks (`/api/v1/hooks/plex`) and
//! autoscan-style triggers (`/triggers/manual`) hand work to the daemon.
//!
//! - [`settings`]: `[intake]` and the key.

mod settings;

pub use settings::{CREDENTIAL_NAME, IntakeKey, IntakeSettings, IntakeStartError, load_key};
