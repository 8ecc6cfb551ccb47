//! The integration tests, one binary (`cargo test --test it`).

mod cli_config;
mod health;
mod logging;
mod login;
mod notify;
mod pathmap;
mod sim;
mod support;
