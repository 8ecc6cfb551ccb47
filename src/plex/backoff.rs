//! Full-jitter exponential backoff, shared by everything that retries against
//! Plex (the notification listener, action retries).
//!
//! "Full jitter" draws each delay uniformly from `[0, min(cap, base · 2ⁿ)]`:
//! many clients that lost the same server at the same moment spread out
//! instead of reconnecting in lock-step, and a server that accepts and then
//! drops at once still sees the delays grow (PlexKodiConnect#1165 hammered a
//! server with ~70 connects per second for want of this).

use std::time::Duration;

/// The growing, randomized delay between attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// The ceiling of the first delay.
    base: Duration,
    /// No delay is ever longer than this.
    cap: Duration,
    /// Attempts since the last reset; drives the exponent.
    attempt: u32,
    /// Own generator, so tests can seed it and get repeatable delays.
    rng: fastrand::Rng,
}

impl Backoff {
    /// A backoff whose ceiling starts at `base` and doubles up to `cap`.
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap: cap.max(base),
            attempt: 0,
            rng: fastrand::Rng::new(),
        }
    }

    /// The same, with a seeded generator (tests, benchmarks).
    pub fn seeded(base: Duration, cap: Duration, seed: u64) -> Backoff {
        Backoff {
            rng: fastrand::Rng::with_seed(seed),
            ..Backoff::new(base, cap)
        }
    }

    /// The ceiling the next delay is drawn under: `min(cap, base · 2ⁿ)`.
    pub fn ceiling(&self) -> Duration {
        // 2^16 · 1 s is far past any sensible cap; clamping the shift keeps
        // the multiplication from overflowing on a long outage.
        let factor = 1u32 << self.attempt.min(16);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay before the next attempt; each call counts one attempt.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        ceiling.mul_f64(self.rng.f64())
    }

    /// A delay drawn from the upper half of the ceiling ("equal jitter"), for
    /// retries that must stay slow even when the draw is unlucky (a rejected
    /// token: hammering Plex with it helps nobody).
    pub fn next_slow_delay(&mut self) -> Duration {
        let half = self.ceiling() / 2;
        self.attempt = self.attempt.saturating_add(1);
        half + half.mul_f64(self.rng.f64())
    }

    /// Attempts counted since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Starts over from `base`; called only after a connection proved stable.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        let mut b = Backoff::seeded(Duration::from_secs(1), Duration::from_secs(30), 7);
        let ceilings: Vec<u64> = (0..8)
            .map(|_| {
                let c = b.ceiling().as_secs();
                b.next_delay();
                c
            })
            .collect();
        assert_eq!(ceilings, vec![1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn delays_stay_under_the_ceiling_and_vary() {
        let mut b = Backoff::seeded(Duration::from_secs(1), Duration::from_secs(30), 42);
        for _ in 0..5 {
            b.next_delay();
        }
        let delays: Vec<Duration> = (0..200).map(|_| b.next_delay()).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(30)));
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(distinct.len() > 150, "full jitter should spread delays");
    }

    #[test]
    fn slow_delays_never_drop_below_half_the_ceiling() {
        let mut b = Backoff::seeded(Duration::from_secs(60), Duration::from_secs(300), 3);
        for n in 0..50 {
            let ceiling = b.ceiling();
            let d = b.next_slow_delay();
            assert!(
                d >= ceiling / 2 && d <= ceiling,
                "attempt {n}: {d:?} of {ceiling:?}"
            );
        }
    }

    #[test]
    fn reset_starts_over_and_long_outages_do_not_overflow() {
        let mut b = Backoff::seeded(Duration::from_secs(1), Duration::from_secs(30), 1);
        for _ in 0..10_000 {
            b.next_delay();
        }
        assert_eq!(b.ceiling(), Duration::from_secs(30));
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_secs(1));
        assert_eq!(b.attempt(), 0);
    }
}
