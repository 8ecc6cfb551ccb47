//! The closed set of event names rules can trigger on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Which parts of an [`super::Event`] an event name fills in. Rule checking
/// uses this to reject a condition or template that reads, say, `event.item`
/// on an event that never has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub section: bool,
    pub item: bool,
    pub session: bool,
    pub activity: bool,
}

macro_rules! event_names {
    ($( $variant:ident => $name:literal, [$($part:ident),*] , $doc:literal; )*) => {
        /// A normalized event name (SPEC §3).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventName {
            $( #[doc = $doc] $variant, )*
        }

        impl EventName {
            /// Every event name, in documentation order.
            pub const ALL: &'static [EventName] = &[$(EventName::$variant),*];

            /// The stable dotted name, e.g. `playback.stopped`.
            pub fn as_str(self) -> &'static str {
                match self { $(EventName::$variant => $name,)* }
            }

            /// What the event carries besides id, timestamp and raw.
            pub fn subject(self) -> Subject {
                match self {
                    $(EventName::$variant => {
                        #[allow(unused_mut)]
                        let mut s = Subject { section: false, item: false, session: false, activity: false };
                        $( s.$part = true; )*
                        s
                    })*
                }
            }
        }
    };
}

event_names! {
    PlaybackStarted => "playback.started", [section, item, session], "A new session started playing.";
    PlaybackPaused => "playback.paused", [section, item, session], "A playing session paused.";
    PlaybackResumed => "playback.resumed", [section, item, session], "A paused session resumed.";
    PlaybackBuffering => "playback.buffering", [section, item, session], "A session is buffering (not a state change for rules that do not ask).";
    PlaybackStopped => "playback.stopped", [section, item, session], "A session stopped, went silent for 5 minutes, or ended while we were away.";
    ItemAdded => "item.added", [section, item], "Plex created a library item (timeline state 0).";
    ItemReady => "item.ready", [section, item], "Plex finished processing an item (timeline state 5, no metadata or media state).";
    ItemDeleted => "item.deleted", [section, item], "Plex deleted a library item (timeline state 9).";
    LibraryScanStarted => "library.scan.started", [section, activity], "A section scan (full or partial) started.";
    LibraryScanEnded => "library.scan.ended", [section, activity], "A section scan ended.";
    LibraryRefreshStarted => "library.refresh.started", [section, item, activity], "A metadata refresh of an item started.";
    LibraryRefreshEnded => "library.refresh.ended", [section, item, activity], "A metadata refresh of an item ended.";
    ActivityStarted => "activity.started", [activity], "Any other server activity started.";
    ActivityUpdated => "activity.updated", [activity], "Any other server activity reported progress.";
    ActivityEnded => "activity.ended", [activity], "Any other server activity ended.";
    ServerConnected => "server.connected", [], "The notification stream (re)connected.";
    ServerDisconnected => "server.disconnected", [], "The notification stream was lost (announced after a grace period).";
    ServerAuthFailed => "server.auth_failed", [], "Plex rejected the token.";
    ServerRestarted => "server.restarted", [], "The server restarted or was replaced since the last connection.";
    Notification => "notification", [], "Any raw notification, by its type (escape hatch).";
    WebhookMediaPlay => "webhook.media.play", [section, item], "A Plex webhook: playback started (`raw` holds Account and Player).";
    WebhookMediaPause => "webhook.media.pause", [section, item], "A Plex webhook: playback paused.";
    WebhookMediaResume => "webhook.media.resume", [section, item], "A Plex webhook: playback resumed.";
    WebhookMediaStop => "webhook.media.stop", [section, item], "A Plex webhook: playback stopped.";
    WebhookMediaScrobble => "webhook.media.scrobble", [section, item], "A Plex webhook: watched past 90 %.";
    WebhookMediaRate => "webhook.media.rate", [section, item], "A Plex webhook: a user rated the item.";
    WebhookLibraryNew => "webhook.library.new", [section, item], "A Plex webhook: an item was added (needs Push Notifications on).";
    WebhookLibraryOnDeck => "webhook.library.on.deck", [section, item], "A Plex webhook: an item is on deck.";
    WebhookPlaybackStarted => "webhook.playback.started", [section, item], "A Plex webhook: a shared user started playback.";
    WebhookDeviceNew => "webhook.device.new", [], "A Plex webhook: a new device accessed the server.";
    WebhookDatabaseBackup => "webhook.admin.database.backup", [], "A Plex webhook: the database backup finished.";
    WebhookDatabaseCorrupted => "webhook.admin.database.corrupted", [], "A Plex webhook: the database is corrupted.";
    IntakeConfirmed => "intake.confirmed", [section, item], "An intake request's file is in Plex (`raw` holds request_id and path).";
    IntakeAbsent => "intake.absent", [], "An intake request's file did not appear in Plex after its scans (`raw` says why).";
    IntakeFailed => "intake.failed", [], "An intake request's item failed (`raw` holds the error).";
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown event name; carries the text so callers can suggest a fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event `{0}`")]
pub struct UnknownEventName(pub String);

impl FromStr for EventName {
    type Err = UnknownEventName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventName::ALL
            .iter()
            .copied()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| UnknownEventName(s.to_owned()))
    }
}

impl Serialize for EventName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text() {
        for n in EventName::ALL {
            assert_eq!(n.as_str().parse::<EventName>().unwrap(), *n);
        }
        assert!("playback.stoped".parse::<EventName>().is_err());
    }

    #[test]
    fn subjects_match_the_spec_table() {
        assert!(EventName::PlaybackStopped.subject().session);
        assert!(EventName::LibraryScanEnded.subject().section);
        assert!(!EventName::LibraryScanEnded.subject().item);
        assert!(EventName::LibraryRefreshEnded.subject().item);
        assert!(!EventName::ServerConnected.subject().section);
    }
}
