//! Raw notifications from Plex's push channel, typed.
//!
//! [`parse_frame`] reads one WebSocket text frame (`{"NotificationContainer":
//! {"type":…,"size":…,<ChildKey>:[…]}}`) into one [`Notification`] per entry —
//! every entry, not only the first. No JSON tree is built: each entry is
//! deserialized straight from the frame text into its typed struct, and its
//! text is kept as [`RawEntry`] (`Event.raw` when an event carries it).
//! Unknown types survive as [`Notification::Unknown`], unknown fields
//! survive in the raw text. Nothing here does IO or keeps state.

mod activity;
mod error;
mod frame;
mod lenient;
mod playing;
mod raw;
mod server;
mod timeline;
mod transcode;

/// The notification WebSocket path every working client uses on current
/// servers; Plex's docs (singular `websocket`) and the seed document
/// (`/:/websockets/listen`) name paths that do not work. The one default:
/// `[server] notifications_path` and the listener both take it from here.
pub const DEFAULT_PATH: &str = "/:/websockets/notifications";

pub use activity::{Activity, ActivityContext, ActivityNotification};
pub use error::FrameError;
pub use frame::{parse_frame, parse_frame_entries, parse_sse};
pub use playing::{PlaySessionState, PlayState};
pub use raw::RawEntry;
pub use server::{
    AccountUpdate, AutoUpdate, BackgroundProcessingQueueEvent, LogSent, MediaProviderContent,
    ProgressNotification, ReachabilityNotification, Setting, StatusNotification,
};
pub use timeline::{LIBRARY_IDENTIFIER, TimelineEntry, metadata_type_name};
pub use transcode::{TranscodePhase, TranscodeSession};

/// One entry of a notification container, by type (PROTOCOL §2).
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    /// `playing`
    Playing(PlaySessionState),
    /// `timeline`
    Timeline(TimelineEntry),
    /// `activity`
    Activity(ActivityNotification),
    /// `status`
    Status(StatusNotification),
    /// `progress`
    Progress(ProgressNotification),
    /// `reachability`
    Reachability(ReachabilityNotification),
    /// `backgroundProcessingQueue`
    BackgroundProcessingQueue(BackgroundProcessingQueueEvent),
    /// `transcodeSession.start`, `.update`, `.end`
    Transcode {
        phase: TranscodePhase,
        session: TranscodeSession,
    },
    /// `preference`
    Preference(Setting),
    /// `update.statechange`
    UpdateStateChange(AutoUpdate),
    /// `account`
    Account(AccountUpdate),
    /// `provider.content.change`
    ProviderContentChange(MediaProviderContent),
    /// `log`
    Log(LogSent),
    /// A type this version does not know; rules can still match it as a
    /// `notification` event and read `raw`.
    Unknown {
        /// The container's `type`.
        kind: String,
        /// The entry as Plex sent it.
        raw: RawEntry,
    },
}

impl Notification {
    /// The container `type` this entry came in, e.g. `playing`.
    pub fn notification_type(&self) -> &str {
        match self {
            Notification::Playing(_) => "playing",
            Notification::Timeline(_) => "timeline",
            Notification::Activity(_) => "activity",
            Notification::Status(_) => "status",
            Notification::Progress(_) => "progress",
            Notification::Reachability(_) => "reachability",
            Notification::BackgroundProcessingQueue(_) => "backgroundProcessingQueue",
            Notification::Transcode { phase, .. } => phase.notification_type(),
            Notification::Preference(_) => "preference",
            Notification::UpdateStateChange(_) => "update.statechange",
            Notification::Account(_) => "account",
            Notification::ProviderContentChange(_) => "provider.content.change",
            Notification::Log(_) => "log",
            Notification::Unknown { kind, .. } => kind,
        }
    }

    /// The entry as a JSON value, built on first use.
    pub fn raw(&self) -> &serde_json::Value {
        self.raw_entry().value()
    }

    /// The entry as Plex sent it, taken out of the notification.
    pub fn into_raw(self) -> RawEntry {
        match self {
            Notification::Playing(n) => n.raw,
            Notification::Timeline(n) => n.raw,
            Notification::Activity(n) => n.raw,
            Notification::Status(n) => n.raw,
            Notification::Progress(n) => n.raw,
            Notification::Reachability(n) => n.raw,
            Notification::BackgroundProcessingQueue(n) => n.raw,
            Notification::Transcode { session, .. } => session.raw,
            Notification::Preference(n) => n.raw,
            Notification::UpdateStateChange(n) => n.raw,
            Notification::Account(n) => n.raw,
            Notification::ProviderContentChange(n) => n.raw,
            Notification::Log(n) => n.raw,
            Notification::Unknown { raw, .. } => raw,
        }
    }

    /// The entry's JSON text as Plex sent it.
    pub fn raw_entry(&self) -> &RawEntry {
        match self {
            Notification::Playing(n) => &n.raw,
            Notification::Timeline(n) => &n.raw,
            Notification::Activity(n) => &n.raw,
            Notification::Status(n) => &n.raw,
            Notification::Progress(n) => &n.raw,
            Notification::Reachability(n) => &n.raw,
            Notification::BackgroundProcessingQueue(n) => &n.raw,
            Notification::Transcode { session, .. } => &session.raw,
            Notification::Preference(n) => &n.raw,
            Notification::UpdateStateChange(n) => &n.raw,
            Notification::Account(n) => &n.raw,
            Notification::ProviderContentChange(n) => &n.raw,
            Notification::Log(n) => &n.raw,
            Notification::Unknown { raw, .. } => raw,
        }
    }
}
