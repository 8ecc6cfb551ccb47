//! REST faults injected on demand: error statuses, 429 with `Retry-After`,
//! slow answers, truncated JSON, and a refused port.

use std::time::Duration;

/// A fault to inject. All but [`RestFault::Refuse`] wait in a queue and are
/// consumed by the next `times` requests whose decoded path starts with
/// `path_prefix` (any path when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestFault {
    /// Answer `code` (500, 502, 503, 404, …) with Plex's short HTML body.
    Status {
        /// The status to answer.
        code: u16,
        /// How many matching requests get it.
        times: usize,
        /// Only requests whose decoded path starts with this; `None` for all.
        path_prefix: Option<String>,
    },
    /// Answer 429 with a `Retry-After: <secs>` header.
    TooManyRequests {
        /// The `Retry-After` value.
        retry_after_secs: u64,
        /// How many matching requests get it.
        times: usize,
        /// Only requests whose decoded path starts with this; `None` for all.
        path_prefix: Option<String>,
    },
    /// Wait `delay`, then answer normally.
    Slow {
        /// How long to wait before answering.
        delay: Duration,
        /// How many matching requests wait.
        times: usize,
        /// Only requests whose decoded path starts with this; `None` for all.
        path_prefix: Option<String>,
    },
    /// Answer 200 with the real JSON cut in half (the request still takes effect).
    BadJson {
        /// How many matching requests get a truncated body.
        times: usize,
        /// Only requests whose decoded path starts with this; `None` for all.
        path_prefix: Option<String>,
    },
    /// Close the listening socket so connections are refused, close open
    /// connections, and listen again on the same port after `duration`.
    Refuse {
        /// How long the port stays closed.
        duration: Duration,
    },
}

/// What the gate does to one request because of a queued fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FaultAction {
    Status(u16),
    TooManyRequests(u64),
    Slow(Duration),
    BadJson,
}

/// Queued faults in injection order.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queued: Vec<(FaultAction, usize, Option<String>)>,
}

impl FaultQueue {
    /// Queues a fault; `Refuse` is not queued (the caller acts on it at once).
    pub(crate) fn push(&mut self, fault: RestFault) {
        let (action, times, prefix) = match fault {
            RestFault::Status {
                code,
                times,
                path_prefix,
            } => (FaultAction::Status(code), times, path_prefix),
            RestFault::TooManyRequests {
                retry_after_secs,
                times,
                path_prefix,
            } => (
                FaultAction::TooManyRequests(retry_after_secs),
                times,
                path_prefix,
            ),
            RestFault::Slow {
                delay,
                times,
                path_prefix,
            } => (FaultAction::Slow(delay), times, path_prefix),
            RestFault::BadJson { times, path_prefix } => (FaultAction::BadJson, times, path_prefix),
            RestFault::Refuse { .. } => return,
        };
        if times > 0 {
            self.queued.push((action, times, prefix));
        }
    }

    /// Consumes one use of the first fault matching `path`.
    pub(crate) fn take(&mut self, path: &str) -> Option<FaultAction> {
        let pos = self
            .queued
            .iter()
            .position(|(_, _, prefix)| prefix.as_deref().is_none_or(|p| path.starts_with(p)))?;
        let entry = &mut self.queued[pos];
        let action = entry.0.clone();
        entry.1 -= 1;
        if entry.1 == 0 {
            self.queued.remove(pos);
        }
        Some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_by_matching_paths_only() {
        let mut q = FaultQueue::default();
        q.push(RestFault::Status {
            code: 503,
            times: 2,
            path_prefix: Some("/library/sections".into()),
        });
        q.push(RestFault::BadJson {
            times: 1,
            path_prefix: None,
        });
        assert_eq!(q.take("/identity"), Some(FaultAction::BadJson));
        assert_eq!(q.take("/identity"), None);
        assert_eq!(
            q.take("/library/sections/1/all"),
            Some(FaultAction::Status(503))
        );
        assert_eq!(q.take("/library/sections"), Some(FaultAction::Status(503)));
        assert_eq!(q.take("/library/sections"), None);
    }
}
