//! The variables a rule's conditions and templates can read, and checks of
//! each path a rule uses against what its trigger events actually carry.
//!
//! Variables: `event` (the normalized event), `item` (lazily fetched
//! [`super::ItemFacts`], only on item-carrying events) and one variable per
//! capture group. `event.item` on `library.scan.ended` is caught here, at
//! load time, rather than failing on every scan at runtime.

use crate::diag::did_you_mean;
use crate::event::EventName;

/// What a name in the variable tree holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    /// A string, number or boolean.
    Scalar(Prim),
    /// A list of strings.
    List,
    /// A map of names to strings (`item.guids`): any key may be read.
    Map,
    /// Free-form JSON (`event.raw`, `item.guids`): anything below is allowed.
    Open,
    /// A record with known fields.
    Object(&'static [(&'static str, Field, Needs)]),
}

/// The type of a single value, for the condition type checker
/// ([`super::typecheck`]): it mirrors how the value arrives in CEL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prim {
    Text,
    Int,
    Bool,
}

/// Which part of an event a field only exists on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    Nothing,
    Section,
    Item,
    Session,
    Activity,
}

impl Needs {
    fn carried_by(self, name: EventName) -> bool {
        let s = name.subject();
        match self {
            Needs::Nothing => true,
            Needs::Section => s.section,
            Needs::Item => s.item,
            Needs::Session => s.session,
            Needs::Activity => s.activity,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Needs::Nothing => "",
            Needs::Section => "a section",
            Needs::Item => "an item",
            Needs::Session => "a playback session",
            Needs::Activity => "an activity",
        }
    }
}

use Field::{List, Open};

const TEXT: Field = Field::Scalar(Prim::Text);
const INT: Field = Field::Scalar(Prim::Int);
const BOOL: Field = Field::Scalar(Prim::Bool);
use Needs::Nothing as N;

const SERVER: &[(&str, Field, Needs)] = &[("machine_identifier", TEXT, N), ("version", TEXT, N)];
const SECTION: &[(&str, Field, Needs)] = &[("id", TEXT, N), ("title", TEXT, N), ("type", TEXT, N)];
const ITEM_REF: &[(&str, Field, Needs)] = &[
    ("id", TEXT, N),
    ("type", TEXT, N),
    ("title", TEXT, N),
    ("parent_id", TEXT, N),
    ("grandparent_id", TEXT, N),
];
const SESSION: &[(&str, Field, Needs)] = &[
    ("key", TEXT, N),
    ("state", TEXT, N),
    ("view_offset_ms", INT, N),
    ("client_identifier", TEXT, N),
];
const ACTIVITY: &[(&str, Field, Needs)] = &[
    ("uuid", TEXT, N),
    ("type", TEXT, N),
    ("event", TEXT, N),
    ("title", TEXT, N),
    ("subtitle", TEXT, N),
    ("progress", INT, N),
];

/// `event`: mirrors [`crate::event::Event`].
pub(crate) const EVENT: Field = Field::Object(&[
    ("id", TEXT, N),
    ("name", TEXT, N),
    ("timestamp", TEXT, N),
    ("server", Field::Object(SERVER), N),
    ("section", Field::Object(SECTION), Needs::Section),
    ("item", Field::Object(ITEM_REF), Needs::Item),
    ("session", Field::Object(SESSION), Needs::Session),
    ("activity", Field::Object(ACTIVITY), Needs::Activity),
    ("notification_type", TEXT, N),
    ("synthetic", BOOL, N),
    ("caused_by_self", BOOL, N),
    ("raw", Open, N),
]);

/// `item`: mirrors [`super::ItemFacts`].
pub(crate) const ITEM: Field = Field::Object(&[
    ("id", TEXT, N),
    ("type", TEXT, N),
    ("title", TEXT, N),
    ("year", INT, N),
    ("guid", TEXT, N),
    ("guids", Field::Map, N),
    ("files", List, N),
    ("folder", TEXT, N),
    ("labels", List, N),
    ("collections", List, N),
    ("genres", List, N),
    ("section_id", TEXT, N),
    ("section_title", TEXT, N),
]);

/// Why a path cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathProblem {
    UnknownVariable {
        name: String,
        hint: String,
    },
    UnknownField {
        path: String,
        field: String,
        hint: String,
    },
    NotCarried {
        path: String,
        needs: &'static str,
        events: Vec<EventName>,
    },
    NotARecord {
        path: String,
    },
}

impl PathProblem {
    /// The one-line message and its hint.
    pub(crate) fn message_and_help(&self) -> (String, String) {
        self.describe(true)
    }

    /// Like [`Self::message_and_help`]; `cel` says whether `has(…)` can be
    /// suggested (templates have no such guard).
    pub(crate) fn describe(&self, cel: bool) -> (String, String) {
        match self {
            PathProblem::UnknownVariable { name, hint } => {
                (format!("unknown variable `{name}`"), hint.clone())
            }
            PathProblem::UnknownField { path, field, hint } => {
                (format!("`{path}` has no field `{field}`"), hint.clone())
            }
            PathProblem::NotCarried {
                path,
                needs,
                events,
            } => {
                let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
                let help = if cel {
                    format!(
                        "it needs an event that carries {needs}; trigger on such events, or guard the expression with has({path})"
                    )
                } else {
                    format!("it needs an event that carries {needs}; trigger only on such events")
                };
                (
                    format!("`{path}` is not set on `{}`", names.join("`, `")),
                    help,
                )
            }
            PathProblem::NotARecord { path } => (
                format!("`{path}` is a single value, not a record"),
                "remove the part after it".to_owned(),
            ),
        }
    }
}

/// What a rule's expressions may read: the variables its trigger events
/// carry plus its capture names.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// Every event name any trigger of the rule listens to.
    pub(crate) events: Vec<EventName>,
    /// Capture group names, usable as plain variables.
    pub(crate) captures: Vec<String>,
}

impl Scope {
    /// Checks one dotted path (`["event", "item", "id"]`). `guarded` paths
    /// (inside `has(…)`) may be absent on some events. Returns whether the
    /// path reads fetched item metadata.
    pub(crate) fn check(&self, segments: &[&str], guarded: bool) -> Result<bool, PathProblem> {
        let Some((root, rest)) = segments.split_first() else {
            return Ok(false);
        };
        let (field, uses_item) = match *root {
            "event" => (EVENT, false),
            "item" => {
                self.require(Needs::Item, "item", guarded)?;
                (ITEM, true)
            }
            name if self.captures.iter().any(|c| c == name) => (TEXT, false),
            name => {
                let mut known = vec!["event", "item"];
                known.extend(self.captures.iter().map(String::as_str));
                let hint = match did_you_mean(name, known.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!(
                        "rules can read `event`, `item`{}",
                        self.captures
                            .iter()
                            .map(|c| format!(", `{c}`"))
                            .collect::<String>()
                    ),
                };
                return Err(PathProblem::UnknownVariable {
                    name: name.to_owned(),
                    hint,
                });
            }
        };
        let mut field = field;
        let mut path = (*root).to_owned();
        for seg in rest {
            match field {
                Field::Open | Field::Map => return Ok(uses_item),
                Field::Scalar(_) | Field::List => return Err(PathProblem::NotARecord { path }),
                Field::Object(fields) => {
                    let Some((_, next, needs)) = fields.iter().find(|(n, _, _)| n == seg) else {
                        let names: Vec<&str> = fields.iter().map(|(n, _, _)| *n).collect();
                        let hint = match did_you_mean(seg, names.iter().copied()) {
                            Some(close) => format!("did you mean `{close}`?"),
                            None => format!("`{path}` has {}", super::reader::quoted_list(&names)),
                        };
                        return Err(PathProblem::UnknownField {
                            path,
                            field: (*seg).to_owned(),
                            hint,
                        });
                    };
                    path.push('.');
                    path.push_str(seg);
                    self.require(*needs, &path, guarded)?;
                    field = *next;
                }
            }
        }
        Ok(uses_item)
    }

    fn require(&self, needs: Needs, path: &str, guarded: bool) -> Result<(), PathProblem> {
        if guarded || needs == Needs::Nothing {
            return Ok(());
        }
        let missing: Vec<EventName> = self
            .events
            .iter()
            .copied()
            .filter(|e| !needs.carried_by(*e))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(PathProblem::NotCarried {
                path: path.to_owned(),
                needs: needs.noun(),
                events: missing,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(events: &[EventName]) -> Scope {
        Scope {
            events: events.to_vec(),
            captures: vec!["tmdb".into()],
        }
    }

    #[test]
    fn item_on_a_scan_event_is_not_carried() {
        let s = scope(&[EventName::LibraryScanEnded]);
        let err = s.check(&["event", "item", "id"], false).unwrap_err();
        assert!(matches!(err, PathProblem::NotCarried { .. }), "{err:?}");
        assert!(s.check(&["event", "item", "id"], true).is_ok());
        assert_eq!(s.check(&["event", "section", "title"], false), Ok(false));
    }

    #[test]
    fn item_metadata_is_flagged_and_typos_get_hints() {
        let s = scope(&[EventName::ItemAdded]);
        assert_eq!(s.check(&["item", "guid"], false), Ok(true));
        assert_eq!(s.check(&["item", "guids", "tmdb"], false), Ok(true));
        assert_eq!(s.check(&["tmdb"], false), Ok(false));
        match s.check(&["item", "gui"], false) {
            Err(PathProblem::UnknownField { hint, .. }) => assert_eq!(hint, "did you mean `guid`?"),
            other => panic!("{other:?}"),
        }
        match s.check(&["evnt"], false) {
            Err(PathProblem::UnknownVariable { hint, .. }) => {
                assert_eq!(hint, "did you mean `event`?")
            }
            other => panic!("{other:?}"),
        }
    }
}
