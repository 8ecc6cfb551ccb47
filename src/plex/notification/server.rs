//! The smaller notification types: server status, progress text, reachability,
//! the background queue, preferences, updates, account, providers, logs.
//!
//! None of them feeds a dedicated event; rules see them as `notification`
//! events, so the structs type only what PROTOCOL §2.4 documents.

use super::raw::RawEntry;
use serde::Deserialize;

use super::lenient::{opt_bool, opt_int, opt_text};

/// `status` → `StatusNotification`, e.g. `Library scan complete`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusNotification {
    /// E.g. `Library scan complete`.
    #[serde(default, deserialize_with = "opt_text")]
    pub title: Option<String>,
    /// Longer human text, often empty.
    #[serde(default, deserialize_with = "opt_text")]
    pub description: Option<String>,
    /// E.g. `LIBRARY_UPDATE`.
    #[serde(default, deserialize_with = "opt_text")]
    pub notification_name: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// `progress` → `ProgressNotification`, e.g. `Scanning Legend (1985)…`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProgressNotification {
    /// The human-readable text.
    #[serde(default, deserialize_with = "opt_text")]
    pub message: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// `reachability` → `ReachabilityNotification`: remote access up or down.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReachabilityNotification {
    /// Whether plex.tv can reach the server from outside.
    #[serde(default, deserialize_with = "opt_bool")]
    pub reachability: Option<bool>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// `backgroundProcessingQueue` → `BackgroundProcessingQueueEventNotification`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BackgroundProcessingQueueEvent {
    /// Which background queue changed.
    #[serde(default, rename = "queueID", deserialize_with = "opt_text")]
    pub queue_id: Option<String>,
    /// E.g. `queueRegenerated`.
    #[serde(default, deserialize_with = "opt_text")]
    pub event: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// `preference` → `Setting`: a server setting changed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Setting {
    /// The setting's name, e.g. `FriendlyName`.
    #[serde(default, deserialize_with = "opt_text")]
    pub id: Option<String>,
    /// Its human label.
    #[serde(default, deserialize_with = "opt_text")]
    pub label: Option<String>,
    /// `bool`, `int`, `text`…; says how to read `value` in `raw`, whose
    /// JSON type varies with the setting.
    #[serde(default, rename = "type", deserialize_with = "opt_text")]
    pub kind: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// `update.statechange` → `AutoUpdateNotification`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AutoUpdate {
    /// The update's download key; empty when there is none.
    #[serde(default, deserialize_with = "opt_text")]
    pub key: Option<String>,
    /// The version being installed, when known.
    #[serde(default, deserialize_with = "opt_text")]
    pub version: Option<String>,
    /// E.g. `done`.
    #[serde(default, deserialize_with = "opt_text")]
    pub state: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// `account` → `AccountUpdateNotification`; no source documents its fields,
/// so only the raw entry is kept.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AccountUpdate {
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// `provider.content.change` → `MediaProviderContentNotification`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MediaProviderContent {
    /// The metadata type code of the changed content.
    #[serde(default, rename = "type", deserialize_with = "opt_int")]
    pub kind: Option<i64>,
    /// The provider, e.g. `tv.plex.providers.epg.onconnect:4`.
    #[serde(default, deserialize_with = "opt_text")]
    pub identifier: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}

/// `log` → `LogSentNotification`; only sent when asked for via `filters`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LogSent {
    /// Plex log level (0 error … 4 verbose).
    #[serde(default, deserialize_with = "opt_int")]
    pub level: Option<i64>,
    /// The server thread that logged it.
    #[serde(default, deserialize_with = "opt_text")]
    pub thread: Option<String>,
    /// Plex's local time text, e.g. `Nov 29, 2024 11:00:09.977`.
    #[serde(default, deserialize_with = "opt_text")]
    pub time: Option<String>,
    /// The logged line.
    #[serde(default, deserialize_with = "opt_text")]
    pub message: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}
