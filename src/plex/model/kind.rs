//! Plex's metadata types: the names items carry and the numbers edit and
//! listing endpoints want.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A metadata type. The edit endpoint (`type=`) and filtered listings need
/// the number; items carry the name (`"type": "movie"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    Movie,
    Show,
    Season,
    Episode,
    Artist,
    Album,
    Track,
    Photo,
    Collection,
}

impl MediaType {
    const ALL: [MediaType; 9] = [
        MediaType::Movie,
        MediaType::Show,
        MediaType::Season,
        MediaType::Episode,
        MediaType::Artist,
        MediaType::Album,
        MediaType::Track,
        MediaType::Photo,
        MediaType::Collection,
    ];

    /// Plex's number for the type.
    pub fn number(self) -> u32 {
        match self {
            MediaType::Movie => 1,
            MediaType::Show => 2,
            MediaType::Season => 3,
            MediaType::Episode => 4,
            MediaType::Artist => 8,
            MediaType::Album => 9,
            MediaType::Track => 10,
            MediaType::Photo => 13,
            MediaType::Collection => 18,
        }
    }

    /// The name items carry.
    pub fn name(self) -> &'static str {
        match self {
            MediaType::Movie => "movie",
            MediaType::Show => "show",
            MediaType::Season => "season",
            MediaType::Episode => "episode",
            MediaType::Artist => "artist",
            MediaType::Album => "album",
            MediaType::Track => "track",
            MediaType::Photo => "photo",
            MediaType::Collection => "collection",
        }
    }

    /// The type of the files a section of this type holds: movies for a
    /// movie section, episodes for a show section, tracks for music.
    pub fn leaf(self) -> MediaType {
        match self {
            MediaType::Show | MediaType::Season => MediaType::Episode,
            MediaType::Artist | MediaType::Album => MediaType::Track,
            other => other,
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MediaType {
    type Err = String;

    fn from_str(s: &str) -> Result<MediaType, String> {
        MediaType::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown Plex metadata type `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        for k in MediaType::ALL {
            assert_eq!(k.name().parse::<MediaType>(), Ok(k));
        }
        assert_eq!(MediaType::Episode.number(), 4);
        assert_eq!(MediaType::Show.leaf(), MediaType::Episode);
        assert!("clip".parse::<MediaType>().is_err());
    }
}
