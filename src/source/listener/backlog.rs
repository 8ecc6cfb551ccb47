//! The queue between the reader and the consumer: a coalescing backlog.
//!
//! The reader only ever pushes (a short lock, never an await), so a slow
//! consumer can never stall the socket or its pings. Pending events are keyed
//! by what they are about — a session, an item, an activity, a section — and
//! a new event whose key's latest pending event has the same name replaces it
//! where it stands: a refresh that reports progress a hundred times while the
//! consumer is busy is one pending `activity.updated`, and a burst of frames
//! for one item is one entry per kind of change. Memory therefore grows with
//! the distinct things that changed, not with frames. Events for one key keep
//! their order; across keys the order of first arrival is kept.
//!
//! The backlog has a soft `limit`: past it the listener stops parsing frames
//! and reconciles with Plex once the consumer has caught up (see
//! [`super::outlet`]), which is what covers what was not queued.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::event::{Event, EventName};

/// The default soft bound on pending events: a few thousand new items in one
/// scan (each `item.added` then `item.ready`) fit without a drop.
pub const DEFAULT_LIMIT: usize = 20_000;

/// What an event is about, for coalescing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Session(String),
    Item(String),
    Activity(String),
    Section(String),
}

/// The key of an event; `None` for server lifecycle and raw notifications,
/// which are each worth delivering.
fn key_of(event: &Event) -> Option<Key> {
    if event.name == EventName::Notification {
        return None;
    }
    if let Some(s) = &event.session {
        return Some(Key::Session(s.key.clone()));
    }
    if let Some(i) = &event.item {
        return Some(Key::Item(i.id.clone()));
    }
    if let Some(a) = &event.activity {
        return Some(Key::Activity(a.uuid.clone()));
    }
    event.section.as_ref().map(|s| Key::Section(s.id.clone()))
}

/// Only a change that states the latest condition may replace its
/// predecessor; a start, stop, add or delete is always delivered.
fn coalesces(name: EventName) -> bool {
    matches!(
        name,
        EventName::ItemReady
            | EventName::ActivityUpdated
            | EventName::PlaybackBuffering
            | EventName::PlaybackPaused
            | EventName::PlaybackResumed
    )
}

struct Pending {
    /// Events in arrival order; `seq` of the front is `popped`.
    queue: VecDeque<(Option<Key>, Event)>,
    /// How many events were ever popped: turns a sequence number into an index.
    popped: u64,
    /// For each key with pending events, the sequence number of its latest.
    latest: HashMap<Key, u64>,
    /// The sender is gone: `recv` returns `None` once the queue is empty.
    closed: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    ready: Notify,
    receiver_gone: AtomicBool,
    limit: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves a consistent queue (every
        // mutation is a single step), so a poisoned lock is still usable.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A new backlog with a soft bound of `limit` pending events.
pub fn channel(limit: usize) -> (Sender, Receiver) {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending {
            queue: VecDeque::new(),
            popped: 0,
            latest: HashMap::new(),
            closed: false,
        }),
        ready: Notify::new(),
        receiver_gone: AtomicBool::new(false),
        limit: limit.max(1),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

/// What happened to a pushed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Queued as a new entry.
    Queued,
    /// Replaced the same kind of pending event about the same thing.
    Coalesced,
    /// The consumer is gone.
    Gone,
}

/// The listener's half: pushes never wait.
pub struct Sender {
    shared: Arc<Shared>,
}

impl Sender {
    /// Queues `event`, or merges it into its key's pending event of the same name.
    pub(crate) fn push(&self, event: Event) -> Pushed {
        if self.shared.receiver_gone.load(Ordering::Relaxed) {
            return Pushed::Gone;
        }
        let key = key_of(&event);
        let mut p = self.shared.lock();
        if let Some(k) = &key
            && coalesces(event.name)
            && let Some(&seq) = p.latest.get(k)
        {
            let index = (seq - p.popped) as usize;
            if let Some((_, pending)) = p.queue.get_mut(index)
                && pending.name == event.name
            {
                *pending = event;
                return Pushed::Coalesced;
            }
        }
        let seq = p.popped + p.queue.len() as u64;
        if let Some(k) = &key {
            p.latest.insert(k.clone(), seq);
        }
        p.queue.push_back((key, event));
        drop(p);
        self.shared.ready.notify_one();
        Pushed::Queued
    }

    /// Pending events (coalesced ones count once).
    pub(crate) fn len(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// True when the soft bound is reached.
    pub(crate) fn is_full(&self) -> bool {
        self.len() >= self.shared.limit
    }

    /// The soft bound.
    pub(crate) fn limit(&self) -> usize {
        self.shared.limit
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_one();
    }
}

/// The consumer's half.
pub struct Receiver {
    shared: Arc<Shared>,
}

impl Receiver {
    /// The next event; `None` once the listener has stopped and everything
    /// pending was received.
    pub async fn recv(&mut self) -> Option<Event> {
        loop {
            {
                let mut p = self.shared.lock();
                if let Some(event) = pop(&mut p) {
                    return Some(event);
                }
                if p.closed {
                    return None;
                }
            }
            // `notify_one` stores a permit when nobody waits, so a push
            // between the check above and this await is not missed.
            self.shared.ready.notified().await;
        }
    }

    /// Moves up to `max` pending events into `out` without waiting; returns
    /// how many. One lock for many events: what a fast consumer wants.
    pub fn drain_into(&mut self, out: &mut Vec<Event>, max: usize) -> usize {
        let mut p = self.shared.lock();
        let mut n = 0;
        while n < max {
            let Some(event) = pop(&mut p) else { break };
            out.push(event);
            n += 1;
        }
        n
    }

    /// The next event if one is pending.
    pub fn try_recv(&mut self) -> Option<Event> {
        pop(&mut self.shared.lock())
    }

    /// Pending events.
    pub fn len(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shared.receiver_gone.store(true, Ordering::Relaxed);
    }
}

fn pop(p: &mut Pending) -> Option<Event> {
    let (key, event) = p.queue.pop_front()?;
    let seq = p.popped;
    p.popped += 1;
    if let Some(k) = key
        && p.latest.get(&k) == Some(&seq)
    {
        p.latest.remove(&k);
    }
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ActivityRef, ItemRef};

    fn item(name: EventName, id: &str) -> Event {
        let mut e = Event::new(name);
        e.item = Some(ItemRef {
            id: id.to_owned(),
            kind: None,
            title: None,
            parent_id: None,
            grandparent_id: None,
        });
        e
    }

    fn activity(uuid: &str, progress: i64) -> Event {
        let mut e = Event::new(EventName::ActivityUpdated);
        e.activity = Some(ActivityRef {
            uuid: uuid.to_owned(),
            kind: "media.generate.bif".to_owned(),
            event: "updated".to_owned(),
            title: None,
            subtitle: None,
            progress: Some(progress),
        });
        e
    }

    #[tokio::test]
    async fn a_burst_about_one_thing_is_one_entry_holding_the_latest() {
        let (tx, mut rx) = channel(100);
        for p in 0..50 {
            tx.push(activity("a", p));
        }
        tx.push(item(EventName::ItemAdded, "1"));
        tx.push(activity("a", 99));
        assert_eq!(rx.len(), 2);
        let first = rx.recv().await.unwrap();
        assert_eq!(first.activity.unwrap().progress, Some(99));
        assert_eq!(rx.recv().await.unwrap().name, EventName::ItemAdded);
        assert!(rx.try_recv().is_none());
    }

    #[tokio::test]
    async fn per_key_order_is_kept_and_starts_are_never_merged() {
        let (tx, mut rx) = channel(100);
        tx.push(item(EventName::ItemAdded, "1"));
        tx.push(item(EventName::ItemReady, "1"));
        tx.push(item(EventName::ItemReady, "1"));
        tx.push(item(EventName::ItemDeleted, "1"));
        tx.push(item(EventName::ItemAdded, "1"));
        let mut names = Vec::new();
        while let Some(e) = rx.try_recv() {
            names.push(e.name);
        }
        assert_eq!(
            names,
            [
                EventName::ItemAdded,
                EventName::ItemReady,
                EventName::ItemDeleted,
                EventName::ItemAdded
            ]
        );
    }

    #[tokio::test]
    async fn a_popped_event_is_not_merged_into_and_close_ends_recv() {
        let (tx, mut rx) = channel(100);
        tx.push(item(EventName::ItemReady, "1"));
        assert_eq!(rx.recv().await.unwrap().name, EventName::ItemReady);
        assert_eq!(tx.push(item(EventName::ItemReady, "1")), Pushed::Queued);
        assert!(!tx.is_full());
        drop(tx);
        assert!(rx.recv().await.is_some());
        assert!(rx.recv().await.is_none());
    }

    #[test]
    fn a_dropped_receiver_is_reported_to_the_sender() {
        let (tx, rx) = channel(1);
        drop(rx);
        assert_eq!(tx.push(item(EventName::ItemAdded, "1")), Pushed::Gone);
    }
}
