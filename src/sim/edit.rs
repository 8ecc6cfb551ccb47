//! Field and tag edits, the `PUT /library/sections/{sid}/all?type=&id=…`
//! form python-plexapi and Kometa use (PROTOCOL.md §4.4).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::item::ItemKind;
use super::library::{Library, now_epoch};
use super::rejection::Rejection;

static INDEXED_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\w+)\[(\d+)\]\.tag\.tag$").unwrap());
static REMOVE_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\w+)\[\]\.tag\.tag-$").unwrap());
static CLEAR_TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\w+)\[\]\.tag$").unwrap());
static VALUE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\w+)\.value$").unwrap());
static LOCKED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\w+)\.locked$").unwrap());

/// One change an edit request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EditOp {
    SetField(String, String),
    Lock(String, bool),
    ReplaceTags(String, Vec<String>),
    RemoveTags(String, Vec<String>),
    ClearTags(String),
}

/// Reads the edit operations out of the query, in a stable order: values,
/// then tag changes, then locks.
fn parse_ops(params: &[(String, String)]) -> Vec<EditOp> {
    let mut ops = Vec::new();
    let mut indexed: BTreeMap<String, BTreeMap<u32, String>> = BTreeMap::new();
    for (k, v) in params {
        if let Some(c) = INDEXED_TAG.captures(k) {
            let idx = c[2].parse().unwrap_or(u32::MAX);
            indexed
                .entry(c[1].to_owned())
                .or_default()
                .insert(idx, v.clone());
        } else if let Some(c) = REMOVE_TAG.captures(k) {
            // Each tag was percent-encoded on its own before the list was joined
            // with commas, so commas inside a tag survive.
            let tags = v
                .split(',')
                .map(|t| {
                    percent_encoding::percent_decode_str(t)
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .filter(|t| !t.is_empty())
                .collect();
            ops.push(EditOp::RemoveTags(c[1].to_owned(), tags));
        } else if let Some(c) = CLEAR_TAG.captures(k) {
            ops.push(EditOp::ClearTags(c[1].to_owned()));
        } else if let Some(c) = VALUE.captures(k) {
            ops.push(EditOp::SetField(c[1].to_owned(), v.clone()));
        } else if let Some(c) = LOCKED.captures(k) {
            ops.push(EditOp::Lock(c[1].to_owned(), v == "1" || v == "true"));
        }
    }
    for (kind, tags) in indexed {
        ops.push(EditOp::ReplaceTags(
            kind,
            tags.into_values().filter(|t| !t.is_empty()).collect(),
        ));
    }
    ops.sort_by_key(|op| match op {
        EditOp::SetField(..) => 0,
        EditOp::ReplaceTags(..) | EditOp::ClearTags(..) => 1,
        EditOp::RemoveTags(..) => 2,
        EditOp::Lock(..) => 3,
    });
    ops
}

impl Library {
    /// Applies an edit to every id in `id=` (a comma list). The section must
    /// exist (404), `type=` must name the items' kind (400), and each id must
    /// be an item of that section (404). Returns the edited rating keys.
    pub fn edit(
        &mut self,
        section_id: &str,
        params: &[(String, String)],
    ) -> Result<Vec<String>, Rejection> {
        if self.section(section_id).is_none() {
            return Err(Rejection::NotFound(format!("section {section_id}")));
        }
        let get = |key: &str| {
            params
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let kind = get("type")
            .and_then(|t| t.trim().parse::<u32>().ok())
            .and_then(ItemKind::from_code)
            .ok_or_else(|| Rejection::BadRequest("type= is missing or unknown".into()))?;
        let ids: Vec<String> = get("id")
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if ids.is_empty() {
            return Err(Rejection::BadRequest("id= is missing".into()));
        }
        for id in &ids {
            let item = self
                .item(id)
                .filter(|i| i.section_id == section_id)
                .ok_or_else(|| Rejection::NotFound(format!("item {id} in section {section_id}")))?;
            if item.kind != kind {
                return Err(Rejection::BadRequest(format!(
                    "item {id} is a {}, not a {}",
                    item.kind.as_str(),
                    kind.as_str()
                )));
            }
        }
        let ops = parse_ops(params);
        for op in &ops {
            if let EditOp::SetField(f, v) = op
                && f == "year"
                && !v.is_empty()
                && v.parse::<i32>().is_err()
            {
                return Err(Rejection::BadRequest("year.value must be a number".into()));
            }
        }
        let now = now_epoch();
        for id in &ids {
            let Some(item) = self.item_mut(id) else {
                continue;
            };
            for op in &ops {
                match op {
                    EditOp::SetField(f, v) => match f.as_str() {
                        "title" => item.title = v.clone(),
                        "year" => item.year = v.parse().ok(),
                        _ => {
                            item.fields.insert(f.clone(), v.clone());
                        }
                    },
                    EditOp::Lock(f, true) => {
                        item.locked_fields.insert(f.clone());
                    }
                    EditOp::Lock(f, false) => {
                        item.locked_fields.remove(f);
                    }
                    EditOp::ReplaceTags(kind, tags) => {
                        item.tags.insert(kind.clone(), tags.clone());
                    }
                    EditOp::ClearTags(kind) => {
                        item.tags.remove(kind);
                    }
                    EditOp::RemoveTags(kind, tags) => {
                        if let Some(list) = item.tags.get_mut(kind) {
                            list.retain(|t| !tags.contains(t));
                        }
                    }
                }
            }
            item.updated_at = now;
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn indexed_tags_replace_in_index_order_and_removals_decode_each_tag() {
        let ops = parse_ops(&pairs(&[
            ("genre[1].tag.tag", "Drama"),
            ("genre[0].tag.tag", "Action"),
            ("label[].tag.tag-", "a%2Cb,c"),
            ("genre.locked", "1"),
            ("title.value", "X"),
        ]));
        assert_eq!(
            ops,
            vec![
                EditOp::SetField("title".into(), "X".into()),
                EditOp::ReplaceTags("genre".into(), vec!["Action".into(), "Drama".into()]),
                EditOp::RemoveTags("label".into(), vec!["a,b".into(), "c".into()]),
                EditOp::Lock("genre".into(), true),
            ]
        );
    }
}
