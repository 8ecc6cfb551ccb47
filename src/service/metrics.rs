//! Prometheus metrics: what the daemon counts, and the handle every part
//! uses to count it.
//!
//! [`Metrics`] is cheap to clone and is handed to the listener (events,
//! connection state), the engine (rule runs, queue depth, dead letters), the
//! actions (outcomes) and the Plex client (request latency). Nothing here does
//! IO; [`crate::service::health`] serves [`Metrics::render`] on `/metrics`.
//!
//! Every series is prefixed `metarr_plex_`. Label values come from rule ids,
//! event names and action kinds — small, bounded sets — never from item
//! titles or paths, which would explode the series count.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio::time::Instant;

use crate::service::status::Phase;

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabel {
    name: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

/// The daemon's metrics. Cloning shares them.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// Shared, immutable after construction: only the metric values change.
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    /// 1 for the current phase, 0 for the others (a Prometheus "state set").
    connection_state: Family<StateLabel, Gauge>,
    /// Refreshed from `last_event` at each scrape.
    last_event_age: Gauge<f64, AtomicU64>,
    /// When the newest event arrived, in nanoseconds since `started`, plus
    /// one so that 0 can mean "none yet".
    last_event: AtomicU64,
    /// Process start, the age reported before any event arrives.
    started: Instant,
    events: Family<EventLabel, Counter>,
    rule_runs: Family<RuleLabels, Counter>,
    actions: Family<ActionLabels, Counter>,
    queue_depth: Gauge,
    pending_events: Gauge,
    dead_letters: Gauge,
    plex_latency: Family<StatusLabel, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Fresh metrics, all zero, connection state `starting`.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("metarr_plex");
        let connection_state = Family::<StateLabel, Gauge>::default();
        registry.register(
            "connection_state",
            "Connection to Plex: 1 for the current state, 0 for the others",
            connection_state.clone(),
        );
        let last_event_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "last_event_age_seconds",
            "Seconds since the last event from Plex (since start when none yet)",
            last_event_age.clone(),
        );
        let events = Family::<EventLabel, Counter>::default();
        registry.register("events", "Normalized events seen, by name", events.clone());
        let rule_runs = Family::<RuleLabels, Counter>::default();
        registry.register(
            "rule_runs",
            "Rule runs finished, by rule and outcome",
            rule_runs.clone(),
        );
        let actions = Family::<ActionLabels, Counter>::default();
        registry.register(
            "action_outcomes",
            "Actions finished, by action kind and outcome",
            actions.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "queue_depth",
            "Runs accepted and not yet finished (pending, delayed, deferred)",
            queue_depth.clone(),
        );
        let pending_events = Gauge::default();
        registry.register(
            "pending_events",
            "Events kept in the journal until their item's metadata is read and the rules are asked",
            pending_events.clone(),
        );
        let dead_letters = Gauge::default();
        registry.register(
            "dead_letters",
            "Runs that failed after their last retry and wait for an operator",
            dead_letters.clone(),
        );
        let plex_latency = Family::<StatusLabel, Histogram>::new_with_constructor(|| {
            // 5 ms … ~20 s: local PMS answers in milliseconds, scans and
            // matches against remote agents take seconds.
            Histogram::new([
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0,
            ])
        });
        registry.register(
            "plex_request_duration_seconds",
            "Plex REST request latency, by HTTP status (\"error\" when no answer)",
            plex_latency.clone(),
        );

        let metrics = Metrics {
            inner: Arc::new(Inner {
                registry,
                connection_state,
                last_event_age,
                last_event: AtomicU64::new(0),
                started: Instant::now(),
                events,
                rule_runs,
                actions,
                queue_depth,
                pending_events,
                dead_letters,
                plex_latency,
            }),
        };
        metrics.set_connection_state(Phase::Starting);
        metrics
    }

    /// A normalized event named `name` (`playback.stopped`, …) was seen.
    pub fn event_seen(&self, name: &str) {
        let inner = &self.inner;
        inner
            .events
            .get_or_create(&EventLabel {
                name: name.to_owned(),
            })
            .inc();
        let since = Instant::now().saturating_duration_since(inner.started);
        // Stored off by one: 0 means "no event yet".
        let nanos = u64::try_from(since.as_nanos())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1);
        inner.last_event.store(nanos, Ordering::Relaxed);
    }

    /// A run of `rule` ended with `outcome` (`done`, `failed`, `skipped`,
    /// `dropped`, …).
    pub fn rule_run(&self, rule: &str, outcome: &str) {
        self.inner
            .rule_runs
            .get_or_create(&RuleLabels {
                rule: rule.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// An action of kind `action` (`match`, `upload_poster`, …) ended with
    /// `outcome`.
    pub fn action_outcome(&self, action: &str, outcome: &str) {
        self.inner
            .actions
            .get_or_create(&ActionLabels {
                action: action.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// A Plex request took `duration` and got `status` (`None` when no
    /// response arrived: refused, timed out).
    pub fn plex_request(&self, duration: Duration, status: Option<u16>) {
        let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        self.inner
            .plex_latency
            .get_or_create(&StatusLabel { status })
            .observe(duration.as_secs_f64());
    }

    /// Runs accepted and not yet finished.
    pub fn set_queue_depth(&self, depth: usize) {
        self.inner
            .queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// Events waiting in the journal for their item's metadata.
    pub fn set_pending_events(&self, count: u64) {
        self.inner
            .pending_events
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// Runs in the dead-letter list.
    pub fn set_dead_letters(&self, count: usize) {
        self.inner
            .dead_letters
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// The connection phase now.
    pub fn set_connection_state(&self, phase: Phase) {
        for p in Phase::ALL {
            self.inner
                .connection_state
                .get_or_create(&StateLabel { state: p.as_str() })
                .set(i64::from(p == phase));
        }
    }

    /// Seconds since the last event (since start when none yet).
    pub fn last_event_age(&self) -> Duration {
        let inner = &self.inner;
        let now = Instant::now().saturating_duration_since(inner.started);
        match inner.last_event.load(Ordering::Relaxed) {
            0 => now,
            at => now.saturating_sub(Duration::from_nanos(at - 1)),
        }
    }

    /// Everything in the Prometheus text format (0.0.4).
    pub fn render(&self) -> String {
        self.inner
            .last_event_age
            .set(self.last_event_age().as_secs_f64());
        let mut out = String::new();
        if prometheus_client::encoding::prometheus_text::encode(&mut out, &self.inner.registry)
            .is_err()
        {
            // Writing to a String cannot fail; say so rather than panic.
            out.clear();
            let _ = writeln!(out, "# metrics encoding failed");
        }
        out
    }
}

/// The REST client reports each request here: the Plex latency histogram.
impl crate::plex::client::RequestObserver for Metrics {
    fn request_done(&self, elapsed: Duration, status: Option<u16>) {
        self.plex_request(elapsed, status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(prefix))
    }

    #[tokio::test(start_paused = true)]
    async fn counters_and_gauges_show_what_was_reported() {
        let m = Metrics::new();
        m.event_seen("playback.stopped");
        m.event_seen("playback.stopped");
        m.rule_run("rematch-tmdb", "done");
        m.action_outcome("match", "failed");
        m.set_queue_depth(4);
        m.set_pending_events(7);
        m.set_dead_letters(1);
        m.set_connection_state(Phase::Reconnecting);
        m.plex_request(Duration::from_millis(30), Some(200));
        m.plex_request(Duration::from_secs(30), None);
        tokio::time::advance(Duration::from_secs(5)).await;

        let text = m.render();
        assert_eq!(
            line(&text, "metarr_plex_events_total{"),
            Some("metarr_plex_events_total{name=\"playback.stopped\"} 2")
        );
        assert!(
            text.contains("metarr_plex_rule_runs_total{rule=\"rematch-tmdb\",outcome=\"done\"} 1")
        );
        assert!(
            text.contains(
                "metarr_plex_action_outcomes_total{action=\"match\",outcome=\"failed\"} 1"
            )
        );
        assert!(text.contains("metarr_plex_queue_depth 4"));
        assert!(text.contains("metarr_plex_pending_events 7"));
        assert!(text.contains("metarr_plex_dead_letters 1"));
        assert!(text.contains("metarr_plex_connection_state{state=\"reconnecting\"} 1"));
        assert!(text.contains("metarr_plex_connection_state{state=\"connected\"} 0"));
        assert!(
            text.contains("metarr_plex_last_event_age_seconds 5"),
            "{text}"
        );
        assert!(text.contains(
            "metarr_plex_plex_request_duration_seconds_bucket{status=\"200\",le=\"0.05\"} 1"
        ));
        assert!(text.contains(
            "metarr_plex_plex_request_duration_seconds_bucket{status=\"200\",le=\"0.025\"} 0"
        ));
        assert!(
            text.contains("metarr_plex_plex_request_duration_seconds_count{status=\"error\"} 1")
        );
    }
}
