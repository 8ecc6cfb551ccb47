//! Hot reload: the running [`RuleSet`] behind an `ArcSwap`, replaced only by
//! a whole directory that loads, compiles and checks clean.
//!
//! Two things ask for a reload: SIGHUP (the daemon calls
//! [`RuleStore::reload`] from its signal loop) and a change in the rules
//! directory ([`RuleStore::watch`], debounced). A broken edit keeps the
//! running rules; its diagnostics are logged once per distinct broken
//! content, so an editor that saves every few seconds, or a watcher that
//! fires again, does not flood the log with the same report.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use tokio::sync::mpsc;

use super::check::render_human;
use super::load::{LoadError, Loaded, load_dir};
use super::set::RuleSet;

/// How long the directory must be quiet before a change is acted on: long
/// enough for an editor's write-rename-chmod dance, short enough to feel live.
pub const WATCH_DEBOUNCE: Duration = Duration::from_millis(500);

/// Why a reload did not swap.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The directory could not be listed; the running rules stay.
    #[error(transparent)]
    Dir(#[from] LoadError),
    /// Some rule file has errors at start: nothing is running yet.
    #[error(
        "{errors} error(s) in the rules directory; nothing was started (`metarr-plex check DIR` shows them)"
    )]
    AtStart {
        /// How many findings are errors.
        errors: usize,
    },
    /// Some rule file has errors; the running rules stay.
    #[error("{errors} error(s) in the rules directory; the running rules stay")]
    Rules {
        /// How many findings are errors.
        errors: usize,
        /// This exact content was already reported (and logged) before, so
        /// this attempt logged nothing.
        already_reported: bool,
    },
}

/// What a successful reload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reloaded {
    /// A new set is live.
    Swapped {
        /// Rules in the new set.
        rules: usize,
    },
    /// The files are the ones already running: nothing to swap.
    Unchanged,
}

/// The rules the daemon matches with, replaceable while it runs.
///
/// Readers call [`RuleStore::current`] once per event and keep that
/// `Arc` for the whole evaluation, so a swap never changes rules halfway
/// through one event.
#[derive(Debug)]
pub struct RuleStore {
    /// The rules directory, re-read on every reload.
    dir: PathBuf,
    /// The running set, shared with whoever matches events against it (the
    /// daemon's dispatcher loads it once per event).
    current: Arc<ArcSwap<RuleSet>>,
    /// What the last reloads saw; a plain mutex, never held across an await.
    seen: Mutex<Seen>,
    /// Reload attempts, for tests and metrics.
    attempts: AtomicU64,
}

/// Fingerprints of directory contents, to tell "nothing changed" and
/// "already reported" apart from a new edit.
#[derive(Debug, Default)]
struct Seen {
    /// The content of the running set.
    running: u64,
    /// The last broken content that was logged.
    reported: Option<u64>,
}

impl RuleStore {
    /// Loads `dir` for the first time. Unlike a reload, there is nothing to
    /// fall back on: any error is returned (and its diagnostics logged).
    pub fn open(dir: &Path) -> Result<RuleStore, ReloadError> {
        let loaded = load_dir(dir)?;
        let print = fingerprint(&loaded);
        if loaded.has_errors() {
            return Err(report(dir, &loaded, None));
        }
        tracing::info!(
            dir = %dir.display(),
            rules = loaded.rules.rules().len(),
            "Rules loaded."
        );
        Ok(RuleStore {
            dir: dir.to_path_buf(),
            current: Arc::new(ArcSwap::from_pointee(loaded.rules)),
            seen: Mutex::new(Seen {
                running: print,
                reported: None,
            }),
            attempts: AtomicU64::new(0),
        })
    }

    /// The rules directory this store reloads from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The swap cell itself, for a reader that keeps it (the daemon): every
    /// reload through this store is visible there at once.
    pub fn shared(&self) -> Arc<ArcSwap<RuleSet>> {
        Arc::clone(&self.current)
    }

    /// The running set. Hold the `Arc` for one event's evaluation.
    pub fn current(&self) -> Arc<RuleSet> {
        self.current.load_full()
    }

    /// Reads, compiles and checks the whole directory, and swaps it in only
    /// when it is clean. A broken directory keeps the running rules and
    /// logs its diagnostics, once per distinct content.
    pub fn reload(&self) -> Result<Reloaded, ReloadError> {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        let loaded = match load_dir(&self.dir) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(dir = %self.dir.display(), error = %e, "Rules not reloaded; the running rules stay.");
                return Err(e.into());
            }
        };
        let print = fingerprint(&loaded);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if loaded.has_errors() {
            let already = seen.reported == Some(print);
            seen.reported = Some(print);
            return Err(report(&self.dir, &loaded, Some(already)));
        }
        // A clean directory ends any broken streak: breaking it the same
        // way again is news.
        seen.reported = None;
        if seen.running == print {
            return Ok(Reloaded::Unchanged);
        }
        let rules = loaded.rules.rules().len();
        self.current.store(Arc::new(loaded.rules));
        seen.running = print;
        tracing::info!(dir = %self.dir.display(), rules, "Rules reloaded.");
        Ok(Reloaded::Swapped { rules })
    }

    /// Watches the rules directory and reloads after a change has settled
    /// for [`WATCH_DEBOUNCE`]. Needs a tokio runtime; stops when the
    /// returned guard is dropped.
    pub fn watch(self: &Arc<Self>) -> Result<RuleWatch, notify::Error> {
        self.watch_with(WATCH_DEBOUNCE)
    }

    /// [`RuleStore::watch`] with another settle time (tests).
    pub fn watch_with(self: &Arc<Self>, settle: Duration) -> Result<RuleWatch, notify::Error> {
        let (tx, rx) = mpsc::unbounded_channel::<()>();
        // The debouncer settles each path on its own, so one burst over
        // several files (or a slow editor) can still come out as several
        // batches; half the settle time goes to it, half to a trailing
        // quiet window over all batches in the reload task.
        let half = settle / 2;
        let mut debouncer =
            new_debouncer(
                half,
                None,
                move |result: DebounceEventResult| match result {
                    Ok(events) if events.iter().any(|e| !e.kind.is_access()) => {
                        let _ = tx.send(());
                    }
                    Ok(_) => {}
                    Err(errors) => {
                        for e in errors {
                            tracing::warn!(error = %e, "Watching the rules directory failed.");
                        }
                    }
                },
            )?;
        debouncer.watch(&self.dir, RecursiveMode::NonRecursive)?;
        let task = tokio::spawn(reload_on_change(Arc::clone(self), rx, half));
        tracing::info!(dir = %self.dir.display(), "Watching the rules directory.");
        Ok(RuleWatch {
            _debouncer: Box::new(debouncer),
            task,
        })
    }

    /// How many reloads were attempted (by signal or watch), swapped or not.
    pub fn reload_count(&self) -> u64 {
        self.attempts.load(Ordering::Relaxed)
    }
}

/// A running directory watch; dropping it stops watching.
pub struct RuleWatch {
    /// Owns the OS watch and the debouncer thread; dropped, both stop.
    _debouncer: Box<dyn std::any::Any + Send>,
    /// The task that reloads on each settled change.
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RuleWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleWatch").finish_non_exhaustive()
    }
}

impl Drop for RuleWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One reload per settled burst: changes that arrived while the previous
/// reload ran are folded into the next one.
async fn reload_on_change(
    store: Arc<RuleStore>,
    mut rx: mpsc::UnboundedReceiver<()>,
    quiet: Duration,
) {
    while rx.recv().await.is_some() {
        // Wait until no batch has arrived for `quiet`.
        loop {
            match tokio::time::timeout(quiet, rx.recv()).await {
                Ok(Some(())) => continue,
                Ok(None) => return,
                Err(_) => break,
            }
        }
        let store = Arc::clone(&store);
        // Reading and compiling files is blocking work.
        let outcome = tokio::task::spawn_blocking(move || store.reload()).await;
        if let Err(e) = outcome {
            tracing::error!(error = %e, "The rules reload task failed.");
        }
    }
}

/// Logs a broken directory's diagnostics (unless already reported) and
/// builds the error. `reload` is `None` at start, where nothing is running
/// to fall back on, else whether this content was reported already.
fn report(dir: &Path, loaded: &Loaded, reload: Option<bool>) -> ReloadError {
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Error)
        .count();
    let diagnostics = render_human(loaded, false);
    match reload {
        None => {
            tracing::error!(
                dir = %dir.display(),
                errors,
                diagnostics = %diagnostics,
                "Rules not loaded: fix the errors below; the daemon cannot start without them."
            );
            ReloadError::AtStart { errors }
        }
        Some(already_reported) => {
            if !already_reported {
                tracing::error!(
                    dir = %dir.display(),
                    errors,
                    diagnostics = %diagnostics,
                    "Rules not reloaded: fix the errors below; the running rules stay."
                );
            }
            ReloadError::Rules {
                errors,
                already_reported,
            }
        }
    }
}

/// A hash of everything that decides what a load yields: each file's path
/// and text, and findings about files that could not be read.
fn fingerprint(loaded: &Loaded) -> u64 {
    let mut h = DefaultHasher::new();
    loaded.sources.hash(&mut h);
    for d in &loaded.diagnostics {
        d.file.hash(&mut h);
        d.message.hash(&mut h);
    }
    h.finish()
}
