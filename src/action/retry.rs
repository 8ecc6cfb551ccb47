//! Retries: the backoff between attempts and the policy that decides between
//! another attempt and the dead-letter list.
//!
//! The executor does not loop: it reports one attempt's [`ActionOutcome`].
//! The daemon asks [`RetryPolicy::decide`] and feeds the engine
//! `Input::Retry { after }` or `Input::Finished`, so a retry waiting for its
//! backoff is a journaled run that survives a restart, not a sleeping task.

use std::time::Duration;

use super::ActionOutcome;
use crate::engine::Outcome;

/// The first backoff ceiling.
const BASE: Duration = Duration::from_secs(2);
/// No backoff is longer than this.
const CAP: Duration = Duration::from_secs(5 * 60);

/// "Full jitter" backoff before attempt `attempt + 1` (`attempt` is the one
/// that just failed, 1 for the first): uniform in `[0, min(cap, 2 s · 2^(attempt-1))]`,
/// so many runs failing together do not come back together.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = backoff_ceiling(attempt);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=millis))
}

/// The upper bound [`backoff`] draws from.
pub fn backoff_ceiling(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(16);
    BASE.saturating_mul(1 << doublings).min(CAP)
}

/// How many times an action is tried before it goes to the dead letters.
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

/// What to do with a run after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryDecision {
    /// Report `Input::Finished` with this outcome (and error, for the journal).
    Finish {
        outcome: Outcome,
        error: Option<String>,
    },
    /// Report `Input::Retry { after }`.
    Retry { after: Duration, error: String },
}

impl RetryPolicy {
    /// After attempt `attempt` (1 for the first) ended with `outcome`: a
    /// retryable failure is tried again after Plex's `Retry-After` when it
    /// sent one, else after [`backoff`]; any other failure, or one on the
    /// last attempt, finishes as failed, which the engine turns into a dead
    /// letter.
    pub fn decide(&self, attempt: u32, outcome: &ActionOutcome) -> RetryDecision {
        match outcome {
            ActionOutcome::Done { .. } => RetryDecision::Finish {
                outcome: Outcome::Ok,
                error: None,
            },
            ActionOutcome::Skipped { .. } => RetryDecision::Finish {
                outcome: Outcome::Skipped,
                error: None,
            },
            ActionOutcome::Failed {
                error,
                retryable: true,
                retry_after,
            } if attempt < self.max_attempts => RetryDecision::Retry {
                after: retry_after.unwrap_or_else(|| backoff(attempt)),
                error: error.clone(),
            },
            ActionOutcome::Failed { error, .. } => RetryDecision::Finish {
                outcome: Outcome::Failed,
                error: Some(error.clone()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_the_cap_and_stays_under_it() {
        assert_eq!(backoff_ceiling(1), Duration::from_secs(2));
        assert_eq!(backoff_ceiling(2), Duration::from_secs(4));
        assert_eq!(backoff_ceiling(5), Duration::from_secs(32));
        assert_eq!(backoff_ceiling(9), CAP);
        assert_eq!(backoff_ceiling(u32::MAX), CAP);
        for attempt in 1..12 {
            for _ in 0..50 {
                assert!(backoff(attempt) <= backoff_ceiling(attempt));
            }
        }
    }

    #[test]
    fn policy_retries_transient_failures_until_the_last_attempt() {
        let policy = RetryPolicy::default();
        let busy = ActionOutcome::Failed {
            error: "503".into(),
            retryable: true,
            retry_after: None,
        };
        assert!(
            matches!(policy.decide(1, &busy), RetryDecision::Retry { after, .. } if after <= Duration::from_secs(2))
        );
        assert_eq!(
            policy.decide(5, &busy),
            RetryDecision::Finish {
                outcome: Outcome::Failed,
                error: Some("503".into())
            }
        );
        let slow = ActionOutcome::Failed {
            error: "429".into(),
            retryable: true,
            retry_after: Some(Duration::from_secs(30)),
        };
        assert_eq!(
            policy.decide(2, &slow),
            RetryDecision::Retry {
                after: Duration::from_secs(30),
                error: "429".into()
            }
        );
        let bad = ActionOutcome::refused("400");
        assert!(matches!(
            policy.decide(1, &bad),
            RetryDecision::Finish {
                outcome: Outcome::Failed,
                ..
            }
        ));
        assert!(matches!(
            policy.decide(1, &ActionOutcome::skipped("gone")),
            RetryDecision::Finish {
                outcome: Outcome::Skipped,
                ..
            }
        ));
    }
}
