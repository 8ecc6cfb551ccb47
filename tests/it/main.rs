//! The integration tests, one binary (`cargo test --test it`); one module per area.

mod cli;
mod cli_config;
mod client_errors;
mod client_harness;
mod client_read;
mod client_scan;
mod client_write;
mod event;
mod event_feed;
mod event_library;
mod event_playback;
mod event_properties;
mod event_reconcile;
mod event_self_cause;
mod listener;
mod listener_cli;
mod listener_harness;
mod listener_reconcile;
mod notification;
mod notification_fixtures;
mod pathmap;
mod sim;
