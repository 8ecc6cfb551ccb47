//! Translating paths between this machine and Plex, and finding the section
//! a Plex path belongs to.
//!
//! Metarr and Plex often see the same files under different roots (Docker
//! volumes, NFS mounts). `[[path_map]]` pairs say which: `from` is the local
//! root, `to` the same folder as Plex sees it. Prefixes match by whole path
//! components, so `/media/tv` never captures `/media/tv2`, and the longest
//! matching prefix wins.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::plex::model::Section;

/// One `from` → `to` pair, both lexically normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRule {
    /// The root as this machine sees it.
    pub from: PathBuf,
    /// The same root as Plex sees it.
    pub to: PathBuf,
}

/// The configured mappings. Empty means "Plex sees the same paths we do".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathMap {
    rules: Vec<PathRule>,
}

/// Why a path could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathMapError {
    #[error("`{}` is not under any mapped folder (known roots: {})", path.display(), list(roots))]
    Unmapped { path: PathBuf, roots: Vec<PathBuf> },
    #[error("`{}` is not an absolute path", path.display())]
    Relative { path: PathBuf },
}

/// A Plex path outside every section location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{}` is not in any library section (known locations: {})", path.display(), roots_text(roots))]
pub struct NotInAnySection {
    /// The Plex path.
    pub path: PathBuf,
    /// `(location, section title)` of every known location.
    pub roots: Vec<(String, String)>,
}

/// Where a Plex path lives.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The section.
    pub section: Section,
    /// The section location that holds the path (the most specific one).
    pub location: String,
}

impl PathMap {
    /// Builds the map from `(from, to)` pairs.
    pub fn new(pairs: impl IntoIterator<Item = (PathBuf, PathBuf)>) -> PathMap {
        PathMap {
            rules: pairs
                .into_iter()
                .map(|(from, to)| PathRule {
                    from: normalize(&from),
                    to: normalize(&to),
                })
                .collect(),
        }
    }

    /// True when no mapping is configured (paths pass through unchanged).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules, as configured.
    pub fn rules(&self) -> &[PathRule] {
        &self.rules
    }

    /// A local path as Plex sees it.
    pub fn to_plex(&self, local: &Path) -> Result<PathBuf, PathMapError> {
        self.translate(local, |r| (&r.from, &r.to))
    }

    /// A Plex path as this machine sees it (to read artwork next to media).
    pub fn to_local(&self, plex: &Path) -> Result<PathBuf, PathMapError> {
        self.translate(plex, |r| (&r.to, &r.from))
    }

    fn translate<'a>(
        &'a self,
        path: &Path,
        side: impl Fn(&'a PathRule) -> (&'a PathBuf, &'a PathBuf),
    ) -> Result<PathBuf, PathMapError> {
        if !path.is_absolute() {
            return Err(PathMapError::Relative {
                path: path.to_owned(),
            });
        }
        let path = normalize(path);
        if self.rules.is_empty() {
            return Ok(path);
        }
        let best = self
            .rules
            .iter()
            .map(&side)
            .filter_map(|(src, dst)| path.strip_prefix(src).ok().map(|rest| (src, dst, rest)))
            .max_by_key(|(src, _, _)| src.components().count());
        match best {
            Some((_, dst, rest)) if rest.as_os_str().is_empty() => Ok(dst.clone()),
            Some((_, dst, rest)) => Ok(dst.join(rest)),
            None => Err(PathMapError::Unmapped {
                path,
                roots: self.rules.iter().map(|r| side(r).0.clone()).collect(),
            }),
        }
    }
}

/// The section holding `plex_path`: the location with the most path
/// components that is a whole-component prefix of it, across all sections.
pub fn locate(plex_path: &Path, sections: &[Section]) -> Result<Located, NotInAnySection> {
    let path = normalize(plex_path);
    let best = sections
        .iter()
        .flat_map(|s| s.locations.iter().map(move |l| (s, l)))
        .filter(|(_, l)| path.starts_with(normalize(Path::new(&l.path))))
        .max_by_key(|(_, l)| Path::new(&l.path).components().count());
    match best {
        Some((s, l)) => Ok(Located {
            section: s.clone(),
            location: l.path.clone(),
        }),
        None => Err(NotInAnySection {
            path,
            roots: sections
                .iter()
                .flat_map(|s| {
                    s.locations
                        .iter()
                        .map(|l| (l.path.clone(), s.title.clone()))
                })
                .collect(),
        }),
    }
}

/// Removes `.`, resolves `..` lexically and drops trailing slashes, so
/// `/media/tv/./x/../` and `/media/tv` compare equal and a `..` cannot climb
/// out of a mapped root after translation.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                // Never above the root.
                if out.parent().is_some() {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn list(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "none configured".to_owned();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn roots_text(roots: &[(String, String)]) -> String {
    if roots.is_empty() {
        return "none; the server has no sections".to_owned();
    }
    roots
        .iter()
        .map(|(p, t)| format!("{p} ({t})"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for PathRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {}", self.from.display(), self.to.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plex::model::Location;

    fn map(pairs: &[(&str, &str)]) -> PathMap {
        PathMap::new(
            pairs
                .iter()
                .map(|(a, b)| (PathBuf::from(a), PathBuf::from(b))),
        )
    }

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn longest_prefix_wins_by_whole_components() {
        let m = map(&[
            ("/media", "/m"),
            ("/media/tv", "/tv"),
            ("/media/tv2", "/tv2"),
        ]);
        assert_eq!(
            m.to_plex(&p("/media/tv/Show/S01E01.mkv")).unwrap(),
            p("/tv/Show/S01E01.mkv")
        );
        assert_eq!(m.to_plex(&p("/media/tv2/x")).unwrap(), p("/tv2/x"));
        assert_eq!(m.to_plex(&p("/media/tvx/y")).unwrap(), p("/m/tvx/y"));
        assert_eq!(m.to_plex(&p("/media")).unwrap(), p("/m"));
    }

    #[test]
    fn a_prefix_never_matches_a_longer_sibling() {
        let m = map(&[("/media/tv", "/tv")]);
        let err = m.to_plex(&p("/media/tv2/Show")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/media/tv2/Show` is not under any mapped folder (known roots: /media/tv)"
        );
    }

    #[test]
    fn trailing_slashes_and_dots_are_ignored() {
        let m = map(&[("/data/movies/", "/movies/")]);
        assert_eq!(m.to_plex(&p("/data/movies/")).unwrap(), p("/movies"));
        assert_eq!(
            m.to_plex(&p("/data/./movies/A (1999)/")).unwrap(),
            p("/movies/A (1999)")
        );
        assert!(m.to_plex(&p("/data/movies/../secret")).is_err());
    }

    #[test]
    fn non_ascii_and_special_characters_pass_through() {
        let m = map(&[("/srv/Médias", "/Filmes & Séries")]);
        assert_eq!(
            m.to_plex(&p("/srv/Médias/Amélie #1 100% (2001)/a+b?.mkv"))
                .unwrap(),
            p("/Filmes & Séries/Amélie #1 100% (2001)/a+b?.mkv")
        );
        assert_eq!(
            m.to_local(&p("/Filmes & Séries/日本")).unwrap(),
            p("/srv/Médias/日本")
        );
    }

    #[test]
    fn no_mapping_is_identity_and_relative_paths_are_refused() {
        let m = PathMap::default();
        assert_eq!(m.to_plex(&p("/x/y/")).unwrap(), p("/x/y"));
        assert!(matches!(
            m.to_plex(&p("x/y")),
            Err(PathMapError::Relative { .. })
        ));
    }

    fn section(id: &str, title: &str, locs: &[&str]) -> Section {
        Section {
            id: id.into(),
            title: title.into(),
            kind: "movie".into(),
            agent: None,
            scanner: None,
            language: None,
            uuid: None,
            refreshing: false,
            locations: locs
                .iter()
                .map(|l| Location {
                    id: None,
                    path: l.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_most_specific_location_across_sections_wins() {
        let sections = vec![
            section("1", "All", &["/media"]),
            section("2", "Kids", &["/other", "/media/kids/"]),
        ];
        let l = locate(&p("/media/kids/Film/a.mkv"), &sections).unwrap();
        assert_eq!(
            (l.section.id.as_str(), l.location.as_str()),
            ("2", "/media/kids/")
        );
        let l = locate(&p("/media/kidsx/a.mkv"), &sections).unwrap();
        assert_eq!(l.section.id, "1");
    }

    #[test]
    fn a_path_outside_every_section_names_the_roots() {
        let sections = vec![section("1", "Movies", &["/movies"])];
        let err = locate(&p("/tv/Show"), &sections).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/tv/Show` is not in any library section (known locations: /movies (Movies))"
        );
    }
}
