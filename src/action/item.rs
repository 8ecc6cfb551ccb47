//! `refresh`, `analyze` and `unmatch`: one `PUT` each on the item.

use super::Call;
use super::outcome::Step;
use crate::plex::request;

/// `PUT /library/metadata/{id}/refresh`.
pub(crate) async fn refresh(call: &Call<'_>, id: &str) -> Step {
    call.touch_item(id);
    let resp = call.send(&request::refresh_item(id, false)).await?;
    Ok(with_activity("refresh requested", resp.activity_uuid()))
}

/// `PUT /library/metadata/{id}/analyze`.
pub(crate) async fn analyze(call: &Call<'_>, id: &str) -> Step {
    call.touch_item(id);
    let resp = call.send(&request::analyze_item(id)).await?;
    Ok(with_activity("analysis requested", resp.activity_uuid()))
}

/// `PUT /library/metadata/{id}/unmatch`.
pub(crate) async fn unmatch(call: &Call<'_>, id: &str) -> Step {
    call.touch_item(id);
    call.send(&request::unmatch(id)).await?;
    Ok("unmatched".to_owned())
}

fn with_activity(what: &str, uuid: Option<String>) -> String {
    match uuid {
        Some(u) => format!("{what} (activity {u})"),
        None => what.to_owned(),
    }
}
