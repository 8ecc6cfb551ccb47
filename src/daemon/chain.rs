//! Chain depth for the loop guard's second line: a rule that opts in to
//! events our own actions caused (`include_self`) may trigger a run whose
//! actions cause more events. Each run remembers how deep it is, per item
//! and section it touches; an event our action caused starts one level
//! deeper, and past [`MAX_DEPTH`] nothing fires, whatever the rules say.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::work::Work;
use crate::event::Event;

/// Runs caused by runs caused by runs…: this many levels, then stop.
pub const MAX_DEPTH: u32 = 3;

/// How long a run's depth is remembered for the events it causes.
const REMEMBER: Duration = Duration::from_secs(300);

/// Shared between the executor (writes) and the dispatcher (reads).
#[derive(Debug, Clone, Default)]
pub struct Chains {
    inner: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
}

impl Chains {
    /// Records the depth of a run that is about to act.
    pub fn note(&self, work: &Work) {
        let Ok(mut map) = self.inner.lock() else {
            return;
        };
        let now = Instant::now();
        map.retain(|_, (_, at)| now.duration_since(*at) < REMEMBER);
        for key in keys(work.item.as_deref(), work.section.as_deref()) {
            let entry = map.entry(key).or_insert((work.depth, now));
            *entry = (entry.0.max(work.depth), now);
        }
    }

    /// The depth of a run this event would start: 0 unless our own action
    /// caused it, then one more than the run that touched its item or section.
    pub fn depth_of(&self, event: &Event) -> u32 {
        if !event.caused_by_self {
            return 0;
        }
        let item = event.item.as_ref().map(|i| i.id.as_str());
        let section = event.section.as_ref().map(|s| s.id.as_str());
        let Ok(map) = self.inner.lock() else {
            return MAX_DEPTH + 1;
        };
        keys(item, section)
            .iter()
            .filter_map(|k| map.get(k).map(|(d, _)| *d))
            .max()
            .unwrap_or(0)
            + 1
    }
}

fn keys(item: Option<&str>, section: Option<&str>) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(item) = item {
        keys.push(format!("item:{item}"));
    }
    if let Some(section) = section {
        keys.push(format!("section:{section}"));
    }
    keys
}
