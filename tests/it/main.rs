//! The one integration-test binary; one module per area.

mod event;
mod event_feed;
mod event_library;
mod event_playback;
mod event_properties;
mod event_reconcile;
mod event_self_cause;
mod notification;
mod notification_fixtures;
