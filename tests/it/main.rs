//! The one integration-test binary; each file is a module.

mod rules;
mod rules_broken;
mod rules_matching;
