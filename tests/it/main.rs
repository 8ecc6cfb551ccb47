//! The one integration-test binary; one module per area.

mod event;
mod event_sequence;
mod listener;
mod listener_harness;
mod notification;
mod notification_fixtures;
