//! The flow core: a pure, synchronous state machine keyed by `(rule, key)`.
//!
//! Inputs are triggers, `[cancel]` events, run ends, the playback busy flag
//! and the passage of time, each with an explicit `now`; outputs are
//! [`Command`]s. Nothing here sleeps, spawns, logs or reads a clock, so every
//! behaviour is tested with a hand-driven clock.
//!
//! The path of a trigger, in order:
//!
//! 1. **Cooldown.** If the key's cooldown has not expired, the trigger is
//!    dropped ([`DropReason::Cooldown`]).
//! 2. **Timing.** With `debounce` (trailing), the key's one pending run is
//!    re-armed to `now + debounce` and takes the *last* payload; it fires after
//!    that much quiet. With `delay`, the first trigger arms `now + delay` and
//!    later ones are absorbed until it fires. Without either, the run is due
//!    at once. A `[cancel]` event drops the pending run.
//! 3. **Admission**, when the run comes due (and again whenever a waiting run
//!    gets its turn): the cooldown is checked again (a run that comes due
//!    inside a cooldown is dropped, whenever it was triggered); with
//!    `when_idle` and a playback session active, the run is held and released
//!    in order once playback stops; then the mode decides per key —
//!    `single` drops it while a run is running, `restart` cancels the running
//!    run(s) and starts it, `queued` starts it or lets it wait (at most `max`
//!    waiting), `parallel` starts it if fewer than `max` are running.
//! 4. **End.** `run_finished` frees the slot; an `Ok` starts the cooldown;
//!    the next queued run of the key, if any, is admitted.
//!
//! Memory is bounded: at most one timed run per key, at most one held
//! (`when_idle`) run per key (a later one gives it its payload,
//! [`DropReason::Coalesced`]), `max` queued per key, and a global cap on all
//! runs that wait (default 10 000) beyond which the oldest is dropped and
//! counted ([`DropReason::Overflow`]).

use std::collections::{BTreeMap, HashMap, VecDeque};

mod admission;
mod index;

use crate::engine::command::{Command, DropReason, Outcome};
use crate::engine::entry::{Entry, RunId, Stage};
use crate::engine::millis::Millis;
use crate::engine::spec::FlowSpec;
use crate::engine::timer::Timers;

/// The default cap on runs that wait (timed, held or queued), all keys together.
pub const DEFAULT_MAX_WAITING: usize = 10_000;

/// How often (in clock time) expired cooldowns are swept out of memory.
const COOLDOWN_SWEEP_MS: u64 = 60_000;

/// `(rule id, rendered key)`.
type KeyId = (String, String);

/// What the core tracks for one `(rule, key)`; removed once it holds nothing.
#[derive(Debug, Default)]
struct KeyState {
    /// The debounced or delayed run waiting for its deadline.
    timed: Option<RunId>,
    /// The run held by `when_idle`.
    held: Option<RunId>,
    /// `queued` runs waiting behind the running one, oldest first.
    queue: VecDeque<RunId>,
    /// Runs started and not yet reported finished.
    running: Vec<RunId>,
    /// Triggers are dropped until then.
    cooldown_until: Option<Millis>,
}

impl KeyState {
    fn is_empty(&self, now: Millis) -> bool {
        self.timed.is_none()
            && self.held.is_none()
            && self.queue.is_empty()
            && self.running.is_empty()
            && self.cooldown_until.is_none_or(|until| until <= now)
    }
}

/// The flow core, generic over the payload the executor needs.
#[derive(Debug)]
pub struct Flow<P> {
    /// Accepted runs not yet started, by id; ids grow with arrival, so the
    /// first is the oldest (the one the cap drops).
    waiting: BTreeMap<RunId, Entry<P>>,
    /// Started runs, kept for cooldown, queue hand-over and retries.
    running: HashMap<RunId, Entry<P>>,
    /// Per-key indexes into `waiting` and `running`, and the cooldown; a key
    /// with nothing left is removed so memory follows activity, not history.
    keys: HashMap<KeyId, KeyState>,
    /// Deadlines of timed runs (debounced, delayed, retrying, restored).
    timers: Timers<RunId>,
    /// Held runs in the order they came due; ids whose entry is no longer
    /// held are skipped on release (lazy removal).
    held_order: VecDeque<RunId>,
    /// A playback session is active (`when_idle` holds runs).
    busy: bool,
    /// The next run id; above every id in the journal after a restore, so a
    /// journal row is never overwritten by an unrelated run.
    next_id: u64,
    /// The cap on `waiting`, so a flood of distinct keys cannot grow memory
    /// without bound.
    max_waiting: usize,
    /// Runs the cap dropped, for the metrics.
    overflow_dropped: u64,
    /// When expired cooldowns were last swept (they expire lazily otherwise).
    last_sweep: Millis,
}

impl<P: Clone> Default for Flow<P> {
    fn default() -> Self {
        Flow::new()
    }
}

impl<P: Clone> Flow<P> {
    /// An empty core; run ids start at 1 (see [`Flow::restore`] after a restart).
    pub fn new() -> Flow<P> {
        Flow {
            waiting: BTreeMap::new(),
            running: HashMap::new(),
            keys: HashMap::new(),
            timers: Timers::new(),
            held_order: VecDeque::new(),
            busy: false,
            next_id: 1,
            max_waiting: DEFAULT_MAX_WAITING,
            overflow_dropped: 0,
            last_sweep: Millis(0),
        }
    }

    /// Sets the cap on waiting runs (at least 1).
    pub fn with_max_waiting(mut self, max: usize) -> Flow<P> {
        self.max_waiting = max.max(1);
        self
    }

    /// A rule matched an event for `key`. See the module doc for the path it takes.
    pub fn trigger(
        &mut self,
        rule: &str,
        key: &str,
        spec: &FlowSpec,
        payload: P,
        now: Millis,
    ) -> Vec<Command<P>> {
        let mut out = Vec::new();
        let kid = (rule.to_owned(), key.to_owned());
        if self.cooling(&kid, now) {
            out.push(dropped(None, &kid, DropReason::Cooldown));
            return out;
        }
        let timed = self
            .keys
            .get(&kid)
            .and_then(|s| s.timed)
            .and_then(|id| self.waiting.get_mut(&id));
        if let Some(entry) = timed {
            if let (Some(debounce), Stage::Debounced) = (spec.debounce(), entry.stage) {
                let due = now.after(debounce);
                entry.payload = payload;
                entry.spec = spec.clone();
                entry.due_at = Some(due);
                let entry = entry.clone();
                self.timers.arm(entry.run_id, due);
                out.push(Command::Persist(entry));
            } else {
                out.push(dropped(None, &kid, DropReason::Absorbed));
            }
            return out;
        }
        let timing = match (spec.debounce(), spec.delay()) {
            (Some(d), _) => Some((Stage::Debounced, now.after(d))),
            (None, Some(d)) => Some((Stage::Delayed, now.after(d))),
            (None, None) => None,
        };
        let run_id = self.alloc();
        let mut entry = Entry {
            run_id,
            rule: kid.0.clone(),
            key: kid.1.clone(),
            payload,
            spec: spec.clone(),
            stage: Stage::Queued,
            due_at: None,
            attempt: 1,
            created_at: now,
        };
        match timing {
            Some((stage, due)) => {
                entry.stage = stage;
                entry.due_at = Some(due);
                self.timers.arm(run_id, due);
                self.keys.entry(kid).or_default().timed = Some(run_id);
                self.insert_waiting(entry, now, &mut out);
            }
            None => self.admit(entry, now, &mut out),
        }
        out
    }

    /// A `[cancel]` event for `key`: every run of the key that has not
    /// started (timed, held or queued) is dropped. Running runs go on.
    pub fn cancel(&mut self, rule: &str, key: &str, now: Millis) -> Vec<Command<P>> {
        let mut out = Vec::new();
        let kid = (rule.to_owned(), key.to_owned());
        let Some(state) = self.keys.get(&kid) else {
            return out;
        };
        let ids: Vec<RunId> = state
            .timed
            .into_iter()
            .chain(state.held)
            .chain(state.queue.iter().copied())
            .collect();
        for id in ids {
            if let Some(entry) = self.take_waiting(id) {
                out.push(dropped(Some(entry.run_id), &kid, DropReason::Cancelled));
            }
        }
        self.tidy(&kid, now);
        out
    }

    /// The executor reports the end of a started run. Unknown ids (a run
    /// cancelled by `restart`, a duplicate report) are ignored.
    pub fn run_finished(
        &mut self,
        run_id: RunId,
        outcome: Outcome,
        now: Millis,
    ) -> Vec<Command<P>> {
        let mut out = Vec::new();
        let Some(entry) = self.take_running(run_id) else {
            return out;
        };
        out.push(Command::Finished { run_id, outcome });
        let kid = (entry.rule, entry.key);
        if let (Outcome::Ok, Some(cooldown)) = (outcome, entry.spec.cooldown()) {
            let until = now.after(cooldown);
            self.keys.entry(kid.clone()).or_default().cooldown_until = Some(until);
            out.push(Command::Cooldown {
                rule: kid.0.clone(),
                key: kid.1.clone(),
                until,
            });
        }
        self.pump(&kid, now, &mut out);
        self.tidy(&kid, now);
        out
    }

    /// The executor will try a failed run again at `due`: the slot is freed
    /// now and the run comes due again with `attempt + 1`, going through
    /// admission like any other due run.
    pub fn retry_at(&mut self, run_id: RunId, due: Millis, now: Millis) -> Vec<Command<P>> {
        let mut out = Vec::new();
        let Some(mut entry) = self.take_running(run_id) else {
            return out;
        };
        let kid = (entry.rule.clone(), entry.key.clone());
        entry.stage = Stage::Retrying;
        entry.due_at = Some(due);
        entry.attempt = entry.attempt.saturating_add(1);
        self.timers.arm(run_id, due);
        self.insert_waiting(entry, now, &mut out);
        self.pump(&kid, now, &mut out);
        out
    }

    /// Whether any playback session is active. Going idle releases the held
    /// runs in the order they came due; going busy holds `when_idle` runs
    /// that come due from then on (runs already started are not touched).
    pub fn set_busy(&mut self, busy: bool, now: Millis) -> Vec<Command<P>> {
        let mut out = Vec::new();
        self.busy = busy;
        if busy {
            return out;
        }
        while let Some(id) = self.held_order.pop_front() {
            if self
                .waiting
                .get(&id)
                .is_some_and(|e| e.stage == Stage::Deferred)
                && let Some(entry) = self.take_waiting(id)
            {
                self.admit(entry, now, &mut out);
            }
        }
        out
    }

    /// Fires every deadline at or before `now`, in deadline order.
    pub fn poll(&mut self, now: Millis) -> Vec<Command<P>> {
        let mut out = Vec::new();
        while let Some(id) = self.timers.pop_due(now) {
            if let Some(entry) = self.take_waiting(id) {
                self.admit(entry, now, &mut out);
            }
        }
        if now.0 >= self.last_sweep.0.saturating_add(COOLDOWN_SWEEP_MS) {
            self.keys.retain(|_, state| !state.is_empty(now));
            self.last_sweep = now;
        }
        out
    }

    /// The earliest deadline, so the caller sleeps exactly until then (and
    /// not at all while only held runs wait: those wait for `set_busy`).
    pub fn next_deadline(&self) -> Option<Millis> {
        self.timers.next()
    }

    /// Rebuilds the core from the journal after a restart. Timed runs keep
    /// their absolute deadline, so they fire after the *remaining* time (at
    /// once if it passed while the daemon was down). Runs that were held,
    /// queued or running are due at `now` and go through admission again, in
    /// id order (at-least-once: an interrupted run runs again). Call
    /// [`Flow::set_busy`] with the real playback state and then [`Flow::poll`].
    pub fn restore(&mut self, entries: impl IntoIterator<Item = Entry<P>>, now: Millis) {
        for mut entry in entries {
            let id = entry.run_id;
            self.next_id = self.next_id.max(id.0.saturating_add(1));
            entry.attempt = entry.attempt.max(1);
            match entry.stage {
                Stage::Debounced | Stage::Delayed => {
                    let state = self
                        .keys
                        .entry((entry.rule.clone(), entry.key.clone()))
                        .or_default();
                    if state.timed.is_none() {
                        state.timed = Some(id);
                    }
                }
                Stage::Retrying => {}
                Stage::Deferred | Stage::Queued | Stage::Running => {
                    entry.stage = Stage::Queued;
                    entry.due_at = Some(now);
                }
            }
            let due = *entry.due_at.get_or_insert(now);
            self.timers.arm(id, due);
            self.waiting.insert(id, entry);
        }
    }

    /// Restores a cooldown from the journal.
    pub fn restore_cooldown(&mut self, rule: &str, key: &str, until: Millis) {
        let state = self
            .keys
            .entry((rule.to_owned(), key.to_owned()))
            .or_default();
        state.cooldown_until = Some(until);
    }

    /// Ids below this one are taken (the journal keeps finished runs too).
    pub fn reserve_ids_below(&mut self, next: RunId) {
        self.next_id = self.next_id.max(next.0);
    }

    /// Every accepted run that has not finished: waiting ones, then running ones.
    pub fn entries(&self) -> impl Iterator<Item = &Entry<P>> {
        self.waiting.values().chain(self.running.values())
    }

    /// Runs accepted and not started (timed, held, queued).
    pub fn waiting_len(&self) -> usize {
        self.waiting.len()
    }

    /// When the oldest waiting run was accepted (for the "oldest pending"
    /// health figure).
    pub fn oldest_waiting(&self) -> Option<Millis> {
        self.waiting.values().map(|e| e.created_at).min()
    }

    /// Runs started and not reported finished.
    pub fn running_len(&self) -> usize {
        self.running.len()
    }

    /// How many waiting runs the cap dropped since start.
    pub fn overflow_dropped(&self) -> u64 {
        self.overflow_dropped
    }

    fn alloc(&mut self) -> RunId {
        let id = RunId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    fn cooling(&mut self, kid: &KeyId, now: Millis) -> bool {
        let Some(state) = self.keys.get_mut(kid) else {
            return false;
        };
        match state.cooldown_until {
            Some(until) if until > now => true,
            Some(_) => {
                state.cooldown_until = None;
                false
            }
            None => false,
        }
    }
}

fn dropped<P>(run_id: Option<RunId>, kid: &KeyId, reason: DropReason) -> Command<P> {
    Command::Dropped {
        run_id,
        rule: kid.0.clone(),
        key: kid.1.clone(),
        reason,
    }
}
