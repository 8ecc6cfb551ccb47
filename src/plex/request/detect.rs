//! Builders for the heavy media jobs Plex runs in the background: intro,
//! credits, voice and ad detection, chapter thumbnails, and a whole
//! section's analysis. Each answers 200 at once and works on as an activity.

use std::fmt;
use std::str::FromStr;

use reqwest::Method;

use super::PlexRequest;

/// What to detect or generate on an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DetectKind {
    /// Intro markers (`PUT …/intro`); Plex finds intros in TV episodes only.
    Intro,
    /// Credits markers (`PUT …/credits`).
    Credits,
    /// Chapter thumbnails (`PUT …/chapterThumbs`).
    Chapters,
    /// Voice activity, for subtitle timing (`PUT …/voiceActivity`).
    Voice,
    /// Commercial markers in DVR recordings (`PUT …/addetect`).
    Ads,
}

impl DetectKind {
    /// Every kind, in the order help texts list them.
    pub const ALL: [DetectKind; 5] = [
        DetectKind::Intro,
        DetectKind::Credits,
        DetectKind::Chapters,
        DetectKind::Voice,
        DetectKind::Ads,
    ];

    /// The word users write (`--kind intro`, `kind = "intro"`).
    pub fn name(self) -> &'static str {
        match self {
            DetectKind::Intro => "intro",
            DetectKind::Credits => "credits",
            DetectKind::Chapters => "chapters",
            DetectKind::Voice => "voice",
            DetectKind::Ads => "ads",
        }
    }

    /// The last path segment of the endpoint, as the official spec names it.
    pub fn segment(self) -> &'static str {
        match self {
            DetectKind::Intro => "intro",
            DetectKind::Credits => "credits",
            DetectKind::Chapters => "chapterThumbs",
            DetectKind::Voice => "voiceActivity",
            DetectKind::Ads => "addetect",
        }
    }

    /// The activity type Plex reports while it works (PROTOCOL.md §2.3).
    pub fn activity_type(self) -> &'static str {
        match self {
            DetectKind::Intro => "media.generate.intros",
            DetectKind::Credits => "media.generate.credits",
            DetectKind::Chapters => "media.generate.chapter.thumbs",
            DetectKind::Voice => "media.generate.voice.activity",
            // Unverified (not in PROTOCOL.md): only used when Plex names no uuid.
            DetectKind::Ads => "media.generate.ads",
        }
    }

    /// What a person calls the feature, for warnings about old servers.
    pub fn feature(self) -> &'static str {
        match self {
            DetectKind::Intro => "intro detection",
            DetectKind::Credits => "credits detection",
            DetectKind::Chapters => "chapter thumbnails",
            DetectKind::Voice => "voice activity detection",
            DetectKind::Ads => "ad detection",
        }
    }

    /// Whether the endpoint takes `force=1` (the spec gives `addetect` none).
    pub fn takes_force(self) -> bool {
        self != DetectKind::Ads
    }
}

impl fmt::Display for DetectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DetectKind {
    type Err = String;

    fn from_str(s: &str) -> Result<DetectKind, String> {
        DetectKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = DetectKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown kind `{s}`: expected one of {}", names.join(", "))
            })
    }
}

/// `PUT /library/metadata/{id}/{intro|credits|chapterThumbs|voiceActivity|addetect}[?force=1]`.
/// `force` re-runs a detection Plex already did; without it Plex skips
/// items it has done, which is what makes a rule safe to repeat.
pub fn detect(item: &str, kind: DetectKind, force: bool) -> PlexRequest {
    let req = PlexRequest::new(Method::PUT, ["library", "metadata", item, kind.segment()]);
    if force && kind.takes_force() {
        req.with_query("force", "1")
    } else {
        req
    }
}

/// The activity type taken for a section's analysis when Plex names no
/// uuid (unverified: real servers answer with `X-Plex-Activity`, which is
/// what is followed first).
pub const SECTION_ANALYSIS_ACTIVITY: &str = "media.analyze.section";

/// `PUT /library/sections/{id}/analyze`: media analysis of every item of a
/// section (and preview thumbnails when the server generates them).
pub fn analyze_section(section: &str) -> PlexRequest {
    PlexRequest::new(Method::PUT, ["library", "sections", section, "analyze"])
}

/// `GET /library/metadata/{id}?includeMarkers=1&includeChapters=1`: an item
/// with its intro and credits markers and its chapters, to see what a
/// detection found.
pub fn item_with_markers(item: &str) -> PlexRequest {
    PlexRequest::new(Method::GET, ["library", "metadata", item])
        .with_query("includeMarkers", "1")
        .with_query("includeChapters", "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_puts_to_its_spec_path() {
        let paths: Vec<String> = DetectKind::ALL
            .iter()
            .map(|k| detect("7", *k, false).to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "PUT /library/metadata/7/intro",
                "PUT /library/metadata/7/credits",
                "PUT /library/metadata/7/chapterThumbs",
                "PUT /library/metadata/7/voiceActivity",
                "PUT /library/metadata/7/addetect",
            ]
        );
    }

    #[test]
    fn force_is_sent_only_where_the_spec_takes_it() {
        assert_eq!(
            detect("7", DetectKind::Credits, true).to_string(),
            "PUT /library/metadata/7/credits?force=1"
        );
        assert!(detect("7", DetectKind::Ads, true).query.is_empty());
        assert_eq!(
            analyze_section("2").to_string(),
            "PUT /library/sections/2/analyze"
        );
    }

    #[test]
    fn kinds_parse_from_their_names_only() {
        assert_eq!("chapters".parse(), Ok(DetectKind::Chapters));
        let err = "chapterThumbs".parse::<DetectKind>().unwrap_err();
        assert!(
            err.contains("intro, credits, chapters, voice, ads"),
            "{err}"
        );
    }
}
