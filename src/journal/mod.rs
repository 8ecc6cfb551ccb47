//! The journal: everything the daemon must not forget, in SQLite (bundled,
//! WAL) in the state directory.
//!
//! - `runs`: every accepted run that has not finished — pending (queued),
//!   delayed, debounced, retrying, `when_idle`-deferred and running — with its
//!   payload, flow spec and absolute deadline, plus `dead` letters and recent
//!   `done` ones. After a restart, clean or `kill -9`, [`Store::load_pending`]
//!   hands them back to `Flow::restore`, which resumes each with its
//!   remaining time.
//! - `cooldowns`: when a `(rule, key)` may run again.
//! - `uploads`: SHA-1 of artwork bytes already sent, per item and kind.
//! - `watermarks`: named resume points for the listener.
//! - `intake_requests`, `intake_items`: what the HTTP intake accepted and
//!   where each path is on its way into Plex.
//! - `pending_events`: events a rule may act on whose item facts are not
//!   read yet (journal first, then interpret).
//!
//! [`Store`] is the synchronous API (CLI, tests); [`Journal`] is the async
//! handle the daemon uses, and the engine's `RunStore` (`run_store.rs`). Delivery is at-least-once: a run that was running
//! when the process died runs again, so actions must be idempotent or guarded.

mod cooldown;
mod error;
mod handle;
mod intake;
mod pending;
mod record;
mod run_store;
mod runs;
mod schema;
mod store;
mod upload;
mod watermark;

pub use error::JournalError;
pub use handle::Journal;
pub use intake::{
    ItemRecord, ItemState, ItemUpdate, NewItem, NewRequest, RequestRecord, RequestState,
};
pub use pending::PendingId;
pub use record::{RunRecord, RunState};
pub use runs::{Finish, QueueDepth};
pub use store::{FILE_NAME, Store};
pub use upload::UploadKind;
