//! A model check of the flow core: random rules, triggers, cancels, run
//! ends, retries, playback changes and clock jumps, with every command
//! replayed into a model journal. After every step the journal image must be
//! exactly the core's state (what a restart would resume), and no command
//! may break a mode, a cooldown, `when_idle` or a deadline.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use metarr_plex::engine::{Command, Entry, Flow, FlowSpec, Millis, Mode, Outcome, RunId, Stage};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Trigger { rule: usize, key: u8 },
    Cancel { rule: usize, key: u8 },
    Finish { ok: bool },
    Retry,
    Busy(bool),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..3, 0u8..2).prop_map(|(rule, key)| Op::Trigger { rule, key }),
        1 => (0usize..3, 0u8..2).prop_map(|(rule, key)| Op::Cancel { rule, key }),
        2 => any::<bool>().prop_map(|ok| Op::Finish { ok }),
        1 => Just(Op::Retry),
        1 => any::<bool>().prop_map(Op::Busy),
        3 => (0u64..4_000).prop_map(Op::Advance),
    ]
}

fn millis(max: u64) -> impl Strategy<Value = Option<Duration>> {
    prop_oneof![
        Just(None),
        (1..max).prop_map(|ms| Some(Duration::from_millis(ms)))
    ]
}

fn flow_spec() -> impl Strategy<Value = FlowSpec> {
    let mode = prop_oneof![
        Just(Mode::Single),
        Just(Mode::Restart),
        Just(Mode::Queued),
        Just(Mode::Parallel)
    ];
    (
        mode,
        1u32..4,
        millis(3_000),
        millis(3_000),
        millis(5_000),
        any::<bool>(),
    )
        .prop_map(
            |(mode, max, debounce, delay, cooldown, when_idle)| FlowSpec {
                mode,
                max,
                debounce,
                delay,
                cooldown,
                when_idle,
            },
        )
}

/// What the journal would hold, rebuilt only from commands.
#[derive(Default)]
struct Model {
    /// Unfinished runs: the last persisted entry, or `None` payload details once started.
    live: BTreeMap<RunId, Entry<u32>>,
    /// Started and not ended, per (rule, key).
    running: HashMap<(String, String), Vec<RunId>>,
    /// Start order, for choosing which run ends.
    started: Vec<RunId>,
    cooldown: HashMap<(String, String), Millis>,
}

struct World {
    flow: Flow<u32>,
    model: Model,
    specs: Vec<FlowSpec>,
    now: Millis,
    busy: bool,
    payload: u32,
}

impl World {
    fn spec_of(&self, rule: &str) -> &FlowSpec {
        &self.specs[rule.trim_start_matches('r').parse::<usize>().unwrap()]
    }

    fn apply(&mut self, cmds: Vec<Command<u32>>) -> Result<(), TestCaseError> {
        for cmd in cmds {
            match cmd {
                Command::Persist(entry) => {
                    prop_assert!(entry.stage != Stage::Running);
                    self.model.live.insert(entry.run_id, entry);
                }
                Command::Start(run) => {
                    let kid = (run.rule.clone(), run.key.clone());
                    let spec = self.spec_of(&run.rule).clone();
                    if let Some(prev) = self.model.live.get(&run.run_id)
                        && let Some(due) = prev.due_at
                    {
                        prop_assert!(
                            due <= self.now,
                            "run {} started at {} before its deadline {}",
                            run.run_id,
                            self.now,
                            due
                        );
                    }
                    prop_assert!(
                        !(spec.when_idle && self.busy),
                        "a when_idle run started during playback"
                    );
                    if let Some(until) = self.model.cooldown.get(&kid) {
                        prop_assert!(
                            *until <= self.now,
                            "a run started inside its key's cooldown"
                        );
                    }
                    let running = self.model.running.entry(kid).or_default();
                    running.push(run.run_id);
                    let cap = match spec.mode {
                        Mode::Parallel => spec.max(),
                        Mode::Single | Mode::Restart | Mode::Queued => 1,
                    };
                    prop_assert!(
                        running.len() <= cap,
                        "{:?} allows {} running, saw {}",
                        spec.mode,
                        cap,
                        running.len()
                    );
                    self.model.started.push(run.run_id);
                    self.model.live.insert(
                        run.run_id,
                        Entry {
                            run_id: run.run_id,
                            rule: run.rule,
                            key: run.key,
                            payload: run.payload,
                            spec: run.spec,
                            stage: Stage::Running,
                            due_at: None,
                            attempt: run.attempt,
                            created_at: run.created_at,
                        },
                    );
                }
                Command::Cancel(id) | Command::Finished { run_id: id, .. } => {
                    prop_assert!(
                        self.model.started.contains(&id),
                        "ended run {id} was not running"
                    );
                    self.end(id);
                }
                Command::Dropped { run_id, .. } => {
                    if let Some(id) = run_id {
                        prop_assert!(
                            !self.model.started.contains(&id),
                            "dropped run {id} is running"
                        );
                        self.model.live.remove(&id);
                    }
                }
                Command::Cooldown { rule, key, until } => {
                    self.model.cooldown.insert((rule, key), until);
                }
            }
        }
        self.check_image()
    }

    fn end(&mut self, id: RunId) {
        self.model.started.retain(|r| *r != id);
        self.model
            .running
            .values_mut()
            .for_each(|v| v.retain(|r| *r != id));
        self.model.live.remove(&id);
    }

    /// The journal image equals the core: same runs, same stages, payloads and deadlines.
    fn check_image(&self) -> Result<(), TestCaseError> {
        let mut core: Vec<&Entry<u32>> = self.flow.entries().collect();
        core.sort_by_key(|e| e.run_id);
        let image: Vec<&Entry<u32>> = self.model.live.values().collect();
        prop_assert_eq!(core, image);
        for spec_rule in 0..self.specs.len() {
            let spec = &self.specs[spec_rule];
            if spec.mode == Mode::Queued {
                for key in 0..2u8 {
                    let queued = self
                        .model
                        .live
                        .values()
                        .filter(|e| {
                            e.rule == format!("r{spec_rule}")
                                && e.key == key.to_string()
                                && e.stage == Stage::Queued
                        })
                        .count();
                    prop_assert!(queued <= spec.max());
                }
            }
        }
        Ok(())
    }

    fn step(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Trigger { rule, key } => {
                self.payload += 1;
                let spec = self.specs[rule].clone();
                let cmds = self.flow.trigger(
                    &format!("r{rule}"),
                    &key.to_string(),
                    &spec,
                    self.payload,
                    self.now,
                );
                self.apply(cmds)
            }
            Op::Cancel { rule, key } => {
                let cmds = self
                    .flow
                    .cancel(&format!("r{rule}"), &key.to_string(), self.now);
                self.apply(cmds)
            }
            Op::Finish { ok } => {
                let Some(id) = self.model.started.first().copied() else {
                    return Ok(());
                };
                let outcome = if ok { Outcome::Ok } else { Outcome::Failed };
                let cmds = self.flow.run_finished(id, outcome, self.now);
                let finished =
                    matches!(cmds.first(), Some(Command::Finished { run_id, .. }) if *run_id == id);
                prop_assert!(finished, "run_finished must report the end first");
                self.apply(cmds)
            }
            Op::Retry => {
                let Some(id) = self.model.started.first().copied() else {
                    return Ok(());
                };
                self.end_for_retry(id);
                let cmds =
                    self.flow
                        .retry_at(id, self.now.after(Duration::from_millis(1_000)), self.now);
                self.apply(cmds)
            }
            Op::Busy(busy) => {
                self.busy = busy;
                let cmds = self.flow.set_busy(busy, self.now);
                if busy {
                    prop_assert!(cmds.is_empty());
                }
                self.apply(cmds)
            }
            Op::Advance(ms) => {
                let target = self.now.after(Duration::from_millis(ms));
                while let Some(due) = self.flow.next_deadline().filter(|d| *d <= target) {
                    self.now = self.now.max(due);
                    let cmds = self.flow.poll(self.now);
                    prop_assert!(
                        !cmds.is_empty() || self.flow.next_deadline() != Some(due),
                        "poll made no progress"
                    );
                    self.apply(cmds)?;
                }
                self.now = target;
                Ok(())
            }
        }
    }

    /// A retried run leaves the running set without a `Finished` command.
    fn end_for_retry(&mut self, id: RunId) {
        self.model.started.retain(|r| *r != id);
        self.model
            .running
            .values_mut()
            .for_each(|v| v.retain(|r| *r != id));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn journal_image_matches_the_core_and_no_command_breaks_a_rule(
        specs in prop::collection::vec(flow_spec(), 3),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let mut world = World {
            flow: Flow::new().with_max_waiting(8),
            model: Model::default(),
            specs,
            now: Millis(1_000_000),
            busy: false,
            payload: 0,
        };
        for op in ops {
            world.step(op)?;
        }
        // Restoring the image into a fresh core gives the same waiting runs back.
        let image: Vec<Entry<u32>> = world.model.live.values().cloned().collect();
        let mut restored = Flow::new();
        restored.restore(image.clone(), world.now);
        prop_assert_eq!(restored.entries().count(), image.len());
    }
}
