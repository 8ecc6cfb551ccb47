//! The request-rate ceiling toward Plex: a governor token bucket read on
//! tokio's clock, so a paused test clock and the limiter agree and waits are
//! tokio sleeps.

use std::num::NonZeroU32;

use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

/// Time since the limiter was built, on tokio's clock.
#[derive(Debug, Clone)]
pub(crate) struct TokioClock {
    origin: tokio::time::Instant,
}

impl Clock for TokioClock {
    type Instant = std::time::Duration;

    fn now(&self) -> std::time::Duration {
        self.origin.elapsed()
    }
}

/// A direct (unkeyed) limiter on [`TokioClock`].
pub(crate) struct RequestPacer {
    clock: TokioClock,
    limiter: RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<std::time::Duration>>,
}

impl RequestPacer {
    /// At most `per_second` requests a second, bursts up to the same number.
    pub(crate) fn new(per_second: NonZeroU32) -> RequestPacer {
        let clock = TokioClock {
            origin: tokio::time::Instant::now(),
        };
        let limiter = RateLimiter::direct_with_clock(Quota::per_second(per_second), clock.clone());
        RequestPacer { clock, limiter }
    }

    /// Waits (on tokio's clock) until the bucket has a token, then takes it.
    pub(crate) async fn until_ready(&self) {
        loop {
            match self.limiter.check() {
                Ok(()) => return,
                Err(not_until) => {
                    let now = self.clock.now();
                    let wait = not_until.earliest_possible().duration_since(now);
                    tokio::time::sleep(wait.into()).await;
                }
            }
        }
    }
}
