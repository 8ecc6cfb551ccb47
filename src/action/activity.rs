//! `cancel_activity`: `DELETE /activities/{uuid}`.

use super::Call;
use super::outcome::Step;
use crate::plex::request;

/// Stops a running activity; one already gone is skipped (404).
pub(crate) async fn cancel(call: &Call<'_>, uuid: &str) -> Step {
    call.send(&request::cancel_activity(uuid)).await?;
    Ok(format!("activity {uuid} cancelled"))
}
