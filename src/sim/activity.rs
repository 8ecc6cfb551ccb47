//! Server activities (scans, item refreshes): what `/activities` lists, and
//! the task that plays one from `started` to `ended`, emitting the
//! notifications real Plex emits on the way (PROTOCOL.md §3).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use super::notify::{self, Notification};
use super::shared::{Shared, lock};

/// A running activity, as `GET /activities` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// Also returned as `X-Plex-Activity` by the request that started it.
    pub uuid: String,
    /// `library.update.section`, `library.refresh.items`, …
    pub kind: String,
    /// e.g. `Scanning Movies`.
    pub title: String,
    /// The folder or phase being worked on.
    pub subtitle: String,
    /// 0–100, -1 when indeterminate.
    pub progress: i32,
    /// Whether `DELETE /activities/{uuid}` may stop it.
    pub cancellable: bool,
    /// `librarySectionID` for scans, `key` for item refreshes.
    pub context: Map<String, Value>,
}

impl Activity {
    /// A new activity with a fresh uuid, progress 0.
    pub(crate) fn new(
        kind: &str,
        title: String,
        cancellable: bool,
        context: Map<String, Value>,
    ) -> Activity {
        Activity {
            uuid: uuid::Uuid::new_v4().to_string(),
            kind: kind.to_owned(),
            title,
            subtitle: String::new(),
            progress: 0,
            cancellable,
            context,
        }
    }

    /// The `Activity` JSON object.
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({
            "uuid": self.uuid,
            "type": self.kind,
            "cancellable": self.cancellable,
            "userID": 1,
            "title": self.title,
            "subtitle": self.subtitle,
            "progress": self.progress,
        });
        if !self.context.is_empty()
            && let Some(obj) = v.as_object_mut()
        {
            obj.insert("Context".into(), Value::Object(self.context.clone()));
        }
        v
    }
}

/// One step of an activity's life: how it changes and what else Plex says
/// at that moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Step {
    /// New subtitle, if it changes.
    pub(crate) subtitle: Option<String>,
    /// New progress.
    pub(crate) progress: i32,
    /// Context entries to add (e.g. `refreshed: true`).
    pub(crate) context: Map<String, Value>,
    /// Other notifications sent right after the `updated` one.
    pub(crate) also: Vec<Notification>,
}

/// An activity's script: notifications before `started`, the `updated`
/// steps, and notifications after `ended`.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    pub(crate) before: Vec<Notification>,
    pub(crate) steps: Vec<Step>,
    /// Sent just before `ended` (e.g. the final timeline entries).
    pub(crate) finish: Vec<Notification>,
    pub(crate) after: Vec<Notification>,
    /// What the job leaves in the library, applied as it ends (markers a
    /// detection found); not applied when it is cancelled.
    pub(crate) result: Option<Outcome>,
}

/// A change to the library made when an activity ends.
#[derive(Clone)]
pub(crate) struct Outcome(pub(crate) Arc<dyn Fn(&mut super::library::Library) + Send + Sync>);

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outcome(..)")
    }
}

/// Registers the activity (so it is listed at once) and spawns the task that
/// plays its script over the simulator's activity duration. Returns its uuid.
pub(crate) fn start(shared: &Arc<Shared>, activity: Activity, script: Script) -> String {
    let uuid = activity.uuid.clone();
    let cancel = shared.shutdown.child_token();
    lock(&shared.activity_cancels).insert(uuid.clone(), cancel.clone());
    lock(&shared.library).activities.push(activity.clone());
    for n in script.before.iter().cloned() {
        shared.notify(n);
    }
    shared.notify(notify::activity("started", &activity));
    let pace = shared.activity_duration / (script.steps.len() as u32 + 1);
    let task_shared = Arc::clone(shared);
    shared.tasks.spawn(async move {
        run(task_shared, activity.uuid, script, pace, cancel).await;
    });
    uuid
}

async fn run(
    shared: Arc<Shared>,
    uuid: String,
    script: Script,
    pace: Duration,
    cancel: CancellationToken,
) {
    let mut cancelled = false;
    for step in script.steps {
        if pause(pace, &cancel).await {
            cancelled = true;
            break;
        }
        let updated = {
            let mut lib = lock(&shared.library);
            lib.activities.iter_mut().find(|a| a.uuid == uuid).map(|a| {
                if let Some(s) = step.subtitle {
                    a.subtitle = s;
                }
                a.progress = step.progress;
                a.context.extend(step.context);
                a.clone()
            })
        };
        let Some(updated) = updated else {
            return;
        };
        shared.notify(notify::activity("updated", &updated));
        for n in step.also {
            shared.notify(n);
        }
    }
    if !cancelled && pause(pace, &cancel).await {
        cancelled = true;
    }
    if shared.shutdown.is_cancelled() {
        return;
    }
    if !cancelled {
        if let Some(Outcome(apply)) = &script.result {
            apply(&mut lock(&shared.library));
        }
        for n in script.finish {
            shared.notify(n);
        }
    }
    finish(&shared, &uuid);
    if !cancelled {
        for n in script.after {
            shared.notify(n);
        }
    }
}

/// Waits `d`; true if cancelled meanwhile.
async fn pause(d: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => false,
        () = cancel.cancelled() => true,
    }
}

/// Ends an activity: removes it from the list and announces `ended`.
fn finish(shared: &Shared, uuid: &str) {
    lock(&shared.activity_cancels).remove(uuid);
    let ended = {
        let mut lib = lock(&shared.library);
        let pos = lib.activities.iter().position(|a| a.uuid == uuid);
        pos.map(|p| {
            let mut a = lib.activities.remove(p);
            a.progress = 100;
            a
        })
    };
    if let Some(a) = ended {
        shared.notify(notify::activity("ended", &a));
    }
}

/// Why an activity could not be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelError {
    Unknown,
    NotCancellable,
}

/// Stops a running activity, as `DELETE /activities/{uuid}` does.
pub(crate) fn cancel(shared: &Shared, uuid: &str) -> Result<(), CancelError> {
    let cancellable = lock(&shared.library)
        .activities
        .iter()
        .find(|a| a.uuid == uuid)
        .map(|a| a.cancellable);
    match cancellable {
        None => Err(CancelError::Unknown),
        Some(false) => Err(CancelError::NotCancellable),
        Some(true) => {
            if let Some(token) = lock(&shared.activity_cancels).get(uuid) {
                token.cancel();
            }
            // Ended at once, so a `GET /activities` right after no longer lists it.
            finish(shared, uuid);
            Ok(())
        }
    }
}

/// Drops every activity without an `ended` frame, as a server restart does.
pub(crate) fn abort_all(shared: &Shared) {
    // Emptied first, so a task woken by its token finds nothing to end.
    lock(&shared.library).activities.clear();
    for (_, token) in lock(&shared.activity_cancels).drain() {
        token.cancel();
    }
}
