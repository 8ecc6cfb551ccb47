//! `transcodeSession.start/update/end` notifications (`TranscodeSession`).

use super::raw::RawEntry;
use serde::Deserialize;

use super::lenient::{opt_bool, opt_float, opt_int, opt_text};

/// Which of the three transcode notification types an entry came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscodePhase {
    /// `transcodeSession.start`
    Start,
    /// `transcodeSession.update`
    Update,
    /// `transcodeSession.end`
    End,
}

impl TranscodePhase {
    /// The notification type, e.g. `transcodeSession.update`.
    pub fn notification_type(self) -> &'static str {
        match self {
            TranscodePhase::Start => "transcodeSession.start",
            TranscodePhase::Update => "transcodeSession.update",
            TranscodePhase::End => "transcodeSession.end",
        }
    }
}

/// One `TranscodeSession` entry (PROTOCOL §2.4). Only the fields a rule is
/// likely to look at are typed; the rest stay in `raw`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscodeSession {
    /// `/transcode/sessions/<id>`; the id is the `transcodeSession` of a `playing` entry.
    #[serde(default, deserialize_with = "opt_text")]
    pub key: Option<String>,
    /// True while the transcoder is ahead and idling.
    #[serde(default, deserialize_with = "opt_bool")]
    pub throttled: Option<bool>,
    /// True once the whole item is transcoded.
    #[serde(default, deserialize_with = "opt_bool")]
    pub complete: Option<bool>,
    /// Percent; -1 for live streams.
    #[serde(default, deserialize_with = "opt_float")]
    pub progress: Option<f64>,
    /// Transcode speed relative to real time.
    #[serde(default, deserialize_with = "opt_float")]
    pub speed: Option<f64>,
    /// Milliseconds.
    #[serde(default, deserialize_with = "opt_int")]
    pub duration: Option<i64>,
    /// `copy` or `transcode`.
    #[serde(default, deserialize_with = "opt_text")]
    pub video_decision: Option<String>,
    /// `copy` or `transcode`.
    #[serde(default, deserialize_with = "opt_text")]
    pub audio_decision: Option<String>,
    /// `hls`, `dash`…
    #[serde(default, deserialize_with = "opt_text")]
    pub protocol: Option<String>,
    /// The entry as Plex sent it.
    #[serde(skip)]
    pub raw: RawEntry,
}
