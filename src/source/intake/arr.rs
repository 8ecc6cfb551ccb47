//! Sonarr, Radarr, Lidarr and Readarr "Connect → Webhook" bodies → the
//! paths to scan.
//!
//! Parsed leniently from untyped JSON: the *arrs omit null fields, grow new
//! ones, and Sonarr sends two `Download` shapes (On Import with
//! `episodeFile`, On Import Complete with `episodeFiles[]`). A missing field
//! is normal; an event we do not act on is answered 200 and ignored, since
//! an *arr that sees an error blocks the whole connection.

use std::path::Path;

use serde_json::Value;

use super::spec::ItemSpec;

/// Which *arr sent it (the route says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arr {
    Sonarr,
    Radarr,
    Lidarr,
    Readarr,
}

impl Arr {
    /// From the route segment.
    pub fn parse(s: &str) -> Option<Arr> {
        Some(match s {
            "sonarr" => Arr::Sonarr,
            "radarr" => Arr::Radarr,
            "lidarr" => Arr::Lidarr,
            "readarr" => Arr::Readarr,
            _ => return None,
        })
    }

    /// The source name journaled with the request.
    pub fn as_str(self) -> &'static str {
        match self {
            Arr::Sonarr => "sonarr",
            Arr::Radarr => "radarr",
            Arr::Lidarr => "lidarr",
            Arr::Readarr => "readarr",
        }
    }
}

/// What a body asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrWork {
    /// Paths to scan, with what each is.
    Paths(Vec<(String, ItemSpec)>),
    /// Nothing to do, and why (`Test`, `Grab`, an event without paths).
    Ignored(String),
}

/// Reads one webhook body.
pub fn parse(body: &Value) -> ArrWork {
    let event = str_at(body, &["eventType"]).unwrap_or_default();
    let mut out = Vec::new();
    match event {
        "Test" => return ArrWork::Ignored("test event: the connection works".to_owned()),
        "Download" | "Retag" => {
            for file in files(body, &["episodeFile", "movieFile", "trackFile", "bookFile"]) {
                out.push((file, ItemSpec::added()));
            }
            for file in file_lists(body, &["episodeFiles", "trackFiles", "bookFiles"]) {
                out.push((file, ItemSpec::added()));
            }
        }
        "Rename" => {
            let lists = [
                "renamedEpisodeFiles",
                "renamedMovieFiles",
                "renamedTrackFiles",
                "renamedBookFiles",
            ];
            for list in lists {
                for f in body
                    .get(list)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(old) = str_at(f, &["previousPath"]) {
                        out.push((old.to_owned(), ItemSpec::removed(None)));
                    }
                    if let Some(new) = file_path(body, f) {
                        out.push((new, ItemSpec::added()));
                    }
                }
            }
            // Radarr may send only the movie: scan its folder.
            if out.is_empty()
                && let Some(folder) = owner_folder(body)
            {
                out.push((folder, ItemSpec::added()));
            }
        }
        "EpisodeFileDelete" | "MovieFileDelete" | "BookFileDelete" => {
            for file in files(body, &["episodeFile", "movieFile", "bookFile"]) {
                out.push((file, ItemSpec::removed(None)));
            }
        }
        "SeriesDelete" | "MovieDelete" | "ArtistDelete" | "AuthorDelete" | "AlbumDelete"
        | "BookDelete" => {
            if let Some(folder) = owner_folder(body) {
                let parent = Path::new(&folder)
                    .parent()
                    .map(|p| p.to_string_lossy().into_owned());
                out.push((folder, ItemSpec::removed(parent)));
            }
        }
        "" => return ArrWork::Ignored("no eventType".to_owned()),
        other => return ArrWork::Ignored(format!("{other} needs no scan")),
    }
    out.retain(|(p, _)| Path::new(p).is_absolute());
    let mut seen = std::collections::HashSet::new();
    out.retain(|(p, s)| seen.insert((p.clone(), s.change)));
    if out.is_empty() {
        return ArrWork::Ignored(format!("{event} named no absolute path"));
    }
    ArrWork::Paths(out)
}

/// The series/movie/artist/author folder.
fn owner_folder(body: &Value) -> Option<String> {
    [
        &["series", "path"][..],
        &["movie", "folderPath"],
        &["movie", "path"],
        &["artist", "path"],
        &["author", "path"],
    ]
    .iter()
    .find_map(|at| str_at(body, at))
    .map(str::to_owned)
}

/// The absolute path of a file object: its `path`, else the owner's folder
/// joined with its `relativePath`.
fn file_path(body: &Value, file: &Value) -> Option<String> {
    if let Some(p) = str_at(file, &["path"]) {
        return Some(p.to_owned());
    }
    let rel = str_at(file, &["relativePath"])?;
    let folder = owner_folder(body)?;
    Some(Path::new(&folder).join(rel).to_string_lossy().into_owned())
}

fn files(body: &Value, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .filter_map(|k| body.get(*k))
        .filter_map(|f| file_path(body, f))
        .collect()
}

fn file_lists(body: &Value, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .filter_map(|k| body.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(|f| file_path(body, f))
        .collect()
}

fn str_at<'a>(v: &'a Value, at: &[&str]) -> Option<&'a str> {
    at.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::super::spec::Change;
    use super::*;

    fn sample(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/intake/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn paths(w: ArrWork) -> Vec<(String, Change)> {
        match w {
            ArrWork::Paths(p) => p.into_iter().map(|(p, s)| (p, s.change)).collect(),
            ArrWork::Ignored(why) => panic!("ignored: {why}"),
        }
    }

    #[test]
    fn both_sonarr_download_shapes_give_the_files() {
        assert_eq!(
            paths(parse(&sample("sonarr_download__autoscan-testdata.json"))),
            [(
                "/TV/Westworld/Season 1/Westworld.S01E01.mkv".into(),
                Change::Added
            )]
        );
        let complete = serde_json::json!({
            "eventType": "Download",
            "series": {"path": "/TV/Show"},
            "episodeFiles": [
                {"relativePath": "Season 1/a.mkv"},
                {"path": "/TV/Show/Season 1/b.mkv"}
            ],
            "destinationPath": "/TV/Show/Season 1"
        });
        assert_eq!(
            paths(parse(&complete)),
            [
                ("/TV/Show/Season 1/a.mkv".into(), Change::Added),
                ("/TV/Show/Season 1/b.mkv".into(), Change::Added)
            ]
        );
    }

    #[test]
    fn radarr_lidarr_readarr_downloads_give_the_files() {
        assert_eq!(
            paths(parse(&sample("radarr_download__autoscan-testdata.json"))),
            [(
                "/Movies/Interstellar (2014)/Interstellar.2014.UHD.BluRay.2160p.REMUX.mkv".into(),
                Change::Added
            )]
        );
        assert_eq!(
            paths(parse(&sample("lidarr_download__autoscan-testdata.json"))).len(),
            4
        );
        assert_eq!(
            paths(parse(&sample("readarr_download__autoscan-testdata.json"))).len(),
            1
        );
    }

    #[test]
    fn renames_scan_old_and_new_and_deletes_are_removals() {
        let r = paths(parse(&sample("sonarr_rename__autoscan-testdata.json")));
        assert!(r.contains(&(
            "/TV/Westworld/Season 1/Westworld.S01E01.mkv".into(),
            Change::Removed
        )));
        assert!(r.contains(&(
            "/TV/Westworld [imdb:tt0475784]/Season 1/Westworld.S01E01.mkv".into(),
            Change::Added
        )));
        assert_eq!(
            paths(parse(&sample("radarr_rename__autoscan-testdata.json"))),
            [("/Movies/Deadpool (2016)".into(), Change::Added)]
        );
        assert_eq!(
            paths(parse(&sample(
                "radarr_movie_file_delete__autoscan-testdata.json"
            ))),
            [(
                "/Movies/Tenet (2020)/Tenet.2020.mkv".into(),
                Change::Removed
            )]
        );
        match parse(&sample("sonarr_series_delete__autoscan-testdata.json")) {
            ArrWork::Paths(p) => {
                assert_eq!(p[0].0, "/TV/Westworld");
                assert_eq!(p[0].1.scan_path.as_deref(), Some("/TV"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn test_grab_and_unknown_events_are_ignored() {
        for body in [
            sample("arr_test__autoscan-testdata.json"),
            serde_json::json!({"eventType": "Grab", "series": {"path": "/TV/X"}}),
            serde_json::json!({"eventType": "SomethingNew"}),
            serde_json::json!({"eventType": "Download"}),
            serde_json::json!([1, 2]),
        ] {
            assert!(matches!(parse(&body), ArrWork::Ignored(_)), "{body}");
        }
    }
}
