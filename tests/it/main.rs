//! The one integration-test binary (`cargo test --test it`); each module is
//! one area of the product.

mod cli;
mod cli_config;
mod client_errors;
mod client_harness;
mod client_read;
mod client_scan;
mod client_tls;
mod client_write;
mod engine;
mod engine_driver;
mod engine_figures;
mod engine_model;
mod journal;
mod pathmap;
mod sim;
