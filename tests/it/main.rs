//! The one integration-test binary; one module per area.

mod listener;
mod listener_harness;
mod notification;
mod notification_fixtures;
