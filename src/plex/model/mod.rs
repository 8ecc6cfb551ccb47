//! What Plex answers, as typed values.
//!
//! The shapes follow Plex's JSON (`Accept: application/json`): every answer is
//! wrapped in `MediaContainer`, item lists are `Metadata[]`, sections are
//! `Directory[]`. Ids go through [`crate::plex::id`] (strings or numbers),
//! unknown fields are ignored and anything Plex may omit is optional, so a
//! newer server does not break us.

mod activity;
mod container;
mod identity;
mod item;
mod kind;
mod marker;
mod section;
mod session;

pub use activity::{Activity, ActivityContext};
pub(crate) use container::Envelope;
pub use container::MediaContainer;
pub use identity::{Agent, ServerIdentity};
pub use item::{Field, Guid, Image, Item, MatchCandidate, Media, Part, Tag};
pub use kind::MediaType;
pub use marker::{Chapter, Marker};
pub use section::{Location, Section};
pub use session::{Player, Session, SessionInfo, SessionUser};
