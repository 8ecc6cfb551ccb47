//! What Plex says about the items an intake scan produces, as it happens.
//!
//! The daemon offers the notification stream's library events to a
//! [`StreamTap`]; the Plex webhook route offers `library.new` to the same
//! tap. While a batch is being scanned, its [`Watch`] hears, in order:
//! the section scan starting (`library.scan.started`), the items it created
//! or finished (`item.added`, `item.ready`, a `webhook.library.new`), the
//! items it deleted (`item.deleted`) and the scan's end
//! (`library.scan.ended`). The worker fetches each reported item once and
//! matches its parts (`Media[].Part[].file`) to the requested files, so a
//! file Plex reported needs no lookup by path.
//!
//! Webhook and stream: Plex sends both for one new item when Push
//! Notifications are on. Both say the same thing about the same ratingKey,
//! so a watch reports a new item once, whichever came first: the item is
//! fetched once and its intake item confirmed once. (The rules still see
//! both `item.added` and `webhook.library.new`: they are different events
//! and a rule picks the one it wants.) The item's `ready` is reported once
//! too; the worker fetches again only if the first fetch showed no parts.
//!
//! Nothing here is needed for correctness: with the stream down (or a
//! watch that fell behind) the worker looks each unreported file up by
//! path after the scan, as it would without a stream.

use std::collections::{HashMap, HashSet};

use tokio::sync::broadcast;

use crate::event::{Event, EventName};

/// Events a watch may fall behind by before it misses some (the worker
/// then looks the missed files up by path).
const TAP_CAPACITY: usize = 4096;

/// Where the daemon hands the stream's library events to the intake.
#[derive(Debug, Clone)]
pub struct StreamTap {
    tx: broadcast::Sender<Event>,
}

impl Default for StreamTap {
    fn default() -> StreamTap {
        StreamTap {
            tx: broadcast::channel(TAP_CAPACITY).0,
        }
    }
}

impl StreamTap {
    /// Offers one event. It is copied only while a scan is being watched
    /// and only if it is about items or section scans, so the stream's
    /// other traffic costs a comparison.
    pub fn offer(&self, event: &Event) {
        if self.tx.receiver_count() > 0 && heard_of(event.name) {
            let _ = self.tx.send(event.clone());
        }
    }

    /// Starts listening; call it before the scan is requested, so nothing
    /// the scan causes is missed.
    pub(crate) fn watch(&self) -> Watch {
        Watch {
            rx: self.tx.subscribe(),
            started: HashMap::new(),
            ended: HashSet::new(),
            new: HashSet::new(),
            ready: HashSet::new(),
        }
    }
}

/// The events a watch takes.
fn heard_of(name: EventName) -> bool {
    matches!(
        name,
        EventName::ItemAdded
            | EventName::ItemReady
            | EventName::ItemDeleted
            | EventName::LibraryScanStarted
            | EventName::LibraryScanEnded
            | EventName::WebhookLibraryNew
    )
}

/// Item types that hold files; a created show or season has no parts to
/// match, and its episodes are reported on their own.
fn has_parts(kind: Option<&str>) -> bool {
    !matches!(
        kind,
        Some("show" | "season" | "artist" | "album" | "collection" | "playlist")
    )
}

/// What one watch heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Heard {
    /// An item was created (stream or webhook) or finished; each reported
    /// once per ratingKey.
    Item {
        /// Its ratingKey.
        id: String,
    },
    /// An item was deleted.
    Deleted {
        /// Its ratingKey.
        id: String,
    },
    /// The watch fell behind and missed some events.
    Missed,
    /// Nothing the worker acts on (a scan started or ended, a repeat).
    Other,
}

/// One batch's ear on the stream.
#[derive(Debug)]
pub(crate) struct Watch {
    rx: broadcast::Receiver<Event>,
    /// Section scans seen starting since the watch began: uuid → section.
    started: HashMap<String, String>,
    /// Scans (uuids) seen ending.
    ended: HashSet<String>,
    /// Items reported new (`item.added` or `webhook.library.new`).
    new: HashSet<String>,
    /// Items reported ready.
    ready: HashSet<String>,
}

impl Watch {
    /// The next thing heard; `None` once the tap is gone (the daemon stops).
    pub(crate) async fn next(&mut self) -> Option<Heard> {
        match self.rx.recv().await {
            Ok(e) => Some(self.take(e)),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(Heard::Missed),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// What was heard and not yet taken, without waiting.
    pub(crate) fn try_next(&mut self) -> Option<Heard> {
        match self.rx.try_recv() {
            Ok(e) => Some(self.take(e)),
            Err(broadcast::error::TryRecvError::Lagged(_)) => Some(Heard::Missed),
            Err(_) => None,
        }
    }

    /// True while a scan of one of `sections` was heard starting and not
    /// yet ending: its last reports may still be on their way. False when
    /// no start was heard (the stream is down: nothing more will come).
    pub(crate) fn scanning(&self, sections: &HashSet<String>) -> bool {
        self.started
            .iter()
            .any(|(uuid, section)| sections.contains(section) && !self.ended.contains(uuid))
    }

    fn take(&mut self, e: Event) -> Heard {
        match e.name {
            EventName::LibraryScanStarted | EventName::LibraryScanEnded => {
                if let (Some(a), Some(s)) = (&e.activity, &e.section) {
                    if e.name == EventName::LibraryScanStarted {
                        self.started.insert(a.uuid.clone(), s.id.clone());
                    } else {
                        self.ended.insert(a.uuid.clone());
                    }
                }
                Heard::Other
            }
            EventName::ItemDeleted => match e.item {
                Some(item) => Heard::Deleted { id: item.id },
                None => Heard::Other,
            },
            name => {
                let seen = if name == EventName::ItemReady {
                    &mut self.ready
                } else {
                    &mut self.new
                };
                match e.item {
                    Some(item)
                        if has_parts(item.kind.as_deref()) && seen.insert(item.id.clone()) =>
                    {
                        Heard::Item { id: item.id }
                    }
                    _ => Heard::Other,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ActivityRef, ItemRef, SectionRef};

    fn item(name: EventName, id: &str, kind: &str) -> Event {
        let mut e = Event::new(name);
        e.section = Some(SectionRef {
            id: "1".into(),
            title: None,
            kind: None,
        });
        e.item = Some(ItemRef {
            id: id.into(),
            kind: Some(kind.into()),
            title: None,
            parent_id: None,
            grandparent_id: None,
        });
        e
    }

    fn scan(name: EventName, uuid: &str) -> Event {
        let mut e = Event::new(name);
        e.section = Some(SectionRef {
            id: "1".into(),
            title: None,
            kind: None,
        });
        e.activity = Some(ActivityRef {
            uuid: uuid.into(),
            kind: "library.update.section".into(),
            event: "started".into(),
            title: None,
            subtitle: None,
            progress: None,
        });
        e
    }

    #[test]
    fn a_new_item_from_the_stream_and_the_webhook_is_reported_once() {
        let tap = StreamTap::default();
        let mut watch = tap.watch();
        tap.offer(&item(EventName::ItemAdded, "7", "movie"));
        tap.offer(&item(EventName::WebhookLibraryNew, "7", "movie"));
        tap.offer(&item(EventName::ItemReady, "7", "movie"));
        tap.offer(&item(EventName::ItemReady, "7", "movie"));
        tap.offer(&item(EventName::ItemAdded, "8", "show"));
        tap.offer(&item(EventName::ItemDeleted, "5", "movie"));
        tap.offer(&item(EventName::PlaybackStarted, "7", "movie"));
        let mut heard = Vec::new();
        while let Some(h) = watch.try_next() {
            heard.push(h);
        }
        assert_eq!(
            heard,
            [
                Heard::Item { id: "7".into() },
                Heard::Other,
                Heard::Item { id: "7".into() },
                Heard::Other,
                Heard::Other,
                Heard::Deleted { id: "5".into() },
            ]
        );
    }

    #[test]
    fn a_scan_is_running_from_its_start_to_its_end_and_unheard_is_not_running() {
        let tap = StreamTap::default();
        let mut watch = tap.watch();
        let sections: HashSet<String> = ["1".to_owned()].into();
        assert!(!watch.scanning(&sections), "no start heard");
        tap.offer(&scan(EventName::LibraryScanStarted, "u1"));
        while watch.try_next().is_some() {}
        assert!(watch.scanning(&sections));
        assert!(!watch.scanning(&["2".to_owned()].into()));
        tap.offer(&scan(EventName::LibraryScanEnded, "u1"));
        while watch.try_next().is_some() {}
        assert!(!watch.scanning(&sections));
    }

    #[test]
    fn nothing_is_copied_while_no_scan_is_watched() {
        let tap = StreamTap::default();
        tap.offer(&item(EventName::ItemAdded, "7", "movie"));
        let mut watch = tap.watch();
        assert_eq!(watch.try_next(), None);
    }
}
