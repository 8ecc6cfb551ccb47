//! The engine core: flow control between matched rules and the executor.
//!
//! [`Flow`] is pure and synchronous: rule matches, `[cancel]` events, run
//! ends, the playback busy flag and the clock go in; [`Command`]s (start,
//! cancel, persist, dropped) come out. [`Driver`] is the async loop around
//! it: it owns one `Flow`, sleeps until [`Flow::next_deadline`], and applies
//! the commands (the [`RunStore`] first, then the executor). The journal
//! implements [`RunStore`]; the engine does not know it. Generic over the payload so the rules module
//! plugs in with a conversion into [`FlowSpec`].

mod clock;
mod command;
mod driver;
mod entry;
mod flow;
mod millis;
mod spec;
mod store;
mod timer;

pub use clock::Clock;
pub use command::{Command, DropReason, Outcome};
pub use driver::{Driver, EngineError, EngineHandle, Input};
pub use entry::{Entry, Run, RunId, Stage};
pub use flow::{DEFAULT_MAX_WAITING, Flow};
pub use millis::Millis;
pub use spec::{FlowSpec, Mode};
pub use store::{Restored, RunStore, StoreError};
