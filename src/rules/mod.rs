//! Rule files: the format, loading and checking, and matching events.
//!
//! One rule per `.toml` file in the rules directory; the file stem is the
//! rule id (`[a-z0-9_-]+`). Files starting with `_` or ending in `.disabled`
//! are skipped. The format is shallow and reads like a Home Assistant
//! automation:
//!
//! ```toml
//! description = "Re-match unmatched movies by the {tmdb-N} tag in their folder name"
//! mode = "queued"            # single | restart | queued | parallel (per key)
//! max = 10                   # queued/parallel runs per key
//! key = "{{ event.item.id }}" # default: the event's item id, else its section id
//! debounce = "20s"           # trailing settle window (or `delay`, fixed from the first trigger)
//! cooldown = "24h"
//! when_idle = false          # hold until no playback session is active
//! include_self = false       # opt in to events our own actions caused (loop guard)
//! conditions = ['item.guid.startsWith("local://")']   # CEL, all must hold
//!
//! [[triggers]]               # any of
//! event = "library.refresh.ended"        # or events = [...]
//! section = ["Movies", 1]                # titles or ids
//! section_type = ["movie"]
//! item_type = ["movie"]
//! activity = ["library.update.section"]  # globs
//!
//! [[captures]]               # named groups become variables; no match → rule skipped
//! from = "item.folder"
//! regex = '\{tmdb-(?P<tmdb>\d+)\}'
//!
//! [cancel]                   # needs delay or debounce
//! events = ["playback.started"]
//!
//! [[actions]]
//! action = "match"
//! tmdb = "{{ tmdb }}"
//!
//! [[tests]]
//! event = { name = "library.refresh.ended", item = { id = "42" } }
//! item = { id = "42", type = "movie", guid = "local://42", folder = "/m/Arrival {tmdb-329865}" }
//! responses = { "GET /library/metadata/42/matches" = "fixtures/matches-arrival.json" }   # or the body inline
//! expect = ["PUT /library/metadata/42/match?guid=plex%3A%2F%2Fmovie%2F5d77…&name=Arrival&year=2016"]
//! ```
//!
//! Variables in conditions and templates: `event` (the normalized
//! [`crate::event::Event`]), `item` ([`ItemFacts`], fetched once per event
//! when any rule reads it) and each capture group. Everything a rule reads is
//! checked at load against what its trigger events carry.
//! Conditions are also type-checked (`typecheck`: `item.year >= "1900"`,
//! `item.guid.startswith(…)` fail at load, with the CEL spelling), and
//! templates' filters are looked up in the engine, so a rule that passes
//! `check` runs.
//!
//! The path through this module: [`load_dir`] reads files →
//! `compile` (spanned TOML → [`CompiledRule`], all findings as
//! [`crate::diag::Diagnostic`]s) → [`RuleSet`] (index by event name) →
//! [`RuleSet::candidates`] → [`RuleSet::evaluate`] → a [`Decision`] with
//! [`ResolvedAction`]s for the engine.
//!
//! Around it: [`explain_event`] says why each rule fired or not and
//! [`RuleStore`] holds the running set and swaps in clean reloads. Running
//! actions for `test` and `explain` lives above the executors, in
//! [`crate::tools::runner`].

mod action;
mod capture;
mod cel_mistakes;
mod check;
mod compile;
mod condition;
mod example;
mod explain;
mod facts;
mod load;
mod read_only;
mod reader;
mod reload;
mod resolved;
mod rule;
mod schema;
mod scope;
mod set;
mod template;
mod test_case;
mod toml_error;
mod trigger;
mod typecheck;
mod vars;
mod vocab;

pub use action::CompiledAction;
pub use capture::Capture;
pub use check::{
    EXIT_IO, EXIT_RULE_ERRORS, Format, JsonReport, check_command, render_human, render_json,
};
pub use condition::Condition;
pub use explain::{
    ActionPlan, EventExplanation, FlowView, Metadata, Outcome, PlannedRequest, RuleExplanation,
    TriggerResult, explain_event,
};
pub use facts::ItemFacts;
pub use load::{LoadError, Loaded, default_rules_dir, load_dir, load_sources};
pub use read_only::ReadOnly;
pub use reload::{ReloadError, Reloaded, RuleStore, RuleWatch, WATCH_DEBOUNCE};
pub use resolved::{
    CollectionChange, IfMissing, ImageKind, ImageSource, MatchTarget, ResolvedAction, ScanTarget,
    TagChange,
};
pub use rule::{CompiledRule, Flow, Mode};
pub use schema::rule_schema;
pub use set::{ConditionResult, Decision, PreparedEvent, RuleError, RuleSet, Skip};
pub use template::Template;
pub use test_case::{Response, RuleTest};
pub use trigger::{Miss, Trigger};

pub(crate) use set::Renderer;
pub(crate) use test_case::event_from_json;
