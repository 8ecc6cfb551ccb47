//! What a sync item asks of its Plex item, as the existing typed actions:
//! match (when ids are given; the executor skips an item already matched to
//! them), edit (only differing fields, locked), tags, artwork (hash skip).
//! Each is idempotent, which is what lets a restart re-run an `applying`
//! item without doing anything twice.

use std::collections::BTreeMap;

use super::spec::{ItemSpec, Metadata};
use crate::rules::{IfMissing, ImageKind, ImageSource, MatchTarget, ResolvedAction, TagChange};

/// The actions for item `id`, in the order they must run: a re-match
/// replaces metadata, so it goes first.
pub fn actions(id: &str, spec: &ItemSpec) -> Vec<ResolvedAction> {
    let mut out = Vec::new();
    let target = spec
        .ids
        .tmdb
        .clone()
        .map(MatchTarget::Tmdb)
        .or_else(|| spec.ids.imdb.clone().map(MatchTarget::Imdb))
        .or_else(|| spec.ids.tvdb.clone().map(MatchTarget::Tvdb));
    if let Some(target) = target {
        out.push(ResolvedAction::Match {
            item: id.to_owned(),
            target,
            agent: None,
        });
    }
    if let Some(m) = &spec.metadata {
        let fields = fields(m);
        if !fields.is_empty() {
            out.push(ResolvedAction::Edit {
                item: id.to_owned(),
                fields,
                lock: spec.lock,
            });
        }
        let tags: BTreeMap<String, Vec<String>> = [
            ("genre", &m.genres),
            ("director", &m.directors),
            ("writer", &m.writers),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.to_owned(), v)))
        .collect();
        if !tags.is_empty() {
            out.push(ResolvedAction::Tags {
                item: id.to_owned(),
                change: TagChange::Set,
                tags,
            });
        }
    }
    for (image, source) in [
        (ImageKind::Poster, &spec.poster),
        (ImageKind::Art, &spec.art),
    ] {
        if let Some(source) = source {
            let source = if source.starts_with("http://") || source.starts_with("https://") {
                ImageSource::Url(source.clone())
            } else {
                ImageSource::File(source.clone())
            };
            out.push(ResolvedAction::Upload {
                item: id.to_owned(),
                image,
                source,
                if_missing: IfMissing::Fail,
            });
        }
    }
    out
}

/// Plex's field names for the metadata Metarr sends.
fn fields(m: &Metadata) -> BTreeMap<String, String> {
    [
        ("title", m.title.clone()),
        ("originalTitle", m.original_title.clone()),
        ("summary", m.summary.clone()),
        ("tagline", m.tagline.clone()),
        ("year", m.year.map(|y| y.to_string())),
        ("rating", m.rating.map(|r| r.to_string())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::super::spec::Ids;
    use super::*;

    #[test]
    fn match_goes_first_then_edit_tags_and_artwork() {
        let spec = ItemSpec {
            ids: Ids {
                tmdb: Some("603".into()),
                imdb: Some("tt0133093".into()),
                tvdb: None,
            },
            metadata: Some(Metadata {
                title: Some("The Matrix".into()),
                year: Some(1999),
                genres: Some(vec!["Action".into()]),
                ..Metadata::default()
            }),
            poster: Some("https://img/p.jpg".into()),
            lock: true,
            ..ItemSpec::default()
        };
        let names: Vec<&str> = actions("7", &spec).iter().map(|a| a.name()).collect();
        assert_eq!(names, ["match", "edit", "tags", "upload_poster"]);
        match &actions("7", &spec)[0] {
            ResolvedAction::Match { target, .. } => {
                assert_eq!(target, &MatchTarget::Tmdb("603".into()))
            }
            other => panic!("{other:?}"),
        }
        assert!(actions("7", &ItemSpec::added()).is_empty());
    }
}
