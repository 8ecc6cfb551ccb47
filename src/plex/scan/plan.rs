//! Turning local paths into the fewest partial scans that cover them.

use std::path::{Path, PathBuf};

use crate::plex::model::Section;
use crate::plex::pathmap::{NotInAnySection, PathMap, PathMapError, locate, normalize};

/// What is at a local path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    Dir,
    File,
    Missing,
}

/// Looks at the local filesystem; a trait so plans are tested without one.
pub trait PathProbe {
    /// What `path` is, here and now.
    fn probe(&self, path: &Path) -> PathKind;
}

/// The real filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalFs;

impl PathProbe for LocalFs {
    fn probe(&self, path: &Path) -> PathKind {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => PathKind::Dir,
            Ok(_) => PathKind::File,
            Err(_) => PathKind::Missing,
        }
    }
}

/// Why one path got no scan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanPathError {
    #[error(transparent)]
    Unmapped(#[from] PathMapError),
    #[error(transparent)]
    NotInAnySection(#[from] NotInAnySection),
}

/// The scans of one section.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SectionScan {
    /// The section to scan in.
    pub section_id: String,
    /// Its name, for progress lines.
    pub section_title: String,
    /// Plex folders to scan; none of them under another.
    pub folders: Vec<String>,
}

/// What to scan, and which paths could not be placed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanPlan {
    /// One entry per section, in the order the paths first named them.
    pub sections: Vec<SectionScan>,
    /// Paths that were dropped, with why.
    pub problems: Vec<(PathBuf, ScanPathError)>,
}

impl ScanPlan {
    /// Number of folder scans planned.
    pub fn folder_count(&self) -> usize {
        self.sections.iter().map(|s| s.folders.len()).sum()
    }
}

/// Plans scans for absolute local `paths`:
/// 1. map each to Plex's namespace and find the most specific section
///    location holding it (failures are reported with the path as given),
/// 2. coalesce it to a folder (a directory is itself; a file, or a missing
///    path with an extension, is its parent; a missing path without one is
///    taken as a folder), never above its section location,
/// 3. per section, drop duplicates and folders under another planned folder.
pub fn plan_scan(
    paths: &[PathBuf],
    map: &PathMap,
    sections: &[Section],
    probe: &dyn PathProbe,
) -> ScanPlan {
    let mut plan = ScanPlan::default();
    for path in paths {
        let local = normalize(path);
        // Errors name the path as given, so map and locate it whole first.
        let plex = match map.to_plex(&local) {
            Ok(p) => p,
            Err(e) => {
                plan.problems.push((path.clone(), e.into()));
                continue;
            }
        };
        let located = match locate(&plex, sections) {
            Ok(l) => l,
            Err(e) => {
                plan.problems.push((path.clone(), e.into()));
                continue;
            }
        };
        let location = normalize(Path::new(&located.location));
        // A file at a location's root scans the location; never above it.
        let plex = match map.to_plex(&folder_of(&local, probe)) {
            Ok(f) if f.starts_with(&location) => f,
            _ => location,
        };
        let folder = plex.to_string_lossy().into_owned();
        match plan
            .sections
            .iter_mut()
            .find(|s| s.section_id == located.section.id)
        {
            Some(s) => s.folders.push(folder),
            None => plan.sections.push(SectionScan {
                section_id: located.section.id.clone(),
                section_title: located.section.title.clone(),
                folders: vec![folder],
            }),
        }
    }
    for s in &mut plan.sections {
        s.folders = outermost(&s.folders);
    }
    plan
}

fn folder_of(path: &Path, probe: &dyn PathProbe) -> PathBuf {
    let parent = || {
        path.parent()
            .map_or_else(|| path.to_owned(), Path::to_owned)
    };
    match probe.probe(path) {
        PathKind::Dir => path.to_owned(),
        PathKind::File => parent(),
        PathKind::Missing if path.extension().is_some() => parent(),
        PathKind::Missing => path.to_owned(),
    }
}

/// Keeps first-seen order; drops duplicates and folders below a kept one.
fn outermost(folders: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in folders {
        let fp = Path::new(f);
        if out.iter().any(|o| fp.starts_with(o)) {
            continue;
        }
        out.retain(|o| !Path::new(o).starts_with(fp));
        out.push(f.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plex::model::Location;
    use std::collections::HashMap;

    struct FakeFs(HashMap<PathBuf, PathKind>);

    impl PathProbe for FakeFs {
        fn probe(&self, path: &Path) -> PathKind {
            self.0.get(path).copied().unwrap_or(PathKind::Missing)
        }
    }

    fn fs(entries: &[(&str, PathKind)]) -> FakeFs {
        FakeFs(
            entries
                .iter()
                .map(|(p, k)| (PathBuf::from(p), *k))
                .collect(),
        )
    }

    fn section(id: &str, title: &str, loc: &str) -> Section {
        Section {
            id: id.into(),
            title: title.into(),
            kind: "movie".into(),
            agent: None,
            scanner: None,
            language: None,
            uuid: None,
            refreshing: false,
            locations: vec![Location {
                id: None,
                path: loc.into(),
            }],
        }
    }

    fn paths(v: &[&str]) -> Vec<PathBuf> {
        v.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn files_coalesce_to_folders_grouped_by_section() {
        let map = PathMap::new([
            (PathBuf::from("/data/movies"), PathBuf::from("/movies")),
            (PathBuf::from("/data/tv"), PathBuf::from("/tv")),
        ]);
        let sections = [section("1", "Movies", "/movies"), section("2", "TV", "/tv")];
        let probe = fs(&[
            ("/data/movies/A (1999)/a.mkv", PathKind::File),
            ("/data/tv/Show/Season 01", PathKind::Dir),
        ]);
        let plan = plan_scan(
            &paths(&[
                "/data/movies/A (1999)/a.mkv",
                "/data/movies/A (1999)/a.en.srt",
                "/data/tv/Show/Season 01",
                "/data/tv/Show/Season 01/S01E02.mkv",
                "/data/movies/B (2000)",
            ]),
            &map,
            &sections,
            &probe,
        );
        assert!(plan.problems.is_empty(), "{:?}", plan.problems);
        assert_eq!(
            plan.sections,
            vec![
                SectionScan {
                    section_id: "1".into(),
                    section_title: "Movies".into(),
                    folders: vec!["/movies/A (1999)".into(), "/movies/B (2000)".into()],
                },
                SectionScan {
                    section_id: "2".into(),
                    section_title: "TV".into(),
                    folders: vec!["/tv/Show/Season 01".into()],
                },
            ]
        );
    }

    #[test]
    fn a_folder_under_a_planned_folder_joins_its_ancestor() {
        let sections = [section("2", "TV", "/tv")];
        let plan = plan_scan(
            &paths(&[
                "/tv/Show/Season 01/e1.mkv",
                "/tv/Show",
                "/tv/Show/Season 02",
            ]),
            &PathMap::default(),
            &sections,
            &fs(&[]),
        );
        assert_eq!(plan.sections[0].folders, vec!["/tv/Show".to_string()]);
        assert_eq!(plan.folder_count(), 1);
    }

    #[test]
    fn unmapped_and_sectionless_paths_are_reported_not_scanned() {
        let map = PathMap::new([(PathBuf::from("/data/movies"), PathBuf::from("/movies"))]);
        let sections = [section("1", "Movies", "/movies/hd")];
        let plan = plan_scan(
            &paths(&["/elsewhere/x.mkv", "/data/movies/sd/y.mkv"]),
            &map,
            &sections,
            &fs(&[]),
        );
        assert!(plan.sections.is_empty());
        assert!(matches!(plan.problems[0].1, ScanPathError::Unmapped(_)));
        assert!(
            plan.problems[1]
                .1
                .to_string()
                .contains("/movies/hd (Movies)")
        );
    }

    #[test]
    fn a_file_at_a_location_root_scans_the_location() {
        let sections = [section("1", "Movies", "/movies")];
        let plan = plan_scan(
            &paths(&["/movies/loose.mkv", "/movies"]),
            &PathMap::default(),
            &sections,
            &fs(&[("/movies", PathKind::Dir)]),
        );
        assert_eq!(plan.sections[0].folders, vec!["/movies".to_string()]);
        let plan = plan_scan(
            &paths(&["/movies.mkv"]),
            &PathMap::default(),
            &sections,
            &fs(&[]),
        );
        assert!(
            plan.sections.is_empty(),
            "a sibling file is not under /movies"
        );
    }

    #[test]
    fn special_characters_are_kept_verbatim() {
        let sections = [section("1", "Films", "/Films & Séries")];
        let plan = plan_scan(
            &paths(&["/Films & Séries/Amélie #1 100% (2001)?/a+b.mkv"]),
            &PathMap::default(),
            &sections,
            &fs(&[]),
        );
        assert_eq!(
            plan.sections[0].folders,
            vec!["/Films & Séries/Amélie #1 100% (2001)?".to_string()]
        );
    }
}
