//! The integration tests, one binary (`cargo test --test it`).

mod cli_config;
mod pathmap;
mod sim;
