//! The integration tests, one binary (`cargo test --test it`).

mod sim;
mod sim_shapes;
mod sim_ws;
