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
const BASE: Duration = Duration::from_secs(5);
/// The first backoff ceiling after Plex pushed back (a 429, or any answer
/// with `Retry-After`): a server that asks us to slow down gets minutes of
/// quiet quickly, not another request in a second.
const PUSHBACK_BASE: Duration = Duration::from_secs(30);
/// No backoff between attempts is longer than this.
const CAP: Duration = Duration::from_secs(10 * 60);

/// How many times a run is tried before it goes to the dead letters.
///
/// Delays are drawn from the upper half of a doubling ceiling, so even the
/// unluckiest draws add up: with the default eight attempts a run is a dead
/// letter no sooner than 2.5 + 5 + 10 + 20 + 40 + 80 + 160 s ≈ 5 minutes
/// after its first failure — longer than a Plex restart or update. While the
/// stream says Plex is down, attempts are not spent at all (the daemon's run
/// loop waits instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy { max_attempts: 8 }
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
    /// a retryable failure is tried again after [`RetryPolicy::delay`]; any
    /// other failure, or a retryable
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

    /// How long to wait after attempt `attempt` failed retryably: the
    /// backoff, or when Plex pushed back (`pushback`: what its `Retry-After`
    /// asked, zero for a bare 429) at least what it asked and at least the
    /// slower pushback backoff.
    pub fn delay(&self, attempt: u32, pushback: Option<Duration>) -> Duration {
        let failures = attempt.saturating_sub(1);
        match pushback {
            None => Backoff::new(BASE, CAP).after(failures).next_slow_delay(),
            Some(asked) => asked.max(
                Backoff::new(PUSHBACK_BASE, CAP)
                    .after(failures)
                    .next_slow_delay(),
            ),
        }
    }
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

    /// The shortest wait `delay` can draw before attempt `attempt + 1`.
    fn floor(base: Duration, attempt: u32) -> Duration {
        Backoff::new(base, CAP).after(attempt - 1).ceiling() / 2
    }

    #[test]
    fn delays_grow_to_the_cap_and_never_fall_below_half_the_ceiling() {
        let policy = RetryPolicy::default();
        for attempt in 1..12 {
            let ceiling = Backoff::new(BASE, CAP).after(attempt - 1).ceiling();
            for _ in 0..50 {
                let d = policy.delay(attempt, None);
                assert!(
                    d >= floor(BASE, attempt) && d <= ceiling,
                    "{attempt}: {d:?}"
                );
            }
        }
        assert_eq!(Backoff::new(BASE, CAP).after(20).ceiling(), CAP);
    }

    #[test]
    fn a_run_is_a_dead_letter_only_after_minutes_of_failures() {
        let policy = RetryPolicy::default();
        let least: Duration = (1..policy.max_attempts).map(|a| floor(BASE, a)).sum();
        assert!(least >= Duration::from_secs(5 * 60), "{least:?}");
        let busy = ran(vec![busy()], 1);
        for attempt in 1..policy.max_attempts {
            assert!(matches!(
                policy.decide(attempt, &busy, false),
                RunEnd::Retry { .. }
            ));
        }
        assert_eq!(
            policy.decide(policy.max_attempts, &busy, false),
            RunEnd::Dead {
                error: "503".into()
            }
        );
    }

    #[test]
    fn pushback_waits_what_plex_asked_and_at_least_the_slower_backoff() {
        let policy = RetryPolicy::default();
        let pushed = |after: u64| ActionOutcome::Failed {
            error: "429".into(),
            retryable: true,
            retry_after: Some(Duration::from_secs(after)),
        };
        // A bare 429 (asked for nothing) still waits 15 s at least, and the
        // waits double toward minutes.
        for attempt in 1..6 {
            let RunEnd::Retry { after, .. } =
                policy.decide(attempt, &ran(vec![pushed(0)], 1), false)
            else {
                panic!("a 429 is retried");
            };
            assert!(
                after >= floor(PUSHBACK_BASE, attempt),
                "{attempt}: {after:?}"
            );
        }
        // A long Retry-After is honoured as it is.
        let RunEnd::Retry { after, .. } = policy.decide(1, &ran(vec![pushed(900)], 1), false)
        else {
            panic!("a 429 is retried");
        };
        assert_eq!(after, Duration::from_secs(900));
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
