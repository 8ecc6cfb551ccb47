//! The one integration-test binary; each module is one area of the product.

mod engine;
mod engine_driver;
mod engine_figures;
mod engine_model;
mod journal;
