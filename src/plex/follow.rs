//! Following one server activity to its end: the activity a request started,
//! by the `X-Plex-Activity` uuid Plex answered with, or — when Plex named
//! none — the first activity of the expected type about the same section or
//! item that was not running before the request. Polls `GET /activities`
//! and reports each sighting, so callers can show progress.
//!
//! Scans (`scan --wait`, the `scan` action), detection jobs and section
//! analysis all follow their activity here.

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use crate::plex::client::PlexClient;
use crate::plex::error::PlexError;
use crate::plex::model::Activity;

/// Consecutive failed polls tolerated (a busy server may answer 503 now and
/// then during a big job).
const POLL_FAILURES_TOLERATED: u32 = 3;

/// How to poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowOptions {
    /// Time between `/activities` polls.
    pub poll_every: Duration,
    /// When Plex named no activity: how long to look for a new one before
    /// assuming it ran and ended between two polls.
    pub unseen_grace: Duration,
    /// Give up after this long.
    pub timeout: Option<Duration>,
}

impl Default for FollowOptions {
    fn default() -> FollowOptions {
        FollowOptions {
            poll_every: Duration::from_secs(1),
            unseen_grace: Duration::from_secs(10),
            timeout: None,
        }
    }
}

/// How following ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowEnd {
    /// The activity ran and is gone.
    Finished,
    /// No activity was ever seen; it most likely ran between two polls.
    FinishedUnseen,
    /// Still running when the timeout passed.
    TimedOut,
}

/// What the activity is about, to recognise it without a uuid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum About {
    /// A section (`Context.librarySectionID`): scans, section analysis.
    Section(String),
    /// An item (`Context.key`): detection jobs.
    Item(String),
}

/// The activity to follow.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The uuid Plex answered with; filled in when found by type.
    pub uuid: Option<String>,
    /// The activity type expected (`library.update.section`, `media.generate.intros`).
    pub kind: &'static str,
    /// What it is about.
    pub about: About,
    /// Activities running before the request: none of them is ours.
    pub before: HashSet<String>,
}

impl Watch {
    /// Ours in `list`: the one with our uuid when Plex named it; otherwise the
    /// first of our type about our section or item that was not running
    /// before we asked (another client's job is not ours).
    pub fn find<'a>(&self, list: &'a [Activity]) -> Option<&'a Activity> {
        match &self.uuid {
            Some(uuid) => list.iter().find(|a| &a.uuid == uuid),
            None => list.iter().find(|a| {
                a.kind == self.kind
                    && !self.before.contains(&a.uuid)
                    && match &self.about {
                        About::Section(id) => a.section_id() == Some(id),
                        About::Item(id) => a.item_id() == Some(id),
                    }
            }),
        }
    }
}

/// The uuids of the activities running now: take this before sending a
/// request whose answer may not name its activity.
pub async fn running(client: &PlexClient) -> Result<HashSet<String>, PlexError> {
    Ok(client
        .activities()
        .await?
        .into_iter()
        .map(|a| a.uuid)
        .collect())
}

/// Polls until the watched activity is gone; `progress` sees it each time
/// it is listed.
pub async fn follow(
    client: &PlexClient,
    watch: &mut Watch,
    opts: &FollowOptions,
    progress: &(dyn Fn(&Activity) + Sync),
) -> Result<FollowEnd, PlexError> {
    let start = Instant::now();
    let mut failures = 0;
    loop {
        tokio::time::sleep(opts.poll_every).await;
        if opts.timeout.is_some_and(|t| start.elapsed() >= t) {
            return Ok(FollowEnd::TimedOut);
        }
        let list = match client.activities().await {
            Ok(l) => {
                failures = 0;
                l
            }
            Err(e) if e.is_retryable() && failures < POLL_FAILURES_TOLERATED => {
                failures += 1;
                tracing::warn!(activity_type = watch.kind, error = %e, "Polling activities failed; trying again.");
                continue;
            }
            Err(e) => return Err(e),
        };
        match watch.find(&list) {
            Some(a) => {
                if watch.uuid.is_none() {
                    watch.uuid = Some(a.uuid.clone());
                }
                progress(a);
            }
            None if watch.uuid.is_some() => return Ok(FollowEnd::Finished),
            None if start.elapsed() >= opts.unseen_grace => return Ok(FollowEnd::FinishedUnseen),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plex::model::ActivityContext;

    const SCAN: &str = "library.update.section";

    fn act(uuid: &str, kind: &str, section: Option<&str>, key: Option<&str>) -> Activity {
        Activity {
            uuid: uuid.into(),
            kind: kind.into(),
            cancellable: true,
            user_id: None,
            title: String::new(),
            subtitle: None,
            progress: Some(10.0),
            context: Some(ActivityContext {
                library_section_id: section.map(str::to_owned),
                key: key.map(str::to_owned),
            }),
        }
    }

    fn watch(uuid: Option<&str>, kind: &'static str, about: About, before: &[&str]) -> Watch {
        Watch {
            uuid: uuid.map(str::to_owned),
            kind,
            about,
            before: before.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn a_named_activity_is_followed_by_uuid_only() {
        let list = [
            act("a", SCAN, Some("1"), None),
            act("b", "library.refresh.items", None, None),
        ];
        let w = watch(Some("b"), SCAN, About::Section("1".into()), &[]);
        assert_eq!(w.find(&list).unwrap().uuid, "b");
        let w = watch(Some("gone"), SCAN, About::Section("1".into()), &[]);
        assert!(w.find(&list).is_none());
    }

    #[test]
    fn without_a_uuid_only_a_new_scan_of_our_section_is_adopted() {
        let list = [
            act("old", SCAN, Some("1"), None),
            act("other-section", SCAN, Some("2"), None),
            act("refresh", "library.refresh.items", Some("1"), None),
            act("new", SCAN, Some("1"), None),
        ];
        let w = watch(None, SCAN, About::Section("1".into()), &["old"]);
        assert_eq!(w.find(&list).unwrap().uuid, "new");
        assert!(w.find(&list[..3]).is_none());
    }

    #[test]
    fn without_a_uuid_a_detection_is_recognised_by_type_and_item() {
        let intros = "media.generate.intros";
        let list = [
            act(
                "credits",
                "media.generate.credits",
                None,
                Some("/library/metadata/7"),
            ),
            act("other-item", intros, None, Some("/library/metadata/8")),
            act("ours", intros, None, Some("/library/metadata/7")),
        ];
        let w = watch(None, intros, About::Item("7".into()), &[]);
        assert_eq!(w.find(&list).unwrap().uuid, "ours");
    }
}
