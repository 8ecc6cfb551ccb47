//! The shipped rules, compiled into the binary so `demo` works from a fresh
//! clone with no config and no rules directory.

use std::path::PathBuf;

/// `(file name, text)` of every shipped rule.
const SHIPPED: &[(&str, &str)] = &[
    (
        "analyze-after-playback.toml",
        include_str!("../../../rules/analyze-after-playback.toml"),
    ),
    (
        "collection-by-label.toml",
        include_str!("../../../rules/collection-by-label.toml"),
    ),
    (
        "collection-by-path.toml",
        include_str!("../../../rules/collection-by-path.toml"),
    ),
    (
        "detect-on-arrival.toml",
        include_str!("../../../rules/detect-on-arrival.toml"),
    ),
    (
        "rematch-from-folder-tag.toml",
        include_str!("../../../rules/rematch-from-folder-tag.toml"),
    ),
    (
        "rescan-missing-folders.toml",
        include_str!("../../../rules/rescan-missing-folders.toml"),
    ),
    (
        "upload-local-artwork.toml",
        include_str!("../../../rules/upload-local-artwork.toml"),
    ),
];

/// The shipped rules as the demo runs them: their embedded `[[tests]]` cut
/// off (`metarr-plex test rules/` runs them; the demo tells a story), and every
/// `debounce` shortened to `debounce`, so the story fits in seconds.
pub(crate) fn demo_rules(debounce: &str) -> Vec<(PathBuf, String)> {
    SHIPPED
        .iter()
        .map(|(name, text)| {
            let body = match text.find("\n[[tests]]") {
                Some(at) => &text[..at],
                None => text,
            };
            let body = body
                .lines()
                .map(|l| {
                    if l.starts_with("debounce =") {
                        format!("debounce = \"{debounce}\"   # shortened for the demo")
                    } else {
                        l.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            (PathBuf::from(format!("rules/{name}")), body + "\n")
        })
        .collect()
}
