//! The integration tests, one binary (`cargo test --test it`).

mod cli_config;
mod engine;
mod engine_driver;
mod engine_figures;
mod engine_model;
mod health;
mod journal;
mod logging;
mod login;
mod notify;
mod pathmap;
mod sim;
mod support;
