//! The one integration-test binary; one module per area.

mod notification;
mod notification_fixtures;
