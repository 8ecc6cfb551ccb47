//! Commands that sit beside the daemon rather than in its data path: running
//! rule actions without writing (`test`, `explain`), the demo, and login.
//!
//! - [`runner`]: the executors in recording mode, for `test` and `explain`.
//! - [`demo`]: `metarr-plex demo`, the simulator + daemon + shipped rules.
//! - [`login`]: `metarr-plex login`, the plex.tv PIN and password flows.

pub mod demo;
pub mod login;
pub mod runner;
