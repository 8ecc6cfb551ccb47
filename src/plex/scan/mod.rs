//! Partial scans for a set of local paths: the seed's `updateLibrary`.
//!
//! [`plan_scan`] is pure: map each path to Plex's namespace, find its section,
//! coalesce files to folders and folders to their planned ancestors.
//! [`run_scans`] executes a plan with at most `parallel` scans at once and never two
//! at once in one section, optionally following each scan to its end by the
//! activity it started. The CLI's `scan` and the engine's `scan` action both
//! use this module.

mod plan;
mod run;

pub use plan::{LocalFs, PathKind, PathProbe, ScanPathError, ScanPlan, SectionScan, plan_scan};
pub use run::{ScanEnd, ScanOptions, ScanOutcome, ScanProgress, plan_with_client, run_scans};
