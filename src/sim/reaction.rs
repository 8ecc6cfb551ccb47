//! What the server says after a REST call changed something (PROTOCOL.md
//! §3): a scan's status, `library.update.section` activity and timeline
//! entries; an item refresh's `library.refresh.items` lifecycle and final
//! timeline entry.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::activity::{self, Activity, Script, Step};
use super::item::SimItem;
use super::notify::{
    self, ANALYZING, CREATED, DELETED, DONE, Notification, PROCESSING, TimelineState,
};
use super::scan::ScanOutcome;
use super::shared::{Shared, lock};

fn timeline(item: &SimItem, st: TimelineState) -> Notification {
    notify::timeline(item, item.grandparent.as_deref(), st)
}

/// Starts the activity of a section scan that produced `outcome` and returns
/// its uuid (the `X-Plex-Activity` header).
pub(crate) fn scan(
    shared: &Arc<Shared>,
    section_id: &str,
    path: Option<&str>,
    outcome: &ScanOutcome,
) -> String {
    let (title, created): (String, Vec<SimItem>) = {
        let lib = lock(&shared.library);
        let title = lib
            .section(section_id)
            .map(|s| s.title.clone())
            .unwrap_or_default();
        let created = outcome
            .created
            .iter()
            .filter_map(|id| lib.item(id).cloned())
            .collect();
        (title, created)
    };
    let mut context = Map::new();
    context.insert("librarySectionID".into(), Value::from(section_id));
    let act = Activity::new(
        "library.update.section",
        format!("Scanning {title}"),
        true,
        context,
    );

    let total = created.len() + outcome.deleted.len() + 1;
    let mut steps = Vec::new();
    for (n, item) in created.iter().enumerate() {
        let subtitle = item
            .files
            .first()
            .or(item.folder.as_ref())
            .and_then(|f| f.rsplit('/').nth(1).or(Some(f.as_str())))
            .unwrap_or(&item.title)
            .to_owned();
        steps.push(Step {
            subtitle: Some(subtitle),
            progress: (100 * n / total) as i32,
            also: vec![
                notify::progress(&format!("Scanning {}", item.title)),
                timeline(item, CREATED),
                timeline(item, PROCESSING),
            ],
            ..Step::default()
        });
    }
    if !outcome.deleted.is_empty() || steps.is_empty() {
        steps.push(Step {
            subtitle: Some(path.unwrap_or(&title).to_owned()),
            progress: (100 * (total - 1) / total) as i32,
            also: outcome
                .deleted
                .iter()
                .map(|i| timeline(i, DELETED))
                .collect(),
            ..Step::default()
        });
    }
    let script = Script {
        before: vec![notify::status(
            "LIBRARY_UPDATE",
            &format!("Scanning the \"{title}\" section"),
            "",
        )],
        steps,
        finish: created.iter().map(|i| timeline(i, DONE)).collect(),
        after: vec![notify::status(
            "LIBRARY_UPDATE",
            "Library scan complete",
            "",
        )],
        result: None,
    };
    activity::start(shared, act, script)
}

/// What started an item refresh; it decides the phases Plex reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshCause {
    Refresh,
    Analyze,
    Match,
    Image,
}

/// Starts the `library.refresh.items` lifecycle for one item (the real one
/// captured in PROTOCOL.md §3 d) and returns its uuid.
pub(crate) fn refresh_item(shared: &Arc<Shared>, id: &str, cause: RefreshCause) -> String {
    let item = lock(&shared.library).item(id).cloned();
    let key = format!("/library/metadata/{id}");
    // Plex's `started` frame carries no Context; the first update adds the key.
    let act = Activity::new(
        "library.refresh.items",
        "Refreshing".into(),
        false,
        Map::new(),
    );
    let ctx = |pairs: &[(&str, Value)]| -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("key".into(), Value::from(key.as_str()));
        for (k, v) in pairs {
            m.insert((*k).into(), v.clone());
        }
        m
    };
    let changed = cause != RefreshCause::Analyze;
    let mut steps = vec![
        Step {
            subtitle: Some("Checking files".into()),
            progress: 0,
            context: ctx(&[]),
            ..Step::default()
        },
        Step {
            subtitle: Some(
                if cause == RefreshCause::Match {
                    "Augmenting metadata"
                } else {
                    "Refreshing local metadata"
                }
                .into(),
            ),
            progress: 33,
            context: ctx(&[("accessible", true.into()), ("exists", true.into())]),
            ..Step::default()
        },
    ];
    let mut analyzing = Vec::new();
    if let Some(item) = &item
        && cause == RefreshCause::Analyze
    {
        analyzing.push(timeline(item, ANALYZING));
    }
    steps.push(Step {
        subtitle: Some("Refreshing media analysis".into()),
        progress: 66,
        context: ctx(&[
            ("refreshed", changed.into()),
            ("analyzed", (cause == RefreshCause::Analyze).into()),
        ]),
        also: analyzing,
    });
    let finish = {
        // The final entry reflects the item as it is when the activity ends.
        let lib = lock(&shared.library);
        lib.item(id).or(item.as_ref()).map(|i| timeline(i, DONE))
    };
    let script = Script {
        before: Vec::new(),
        steps,
        finish: finish.into_iter().collect(),
        after: Vec::new(),
        result: None,
    };
    activity::start(shared, act, script)
}
