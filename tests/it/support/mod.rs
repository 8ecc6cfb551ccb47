//! Test doubles shared by the integration tests.

pub mod image_host;
pub mod plextv;
