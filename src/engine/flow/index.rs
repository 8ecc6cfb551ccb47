//! Bookkeeping: every waiting or running run sits in exactly the indexes
//! its stage says; these are the only places that add or remove it.

use super::{Flow, KeyId, dropped};
use crate::engine::command::{Command, DropReason};
use crate::engine::entry::{Entry, RunId};
use crate::engine::millis::Millis;

impl<P: Clone> Flow<P> {
    /// Adds a waiting run (dropping the oldest past the cap) and asks the
    /// caller to persist it.
    pub(super) fn insert_waiting(
        &mut self,
        entry: Entry<P>,
        now: Millis,
        out: &mut Vec<Command<P>>,
    ) {
        while self.waiting.len() >= self.max_waiting {
            let Some(oldest) = self.waiting.keys().next().copied() else {
                break;
            };
            if let Some(evicted) = self.take_waiting(oldest) {
                let kid = (evicted.rule, evicted.key);
                out.push(dropped(Some(oldest), &kid, DropReason::Overflow));
                self.overflow_dropped += 1;
                self.tidy(&kid, now);
            }
        }
        out.push(Command::Persist(entry.clone()));
        self.waiting.insert(entry.run_id, entry);
    }

    /// Removes a waiting run from every index.
    pub(super) fn take_waiting(&mut self, id: RunId) -> Option<Entry<P>> {
        let entry = self.waiting.remove(&id)?;
        self.timers.disarm(&id);
        if let Some(state) = self.keys.get_mut(&(entry.rule.clone(), entry.key.clone())) {
            if state.timed == Some(id) {
                state.timed = None;
            }
            if state.held == Some(id) {
                state.held = None;
            }
            state.queue.retain(|q| *q != id);
        }
        Some(entry)
    }

    pub(super) fn take_running(&mut self, id: RunId) -> Option<Entry<P>> {
        let entry = self.running.remove(&id)?;
        if let Some(state) = self.keys.get_mut(&(entry.rule.clone(), entry.key.clone())) {
            state.running.retain(|r| *r != id);
        }
        Some(entry)
    }

    pub(super) fn tidy(&mut self, kid: &KeyId, now: Millis) {
        if self.keys.get(kid).is_some_and(|s| s.is_empty(now)) {
            self.keys.remove(kid);
        }
    }
}
