//! The one integration-test binary; each file is one area.

mod cli_config;
mod pathmap;
