//! Reconciliation through the real REST client: the snapshot is five kinds
//! of GET, taken one after the other so a slow server is not hit at once.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::reconcile::{ReconcileError, ServerView, Snapshot};
use crate::plex::{PlexClient, PlexError, PlexRequest};
use reqwest::Method;

impl ServerView for PlexClient {
    fn snapshot(
        self: Arc<Self>,
        added_since: Option<i64>,
    ) -> BoxFuture<'static, Result<Snapshot, ReconcileError>> {
        async move {
            take(&self, added_since)
                .await
                .map_err(|e| ReconcileError(e.to_string()))
        }
        .boxed()
    }
}

async fn take(client: &PlexClient, added_since: Option<i64>) -> Result<Snapshot, PlexError> {
    let identity = client.identity().await?;
    let started_at = started_at(client).await;
    // Fetched anew: a section created while we were away must be known
    // before its first event is labelled.
    let sections = client.refresh_sections().await?;
    let sessions = client.sessions().await?;
    let activities = client.activities().await?;
    let mut added = Vec::new();
    for section in sections.iter() {
        let items = client.recently_added(&section.id, added_since).await?;
        // Items listed under a section do not always repeat its id.
        added.extend(items.into_iter().map(|mut item| {
            item.library_section_id
                .get_or_insert_with(|| section.id.clone());
            item
        }));
    }
    Ok(Snapshot {
        identity: Some(identity),
        started_at,
        sections: sections.as_ref().clone(),
        sessions,
        activities,
        added,
        added_since,
    })
}

/// `updatedAt` of `GET /`. Optional: a server that does not say only loses
/// restart detection by start time (the version still changes on updates).
async fn started_at(client: &PlexClient) -> Option<i64> {
    let root = client
        .send_raw(&PlexRequest::new(Method::GET, Vec::<String>::new()))
        .await
        .ok()?;
    let value: serde_json::Value = root.json("/").ok()?;
    let at = &value["MediaContainer"]["updatedAt"];
    at.as_i64().or_else(|| at.as_str()?.parse().ok())
}
