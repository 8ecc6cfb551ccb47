//! Admission: what happens when a run comes due — cooldown, then
//! `when_idle`, then the mode of its key.

use super::{Flow, KeyId, dropped};
use crate::engine::command::{Command, DropReason};
use crate::engine::entry::{Entry, Stage};
use crate::engine::millis::Millis;
use crate::engine::spec::Mode;

impl<P: Clone> Flow<P> {
    /// A due run asks to start: cooldown, then `when_idle`, then the mode.
    pub(super) fn admit(&mut self, mut entry: Entry<P>, now: Millis, out: &mut Vec<Command<P>>) {
        let kid = (entry.rule.clone(), entry.key.clone());
        if self.cooling(&kid, now) {
            out.push(dropped(Some(entry.run_id), &kid, DropReason::Cooldown));
            self.tidy(&kid, now);
            return;
        }
        if entry.spec.when_idle && self.busy {
            self.hold(entry, kid, now, out);
            return;
        }
        let state = self.keys.entry(kid.clone()).or_default();
        match entry.spec.mode {
            Mode::Single if !state.running.is_empty() => {
                out.push(dropped(
                    Some(entry.run_id),
                    &kid,
                    DropReason::AlreadyRunning,
                ));
                self.tidy(&kid, now);
            }
            Mode::Restart => {
                for id in std::mem::take(&mut state.running) {
                    self.running.remove(&id);
                    out.push(Command::Cancel(id));
                }
                self.start(entry, kid, out);
            }
            Mode::Queued if !state.running.is_empty() => {
                if state.queue.len() < entry.spec.max() {
                    state.queue.push_back(entry.run_id);
                    entry.stage = Stage::Queued;
                    entry.due_at = None;
                    self.insert_waiting(entry, now, out);
                } else {
                    out.push(dropped(Some(entry.run_id), &kid, DropReason::QueueFull));
                }
            }
            Mode::Parallel if state.running.len() >= entry.spec.max() => {
                out.push(dropped(Some(entry.run_id), &kid, DropReason::MaxParallel));
            }
            Mode::Single | Mode::Queued | Mode::Parallel => self.start(entry, kid, out),
        }
    }

    fn start(&mut self, mut entry: Entry<P>, kid: KeyId, out: &mut Vec<Command<P>>) {
        entry.stage = Stage::Running;
        entry.due_at = None;
        out.push(Command::Start(entry.to_run()));
        self.keys.entry(kid).or_default().running.push(entry.run_id);
        self.running.insert(entry.run_id, entry);
    }

    /// `when_idle` while busy: one held run per key, keeping its place in the
    /// release order and taking the newest payload.
    fn hold(&mut self, mut entry: Entry<P>, kid: KeyId, now: Millis, out: &mut Vec<Command<P>>) {
        let existing = self
            .keys
            .get(&kid)
            .and_then(|s| s.held)
            .and_then(|id| self.waiting.get_mut(&id));
        if let Some(held) = existing {
            held.payload = entry.payload;
            held.spec = entry.spec;
            out.push(Command::Persist(held.clone()));
            out.push(dropped(Some(entry.run_id), &kid, DropReason::Coalesced));
            return;
        }
        entry.stage = Stage::Deferred;
        entry.due_at = None;
        self.keys.entry(kid).or_default().held = Some(entry.run_id);
        self.held_order.push_back(entry.run_id);
        if self.held_order.len() > 2 * self.waiting.len() + 64 {
            let waiting = &self.waiting;
            self.held_order
                .retain(|id| waiting.get(id).is_some_and(|e| e.stage == Stage::Deferred));
        }
        self.insert_waiting(entry, now, out);
    }

    /// Admits queued runs of the key while none of its runs is running.
    pub(super) fn pump(&mut self, kid: &KeyId, now: Millis, out: &mut Vec<Command<P>>) {
        loop {
            let Some(state) = self.keys.get_mut(kid) else {
                return;
            };
            if !state.running.is_empty() {
                return;
            }
            let Some(id) = state.queue.front().copied() else {
                return;
            };
            match self.take_waiting(id) {
                Some(entry) => self.admit(entry, now, out),
                None => {
                    // Already gone (e.g. evicted); make sure it leaves the queue.
                    if let Some(state) = self.keys.get_mut(kid) {
                        state.queue.retain(|q| *q != id);
                    }
                }
            }
        }
    }
}
