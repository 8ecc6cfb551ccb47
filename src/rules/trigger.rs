//! `[[triggers]]`: which events start a rule, with cheap filters applied
//! before any condition runs.

use std::ops::Range;

use toml::de::DeTable;

use super::compile::Cx;
use super::reader::{Annotate, TableReader, quoted_list, suggest};
use super::vocab::{ACTIVITY_TYPES, ITEM_TYPES, SECTION_TYPES, glob_matches};
use crate::event::{Event, EventName};

/// A filter key, whether it is given, which part of an event it needs, and that part's name.
type Filter = (
    &'static str,
    bool,
    fn(crate::event::Subject) -> bool,
    &'static str,
);

/// Keys of a `[[triggers]]` table.
pub(crate) const KEYS: &[&str] = &[
    "event",
    "events",
    "section",
    "section_type",
    "item_type",
    "activity",
];

/// One compiled trigger: any of its events, all of its filters.
#[derive(Debug, Clone)]
pub struct Trigger {
    /// Any of these event names.
    pub events: Vec<EventName>,
    /// Section titles or ids; empty means any.
    pub sections: Vec<String>,
    /// `movie`, `show`…; empty means any.
    pub section_types: Vec<String>,
    /// `movie`, `episode`…; empty means any. Decided from metadata when the
    /// event does not say (playback notifications carry no type).
    pub item_types: Vec<String>,
    /// Activity type globs (`media.generate.*`).
    pub activities: Vec<String>,
}

/// The filter that refused an event, for `explain`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Miss {
    /// `event`, `section`, `section_type`, `activity` or `item_type`.
    pub filter: &'static str,
    /// What the trigger accepts.
    pub wanted: Vec<String>,
    /// What the event had there; `None` when it carried nothing.
    pub saw: Option<String>,
}

/// Whether a trigger accepts an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fit {
    No,
    Yes,
    /// Everything fits but the item type, which the event does not say:
    /// decided once the item's metadata is fetched.
    IfItemType,
}

impl Trigger {
    pub(crate) fn compile(
        table: &DeTable<'_>,
        span: Range<usize>,
        cx: &mut Cx<'_>,
    ) -> Option<Trigger> {
        let mut r = TableReader::new(table, "trigger");
        let mut ok = true;
        let mut names = Vec::new();
        let one = r.strings("event", cx.sink);
        let many = r.strings("events", cx.sink);
        if let (Some(_), Some(_)) = (&one, &many) {
            let at = r.key_span("events").unwrap_or(span.clone());
            cx.sink
                .error(at, "a trigger takes `event` or `events`, not both")
                .help("list every name under `events`");
            ok = false;
        }
        let all: Vec<&str> = EventName::ALL.iter().map(|e| e.as_str()).collect();
        for name in one.into_iter().chain(many).flatten() {
            match name.get_ref().parse::<EventName>() {
                Ok(e) => names.push(e),
                Err(_) => {
                    ok = false;
                    let help = if name.get_ref().starts_with("playing.")
                        || name.get_ref().starts_with("timeline.")
                    {
                        format!(
                            "rules see normalized events (playback.*, item.*); {}",
                            suggest(name.get_ref(), &all)
                        )
                    } else {
                        suggest(name.get_ref(), &all)
                    };
                    cx.sink
                        .error(name.span(), format!("unknown event `{}`", name.get_ref()))
                        .help(help);
                }
            }
        }
        if names.is_empty() && ok {
            let head = span.start..span.start + 12.min(span.len());
            cx.sink
                .error(head, "this trigger names no event")
                .help("add `event = \"item.added\"` (or `events = [\"…\", \"…\"]`)");
            return None;
        }
        let sections = r.ids("section", cx.sink).unwrap_or_default();
        let section_types = r.strings("section_type", cx.sink).unwrap_or_default();
        let item_types = r.strings("item_type", cx.sink).unwrap_or_default();
        let activities = r.strings("activity", cx.sink).unwrap_or_default();
        for (list, words, what) in [
            (&section_types, SECTION_TYPES, "section type"),
            (&item_types, ITEM_TYPES, "item type"),
        ] {
            for v in list {
                if !words.contains(&v.get_ref().as_str()) {
                    ok = false;
                    cx.sink
                        .error(v.span(), format!("unknown {what} `{}`", v.get_ref()))
                        .help(suggest(v.get_ref(), words));
                }
            }
        }
        for a in &activities {
            let known = ACTIVITY_TYPES.iter().any(|t| glob_matches(a.get_ref(), t));
            if !known {
                let d = cx.sink.warning(
                    a.span(),
                    format!(
                        "activity type `{}` is not one Plex is known to send",
                        a.get_ref()
                    ),
                );
                match crate::diag::did_you_mean(a.get_ref(), ACTIVITY_TYPES.iter().copied()) {
                    Some(close) => d.help(format!("did you mean `{close}`?")),
                    None => d.help(format!("known types: {}", quoted_list(ACTIVITY_TYPES))),
                };
            }
        }
        // A filter on a part the events never carry can never pass.
        let filters: [Filter; 4] = [
            ("section", !sections.is_empty(), |s| s.section, "section"),
            (
                "section_type",
                !section_types.is_empty(),
                |s| s.section,
                "section",
            ),
            ("item_type", !item_types.is_empty(), |s| s.item, "item"),
            (
                "activity",
                !activities.is_empty(),
                |s| s.activity,
                "activity",
            ),
        ];
        for (key, given, carried, noun) in filters {
            if !given {
                continue;
            }
            let lacking: Vec<&str> = names
                .iter()
                .filter(|e| !carried(e.subject()))
                .map(|e| e.as_str())
                .collect();
            if !lacking.is_empty() {
                ok = false;
                let at = r.key_span(key).unwrap_or(span.clone());
                cx.sink
                    .error(at, format!("`{key}` can never match `{}`, which carries no {noun}", lacking.join("`, `")))
                    .help(format!("`{key}` only filters events that carry one; put those events in a trigger of their own"));
            }
        }
        r.finish(KEYS, cx.sink);
        ok.then(|| Trigger {
            events: names,
            sections: sections.into_iter().map(|s| s.into_inner()).collect(),
            section_types: section_types.into_iter().map(|s| s.into_inner()).collect(),
            item_types: item_types.into_iter().map(|s| s.into_inner()).collect(),
            activities: activities.into_iter().map(|s| s.into_inner()).collect(),
        })
    }

    /// Applies the filters the event itself can answer.
    pub(crate) fn fit(&self, e: &Event) -> Fit {
        self.check(e).unwrap_or(Fit::No)
    }

    /// [`Trigger::fit`], saying which filter refused the event and what it
    /// saw there (for `explain`).
    pub(crate) fn check(&self, e: &Event) -> Result<Fit, Miss> {
        let miss = |filter, wanted: &[String], saw: Option<&str>| Miss {
            filter,
            wanted: wanted.to_vec(),
            saw: saw.map(str::to_owned),
        };
        if !self.events.contains(&e.name) {
            let names: Vec<String> = self.events.iter().map(|n| n.as_str().to_owned()).collect();
            return Err(miss("event", &names, Some(e.name.as_str())));
        }
        if !self.sections.is_empty() {
            let Some(s) = &e.section else {
                return Err(miss("section", &self.sections, None));
            };
            let hit = self.sections.iter().any(|want| {
                *want == s.id
                    || s.title
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case(want))
            });
            if !hit {
                let saw = match &s.title {
                    Some(t) => format!("{} ({t})", s.id),
                    None => s.id.clone(),
                };
                return Err(miss("section", &self.sections, Some(&saw)));
            }
        }
        if !self.section_types.is_empty() {
            let kind = e.section.as_ref().and_then(|s| s.kind.as_deref());
            if !kind.is_some_and(|k| self.section_types.iter().any(|t| t == k)) {
                return Err(miss("section_type", &self.section_types, kind));
            }
        }
        if !self.activities.is_empty() {
            let kind = e.activity.as_ref().map(|a| a.kind.as_str());
            if !kind.is_some_and(|k| self.activities.iter().any(|g| glob_matches(g, k))) {
                return Err(miss("activity", &self.activities, kind));
            }
        }
        if !self.item_types.is_empty() {
            match e.item.as_ref().and_then(|i| i.kind.as_deref()) {
                Some(k) if self.item_types.iter().any(|t| t == k) => {}
                Some(k) => return Err(miss("item_type", &self.item_types, Some(k))),
                None => return Ok(Fit::IfItemType),
            }
        }
        Ok(Fit::Yes)
    }

    /// The item type filter, answered from fetched metadata.
    pub(crate) fn item_type_fits(&self, kind: &str) -> bool {
        self.item_types.is_empty() || self.item_types.iter().any(|t| t == kind)
    }
}
