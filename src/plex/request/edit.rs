//! Builders for field edits, locks and tag lists, all through Plex's one
//! bulk edit endpoint `PUT /library/sections/{sid}/all`.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;

use super::PlexRequest;
use crate::plex::model::MediaType;

/// One `PUT /library/sections/{sid}/all?type=&id=&f.value=v[&f.locked=1]…`
/// for every field at once; `ids` may hold several items of one type.
pub fn edit_fields(
    section: &str,
    kind: MediaType,
    ids: &[String],
    fields: &[(String, String)],
    lock: bool,
) -> PlexRequest {
    let mut req = edit_base(section, kind, ids);
    for (field, value) in fields {
        req = req.with_query(format!("{field}.value"), value.as_str());
        if lock {
            req = req.with_query(format!("{field}.locked"), "1");
        }
    }
    req
}

/// Locks (or unlocks) fields without changing their values:
/// `…&thumb.locked=1`. Used after choosing an image so agents keep it.
pub fn lock_fields(
    section: &str,
    kind: MediaType,
    ids: &[String],
    fields: &[&str],
    locked: bool,
) -> PlexRequest {
    let mut req = edit_base(section, kind, ids);
    for f in fields {
        req = req.with_query(format!("{f}.locked"), if locked { "1" } else { "0" });
    }
    req
}

/// The tag lists the edit endpoint can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagKind {
    Genre,
    Director,
    Writer,
    Collection,
    Label,
}

impl TagKind {
    /// Every kind, for help texts and parsing.
    pub const ALL: [TagKind; 5] = [
        TagKind::Genre,
        TagKind::Director,
        TagKind::Writer,
        TagKind::Collection,
        TagKind::Label,
    ];

    /// The singular name Plex uses in edit parameters (`genre[0].tag.tag`).
    pub fn param(self) -> &'static str {
        match self {
            TagKind::Genre => "genre",
            TagKind::Director => "director",
            TagKind::Writer => "writer",
            TagKind::Collection => "collection",
            TagKind::Label => "label",
        }
    }
}

impl fmt::Display for TagKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.param())
    }
}

impl FromStr for TagKind {
    type Err = String;

    fn from_str(s: &str) -> Result<TagKind, String> {
        TagKind::ALL
            .into_iter()
            .find(|k| k.param().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = TagKind::ALL.iter().map(|k| k.param()).collect();
                format!(
                    "unknown tag kind `{s}` (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// What to do with a tag list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagOp {
    /// Keep the existing tags and add these.
    Add,
    /// Remove these, keep the rest.
    Remove,
    /// Replace the list with exactly these.
    Set,
}

/// One change to one tag list: which list, what to do, with which tags.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TagChange {
    /// Which list.
    pub tag: TagKind,
    /// Add, remove or replace.
    pub op: TagOp,
    /// The tags.
    pub tags: Vec<String>,
}

impl TagChange {
    /// A change of `tag` by `op` with `tags`.
    pub fn new(tag: TagKind, op: TagOp, tags: Vec<String>) -> TagChange {
        TagChange { tag, op, tags }
    }
}

/// Changes one tag list of one item. Indexed tags *replace* the list in Plex,
/// so `Add` re-sends `existing` plus the new tags (case-insensitive union,
/// existing order first); `Remove` uses `tag.tag-=` with each tag
/// percent-encoded on its own and joined by `,` (so a tag containing a comma
/// survives); `Set` to an empty list removes every existing tag.
pub fn edit_tags(
    section: &str,
    kind: MediaType,
    id: &str,
    change: &TagChange,
    existing: &[String],
    lock: bool,
) -> PlexRequest {
    let (tag, op, tags) = (change.tag, change.op, change.tags.as_slice());
    let mut req = edit_base(section, kind, &[id.to_owned()]);
    let name = tag.param();
    let list: Vec<&str> = match op {
        TagOp::Add => union(existing, tags),
        TagOp::Set => dedup(tags),
        TagOp::Remove => Vec::new(),
    };
    match op {
        TagOp::Remove => req = req.with_query(format!("{name}[].tag.tag-"), joined(tags)),
        TagOp::Set if list.is_empty() => {
            req = req.with_query(format!("{name}[].tag.tag-"), joined(existing))
        }
        TagOp::Add | TagOp::Set => {
            for (i, t) in list.iter().enumerate() {
                req = req.with_query(format!("{name}[{i}].tag.tag"), *t);
            }
        }
    }
    if lock {
        req = req.with_query(format!("{name}.locked"), "1");
    }
    req
}

/// Splits the seed's pipe-separated lists (`Action|Sci-Fi`), trimming and
/// dropping empty parts.
pub fn split_tag_list(raw: &str) -> Vec<String> {
    raw.split('|')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn edit_base(section: &str, kind: MediaType, ids: &[String]) -> PlexRequest {
    PlexRequest::new(Method::PUT, ["library", "sections", section, "all"])
        .with_query("type", kind.number().to_string())
        .with_query("id", ids.join(","))
}

/// What Python's `quote(s, safe='')` leaves alone: letters, digits, `-._~`.
const TAG_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn joined(tags: &[String]) -> String {
    tags.iter()
        .map(|t| utf8_percent_encode(t, TAG_VALUE).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn union<'a>(existing: &'a [String], new: &'a [String]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for t in existing.iter().chain(new) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            out.push(t);
        }
    }
    out
}

fn dedup(tags: &[String]) -> Vec<&str> {
    union(&[], tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn edit_fields_is_one_put_with_values_and_locks() {
        let req = edit_fields(
            "1",
            MediaType::Movie,
            &s(&["10", "11"]),
            &[
                ("title".into(), "Amélie & co".into()),
                ("year".into(), "2001".into()),
            ],
            true,
        );
        assert_eq!(req.method, Method::PUT);
        assert_eq!(req.path, ["library", "sections", "1", "all"]);
        let q: Vec<(&str, &str)> = req
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            q,
            vec![
                ("type", "1"),
                ("id", "10,11"),
                ("title.value", "Amélie & co"),
                ("title.locked", "1"),
                ("year.value", "2001"),
                ("year.locked", "1"),
            ]
        );
    }

    #[test]
    fn lock_fields_sends_only_lock_pairs() {
        let req = lock_fields("3", MediaType::Episode, &s(&["7"]), &["thumb", "art"], true);
        assert_eq!(
            req.to_string(),
            "PUT /library/sections/3/all?type=4&id=7&thumb.locked=1&art.locked=1"
        );
    }

    #[test]
    fn unlocked_edit_sends_no_lock_pairs() {
        let req = edit_fields(
            "1",
            MediaType::Movie,
            &s(&["10"]),
            &[("summary".into(), "x".into())],
            false,
        );
        assert!(req.query.iter().all(|(k, _)| !k.ends_with(".locked")));
    }

    #[test]
    fn adding_tags_resends_the_existing_ones() {
        let req = edit_tags(
            "1",
            MediaType::Movie,
            "10",
            &TagChange::new(TagKind::Genre, TagOp::Add, s(&["Drama", "action"])),
            &s(&["Action", "Comedy"]),
            true,
        );
        let q: Vec<(&str, &str)> = req
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            q,
            vec![
                ("type", "1"),
                ("id", "10"),
                ("genre[0].tag.tag", "Action"),
                ("genre[1].tag.tag", "Comedy"),
                ("genre[2].tag.tag", "Drama"),
                ("genre.locked", "1"),
            ]
        );
    }

    #[test]
    fn removing_tags_encodes_each_then_joins_with_commas() {
        let req = edit_tags(
            "1",
            MediaType::Movie,
            "10",
            &TagChange::new(
                TagKind::Label,
                TagOp::Remove,
                s(&["a,b", "Sci-Fi & Fantasy"]),
            ),
            &[],
            false,
        );
        assert_eq!(
            req.query_value("label[].tag.tag-"),
            Some("a%2Cb,Sci-Fi%20%26%20Fantasy")
        );
    }

    #[test]
    fn setting_an_empty_list_removes_all_existing() {
        let req = edit_tags(
            "1",
            MediaType::Show,
            "5",
            &TagChange::new(TagKind::Collection, TagOp::Set, vec![]),
            &s(&["Old"]),
            false,
        );
        assert_eq!(req.query_value("collection[].tag.tag-"), Some("Old"));
        assert_eq!(req.query_value("type"), Some("2"));
    }

    #[test]
    fn pipe_lists_split_and_trim() {
        assert_eq!(
            split_tag_list(" Action | Sci-Fi||"),
            s(&["Action", "Sci-Fi"])
        );
        assert!("Genre".parse::<TagKind>().is_ok());
        assert!("mood".parse::<TagKind>().unwrap_err().contains("genre"));
    }
}
