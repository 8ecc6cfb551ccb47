//! Events → engine inputs: the playback busy flag, `[cancel]` events, and a
//! `Trigger` for every rule that fires, with the one metadata fetch the
//! event needs shared by every rule.

use std::collections::HashSet;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::chain::{Chains, MAX_DEPTH};
use super::facts::CachedFacts;
use super::work::{Work, flow_spec};
use crate::engine::{EngineError, EngineHandle, Input};
use crate::event::{Event, EventName};
use crate::rules::RuleSet;
use crate::service::metrics::Metrics;

/// The per-event step of the daemon.
pub(crate) struct Dispatcher {
    /// The rules in force; SIGHUP swaps them.
    pub rules: Arc<ArcSwap<RuleSet>>,
    /// Where triggers go.
    pub engine: EngineHandle<Work>,
    /// Item metadata, fetched once per event.
    pub facts: CachedFacts,
    /// Chain depth of our own runs.
    pub chains: Chains,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Playback sessions seen active; `when_idle` waits for this to empty.
    pub sessions: HashSet<String>,
}

impl Dispatcher {
    /// Handles one event. Only an engine that stopped is an error.
    pub(crate) async fn handle(&mut self, event: Event) -> Result<(), EngineError> {
        self.metrics.event_seen(event.name.as_str());
        self.track_playback(&event).await?;
        if (event.caused_by_self || event.name == EventName::LibraryRefreshEnded)
            && let Some(item) = &event.item
        {
            self.facts.forget(&item.id);
        }
        let rules = self.rules.load_full();
        let candidates: Vec<_> = rules.candidates(&event).collect();
        let cancels: Vec<_> = rules.cancelled_by(&event).collect();
        if candidates.is_empty() && cancels.is_empty() {
            tracing::debug!(event = %event.id, name = %event.name, "Event matches no rule.");
            return Ok(());
        }
        tracing::info!(event = %event.id, name = %event.name, item = %item_of(&event), self_caused = event.caused_by_self, synthetic = event.synthetic, "Event received.");
        let facts = match rules.fetch_facts(&event, &self.facts).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(event = %event.id, error = %e, "Could not fetch the item's metadata; rules that read it are skipped for this event.");
                None
            }
        };
        for rule in cancels {
            match rules.key_for(rule, &event, facts.as_ref()) {
                Ok(key) => {
                    tracing::info!(rule = %rule.id, key = %key, event = %event.id, "Cancel event for the rule's pending run.");
                    self.engine
                        .send(Input::Cancel {
                            rule: rule.id.clone(),
                            key,
                        })
                        .await?;
                }
                Err(e) => {
                    tracing::warn!(rule = %rule.id, event = %event.id, error = %e, "Could not render the key for a cancel event.")
                }
            }
        }
        let depth = self.chains.depth_of(&event);
        let prepared = rules.prepare(&event, facts.as_ref());
        for rule in candidates {
            let decision = match rules.evaluate_prepared(rule, &prepared) {
                Ok(d) => d,
                Err(e) => {
                    self.metrics.rule_run(&rule.id, "error");
                    tracing::warn!(rule = %rule.id, event = %event.id, error = %e, "Rule could not be evaluated; skipped for this event.");
                    continue;
                }
            };
            if !decision.fired {
                tracing::info!(rule = %rule.id, event = %event.id, skipped = %serde_json::to_string(&decision.skipped).unwrap_or_default(), "Rule did not fire.");
                continue;
            }
            if depth > MAX_DEPTH {
                self.metrics.rule_run(&rule.id, "chain_limit");
                tracing::warn!(rule = %rule.id, event = %event.id, depth, "Rule fired on an event caused by a chain of our own actions deeper than the limit; not running it.");
                continue;
            }
            tracing::info!(rule = %rule.id, event = %event.id, key = %decision.key, actions = decision.actions.len(), "Rule fired.");
            let title = facts
                .as_ref()
                .map(|f| f.title.clone())
                .filter(|t| !t.is_empty());
            let work = Work::new(&event, decision.actions, depth, title);
            self.engine
                .send(Input::Trigger {
                    rule: rule.id.clone(),
                    key: decision.key,
                    spec: flow_spec(&rule.flow),
                    payload: work,
                })
                .await?;
        }
        Ok(())
    }

    /// Keeps the set of active sessions and tells the engine when it
    /// changes between empty and not.
    async fn track_playback(&mut self, event: &Event) -> Result<(), EngineError> {
        let Some(session) = &event.session else {
            return Ok(());
        };
        let was_busy = !self.sessions.is_empty();
        match event.name {
            EventName::PlaybackStopped => {
                self.sessions.remove(&session.key);
            }
            EventName::PlaybackStarted
            | EventName::PlaybackPaused
            | EventName::PlaybackResumed
            | EventName::PlaybackBuffering => {
                self.sessions.insert(session.key.clone());
            }
            _ => return Ok(()),
        }
        let busy = !self.sessions.is_empty();
        if busy != was_busy {
            tracing::debug!(
                busy,
                sessions = self.sessions.len(),
                "Playback activity changed."
            );
            self.engine.send(Input::Busy(busy)).await?;
        }
        Ok(())
    }
}

fn item_of(event: &Event) -> String {
    match &event.item {
        Some(i) => match &i.title {
            Some(t) => format!("{} ({t})", i.id),
            None => i.id.clone(),
        },
        None => "-".to_owned(),
    }
}
