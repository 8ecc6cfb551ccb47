//! The integration tests, one binary (`cargo test --test it`).

mod sim;
mod sim_ws;
