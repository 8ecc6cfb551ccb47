//! A small [`ActionRunner`] over the REST client, so `run` works end to end
//! before the full action executors (`src/action/`) are wired in: item
//! refresh/analyze, match, unmatch, activity cancel, section refresh, local
//! artwork uploads (deduplicated by SHA-1 in the journal) and `log`. Other
//! actions are skipped with a clear reason rather than half-done.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha1::{Digest, Sha1};

use super::runner::{ActionContext, ActionOutcome, ActionRunner};
use crate::engine::Clock;
use crate::journal::{Journal, UploadKind};
use crate::pathmap::PathMap;
use crate::plex::request::MatchQuery;
use crate::plex::scan::{LocalFs, ScanOptions, plan_scan, run_scans};
use crate::plex::{PlexClient, PlexError};
use crate::rules::{IfMissing, ImageKind, ImageSource, MatchTarget, ResolvedAction, ScanTarget};

/// Uploads larger than this are refused (Plex stores posters, not films).
const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;

/// How long the notifications an action causes count as ours.
const SELF_WINDOW: Duration = Duration::from_secs(120);

/// Runs actions through one [`PlexClient`].
#[derive(Clone)]
pub struct PlexActions {
    /// The configured server; nothing here reaches any other.
    pub client: PlexClient,
    /// Local ↔ Plex paths, for artwork files.
    pub path_map: PathMap,
    /// The only folders artwork may be read from.
    pub artwork_roots: Vec<PathBuf>,
    /// Upload hashes live here.
    pub journal: Journal,
    /// One scan at a time per section across runs: a scan holds its
    /// section's lock until Plex reports it ended.
    pub section_locks: SectionLocks,
}

/// Per-section async locks, created on first use.
#[derive(Clone, Default)]
pub struct SectionLocks(Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>);

impl SectionLocks {
    fn get(&self, section: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.0.lock() {
            Ok(mut map) => Arc::clone(map.entry(section.to_owned()).or_default()),
            // A poisoned map still serializes nothing wrongly: use a fresh lock.
            Err(_) => Arc::default(),
        }
    }
}

impl ActionRunner for PlexActions {
    async fn execute(&self, action: &ResolvedAction, ctx: &ActionContext) -> ActionOutcome {
        if ctx.dry_run {
            tracing::info!(rule = %ctx.rule, run = ctx.run_id, action = ?action, "Dry run: would run this action.");
            return ActionOutcome::Done;
        }
        let touched = |id: &str| ctx.self_causes.touching_item(id, SELF_WINDOW);
        let result = match action {
            ResolvedAction::Analyze { item } => {
                touched(item);
                self.client
                    .analyze_item(item)
                    .await
                    .map(|uuid| self.note(ctx, uuid))
            }
            ResolvedAction::Refresh { item } => {
                touched(item);
                self.client
                    .refresh_item(item, false)
                    .await
                    .map(|uuid| self.note(ctx, uuid))
            }
            ResolvedAction::Unmatch { item } => {
                touched(item);
                self.client.unmatch(item).await
            }
            ResolvedAction::Match {
                item,
                target,
                agent,
            } => {
                touched(item);
                return self.matching(item, target, agent.clone()).await;
            }
            ResolvedAction::CancelActivity { uuid } => self.client.cancel_activity(uuid).await,
            ResolvedAction::RefreshSection { section, .. } => {
                ctx.self_causes.touching_section(section, SELF_WINDOW);
                self.client.refresh_section(section, false).await.map(drop)
            }
            ResolvedAction::Upload {
                item,
                image,
                source,
                if_missing,
            } => {
                touched(item);
                return self.upload(item, *image, source, *if_missing).await;
            }
            ResolvedAction::Scan {
                target: ScanTarget::Paths(paths),
            } => return self.scan(paths, ctx).await,
            ResolvedAction::Log { message, level } => {
                match level.as_str() {
                    "warn" | "warning" => {
                        tracing::warn!(rule = %ctx.rule, run = ctx.run_id, event = %ctx.event_id, "{message}")
                    }
                    "error" => {
                        tracing::error!(rule = %ctx.rule, run = ctx.run_id, event = %ctx.event_id, "{message}")
                    }
                    _ => {
                        tracing::info!(rule = %ctx.rule, run = ctx.run_id, event = %ctx.event_id, "{message}")
                    }
                }
                Ok(())
            }
            other => {
                return ActionOutcome::Skipped(format!(
                    "the `{}` action is not available in this build",
                    other.name()
                ));
            }
        };
        outcome(result)
    }
}

impl PlexActions {
    fn note(&self, ctx: &ActionContext, uuid: Option<String>) {
        if let Some(uuid) = uuid {
            ctx.self_causes.activity(&uuid);
        }
    }

    async fn matching(
        &self,
        item: &str,
        target: &MatchTarget,
        agent: Option<String>,
    ) -> ActionOutcome {
        let mut query = match target {
            MatchTarget::Guid(guid) => match guid.split_once("://") {
                Some((provider @ ("tmdb" | "tvdb" | "imdb"), id)) => {
                    MatchQuery::external(provider, id)
                }
                _ => {
                    return outcome(self.client.apply_match(item, guid, "", None).await);
                }
            },
            MatchTarget::Tmdb(id) => MatchQuery::external("tmdb", id),
            MatchTarget::Imdb(id) => MatchQuery::external("imdb", id),
            MatchTarget::Tvdb(id) => MatchQuery::external("tvdb", id),
        };
        query.agent = agent;
        let candidates = match self.client.match_candidates(item, &query).await {
            Ok(c) => c,
            Err(e) => return outcome(Err(e)),
        };
        let Some(best) = candidates.first() else {
            return ActionOutcome::Skipped(format!(
                "Plex found no match for {}",
                query.title.unwrap_or_default()
            ));
        };
        outcome(
            self.client
                .apply_match(item, &best.guid, &best.name, best.year)
                .await,
        )
    }

    async fn upload(
        &self,
        item: &str,
        image: ImageKind,
        source: &ImageSource,
        if_missing: IfMissing,
    ) -> ActionOutcome {
        let path = match source {
            ImageSource::Url(url) => {
                return outcome(match image {
                    ImageKind::Poster => self.client.upload_poster_url(item, url).await,
                    ImageKind::Art => self.client.upload_art_url(item, url).await,
                });
            }
            ImageSource::File(file) => self.local_path(Path::new(file)),
        };
        let bytes = match self.read_image(&path).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                let why = format!("no file at {}", path.display());
                return match if_missing {
                    IfMissing::Skip => ActionOutcome::Skipped(why),
                    IfMissing::Fail => ActionOutcome::Failed(why),
                };
            }
            Err(why) => return ActionOutcome::Failed(why),
        };
        let sha1 = hex(&Sha1::digest(&bytes));
        let kind = match image {
            ImageKind::Poster => UploadKind::Poster,
            ImageKind::Art => UploadKind::Art,
        };
        match self
            .journal
            .upload_seen(item.to_owned(), kind, sha1.clone())
            .await
        {
            Ok(true) => return ActionOutcome::Skipped("these bytes were uploaded before".into()),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "Could not read upload hashes; uploading anyway."),
        }
        let sent = match image {
            ImageKind::Poster => self.client.upload_poster(item, bytes).await,
            ImageKind::Art => self.client.upload_art(item, bytes).await,
        };
        if sent.is_ok() {
            let now = Clock::system().now();
            if let Err(e) = self
                .journal
                .upload_record(item.to_owned(), kind, sha1, now)
                .await
            {
                tracing::warn!(error = %e, "Could not record an upload hash.");
            }
        }
        outcome(sent)
    }

    /// Partial scans of the paths' folders, coalesced and grouped by
    /// section (the `scan` command's planner), each followed to its end,
    /// one at a time per section.
    async fn scan(&self, paths: &[String], ctx: &ActionContext) -> ActionOutcome {
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        let sections = match self.client.sections().await {
            Ok(s) => s,
            Err(e) => return outcome(Err(e)),
        };
        let plan = plan_scan(&paths, &self.path_map, &sections, &LocalFs);
        for (path, why) in &plan.problems {
            tracing::warn!(rule = %ctx.rule, run = ctx.run_id, path = %path.display(), error = %why, "Path not scanned.");
        }
        if plan.sections.is_empty() {
            return ActionOutcome::Skipped("no path is in a library section".into());
        }
        let opts = ScanOptions {
            parallel: 1,
            wait: true,
            wait_timeout: Some(Duration::from_secs(3600)),
            ..ScanOptions::default()
        };
        for section in &plan.sections {
            ctx.self_causes
                .touching_section(&section.section_id, SELF_WINDOW);
            let lock = self.section_locks.get(&section.section_id);
            let _held = lock.lock().await;
            let one = crate::plex::scan::ScanPlan {
                sections: vec![section.clone()],
                problems: Vec::new(),
            };
            for done in run_scans(&self.client, &one, &opts, &|_| {}).await {
                if let Some(uuid) = &done.activity {
                    ctx.self_causes.activity(uuid);
                }
                if let Err(e) = done.result {
                    return outcome(Err(e));
                }
            }
        }
        ActionOutcome::Done
    }

    /// A Plex path mapped to a local one; a path no mapping covers is taken as local.
    fn local_path(&self, file: &Path) -> PathBuf {
        self.path_map
            .to_local(file)
            .unwrap_or_else(|_| file.to_path_buf())
    }

    /// The file's bytes; `None` when it does not exist. Refuses files
    /// outside the artwork roots, too large, or not images by content.
    async fn read_image(&self, path: &Path) -> Result<Option<Vec<u8>>, String> {
        let real = match tokio::fs::canonicalize(path).await {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let inside = self
            .artwork_roots
            .iter()
            .any(|root| std::fs::canonicalize(root).is_ok_and(|root| real.starts_with(root)));
        if !inside {
            return Err(format!(
                "{} is outside every artwork root ({})",
                path.display(),
                self.artwork_roots
                    .iter()
                    .map(|r| r.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let meta = tokio::fs::metadata(&real)
            .await
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if meta.len() > MAX_IMAGE_BYTES {
            return Err(format!("{} is larger than 10 MB", path.display()));
        }
        let bytes = tokio::fs::read(&real)
            .await
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if !is_image(&bytes) {
            return Err(format!(
                "{} is not a JPEG, PNG or WebP image",
                path.display()
            ));
        }
        Ok(Some(bytes))
    }
}

/// JPEG, PNG or WebP by their magic bytes.
fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || (bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A client result as an action outcome: 404 skips, 429/5xx/unreachable retry.
pub(crate) fn outcome(result: Result<(), PlexError>) -> ActionOutcome {
    match result {
        Ok(()) => ActionOutcome::Done,
        Err(e) if e.is_not_found() => ActionOutcome::Skipped(format!("gone: {e}")),
        Err(e) if e.is_retryable() => ActionOutcome::Retry {
            after: e.retry_after(),
            error: e.to_string(),
        },
        Err(e) => ActionOutcome::Failed(e.to_string()),
    }
}
