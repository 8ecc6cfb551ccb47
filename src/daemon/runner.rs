//! The seam between the daemon and whatever carries out actions: one
//! [`ActionRunner::execute`] per action, with an [`ActionOutcome`] the
//! executor loop turns into retries, dead letters and log lines.

use std::future::Future;
use std::time::Duration;

use crate::event::SelfCauses;
use crate::rules::ResolvedAction;

/// What an action knows about why it runs: for its log lines, its
/// `exec`/`webhook` bodies and the loop guard.
#[derive(Debug, Clone)]
pub struct ActionContext {
    /// The rule id.
    pub rule: String,
    /// The run id, as the journal and `queue` show it.
    pub run_id: u64,
    /// The event that fired the rule.
    pub event_id: String,
    /// The event's item, when it has one.
    pub item: Option<String>,
    /// The event as JSON (stdin of `exec`).
    pub event: serde_json::Value,
    /// The section of the event, when known: a section scan counts as ours.
    pub section: Option<String>,
    /// Log the requests instead of sending them.
    pub dry_run: bool,
    /// Where actions register what they touch, so the notifications they
    /// cause are marked `caused_by_self`.
    pub self_causes: SelfCauses,
}

/// How one action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionOutcome {
    /// Done (or, in a dry run, logged).
    Done,
    /// Nothing to do, or nothing left to do it to (a 404): not a failure.
    Skipped(String),
    /// A transient failure: try the run again (after `after`, if Plex said).
    Retry {
        /// What went wrong.
        error: String,
        /// Plex's `Retry-After`, when it sent one.
        after: Option<Duration>,
    },
    /// A permanent failure: the run stops here.
    Failed(String),
}

/// Carries out one action. The action executors implement it; tests use fakes.
pub trait ActionRunner: Send + Sync + 'static {
    /// Runs `action` for `ctx`. Must not panic on anything Plex or a rule sends.
    fn execute(
        &self,
        action: &ResolvedAction,
        ctx: &ActionContext,
    ) -> impl Future<Output = ActionOutcome> + Send;

    /// True when the runner logs and counts each action itself, so the
    /// daemon logs only the run.
    fn logs_actions(&self) -> bool {
        false
    }

    /// Where a runner that counts its own outcomes should count them.
    fn count_in(&self, metrics: crate::service::metrics::Metrics) {
        let _ = metrics;
    }
}

/// The action executors (`src/action/`) are the daemon's runner.
impl ActionRunner for crate::action::Executor {
    async fn execute(&self, action: &ResolvedAction, ctx: &ActionContext) -> ActionOutcome {
        let actx = crate::action::ActionContext {
            rule: ctx.rule.clone(),
            run_id: crate::engine::RunId(ctx.run_id),
            event_id: ctx.event_id.clone(),
            item: ctx.item.clone(),
            event: ctx.event.clone(),
            dry_run: ctx.dry_run,
        };
        match crate::action::Executor::execute(self, action, &actx).await {
            crate::action::ActionOutcome::Done { .. } => ActionOutcome::Done,
            crate::action::ActionOutcome::Skipped { reason } => ActionOutcome::Skipped(reason),
            crate::action::ActionOutcome::Failed {
                error,
                retryable: true,
                retry_after,
            } => ActionOutcome::Retry {
                error,
                after: retry_after,
            },
            crate::action::ActionOutcome::Failed { error, .. } => ActionOutcome::Failed(error),
        }
    }

    fn logs_actions(&self) -> bool {
        true
    }

    fn count_in(&self, metrics: crate::service::metrics::Metrics) {
        crate::action::Executor::count_in(self, metrics);
    }
}
