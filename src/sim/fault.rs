//! REST faults injected on demand: error statuses, 429 with `Retry-After`,
//! slow answers, truncated JSON, a refused port, and chaos (a share of all
//! answers failing, decided by a seeded generator).

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
    /// connections (the notification socket with them), and listen again on
    /// the same port after `duration`: Plex restarting, as clients see it.
    Refuse {
        /// How long the port stays closed.
        duration: Duration,
    },
    /// From now on, answer about `percent` of REST requests with one of
    /// `codes` (a 429 carries `Retry-After: retry_after_secs`), the rest
    /// normally. Which ones fail is drawn from a generator seeded with
    /// `seed`: the same seed gives the same sequence of decisions. The
    /// notification stream (`/:/websockets/…`, `/:/eventsource/…`) is never
    /// touched. Queued faults go first; a new `Chaos` replaces the old one,
    /// and `percent: 0` ends it.
    Chaos {
        /// Share of requests that fail, 0–100.
        percent: u8,
        /// The statuses drawn from (e.g. 429 and 500); none means 500.
        codes: Vec<u16>,
        /// The `Retry-After` of a 429.
        retry_after_secs: u64,
        /// The generator's seed.
        seed: u64,
    },
}

/// The chaos in force.
#[derive(Debug)]
struct Chaos {
    percent: u8,
    codes: Vec<u16>,
    retry_after_secs: u64,
    rng: fastrand::Rng,
}

/// Paths of the notification stream, which chaos leaves alone.
fn is_stream(path: &str) -> bool {
    path.starts_with("/:/websockets/") || path.starts_with("/:/eventsource/")
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
    chaos: Option<Chaos>,
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
            RestFault::Chaos {
                percent,
                codes,
                retry_after_secs,
                seed,
            } => {
                self.chaos = (percent > 0).then(|| Chaos {
                    percent: percent.min(100),
                    codes,
                    retry_after_secs,
                    rng: fastrand::Rng::with_seed(seed),
                });
                return;
            }
        };
        if times > 0 {
            self.queued.push((action, times, prefix));
        }
    }

    /// Consumes one use of the first fault matching `path`; else, under
    /// chaos, draws whether this request fails.
    pub(crate) fn take(&mut self, path: &str) -> Option<FaultAction> {
        let Some(pos) = self
            .queued
            .iter()
            .position(|(_, _, prefix)| prefix.as_deref().is_none_or(|p| path.starts_with(p)))
        else {
            return self.chaos(path);
        };
        let entry = &mut self.queued[pos];
        let action = entry.0.clone();
        entry.1 -= 1;
        if entry.1 == 0 {
            self.queued.remove(pos);
        }
        Some(action)
    }

    fn chaos(&mut self, path: &str) -> Option<FaultAction> {
        let chaos = self.chaos.as_mut().filter(|_| !is_stream(path))?;
        if chaos.rng.u8(0..100) >= chaos.percent {
            return None;
        }
        let code = if chaos.codes.is_empty() {
            500
        } else {
            chaos.codes[chaos.rng.usize(0..chaos.codes.len())]
        };
        Some(if code == 429 {
            FaultAction::TooManyRequests(chaos.retry_after_secs)
        } else {
            FaultAction::Status(code)
        })
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

    fn chaos(seed: u64) -> FaultQueue {
        let mut q = FaultQueue::default();
        q.push(RestFault::Chaos {
            percent: 30,
            codes: vec![429, 500],
            retry_after_secs: 2,
            seed,
        });
        q
    }

    #[test]
    fn chaos_fails_a_seeded_share_of_rest_and_leaves_the_stream_alone() {
        let draws = |seed| {
            let mut q = chaos(seed);
            (0..1000)
                .map(|_| q.take("/library/metadata/1"))
                .collect::<Vec<_>>()
        };
        let a = draws(7);
        assert_eq!(a, draws(7), "the same seed, the same decisions");
        assert_ne!(a, draws(8));
        let failed = a.iter().filter(|f| f.is_some()).count();
        assert!((240..=360).contains(&failed), "{failed} of 1000 failed");
        assert!(a.contains(&Some(FaultAction::TooManyRequests(2))));
        assert!(a.contains(&Some(FaultAction::Status(500))));
        let mut q = chaos(7);
        assert!((0..200).all(|_| q.take("/:/websockets/notifications").is_none()));
        assert!((0..200).all(|_| q.take("/:/eventsource/notifications").is_none()));
        // Queued faults go first; percent 0 ends the chaos.
        q.push(RestFault::Status {
            code: 503,
            times: 1,
            path_prefix: None,
        });
        assert_eq!(q.take("/identity"), Some(FaultAction::Status(503)));
        q.push(RestFault::Chaos {
            percent: 0,
            codes: vec![500],
            retry_after_secs: 0,
            seed: 1,
        });
        assert!((0..200).all(|_| q.take("/identity").is_none()));
    }
}
