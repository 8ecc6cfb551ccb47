//! The daemon's pipeline: frames parsed into notifications and normalized
//! into events; snapshots translated into what the normalizer compares with
//! what it tracked.

use tokio::time::Instant;

use super::pipeline::{Malformed, Pipeline, read_frame};
use super::reconcile::Snapshot;
use crate::event::{
    AddedItem, Event, LiveActivity, LiveSession, Normalizer, SectionRef, ServerRef,
};
use crate::plex::model::{Activity, Item, Section, Session};

/// Parser + [`Normalizer`].
#[derive(Debug)]
pub struct NormalizedPipeline {
    normalizer: Normalizer,
}

impl NormalizedPipeline {
    /// Wraps a normalizer (configured, possibly with the action layer's
    /// [`crate::event::SelfCauses`]).
    pub fn new(normalizer: Normalizer) -> NormalizedPipeline {
        NormalizedPipeline { normalizer }
    }
}

impl Pipeline for NormalizedPipeline {
    fn frame(&mut self, text: &str, now: Instant, out: &mut Vec<Event>) -> Result<(), Malformed> {
        let now = now.into_std();
        let normalizer = &mut self.normalizer;
        read_frame(text, |notification| {
            out.extend(normalizer.ingest(&notification, now));
        })
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<Event>) {
        out.extend(self.normalizer.tick(now.into_std()));
    }

    fn reconcile(
        &mut self,
        snapshot: &Snapshot,
        now: Instant,
        out: &mut Vec<Event>,
    ) -> Option<i64> {
        let now = now.into_std();
        let n = &mut self.normalizer;
        if let Some(identity) = &snapshot.identity {
            n.set_server(ServerRef {
                machine_identifier: identity.machine_identifier.clone(),
                version: identity.version.clone(),
            });
            // A restart shows as a new start time (`updatedAt` of `/`) or a
            // new version; a replaced server as a new machine id.
            let marker = format!(
                "{}@{}",
                identity.version.as_deref().unwrap_or(""),
                snapshot
                    .started_at
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            );
            out.extend(n.observe_identity(&identity.machine_identifier, &marker, now));
        }
        if !snapshot.sections.is_empty() {
            n.set_sections(snapshot.sections.iter().map(section_ref).collect());
        }
        let sessions: Vec<LiveSession> =
            snapshot.sessions.iter().filter_map(live_session).collect();
        out.extend(n.reconcile_sessions(&sessions, now));
        let activities: Vec<LiveActivity> = snapshot.activities.iter().map(live_activity).collect();
        out.extend(n.reconcile_activities(&activities, now));
        let added: Vec<AddedItem> = snapshot.added.iter().filter_map(added_item).collect();
        let (events, watermark) = n.reconcile_added(&added, snapshot.added_since, now);
        out.extend(events);
        watermark
    }
}

fn section_ref(s: &Section) -> SectionRef {
    SectionRef {
        id: s.id.clone(),
        title: Some(s.title.clone()).filter(|t| !t.is_empty()),
        kind: Some(s.kind.clone()).filter(|k| !k.is_empty()),
    }
}

/// A session without a key cannot be matched with `playing` frames.
fn live_session(s: &Session) -> Option<LiveSession> {
    let player = s.player.as_ref();
    Some(LiveSession {
        session_key: s.session_key.clone()?,
        rating_key: s.rating_key.clone(),
        state: player.map(|p| p.state.clone()).unwrap_or_default(),
        client_identifier: player.and_then(|p| p.machine_identifier.clone()),
        section_id: None,
        kind: Some(s.kind.clone()).filter(|k| !k.is_empty()),
        title: Some(s.title.clone()).filter(|t| !t.is_empty()),
        view_offset_ms: s.view_offset,
    })
}

fn live_activity(a: &Activity) -> LiveActivity {
    LiveActivity {
        uuid: a.uuid.clone(),
        kind: a.kind.clone(),
        section_id: a.section_id().map(str::to_owned),
        item_id: None,
        title: Some(a.title.clone()).filter(|t| !t.is_empty()),
        subtitle: a.subtitle.clone(),
        progress: a.progress.map(|p| p.round() as i64),
    }
}

/// Items without `addedAt` or a section cannot be placed after a watermark.
fn added_item(i: &Item) -> Option<AddedItem> {
    Some(AddedItem {
        id: i.rating_key.clone(),
        section_id: i.library_section_id.clone()?,
        kind: Some(i.kind.clone()).filter(|k| !k.is_empty()),
        title: Some(i.title.clone()).filter(|t| !t.is_empty()),
        added_at: i.added_at?,
    })
}
