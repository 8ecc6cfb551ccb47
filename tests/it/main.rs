//! The integration tests, one binary (`cargo test --test it`).

mod cli_config;
mod client_errors;
mod client_harness;
mod client_read;
mod client_scan;
mod client_write;
mod pathmap;
mod rules;
mod rules_broken;
mod rules_matching;
mod sim;
