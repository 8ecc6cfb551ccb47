//! One event and its item's facts (when read) → engine inputs: `[cancel]`
//! for the rules it cancels, a `Trigger` for every rule that fires.
//!
//! Shared by the dispatcher (events no rule needs item facts for) and the
//! facts worker (the others, once their item is read), so both paths decide
//! exactly alike.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::chain::{Chains, MAX_DEPTH};
use super::work::{Work, flow_spec};
use crate::engine::{EngineError, EngineHandle, Input};
use crate::event::Event;
use crate::rules::{ItemFacts, RuleSet};
use crate::service::metrics::Metrics;

/// What turns an event into engine inputs.
#[derive(Clone)]
pub(crate) struct Interpreter {
    /// The rules in force; SIGHUP swaps them.
    pub rules: Arc<ArcSwap<RuleSet>>,
    /// Where triggers go; `send` returns once the engine journaled them.
    pub engine: EngineHandle<Work>,
    /// Chain depth of our own runs.
    pub chains: Chains,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
}

impl Interpreter {
    /// Asks the rules in force about `event` with `facts` (`None` when no
    /// rule needs them, or Plex no longer has the item: rules that read them
    /// are then skipped, logged). Returns once the engine acknowledged every
    /// input; only an engine that stopped is an error.
    pub(crate) async fn interpret(
        &self,
        event: &Event,
        facts: Option<&ItemFacts>,
    ) -> Result<(), EngineError> {
        let rules = self.rules.load_full();
        for rule in rules.cancelled_by(event) {
            match rules.key_for(rule, event, facts) {
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
        let depth = self.chains.depth_of(event);
        let prepared = rules.prepare(event, facts);
        for rule in rules.candidates(event) {
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
            let title = facts.map(|f| f.title.clone()).filter(|t| !t.is_empty());
            let work = Work::new(event, decision.actions, depth, title);
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
}
