//! Run sequencing: how a rule's actions run one after another, and where a
//! retried run picks up. The one owner of this for every caller: the daemon
//! ([`Sequencer::attempt`], live) and `explain` / `metarr-plex test`
//! ([`Executor::plan_run`], writes recorded) go through the same loop.
//!
//! Actions run in order. A skipped action (a missing poster, an item
//! already up to date) does not stop the rest; the first failure does, and
//! the [`RetryPolicy`] decides what follows. A retry resumes *at the action
//! that failed*: the actions before it worked and are never sent again (an
//! analysis or a webhook is not idempotent, and a second upload is a second
//! poster).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::retry::{RetryPolicy, RunEnd};
use super::{ActionContext, ActionOutcome, Executor, PlanEnv};
use crate::engine::RunId;
use crate::plex::PlexRequest;
use crate::rules::ResolvedAction;

/// How one action of an attempt went.
#[derive(Debug, Clone)]
pub struct ActionStep {
    /// Its place in the run's action list.
    pub index: usize,
    /// Its name (`refresh`, `upload_poster`, …).
    pub action: &'static str,
    /// How it ended.
    pub outcome: ActionOutcome,
    /// The requests it made, in order, when they were recorded (plans);
    /// empty for live attempts.
    pub requests: Vec<PlexRequest>,
}

/// One attempt at a run's actions: the steps taken, in order, from action
/// `from` up to the end or the first failure.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    /// The first action this attempt ran (an earlier attempt did the rest).
    pub from: usize,
    /// How many actions the run has.
    pub total: usize,
    /// What each action that ran came to.
    pub steps: Vec<ActionStep>,
}

impl Attempt {
    /// The step that stopped the attempt, if one failed.
    pub fn failure(&self) -> Option<&ActionStep> {
        self.steps
            .last()
            .filter(|s| matches!(s.outcome, ActionOutcome::Failed { .. }))
    }

    /// True when an action of this attempt did something.
    pub fn any_done(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.outcome, ActionOutcome::Done { .. }))
    }

    /// Where the next attempt starts: the failed action, or past the end.
    pub fn resume_at(&self) -> usize {
        self.failure().map_or(self.total, |s| s.index)
    }
}

/// Whether an attempt changes things or only records what it would send.
#[derive(Clone, Copy)]
enum Mode<'a> {
    Live,
    Plan(&'a PlanEnv),
}

impl Executor {
    /// Plans every action of a rule, in order, as a run would take them
    /// (stopping at the first failure), with every request recorded and
    /// no write sent. For `explain` and `metarr-plex test`.
    pub async fn plan_run(
        &self,
        actions: &[ResolvedAction],
        ctx: &ActionContext,
        env: &PlanEnv,
    ) -> Attempt {
        self.sequence(actions, 0, ctx, Mode::Plan(env)).await
    }

    /// The one loop: actions from `from` on, stopping after a failure.
    async fn sequence(
        &self,
        actions: &[ResolvedAction],
        from: usize,
        ctx: &ActionContext,
        mode: Mode<'_>,
    ) -> Attempt {
        let mut attempt = Attempt {
            from,
            total: actions.len(),
            steps: Vec::new(),
        };
        for (index, action) in actions.iter().enumerate().skip(from) {
            let (outcome, requests) = match mode {
                Mode::Live => (self.execute(action, ctx).await, Vec::new()),
                Mode::Plan(env) => self.plan(action, ctx, env).await,
            };
            let failed = matches!(outcome, ActionOutcome::Failed { .. });
            attempt.steps.push(ActionStep {
                index,
                action: action.name(),
                outcome,
                requests,
            });
            if failed {
                break;
            }
        }
        attempt
    }
}

/// Runs the daemon's runs: one attempt per call, resuming where the run's
/// previous attempt stopped, and the [`RetryPolicy`]'s verdict.
///
/// Where each run stands is kept in memory: after a restart a run starts
/// over from its first action (the journal knows the attempt number, not
/// which actions went through).
#[derive(Debug)]
pub struct Sequencer {
    executor: Executor,
    policy: RetryPolicy,
    progress: Mutex<HashMap<RunId, Progress>>,
}

/// How far a retried run got.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    /// The action the next attempt starts at.
    next: usize,
    /// An earlier attempt did something (so the run is `ok`, not
    /// `skipped`, even if the rest is skipped).
    any_done: bool,
}

impl Sequencer {
    /// Runs through `executor`, retrying as `policy` says.
    pub fn new(executor: Executor, policy: RetryPolicy) -> Sequencer {
        Sequencer {
            executor,
            policy,
            progress: Mutex::new(HashMap::new()),
        }
    }

    /// Attempt number `attempt` (1 for the first) at run `ctx.run_id`'s
    /// `actions`: from the action the previous attempt failed on, live (or
    /// logged, with `ctx.dry_run`). Each action is logged and counted by
    /// the executor; the caller reports the [`RunEnd`] to the engine.
    pub async fn attempt(
        &self,
        attempt: u32,
        actions: &[ResolvedAction],
        ctx: &ActionContext,
    ) -> RunEnd {
        let before = self
            .progress()
            .get(&ctx.run_id)
            .copied()
            .unwrap_or_default();
        let ran = self
            .executor
            .sequence(actions, before.next, ctx, Mode::Live)
            .await;
        let end = self.policy.decide(attempt, &ran, before.any_done);
        // A dead letter keeps its place too: `queue retry`, or an attempt
        // the daemon does not count (Plex was down), resumes where it failed.
        if matches!(end, RunEnd::Retry { .. } | RunEnd::Dead { .. }) {
            let now = Progress {
                next: ran.resume_at(),
                any_done: before.any_done || ran.any_done(),
            };
            self.progress().insert(ctx.run_id, now);
        } else {
            self.forget(ctx.run_id);
        }
        end
    }

    /// Drops what is known about run `id` (it was cancelled).
    pub fn forget(&self, id: RunId) {
        self.progress().remove(&id);
    }

    fn progress(&self) -> MutexGuard<'_, HashMap<RunId, Progress>> {
        // The map stays consistent even if a holder panicked.
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }
}
