//! The variables one evaluation sees: `event`, `item` (when fetched) and
//! capture groups, in the three forms their readers want — JSON (captures,
//! `explain`), CEL values (conditions) and minijinja values (templates).
//!
//! The event and item are converted once per event and shared (behind
//! `Arc`s) by every rule evaluated for it; only captures are per rule.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::facts::ItemFacts;
use super::scope::{self, Field};
use crate::event::Event;

/// The converted `event` and `item`.
#[derive(Debug)]
struct Base {
    json: serde_json::Map<String, Json>,
    cel: Vec<(String, cel::Value)>,
    jinja: BTreeMap<String, minijinja::Value>,
}

/// Variables for one rule's evaluation; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Vars {
    base: Arc<Base>,
    /// Capture groups, in the order they were set.
    captures: Vec<(String, String)>,
}

impl Vars {
    /// `event` and `item` as rules see them: known-but-absent fields are
    /// null, so `event.item.title == "x"` is false rather than an error.
    pub(crate) fn new(event: &Event, item: Option<&ItemFacts>) -> Vars {
        let mut json = serde_json::Map::new();
        let mut e = serde_json::to_value(event).unwrap_or_default();
        fill_nulls(&mut e, scope::EVENT);
        json.insert("event".into(), e);
        if let Some(facts) = item {
            json.insert(
                "item".into(),
                serde_json::to_value(facts).unwrap_or_default(),
            );
        }
        let cel = json
            .iter()
            .map(|(k, v)| (k.clone(), json_to_cel(v)))
            .collect();
        let jinja = json
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    minijinja::Value::from(minijinja::value::Serde(v)),
                )
            })
            .collect();
        Vars {
            base: Arc::new(Base { json, cel, jinja }),
            captures: Vec::new(),
        }
    }

    /// Adds (or replaces) a capture variable.
    pub(crate) fn set(&mut self, name: &str, value: String) {
        self.captures.retain(|(k, _)| k != name);
        self.captures.push((name.to_owned(), value));
    }

    /// The value at a dotted path, if present.
    pub(crate) fn lookup(&self, dotted: &str) -> Option<Json> {
        let mut parts = dotted.split('.');
        let root = parts.next()?;
        if let Some((_, v)) = self.captures.iter().find(|(k, _)| k == root) {
            return parts.next().is_none().then(|| Json::String(v.clone()));
        }
        let mut cur = self.base.json.get(root)?;
        for p in parts {
            cur = cur.get(p)?;
        }
        Some(cur.clone())
    }

    /// The event as rules see it (the default webhook body).
    pub(crate) fn event_json(&self) -> Json {
        self.base.json.get("event").cloned().unwrap_or_default()
    }

    /// A CEL context holding every variable.
    pub(crate) fn cel_context(&self, env: &Arc<cel::Env>) -> cel::Context<'static, 'static> {
        let mut ctx = cel::Context::with_env(Arc::clone(env));
        for (name, value) in &self.base.cel {
            ctx.add_variable_from_value(name.as_str(), value.clone());
        }
        for (name, value) in &self.captures {
            ctx.add_variable_from_value(name.as_str(), value.as_str());
        }
        ctx
    }

    /// The template context.
    pub(crate) fn jinja(&self) -> minijinja::Value {
        let mut map = self.base.jinja.clone();
        for (name, value) in &self.captures {
            map.insert(name.clone(), minijinja::Value::from(value.as_str()));
        }
        minijinja::Value::from(map)
    }
}

/// JSON into CEL, keeping whole numbers as `int` so `item.year == 2002` holds.
pub(crate) fn json_to_cel(v: &Json) -> cel::Value {
    match v {
        Json::Null => cel::Value::Null,
        Json::Bool(b) => cel::Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => cel::Value::Int(i),
            (None, Some(u)) => cel::Value::UInt(u),
            _ => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => cel::Value::String(Arc::new(s.clone())),
        Json::Array(a) => cel::Value::List(Arc::new(a.iter().map(json_to_cel).collect())),
        Json::Object(o) => {
            let map: std::collections::HashMap<String, cel::Value> =
                o.iter().map(|(k, v)| (k.clone(), json_to_cel(v))).collect();
            cel::Value::from(map)
        }
    }
}

fn fill_nulls(v: &mut Json, shape: Field) {
    let (Json::Object(map), Field::Object(fields)) = (v, shape) else {
        return;
    };
    for (name, field, needs) in fields {
        match map.get_mut(*name) {
            Some(child) => fill_nulls(child, *field),
            None if *needs == scope::Needs::Nothing && !matches!(field, Field::Object(_)) => {
                map.insert((*name).to_owned(), Json::Null);
            }
            None => {}
        }
    }
}
