//! The library a fresh simulator starts with: four sections, matched and
//! unmatched movies (with `{tmdb-N}` / `{imdb-tt…}` folder tags), a show with
//! two seasons, an album, files not yet scanned, and paths with spaces, `&`,
//! `#`, `%`, `?`, `+` and non-ASCII so encoding bugs show.

use super::catalogue::{Catalogue, CatalogueEntry};
use super::item::{Image, ItemKind, SimItem};
use super::library::{Library, Section};

/// Seeded items are dated from here on, one hour apart.
const SEED_EPOCH: i64 = 1_700_000_000;

fn section(
    id: &str,
    title: &str,
    kind: ItemKind,
    agent: &str,
    scanner: &str,
    locations: &[&str],
) -> Section {
    Section {
        id: id.into(),
        title: title.into(),
        kind,
        agent: agent.into(),
        scanner: scanner.into(),
        locations: locations.iter().map(|l| (*l).to_owned()).collect(),
        uuid: format!("5a1e0000-0000-4000-8000-00000000000{id}"),
    }
}

/// A fake but well-formed modern guid: `plex://<kind>/<24 hex>`.
fn plex_guid(kind: &str, n: u32) -> String {
    format!("plex://{kind}/5d7768{n:018x}")
}

/// Titles the simulated agent knows: (kind, title, year, external ids).
const CATALOGUE: &[(ItemKind, &str, i32, &[&str])] = &[
    (
        ItemKind::Movie,
        "The Matrix",
        1999,
        &["imdb://tt0133093", "tmdb://603"],
    ),
    (
        ItemKind::Movie,
        "Amélie",
        2001,
        &["imdb://tt0211915", "tmdb://194"],
    ),
    (
        ItemKind::Movie,
        "Fast & Furious",
        2009,
        &["imdb://tt1013752", "tmdb://13804"],
    ),
    (
        ItemKind::Movie,
        "Who Framed Roger Rabbit",
        1988,
        &["imdb://tt0096438", "tmdb://856"],
    ),
    (
        ItemKind::Movie,
        "Romeo + Juliet",
        1996,
        &["imdb://tt0117509", "tmdb://454"],
    ),
    (
        ItemKind::Movie,
        "Blade Runner 2049",
        2017,
        &["imdb://tt1856101", "tmdb://335984"],
    ),
    (
        ItemKind::Movie,
        "Blade Runner",
        1982,
        &["imdb://tt0083658", "tmdb://78"],
    ),
    (
        ItemKind::Movie,
        "Arrival",
        2016,
        &["imdb://tt2543164", "tmdb://329865"],
    ),
    (
        ItemKind::Movie,
        "Heat",
        1995,
        &["imdb://tt0113277", "tmdb://949"],
    ),
    (
        ItemKind::Movie,
        "Inception",
        2010,
        &["imdb://tt1375666", "tmdb://27205"],
    ),
    (
        ItemKind::Movie,
        "Zootopia",
        2016,
        &["imdb://tt2948356", "tmdb://269149"],
    ),
    (
        ItemKind::Show,
        "Severance",
        2022,
        &["imdb://tt11280740", "tmdb://95396", "tvdb://371980"],
    ),
    (ItemKind::Artist, "Daft Punk", 1993, &[]),
    (ItemKind::Album, "Discovery", 2001, &[]),
];

/// Matched movies: (catalogue title, folder and file under the movies root).
const MATCHED_MOVIES: &[(&str, &str, &str)] = &[
    ("The Matrix", "The Matrix (1999)", "The Matrix (1999).mkv"),
    ("Amélie", "Amélie (2001)", "Amélie (2001).mkv"),
    (
        "Fast & Furious",
        "Fast & Furious (2009)",
        "Fast & Furious (2009).mkv",
    ),
    (
        "Who Framed Roger Rabbit",
        "Who Framed Roger Rabbit? (1988)",
        "Who Framed Roger Rabbit? (1988).mp4",
    ),
    (
        "Romeo + Juliet",
        "Romeo + Juliet (1996)",
        "Romeo + Juliet (1996).mkv",
    ),
    (
        "Blade Runner 2049",
        "Blade Runner 2049 (2017)",
        "Blade Runner 2049 (2017).mkv",
    ),
];

/// Unmatched movies: the agent found nothing, so the guid is `local://` and
/// the title comes from the file name. Their folders carry id tags.
const UNMATCHED_MOVIES: &[(&str, &str)] = &[
    ("Arrival (2016) {tmdb-329865}", "Arrival (2016).mkv"),
    ("Heat (1995) {imdb-tt0113277}", "Heat.1995.mkv"),
    (
        "Birthday #3 - 100% Fun (2019)",
        "Birthday #3 - 100% Fun (2019).mp4",
    ),
];

const MOVIES: &str = "/data/media/movies";
const TV: &str = "/data/media/tv";
const MUSIC: &str = "/data/media/music";

impl Library {
    /// The seeded library every simulator starts with by default.
    pub fn seeded() -> Library {
        let mut lib = Library::new(vec![
            section(
                "1",
                "Movies",
                ItemKind::Movie,
                "tv.plex.agents.movie",
                "Plex Movie",
                &[MOVIES],
            ),
            section(
                "2",
                "TV Shows",
                ItemKind::Show,
                "tv.plex.agents.series",
                "Plex TV Series",
                &[TV],
            ),
            section(
                "3",
                "Music",
                ItemKind::Artist,
                "tv.plex.agents.music",
                "Plex Music",
                &[MUSIC],
            ),
            section(
                "4",
                "Kids Movies",
                ItemKind::Movie,
                "tv.plex.agents.movie",
                "Plex Movie",
                &["/data/media/kids", "/data/media/movies-kids"],
            ),
        ]);
        lib.catalogue = catalogue();
        let mut clock = SEED_EPOCH;
        let mut dated = |mut it: SimItem| {
            clock += 3600;
            it.added_at = clock;
            it.updated_at = clock;
            it
        };

        for (title, folder, file) in MATCHED_MOVIES {
            let it = matched(
                &lib.catalogue,
                "1",
                title,
                &format!("{MOVIES}/{folder}/{file}"),
            );
            lib.add_item(dated(it));
        }
        for (folder, file) in UNMATCHED_MOVIES {
            let path = format!("{MOVIES}/{folder}/{file}");
            let (title, year) = super::naming::title_and_year(super::naming::stem(&path));
            let mut it = SimItem::new(ItemKind::Movie, "1", &title);
            it.year = year;
            it.files = vec![path];
            lib.add_item(dated(it));
        }
        let zoo = matched(
            &lib.catalogue,
            "4",
            "Zootopia",
            "/data/media/kids/Zootopia (2016)/Zootopia (2016).mkv",
        );
        lib.add_item(dated(zoo));

        // Severance: two seasons, matched.
        let show_folder = format!("{TV}/Severance {{tvdb-371980}}");
        let mut show = matched(&lib.catalogue, "2", "Severance", "");
        show.files.clear();
        show.folder = Some(show_folder.clone());
        let show_key = lib.add_item(dated(show));
        for (season, episodes) in [(1u32, 3u32), (2, 2)] {
            let mut s = SimItem::new(ItemKind::Season, "2", &format!("Season {season}"));
            s.index = Some(season);
            s.parent = Some(show_key.clone());
            s.folder = Some(format!("{show_folder}/Season {season:02}"));
            s.guid = plex_guid("season", 100 + season);
            let season_key = lib.add_item(dated(s));
            for e in 1..=episodes {
                let mut ep = SimItem::new(ItemKind::Episode, "2", &format!("Episode {e}"));
                ep.index = Some(e);
                ep.parent = Some(season_key.clone());
                ep.grandparent = Some(show_key.clone());
                ep.guid = plex_guid("episode", season * 100 + e);
                ep.files = vec![format!(
                    "{show_folder}/Season {season:02}/Severance - S{season:02}E{e:02}.mkv"
                )];
                lib.add_item(dated(ep));
            }
        }

        // Daft Punk / Discovery.
        let artist_folder = format!("{MUSIC}/Daft Punk");
        let mut artist = SimItem::new(ItemKind::Artist, "3", "Daft Punk");
        artist.guid = plex_guid("artist", 1);
        artist.folder = Some(artist_folder.clone());
        let artist_key = lib.add_item(dated(artist));
        let album_folder = format!("{artist_folder}/Discovery (2001)");
        let mut album = SimItem::new(ItemKind::Album, "3", "Discovery");
        album.year = Some(2001);
        album.guid = plex_guid("album", 1);
        album.parent = Some(artist_key.clone());
        album.folder = Some(album_folder.clone());
        let album_key = lib.add_item(dated(album));
        for (n, title) in [(1u32, "One More Time"), (2, "Aerodynamic")] {
            let mut t = SimItem::new(ItemKind::Track, "3", title);
            t.index = Some(n);
            t.parent = Some(album_key.clone());
            t.grandparent = Some(artist_key.clone());
            t.guid = plex_guid("track", n);
            t.files = vec![format!("{album_folder}/{n:02} - {title}.flac")];
            lib.add_item(dated(t));
        }

        // On disk, not yet scanned: what a scan will find.
        lib.add_file_on_disk(&format!(
            "{MOVIES}/Inception (2010) {{tmdb-27205}}/Inception (2010).mkv"
        ));
        lib.add_file_on_disk(&format!("{show_folder}/Season 02/Severance - S02E03.mkv"));
        lib
    }
}

fn catalogue() -> Catalogue {
    let mut c = Catalogue::default();
    for (n, (kind, title, year, ext)) in CATALOGUE.iter().enumerate() {
        c.add(CatalogueEntry {
            guid: plex_guid(kind.as_str(), n as u32 + 1),
            kind: *kind,
            title: (*title).to_owned(),
            year: Some(*year),
            external: ext.iter().map(|e| (*e).to_owned()).collect(),
        });
    }
    c
}

/// An item matched to the catalogue entry titled `title`, with an agent poster.
fn matched(c: &Catalogue, section: &str, title: &str, file: &str) -> SimItem {
    let entry = c.entries().iter().find(|e| e.title == title);
    let kind = entry.map(|e| e.kind).unwrap_or(ItemKind::Movie);
    let mut it = SimItem::new(kind, section, title);
    if let Some(e) = entry {
        it.guid = e.guid.clone();
        it.year = e.year;
        it.external_guids = e.external.clone();
        let agent = if kind == ItemKind::Show {
            "tv.plex.agents.series"
        } else {
            "tv.plex.agents.movie"
        };
        let hash = e.guid.rsplit('/').next().unwrap_or("0");
        it.posters.push(Image {
            rating_key: format!("metadata://posters/{agent}_{hash}"),
            provider: Some(agent.to_owned()),
            selected: true,
            size: 0,
        });
        it.arts.push(Image {
            rating_key: format!("metadata://art/{agent}_{hash}"),
            provider: Some(agent.to_owned()),
            selected: true,
            size: 0,
        });
        it.tags.insert("genre".into(), vec!["Drama".into()]);
        it.fields.insert(
            "summary".into(),
            format!("{title}, as the simulated agent describes it."),
        );
    }
    if !file.is_empty() {
        it.files.push(file.to_owned());
    }
    it
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_library_has_the_documented_shape() {
        let lib = Library::seeded();
        assert_eq!(lib.sections().len(), 4);
        let arrival = lib
            .find_by_file("/data/media/movies/Arrival (2016) {tmdb-329865}/Arrival (2016).mkv")
            .unwrap();
        assert!(arrival.is_unmatched());
        assert_eq!(
            (arrival.title.as_str(), arrival.year),
            ("Arrival", Some(2016))
        );
        let heat = lib
            .find_by_file("/data/media/movies/Heat (1995) {imdb-tt0113277}/Heat.1995.mkv")
            .unwrap();
        assert_eq!(heat.title, "Heat");
        let matrix = lib
            .find_by_file("/data/media/movies/The Matrix (1999)/The Matrix (1999).mkv")
            .unwrap();
        assert!(
            matrix.guid.starts_with("plex://movie/")
                && matrix.guid.len() == "plex://movie/".len() + 24
        );
        assert!(matrix.external_guids.contains(&"tmdb://603".to_owned()));
        let episodes: Vec<_> = lib
            .items()
            .filter(|i| i.kind == ItemKind::Episode)
            .collect();
        assert_eq!(episodes.len(), 5);
        assert!(
            episodes
                .iter()
                .all(|e| e.grandparent.is_some() && e.parent.is_some())
        );
        assert_eq!(
            lib.section_for_path("/data/media/movies-kids/X")
                .unwrap()
                .id,
            "4"
        );
        assert_eq!(
            lib.section_for_path("/data/media/movies/X").unwrap().id,
            "1"
        );
    }
}
