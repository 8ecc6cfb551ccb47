//! Path mapping properties: round trips, whole-component prefixes.

use std::path::PathBuf;

use metarr_plex::plex::pathmap::PathMap;
use proptest::prelude::*;

fn segment() -> impl Strategy<Value = String> {
    // Letters, digits, spaces, the characters URLs care about, non-ASCII.
    proptest::string::string_regex("[a-zA-Z0-9 &#%?+éü日本()._-]{1,12}")
        .unwrap()
        .prop_filter("not a dot segment", |s| s != "." && s != "..")
}

fn rel_path() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(segment(), 0..5)
}

proptest! {
    #[test]
    fn local_to_plex_and_back_is_the_identity(
        root in rel_path().prop_filter("non-empty", |v| !v.is_empty()),
        plex_root in rel_path().prop_filter("non-empty", |v| !v.is_empty()),
        rest in rel_path(),
    ) {
        let from = PathBuf::from("/").join(root.join("/"));
        let to = PathBuf::from("/").join(plex_root.join("/"));
        let map = PathMap::new([(from.clone(), to.clone())]);
        let local = rest.iter().fold(from.clone(), |p, s| p.join(s));
        let plex = map.to_plex(&local).unwrap();
        prop_assert!(plex.starts_with(&to));
        prop_assert_eq!(map.to_local(&plex).unwrap(), local);
    }

    #[test]
    fn a_root_never_captures_a_sibling_that_extends_its_last_name(
        root in rel_path().prop_filter("non-empty", |v| !v.is_empty()),
        suffix in "[a-z0-9]{1,4}",
    ) {
        let from = PathBuf::from("/").join(root.join("/"));
        let map = PathMap::new([(from.clone(), PathBuf::from("/plex"))]);
        let sibling = PathBuf::from(format!("{}{suffix}", from.display())).join("file.mkv");
        prop_assert!(map.to_plex(&sibling).is_err());
    }
}

#[test]
fn unmapped_error_lists_every_root() {
    let map = PathMap::new([
        (PathBuf::from("/data/movies"), PathBuf::from("/movies")),
        (PathBuf::from("/data/tv"), PathBuf::from("/tv")),
    ]);
    let err = map
        .to_plex(&PathBuf::from("/data/music/a.flac"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`/data/music/a.flac` is not under any mapped folder (known roots: /data/movies, /data/tv)"
    );
}
