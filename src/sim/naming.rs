//! How the simulated scanner names what it finds on disk: the title and year
//! Plex would give a new, not yet matched item from its file or folder name.

use std::sync::LazyLock;

use regex::Regex;

static TAGS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{[^}]*\}|\[[^\]]*\]").unwrap());
static PAREN_YEAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\((\d{4})\)").unwrap());
static BARE_YEAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s((?:19|20)\d{2})$").unwrap());
static EPISODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)s(\d{1,3})e(\d{1,4})").unwrap());
static SEASON_DIR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^season\s*(\d{1,3})$").unwrap());
static TRACK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,3})\s*[-.]\s*(.+)$").unwrap());

/// The last path component without its extension (for files).
pub(crate) fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= 5 => &name[..dot],
        _ => name,
    }
}

/// The title and year in a name such as `Heat.1995`, `Arrival (2016) {tmdb-329865}`.
pub(crate) fn title_and_year(name: &str) -> (String, Option<i32>) {
    // Scene-style names (`Heat.1995`) use dots for spaces; names with spaces keep their dots.
    let base = if name.contains(' ') {
        name.to_owned()
    } else {
        name.replace(['.', '_'], " ")
    };
    let cleaned = TAGS.replace_all(&base, " ");
    let mut title = cleaned.trim().to_owned();
    let mut year = None;
    if let Some(c) = PAREN_YEAR.captures(&title) {
        year = c[1].parse().ok();
        let range = c.get(0).map(|m| m.range()).unwrap_or(0..0);
        title.replace_range(range, " ");
    } else if let Some(c) = BARE_YEAR.captures(&title) {
        year = c[1].parse().ok();
        let range = c.get(0).map(|m| m.range()).unwrap_or(0..0);
        title.replace_range(range, " ");
    }
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    (title, year)
}

/// Season and episode numbers from `Show - S01E03`.
pub(crate) fn season_episode(name: &str) -> Option<(u32, u32)> {
    let c = EPISODE.captures(name)?;
    Some((c[1].parse().ok()?, c[2].parse().ok()?))
}

/// The season number of a `Season 01` folder.
pub(crate) fn season_folder(name: &str) -> Option<u32> {
    SEASON_DIR.captures(name.trim())?[1].parse().ok()
}

/// Track number and title from `01 - One More Time`.
pub(crate) fn track(name: &str) -> (Option<u32>, String) {
    match TRACK.captures(name) {
        Some(c) => (c[1].parse().ok(), c[2].trim().to_owned()),
        None => (None, name.trim().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_file_names_become_words_and_a_year() {
        assert_eq!(
            title_and_year(stem("/m/Heat (1995) {imdb-tt0113277}/Heat.1995.mkv")),
            ("Heat".into(), Some(1995))
        );
    }

    #[test]
    fn folder_tags_and_paren_year_are_dropped_from_the_title() {
        assert_eq!(
            title_and_year("Arrival (2016) {tmdb-329865}"),
            ("Arrival".into(), Some(2016))
        );
        assert_eq!(
            title_and_year("Blade Runner 2049 (2017)"),
            ("Blade Runner 2049".into(), Some(2017))
        );
        assert_eq!(
            title_and_year("Amélie (2001)"),
            ("Amélie".into(), Some(2001))
        );
    }

    #[test]
    fn episodes_seasons_and_tracks_are_numbered() {
        assert_eq!(season_episode("Severance - S02E03"), Some((2, 3)));
        assert_eq!(season_folder("Season 01"), Some(1));
        assert_eq!(
            track("01 - One More Time"),
            (Some(1), "One More Time".into())
        );
        assert_eq!(stem("/a/b.c/Movie"), "Movie");
    }
}
