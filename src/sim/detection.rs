//! Detection jobs and section analysis as Plex runs them: the request is
//! answered at once with `X-Plex-Activity`, a `media.generate.*` activity
//! reports progress over the notification stream, and what was found
//! (intro and credits markers, chapter thumbnails) appears on the item when
//! the activity ends. An old server answers 404 for the whole path.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::activity::{self, Activity, Outcome, Script, Step};
use super::item::{ItemKind, SimChapter, SimItem, SimMarker};
use super::library::Library;
use super::rejection::Rejection;
use super::shared::{Shared, lock};

/// One detection endpoint: its path segment, activity type and title.
struct Job {
    segment: &'static str,
    activity: &'static str,
    title: &'static str,
}

const JOBS: &[Job] = &[
    Job {
        segment: "intro",
        activity: "media.generate.intros",
        title: "Detecting intros",
    },
    Job {
        segment: "credits",
        activity: "media.generate.credits",
        title: "Detecting credits",
    },
    Job {
        segment: "chapterThumbs",
        activity: "media.generate.chapter.thumbs",
        title: "Generating chapter thumbnails",
    },
    Job {
        segment: "voiceActivity",
        activity: "media.generate.voice.activity",
        title: "Detecting voice activity",
    },
    Job {
        segment: "addetect",
        activity: "media.generate.ads",
        title: "Detecting ads",
    },
];

/// The activity type of a section analysis (see `plex::request`).
const SECTION_ANALYSIS: &str = "media.analyze.section";

/// Starts detection `segment` on item `id`; returns the activity uuid.
pub(crate) fn start(
    shared: &Arc<Shared>,
    id: &str,
    segment: &str,
    force: bool,
) -> Result<String, Rejection> {
    let job = JOBS
        .iter()
        .find(|j| j.segment == segment)
        .filter(|_| !shared.is_old())
        .ok_or_else(|| Rejection::NotFound(format!("no endpoint {segment}")))?;
    let title = {
        let mut lib = lock(&shared.library);
        let item = lib
            .item_mut(id)
            .ok_or_else(|| Rejection::NotFound(format!("item {id}")))?;
        *item.detections.entry(segment.to_owned()).or_default() += 1;
        item.title.clone()
    };
    let mut context = Map::new();
    context.insert("key".into(), Value::from(format!("/library/metadata/{id}")));
    let act = Activity::new(job.activity, job.title.to_owned(), true, context);
    let steps = [25, 50, 75]
        .into_iter()
        .map(|progress| Step {
            subtitle: Some(title.clone()),
            progress,
            ..Step::default()
        })
        .collect();
    let (id, segment) = (id.to_owned(), job.segment);
    let script = Script {
        before: Vec::new(),
        steps,
        finish: Vec::new(),
        after: Vec::new(),
        result: Some(Outcome(Arc::new(move |lib: &mut Library| {
            if let Some(item) = lib.item_mut(&id) {
                found(item, segment, force);
            }
        }))),
    };
    Ok(activity::start(shared, act, script))
}

/// What a finished job leaves on the item. Intros are found in episodes
/// only, as in Plex; without `force` what is there stays.
fn found(item: &mut SimItem, segment: &str, force: bool) {
    let (kind, start_ms, end_ms) = match segment {
        "intro" if item.kind == ItemKind::Episode => ("intro", 30_000, 90_000),
        "credits" if item.kind == ItemKind::Movie => ("credits", 6_600_000, 6_900_000),
        "credits" => ("credits", 2_400_000, 2_520_000),
        "chapterThumbs" => {
            if item.chapters.is_empty() {
                item.chapters = (1..=4)
                    .map(|index| SimChapter {
                        index,
                        title: format!("Chapter {index}"),
                        has_thumb: false,
                    })
                    .collect();
            }
            for c in &mut item.chapters {
                c.has_thumb = true;
            }
            return;
        }
        _ => return,
    };
    if force {
        item.markers.retain(|m| m.kind != kind);
    }
    if !item.markers.iter().any(|m| m.kind == kind) {
        item.markers.push(SimMarker {
            kind: kind.to_owned(),
            start_ms,
            end_ms,
        });
    }
}

/// Starts the analysis of every item of section `sid`; returns the uuid.
pub(crate) fn analyze_section(shared: &Arc<Shared>, sid: &str) -> Result<String, Rejection> {
    if shared.is_old() {
        return Err(Rejection::NotFound("no endpoint analyze".into()));
    }
    let (title, items): (String, Vec<(String, String)>) = {
        let lib = lock(&shared.library);
        let section = lib
            .section(sid)
            .ok_or_else(|| Rejection::NotFound(format!("section {sid}")))?;
        let items = lib
            .items()
            .filter(|i| i.section_id == sid && i.kind.is_leaf())
            .map(|i| (i.rating_key.clone(), i.title.clone()))
            .collect();
        (section.title.clone(), items)
    };
    let mut context = Map::new();
    context.insert("librarySectionID".into(), Value::from(sid));
    let act = Activity::new(
        SECTION_ANALYSIS,
        format!("Analyzing {title}"),
        true,
        context,
    );
    let total = items.len().max(1);
    let steps = items
        .iter()
        .enumerate()
        .map(|(n, (_, title))| Step {
            subtitle: Some(title.clone()),
            progress: (100 * n / total) as i32,
            ..Step::default()
        })
        .collect();
    let ids: Vec<String> = items.into_iter().map(|(id, _)| id).collect();
    let script = Script {
        before: Vec::new(),
        steps,
        finish: Vec::new(),
        after: Vec::new(),
        result: Some(Outcome(Arc::new(move |lib: &mut Library| {
            for id in &ids {
                if let Some(item) = lib.item_mut(id) {
                    item.analyze_count += 1;
                }
            }
        }))),
    };
    Ok(activity::start(shared, act, script))
}

/// Adds `Marker[]` (with `includeMarkers=1`) and `Chapter[]` (with
/// `includeChapters=1`) to an item's JSON, as Plex does.
pub(crate) fn decorate(item: &SimItem, v: &mut Value, markers: bool, chapters: bool) {
    let Some(m) = v.as_object_mut() else {
        return;
    };
    if markers && !item.markers.is_empty() {
        let list: Vec<Value> = item
            .markers
            .iter()
            .enumerate()
            .map(|(n, mk)| {
                json!({
                    "id": item.rating_key.parse::<u64>().unwrap_or(0) * 10 + n as u64,
                    "type": mk.kind,
                    "startTimeOffset": mk.start_ms,
                    "endTimeOffset": mk.end_ms,
                    "final": true,
                })
            })
            .collect();
        m.insert("Marker".into(), Value::Array(list));
    }
    if chapters && !item.chapters.is_empty() {
        let rk = &item.rating_key;
        let list: Vec<Value> = item
            .chapters
            .iter()
            .map(|c| {
                let mut ch = json!({ "index": c.index, "tag": c.title });
                if c.has_thumb
                    && let Some(o) = ch.as_object_mut()
                {
                    o.insert(
                        "thumb".into(),
                        format!("/library/media/{rk}/chapterImages/{}", c.index).into(),
                    );
                }
                ch
            })
            .collect();
        m.insert("Chapter".into(), Value::Array(list));
    }
}
