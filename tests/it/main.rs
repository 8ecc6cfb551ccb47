//! The one integration-test binary; one module per area.

mod event;
mod event_sequence;
mod listener;
mod listener_harness;
mod listener_reconcile;
mod notification;
mod notification_fixtures;
