//! The one integration-test binary: each module tests one part end to end.

mod health;
mod logging;
mod login;
mod notify;
mod support;
