//! The one integration-test binary (`cargo test --test it`); each module is
//! one area of the product.

mod cli;
mod cli_config;
mod client_errors;
mod client_harness;
mod client_read;
mod client_scan;
mod client_write;
mod engine;
mod engine_driver;
mod engine_figures;
mod engine_model;
mod event;
mod event_feed;
mod event_library;
mod event_playback;
mod event_properties;
mod event_reconcile;
mod event_self_cause;
mod journal;
mod listener;
mod listener_cli;
mod listener_harness;
mod listener_reconcile;
mod listener_sim;
mod notification;
mod notification_fixtures;
mod pathmap;
mod sim;
mod sim_shapes;
mod sim_ws;
