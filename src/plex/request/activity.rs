//! Builders for server activities (scans, refreshes, analysis in progress).

use reqwest::Method;

use super::PlexRequest;

/// `GET /activities`: what the server is busy with.
pub fn activities() -> PlexRequest {
    PlexRequest::new(Method::GET, ["activities"])
}

/// `DELETE /activities/{uuid}`: cancels one (400 when not cancellable).
pub fn cancel_activity(uuid: &str) -> PlexRequest {
    PlexRequest::new(Method::DELETE, ["activities", uuid])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_is_a_delete_of_the_uuid() {
        let req = cancel_activity("d6199ba1-fb5e");
        assert_eq!(req.to_string(), "DELETE /activities/d6199ba1-fb5e");
        assert_eq!(activities().to_string(), "GET /activities");
    }
}
