//! The retry policy: what becomes of a run after one attempt at its actions
//! (finished, failed for good, tried again later, or a dead letter).
//!
//! Nothing here sleeps. The daemon hands a [`RunEnd::Retry`] to the engine
//! as `Input::Retry { after }`, so a retry waiting for its backoff is a
//! journaled run that survives a restart, not a sleeping task; the engine
//! starts it again with the next attempt number.

use std::time::Duration;

use super::ActionOutcome;
use super::sequence::Attempt;
use crate::engine::{Input, Outcome, RunId};
use crate::plex::backoff::Backoff;

/// The first backoff ceiling between attempts.
const BASE: Duration = Duration::from_secs(2);
/// No backoff between attempts is longer than this.
const CAP: Duration = Duration::from_secs(5 * 60);

/// How many times a run is tried before it goes to the dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy { max_attempts: 5 }
    }
}

/// How a run's attempt ended, for the engine and the run's log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// Every action ran: `Ok` when one did something (in this attempt or
    /// an earlier one) or there were none, `Skipped` when all were skipped.
    Finished(Outcome),
    /// An action failed for good (a 4xx, a refused file): the run stops.
    Failed {
        /// `action: what went wrong`.
        error: String,
    },
    /// A transient failure: try again after `after`, resuming at the action
    /// that failed.
    Retry {
        /// Plex's `Retry-After` when it sent one, else a jittered backoff.
        after: Duration,
        /// What went wrong this time.
        error: String,
    },
    /// A transient failure on the last attempt: the run is a dead letter.
    Dead {
        /// What went wrong the last time.
        error: String,
    },
}

impl RunEnd {
    /// A short word for logs and metrics: `ok`, `skipped`, `failed`,
    /// `retry`, `dead`.
    pub fn label(&self) -> &'static str {
        match self {
            RunEnd::Finished(Outcome::Ok) => "ok",
            RunEnd::Finished(Outcome::Skipped) => "skipped",
            RunEnd::Finished(Outcome::Failed) | RunEnd::Failed { .. } => "failed",
            RunEnd::Retry { .. } => "retry",
            RunEnd::Dead { .. } => "dead",
        }
    }

    /// What the engine is told about run `run_id`.
    pub fn into_input<P>(self, run_id: RunId) -> Input<P> {
        match self {
            RunEnd::Finished(outcome) => Input::Finished {
                run_id,
                outcome,
                error: None,
            },
            RunEnd::Failed { error } | RunEnd::Dead { error } => Input::Finished {
                run_id,
                outcome: Outcome::Failed,
                error: Some(error),
            },
            RunEnd::Retry { after, error } => Input::Retry {
                run_id,
                after,
                error: Some(error),
            },
        }
    }
}

impl RetryPolicy {
    /// After attempt number `attempt` (1 for the first) came to `ran`
    /// (`done_before`: an earlier attempt of the same run did something):
    /// a retryable failure is tried again after Plex's `Retry-After` when it
    /// sent one, else after [`backoff`]; any other failure, or a retryable
    /// one on the last attempt, ends the run failed, which the engine turns
    /// into a dead letter.
    pub fn decide(&self, attempt: u32, ran: &Attempt, done_before: bool) -> RunEnd {
        let Some(failed) = ran.failure() else {
            let ok = done_before || ran.any_done() || ran.total == 0;
            return RunEnd::Finished(if ok { Outcome::Ok } else { Outcome::Skipped });
        };
        match &failed.outcome {
            ActionOutcome::Failed {
                error,
                retryable: true,
                retry_after,
            } if attempt < self.max_attempts => RunEnd::Retry {
                after: self.delay(attempt, *retry_after),
                error: error.clone(),
            },
            ActionOutcome::Failed {
                error,
                retryable: true,
                ..
            } => RunEnd::Dead {
                error: error.clone(),
            },
            other => RunEnd::Failed {
                error: format!("{}: {}", failed.action, describe(other)),
            },
        }
    }

    /// How long to wait after attempt `attempt` failed retryably: Plex's
    /// `Retry-After` when it sent one, else [`backoff`]. The intake's own
    /// steps wait this long too, so every retry in the daemon is timed here.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        retry_after.unwrap_or_else(|| backoff(attempt))
    }
}

/// "Full jitter" backoff before attempt `attempt + 1` (`attempt` is the one
/// that just failed, 1 for the first): uniform in
/// `[0, min(5 min, 2 s · 2^(attempt-1))]`, so many runs failing together do
/// not come back together.
fn backoff(attempt: u32) -> Duration {
    Backoff::new(BASE, CAP)
        .after(attempt.saturating_sub(1))
        .next_delay()
}

fn describe(outcome: &ActionOutcome) -> &str {
    match outcome {
        ActionOutcome::Failed { error, .. } => error,
        ActionOutcome::Skipped { reason } => reason,
        ActionOutcome::Done { detail, .. } => detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::sequence::ActionStep;

    fn ran(outcomes: Vec<ActionOutcome>, total: usize) -> Attempt {
        Attempt {
            from: 0,
            total,
            steps: outcomes
                .into_iter()
                .enumerate()
                .map(|(index, outcome)| ActionStep {
                    index,
                    action: "refresh",
                    outcome,
                    requests: Vec::new(),
                })
                .collect(),
        }
    }

    fn busy() -> ActionOutcome {
        ActionOutcome::transient("503")
    }

    #[test]
    fn backoff_grows_to_the_cap_and_stays_under_it() {
        let ceiling = |attempt: u32| {
            Backoff::new(BASE, CAP)
                .after(attempt.saturating_sub(1))
                .ceiling()
        };
        assert_eq!(ceiling(1), Duration::from_secs(2));
        assert_eq!(ceiling(2), Duration::from_secs(4));
        assert_eq!(ceiling(5), Duration::from_secs(32));
        assert_eq!(ceiling(9), CAP);
        assert_eq!(ceiling(u32::MAX), CAP);
        for attempt in 1..12 {
            for _ in 0..50 {
                assert!(backoff(attempt) <= ceiling(attempt));
            }
        }
    }

    #[test]
    fn transient_failures_are_retried_until_the_last_attempt_then_dead() {
        let policy = RetryPolicy::default();
        let attempt = ran(vec![busy()], 1);
        assert!(matches!(
            policy.decide(1, &attempt, false),
            RunEnd::Retry { after, .. } if after <= Duration::from_secs(2)
        ));
        assert_eq!(
            policy.decide(5, &attempt, false),
            RunEnd::Dead {
                error: "503".into()
            }
        );
        let slow = ActionOutcome::Failed {
            error: "429".into(),
            retryable: true,
            retry_after: Some(Duration::from_secs(30)),
        };
        assert_eq!(
            policy.decide(2, &ran(vec![slow], 1), false),
            RunEnd::Retry {
                after: Duration::from_secs(30),
                error: "429".into()
            }
        );
    }

    #[test]
    fn a_refusal_fails_the_run_and_names_the_action() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.decide(1, &ran(vec![ActionOutcome::refused("400")], 1), false),
            RunEnd::Failed {
                error: "refresh: 400".into()
            }
        );
    }

    #[test]
    fn all_skipped_is_skipped_unless_an_earlier_attempt_did_something() {
        let policy = RetryPolicy::default();
        let skipped = ran(vec![ActionOutcome::skipped("gone")], 1);
        assert_eq!(
            policy.decide(1, &skipped, false),
            RunEnd::Finished(Outcome::Skipped)
        );
        assert_eq!(
            policy.decide(2, &skipped, true),
            RunEnd::Finished(Outcome::Ok)
        );
        assert_eq!(
            policy.decide(1, &ran(Vec::new(), 0), false),
            RunEnd::Finished(Outcome::Ok)
        );
    }
}
