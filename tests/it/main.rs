//! The one integration-test binary; one module per area.

mod event;
mod event_sequence;
mod notification;
mod notification_fixtures;
