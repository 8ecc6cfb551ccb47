//! Rendering a compiled action's templates for one event into a typed
//! [`ResolvedAction`], with the checks only a rendered value allows
//! (empty ids, a raw path that leaves the server).

use std::collections::BTreeMap;

use super::super::resolved::{
    CollectionChange, IfMissing, ImageKind, ImageSource, MatchTarget, ResolvedAction, ScanTarget,
    TagChange,
};
use super::super::{Renderer, RuleError};
use super::{Body, CompiledAction, Value};

pub(super) fn resolve(
    action: &CompiledAction,
    r: &Renderer<'_>,
) -> Result<ResolvedAction, RuleError> {
    let this = action;
    let text = |name: &str| -> Result<Option<String>, RuleError> {
        match this.get(name) {
            Some(Value::Text(t)) => r.render(t, name).map(Some),
            _ => Ok(None),
        }
    };
    let id = |name: &str, default: Option<&str>| -> Result<String, RuleError> {
        let value = match text(name)? {
            Some(v) => v,
            None => default.map(str::to_owned).unwrap_or_default(),
        };
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Err(RuleError::EmptyValue {
                action: this.name,
                param: name.to_owned(),
            });
        }
        Ok(value)
    };
    let item = || id("item", r.event_item());
    let texts = |name: &str| -> Result<Vec<String>, RuleError> {
        match this.get(name) {
            Some(Value::Texts(ts)) => ts.iter().map(|t| r.render(t, name)).collect(),
            _ => Ok(Vec::new()),
        }
    };
    let flag = |name: &str, default: bool| match this.get(name) {
        Some(Value::Flag(b)) => *b,
        _ => default,
    };
    let choice = |name: &str, default: &'static str| match this.get(name) {
        Some(Value::Choice(c)) => *c,
        _ => default,
    };
    let duration = |name: &str| match this.get(name) {
        Some(Value::Duration(d)) => Some(*d),
        _ => None,
    };
    let map = |name: &str| -> Result<BTreeMap<String, String>, RuleError> {
        match this.get(name) {
            Some(Value::Map(m)) => m
                .iter()
                .map(|(k, t)| Ok((k.clone(), r.render(t, name)?)))
                .collect(),
            _ => Ok(BTreeMap::new()),
        }
    };
    Ok(match this.name {
        "scan" if flag("missing", false) => ResolvedAction::Scan {
            target: ScanTarget::Missing {
                section: id("section", r.event_section())?,
                under: texts("under")?,
            },
        },
        "scan" => ResolvedAction::Scan {
            target: ScanTarget::Paths(texts("paths")?),
        },
        "refresh_section" => ResolvedAction::RefreshSection {
            section: id("section", r.event_section())?,
            wait: flag("wait", false),
        },
        "refresh" => ResolvedAction::Refresh { item: item()? },
        "analyze" => ResolvedAction::Analyze { item: item()? },
        "unmatch" => ResolvedAction::Unmatch { item: item()? },
        "match" => {
            let target = if this.get("guid").is_some() {
                external_guid(id("guid", None)?)
            } else if this.get("tmdb").is_some() {
                MatchTarget::Tmdb(id("tmdb", None)?)
            } else if this.get("imdb").is_some() {
                MatchTarget::Imdb(id("imdb", None)?)
            } else {
                MatchTarget::Tvdb(id("tvdb", None)?)
            };
            ResolvedAction::Match {
                item: item()?,
                target,
                agent: text("agent")?.filter(|a| !a.is_empty()),
            }
        }
        "edit" => ResolvedAction::Edit {
            item: item()?,
            fields: map("fields")?,
            lock: flag("lock", true),
        },
        "tags" => {
            let (change, name) = if this.get("add").is_some() {
                (TagChange::Add, "add")
            } else if this.get("remove").is_some() {
                (TagChange::Remove, "remove")
            } else {
                (TagChange::Set, "set")
            };
            let mut tags = BTreeMap::new();
            if let Some(Value::Tags(kinds)) = this.get(name) {
                for (kind, ts) in kinds {
                    let mut list = Vec::new();
                    for t in ts {
                        let rendered = r.render(t, name)?;
                        list.extend(
                            rendered
                                .split('|')
                                .map(str::trim)
                                .filter(|s| !s.is_empty())
                                .map(str::to_owned),
                        );
                    }
                    tags.insert((*kind).to_owned(), list);
                }
            }
            ResolvedAction::Tags {
                item: item()?,
                change,
                tags,
            }
        }
        "upload_poster" | "upload_art" => {
            let image = if this.name == "upload_poster" {
                ImageKind::Poster
            } else {
                ImageKind::Art
            };
            let source = match text("file")? {
                Some(f) => ImageSource::File(non_empty(f, this.name, "file")?),
                None => ImageSource::Url(id("url", None)?),
            };
            let if_missing = if choice("if_missing", "skip") == "fail" {
                IfMissing::Fail
            } else {
                IfMissing::Skip
            };
            ResolvedAction::Upload {
                item: item()?,
                image,
                source,
                if_missing,
            }
        }
        "detect" => ResolvedAction::Detect {
            item: item()?,
            kind: choice("kind", "intro")
                .parse()
                .map_err(|why: String| RuleError::BadValue {
                    action: this.name,
                    param: "kind".into(),
                    why,
                })?,
            force: flag("force", false),
            wait: flag("wait", false),
        },
        "collection" => {
            let section = match text("section")? {
                Some(s) => Some(non_empty(s, this.name, "section")?.trim().to_owned()),
                None => r.event_section().map(str::to_owned),
            };
            let title = id("title", None)?;
            match text("filter")? {
                Some(f) => {
                    let filter = crate::plex::request::check_filter(&f).map_err(|why| {
                        RuleError::BadValue {
                            action: this.name,
                            param: "filter".into(),
                            why,
                        }
                    })?;
                    ResolvedAction::Collection {
                        item: None,
                        section: Some(section.ok_or_else(|| RuleError::EmptyValue {
                            action: this.name,
                            param: "section".into(),
                        })?),
                        title,
                        change: CollectionChange::Smart { filter },
                    }
                }
                None => ResolvedAction::Collection {
                    item: Some(item()?),
                    section,
                    title,
                    change: if flag("remove", false) {
                        CollectionChange::Remove
                    } else {
                        CollectionChange::Add
                    },
                },
            }
        }
        "cancel_activity" => ResolvedAction::CancelActivity {
            uuid: id("uuid", None)?,
        },
        "webhook" => {
            let body = match this.get("body") {
                Some(Value::Body(b)) => render_body(b, r)?,
                _ => r.event_json(),
            };
            ResolvedAction::Webhook {
                url: id("url", None)?,
                body,
                headers: map("headers")?,
                timeout: duration("timeout"),
            }
        }
        "exec" => {
            let argv = match this.get("argv") {
                Some(Value::Texts(ts)) => {
                    ts.iter()
                        .map(|t| r.render(t, "argv"))
                        .collect::<Result<Vec<_>, _>>()?
                }
                _ => Vec::new(),
            };
            if argv.first().is_none_or(|a| a.is_empty()) {
                return Err(RuleError::EmptyValue {
                    action: this.name,
                    param: "argv".into(),
                });
            }
            ResolvedAction::Exec {
                argv,
                timeout: duration("timeout"),
            }
        }
        "log" => ResolvedAction::Log {
            message: text("message")?.unwrap_or_default(),
            level: choice("level", "info").to_owned(),
        },
        _ => {
            let path = id("path", None)?;
            if let Some(why) = bad_plex_path(&path) {
                return Err(RuleError::BadValue {
                    action: this.name,
                    param: "path".into(),
                    why: why.into(),
                });
            }
            ResolvedAction::Plex {
                method: choice("method", "GET").to_owned(),
                path,
                query: map("query")?,
            }
        }
    })
}

/// `tmdb://603`, `imdb://tt…` and `tvdb://…` name an external id, searched
/// like `tmdb = "603"`; anything else is a guid applied as is.
fn external_guid(guid: String) -> MatchTarget {
    match guid.split_once("://") {
        Some(("tmdb", id)) => MatchTarget::Tmdb(id.to_owned()),
        Some(("imdb", id)) => MatchTarget::Imdb(id.to_owned()),
        Some(("tvdb", id)) => MatchTarget::Tvdb(id.to_owned()),
        _ => MatchTarget::Guid(guid),
    }
}

fn non_empty(v: String, action: &'static str, param: &str) -> Result<String, RuleError> {
    if v.trim().is_empty() {
        Err(RuleError::EmptyValue {
            action,
            param: param.to_owned(),
        })
    } else {
        Ok(v)
    }
}

fn render_body(b: &Body, r: &Renderer<'_>) -> Result<serde_json::Value, RuleError> {
    Ok(match b {
        Body::Text(t) => serde_json::Value::String(r.render(t, "body")?),
        Body::Plain(v) => v.clone(),
        Body::List(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|i| render_body(i, r))
                .collect::<Result<_, _>>()?,
        ),
        Body::Table(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), render_body(v, r)?)))
                .collect::<Result<_, RuleError>>()?,
        ),
    })
}

/// Why a raw request path is refused, if it is.
pub(super) fn bad_plex_path(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        Some("must start with \"/\"")
    } else if path.contains("://") {
        Some("must not contain \"://\"")
    } else if path.contains('?') {
        Some("must not contain \"?\"")
    } else {
        None
    }
}
