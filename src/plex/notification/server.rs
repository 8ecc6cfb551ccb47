//! The smaller notification types: server status, progress text, reachability,
//! the background queue, preferences, updates, account, providers, logs.
//!
//! None of them feeds a dedicated event; rules see them as `notification`
//! events, so the structs type only what PROTOCOL §2.4 documents.

use serde::Deserialize;

use super::lenient::{opt_bool, opt_int, opt_text};

/// `status` → `StatusNotification`, e.g. `Library scan complete`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusNotification {
    #[serde(default, deserialize_with = "opt_text")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub description: Option<String>,
    /// E.g. `LIBRARY_UPDATE`.
    #[serde(default, deserialize_with = "opt_text")]
    pub notification_name: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// `progress` → `ProgressNotification`, e.g. `Scanning Legend (1985)…`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProgressNotification {
    #[serde(default, deserialize_with = "opt_text")]
    pub message: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// `reachability` → `ReachabilityNotification`: remote access up or down.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReachabilityNotification {
    #[serde(default, deserialize_with = "opt_bool")]
    pub reachability: Option<bool>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// `backgroundProcessingQueue` → `BackgroundProcessingQueueEventNotification`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BackgroundProcessingQueueEvent {
    #[serde(default, rename = "queueID", deserialize_with = "opt_text")]
    pub queue_id: Option<String>,
    /// E.g. `queueRegenerated`.
    #[serde(default, deserialize_with = "opt_text")]
    pub event: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// `preference` → `Setting`: a server setting changed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Setting {
    #[serde(default, deserialize_with = "opt_text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub label: Option<String>,
    /// `bool`, `int`, `text`…; says how to read `value` in `raw`, whose
    /// JSON type varies with the setting.
    #[serde(default, rename = "type", deserialize_with = "opt_text")]
    pub kind: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// `update.statechange` → `AutoUpdateNotification`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AutoUpdate {
    #[serde(default, deserialize_with = "opt_text")]
    pub key: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub version: Option<String>,
    /// E.g. `done`.
    #[serde(default, deserialize_with = "opt_text")]
    pub state: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// `account` → `AccountUpdateNotification`; no source documents its fields,
/// so only the raw entry is kept.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AccountUpdate {
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// `provider.content.change` → `MediaProviderContentNotification`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MediaProviderContent {
    #[serde(default, rename = "type", deserialize_with = "opt_int")]
    pub kind: Option<i64>,
    /// The provider, e.g. `tv.plex.providers.epg.onconnect:4`.
    #[serde(default, deserialize_with = "opt_text")]
    pub identifier: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// `log` → `LogSentNotification`; only sent when asked for via `filters`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LogSent {
    #[serde(default, deserialize_with = "opt_int")]
    pub level: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub thread: Option<String>,
    /// Plex's local time text, e.g. `Nov 29, 2024 11:00:09.977`.
    #[serde(default, deserialize_with = "opt_text")]
    pub time: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub message: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: serde_json::Value,
}
