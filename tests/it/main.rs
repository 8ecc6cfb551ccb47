//! The one integration-test binary; each file is a module.

mod listener;
mod listener_harness;
