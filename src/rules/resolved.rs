//! Actions with every template rendered: typed, ready for the engine.
//!
//! This is the contract between rules and executors: a rule decides *what*
//! to do with which values; the executors under `action/` decide how to say
//! it to Plex (encoding, locking, diffing, retries).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One action of a fired rule, its parameters rendered for one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ResolvedAction {
    /// Partial scans of folders.
    Scan { target: ScanTarget },
    /// A full scan of one section, optionally followed to its end.
    RefreshSection { section: String, wait: bool },
    /// `PUT /library/metadata/{item}/refresh`.
    Refresh { item: String },
    /// `PUT /library/metadata/{item}/analyze`.
    Analyze { item: String },
    /// Match `item` to an external id or a Plex guid.
    Match {
        item: String,
        target: MatchTarget,
        agent: Option<String>,
    },
    /// `PUT /library/metadata/{item}/unmatch`.
    Unmatch { item: String },
    /// Set (and by default lock) metadata fields; executors send only the
    /// fields that differ.
    Edit {
        item: String,
        fields: BTreeMap<String, String>,
        lock: bool,
    },
    /// Add, remove or replace tags, by kind (`genre`, `collection`, `label`…).
    Tags {
        item: String,
        change: TagChange,
        tags: BTreeMap<String, Vec<String>>,
    },
    /// Upload an image as the item's poster or background.
    Upload {
        item: String,
        image: ImageKind,
        source: ImageSource,
        if_missing: IfMissing,
    },
    /// `PUT /library/metadata/{item}/{intro|credits|chapterThumbs|…}`,
    /// optionally followed to its end.
    Detect {
        item: String,
        kind: crate::plex::request::DetectKind,
        force: bool,
        wait: bool,
    },
    /// Put `item` in collection `title` (created when missing), take it out,
    /// or keep a smart collection.
    Collection {
        item: Option<String>,
        section: Option<String>,
        title: String,
        change: CollectionChange,
    },
    /// `DELETE /activities/{uuid}`.
    CancelActivity { uuid: String },
    /// POST a JSON body to an HTTP endpoint.
    Webhook {
        url: String,
        body: serde_json::Value,
        headers: BTreeMap<String, String>,
        timeout: Option<Duration>,
    },
    /// Run a program (never through a shell), the event as JSON on stdin.
    Exec {
        argv: Vec<String>,
        timeout: Option<Duration>,
    },
    /// A structured log line.
    Log { message: String, level: String },
    /// A raw request to the configured server only (`path` starts with `/`).
    Plex {
        method: String,
        path: String,
        query: BTreeMap<String, String>,
    },
}

impl ResolvedAction {
    /// The action's name as written in rule files.
    pub fn name(&self) -> &'static str {
        match self {
            ResolvedAction::Scan { .. } => "scan",
            ResolvedAction::RefreshSection { .. } => "refresh_section",
            ResolvedAction::Refresh { .. } => "refresh",
            ResolvedAction::Analyze { .. } => "analyze",
            ResolvedAction::Match { .. } => "match",
            ResolvedAction::Unmatch { .. } => "unmatch",
            ResolvedAction::Edit { .. } => "edit",
            ResolvedAction::Tags { .. } => "tags",
            ResolvedAction::Upload {
                image: ImageKind::Poster,
                ..
            } => "upload_poster",
            ResolvedAction::Upload {
                image: ImageKind::Art,
                ..
            } => "upload_art",
            ResolvedAction::Detect { .. } => "detect",
            ResolvedAction::Collection { .. } => "collection",
            ResolvedAction::CancelActivity { .. } => "cancel_activity",
            ResolvedAction::Webhook { .. } => "webhook",
            ResolvedAction::Exec { .. } => "exec",
            ResolvedAction::Log { .. } => "log",
            ResolvedAction::Plex { .. } => "plex",
        }
    }
}

/// What a `scan` covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanTarget {
    /// These paths (local paths; mapped to Plex paths, coalesced to folders,
    /// grouped by section by the executor).
    Paths(Vec<String>),
    /// The folders on disk under `under` (default: the section's locations)
    /// that no item of `section` lives in: the "Plex still lacks" rescan.
    Missing { section: String, under: Vec<String> },
}

/// What `collection` does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionChange {
    /// Put the item in (create the collection when missing).
    Add,
    /// Take the item out.
    Remove,
    /// Keep a smart collection of this filter (create it when missing).
    Smart { filter: String },
}

/// How `match` finds the new metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchTarget {
    /// A full guid (`plex://movie/…`), applied directly.
    Guid(String),
    /// An external id, searched as `title=tmdb-N` then applied.
    Tmdb(String),
    Imdb(String),
    Tvdb(String),
}

/// What `tags` does with the given tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagChange {
    /// Keep existing tags, add these.
    Add,
    /// Remove these, keep the rest.
    Remove,
    /// Replace the list with exactly these.
    Set,
}

/// Which image an upload replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageKind {
    Poster,
    Art,
}

/// Where an uploaded image comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageSource {
    /// A local file (mapped from a Plex path by the executor when needed).
    File(String),
    /// A URL Plex downloads itself.
    Url(String),
}

/// What an upload does when its local file does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IfMissing {
    /// Log and go on with the next action (the default: most folders have no poster).
    Skip,
    /// Fail the run.
    Fail,
}
