//! The closed (and one open) vocabularies a rule file names things from.
//!
//! Kept in one place so the checker, the JSON Schema and the docs agree.

/// `mode` values, with Home Assistant's meaning, per key.
pub(crate) const MODES: &[&str] = &["single", "restart", "queued", "parallel"];

/// Library section types as Plex names them.
pub(crate) const SECTION_TYPES: &[&str] = &["movie", "show", "artist", "photo"];

/// Metadata item types (PROTOCOL §2.2, the named ones rules can meet).
pub(crate) const ITEM_TYPES: &[&str] = &[
    "movie",
    "show",
    "season",
    "episode",
    "trailer",
    "artist",
    "album",
    "track",
    "clip",
    "photo",
    "photoalbum",
    "playlist",
    "collection",
];

/// Activity types seen on real servers (PROTOCOL §2.3). The list is open:
/// an unknown type is only a warning.
pub(crate) const ACTIVITY_TYPES: &[&str] = &[
    "library.update.section",
    "library.refresh.items",
    "library.update.item.metadata",
    "media.generate.bif",
    "media.generate.credits",
    "media.generate.intros",
    "media.generate.chapter.thumbs",
    "media.generate.voice.activity",
    "provider.subscriptions.process",
    "provider.epg.load",
];

/// Levels of the `log` action.
pub(crate) const LOG_LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace"];

/// Methods the raw `plex` action may use.
pub(crate) const HTTP_METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE"];

/// Tag kinds the `tags` action edits (SPEC §5).
pub(crate) const TAG_KINDS: &[&str] = &["genre", "director", "writer", "collection", "label"];

/// What the `detect` action detects (`crate::plex::request::DetectKind` names).
pub(crate) const DETECT_KINDS: &[&str] = &["intro", "credits", "chapters", "voice", "ads"];

/// Values of `if_missing` on uploads.
pub(crate) const IF_MISSING: &[&str] = &["skip", "fail"];

/// Matches `text` against a glob where `*` stands for any run of characters
/// (activity type filters such as `media.generate.*`).
pub(crate) fn glob_matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return text.is_empty();
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_dotted_activity_types() {
        assert!(glob_matches("media.generate.*", "media.generate.bif"));
        assert!(glob_matches("*", "anything"));
        assert!(glob_matches("library.*.section", "library.update.section"));
        assert!(glob_matches(
            "library.update.section",
            "library.update.section"
        ));
        assert!(!glob_matches(
            "library.update.section",
            "library.update.sections"
        ));
        assert!(!glob_matches("media.*", "library.refresh.items"));
        assert!(!glob_matches("a*a", "a"));
    }
}
