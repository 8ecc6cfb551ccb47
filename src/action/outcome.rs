//! What one execution of an action came to, and how failures are sorted into
//! "try again later", "give up" and "nothing to do".

use std::time::Duration;

use serde::Serialize;

use crate::plex::PlexError;

/// The result of one attempt at one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ActionOutcome {
    /// The action did its work.
    Done {
        /// Requests sent to Plex (reads included) by this attempt.
        requests: usize,
        /// One line for the log: what changed.
        detail: String,
    },
    /// Nothing needed doing, or the target is gone (a 404): not an error,
    /// no retry.
    Skipped {
        /// Why, for the log.
        reason: String,
    },
    /// The action did not happen.
    Failed {
        /// What went wrong, without the token or a full URL.
        error: String,
        /// True for connect failures, timeouts, 429 and 5xx: the same
        /// attempt may succeed later.
        retryable: bool,
        /// How long the server asked us to wait (429 `Retry-After`).
        retry_after: Option<Duration>,
    },
}

impl ActionOutcome {
    /// A short word for logs and metrics: `done`, `skipped`, `failed`.
    pub fn label(&self) -> &'static str {
        match self {
            ActionOutcome::Done { .. } => "done",
            ActionOutcome::Skipped { .. } => "skipped",
            ActionOutcome::Failed { .. } => "failed",
        }
    }

    /// A failure that will not pass by itself.
    pub(crate) fn refused(error: impl Into<String>) -> ActionOutcome {
        ActionOutcome::Failed {
            error: error.into(),
            retryable: false,
            retry_after: None,
        }
    }

    /// A failure worth another attempt later.
    pub(crate) fn transient(error: impl Into<String>) -> ActionOutcome {
        ActionOutcome::Failed {
            error: error.into(),
            retryable: true,
            retry_after: None,
        }
    }

    /// Nothing to do.
    pub(crate) fn skipped(reason: impl Into<String>) -> ActionOutcome {
        ActionOutcome::Skipped {
            reason: reason.into(),
        }
    }

    /// Sorts a Plex failure: 404 → skipped (`target` is gone), 429/5xx/
    /// unreachable → retryable, anything else → failed for good.
    pub(crate) fn from_plex(err: &PlexError, target: &str) -> ActionOutcome {
        if err.is_not_found() {
            return ActionOutcome::skipped(format!("{target} is gone"));
        }
        ActionOutcome::Failed {
            error: err.to_string(),
            retryable: err.is_retryable(),
            retry_after: err.retry_after(),
        }
    }
}

/// Why an executor stopped early; turned into an [`ActionOutcome`] once, in
/// one place, with the action's target named.
#[derive(Debug)]
pub(crate) enum Stop {
    /// Plex failed.
    Plex(PlexError),
    /// The outcome is already decided (refused input, nothing to do…).
    Outcome(ActionOutcome),
}

impl From<PlexError> for Stop {
    fn from(e: PlexError) -> Stop {
        Stop::Plex(e)
    }
}

impl From<ActionOutcome> for Stop {
    fn from(o: ActionOutcome) -> Stop {
        Stop::Outcome(o)
    }
}

/// What each executor returns: a detail line for `Done`, or why not.
pub(crate) type Step = Result<String, Stop>;

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn plex_errors_sort_into_skip_retry_and_fail() {
        let gone = PlexError::NotFound {
            what: "GET /library/metadata/9".into(),
        };
        assert_eq!(
            ActionOutcome::from_plex(&gone, "item 9"),
            ActionOutcome::skipped("item 9 is gone")
        );
        let busy = PlexError::Retryable {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_secs(3)),
            excerpt: String::new(),
        };
        assert!(matches!(
            ActionOutcome::from_plex(&busy, "item 9"),
            ActionOutcome::Failed { retryable: true, retry_after: Some(d), .. } if d == Duration::from_secs(3)
        ));
        let bad = PlexError::Rejected {
            status: StatusCode::BAD_REQUEST,
            excerpt: String::new(),
        };
        assert!(matches!(
            ActionOutcome::from_plex(&bad, "item 9"),
            ActionOutcome::Failed {
                retryable: false,
                ..
            }
        ));
    }
}
