//! `metarr-plex schema`: a JSON Schema of the rule format, for editors
//! (Even Better TOML / taplo: put `#:schema ./rule.schema.json` at the top
//! of a rule file for completion and validation while typing).
//!
//! The top-level shape is derived with schemars from the documented structs
//! below; `[[actions]]` is generated from the same parameter table the
//! checker uses, so the schema cannot drift from what `check` accepts.

use schemars::JsonSchema;
use serde_json::{Value, json};

use super::action::{Kind, SPECS};
use super::facts::ItemFacts;
use super::vocab::{ITEM_TYPES, MODES, SECTION_TYPES};
use crate::event::EventName;

/// One rule per file; the file stem is the rule id.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Rule {
    /// What the rule does, for people and logs.
    description: Option<String>,
    /// false keeps the rule loaded and checked but never run. Default true.
    enabled: Option<bool>,
    /// What a new trigger does while a run for the same key is active or pending. Default "single".
    mode: Option<String>,
    /// Runs per key for queued and parallel modes.
    max: Option<u32>,
    /// Template naming the scope of mode, debounce and cooldown. Default: the event's item id, else its section id.
    key: Option<String>,
    /// Trailing settle window: run once the key has been quiet this long ("20s").
    debounce: Option<String>,
    /// Fixed delay from the first trigger ("10s").
    delay: Option<String>,
    /// After a successful run, drop triggers for the same key this long ("24h").
    cooldown: Option<String>,
    /// Hold the run until nobody is playing anything.
    when_idle: Option<bool>,
    /// Also react to events our own actions caused (off by default: the loop guard).
    include_self: Option<bool>,
    /// CEL expressions; all must be true. Variables: event, item, capture names.
    conditions: Option<Vec<String>>,
    /// Any of these starts the rule.
    triggers: Vec<Trigger>,
    /// Named regex groups over a value; they become variables. No match: the rule is skipped.
    captures: Option<Vec<Capture>>,
    /// Events that drop a pending (delayed or debounced) run for the same key.
    cancel: Option<Cancel>,
    /// Run in order; the run stops at the first failure.
    actions: Vec<Value>,
    /// Embedded tests run by `metarr-plex test`.
    tests: Option<Vec<Test>>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Trigger {
    /// One event name.
    event: Option<String>,
    /// Several event names.
    events: Option<Vec<String>>,
    /// Section titles or ids.
    section: Option<Vec<Value>>,
    /// movie, show, artist, photo.
    section_type: Option<Vec<String>>,
    /// movie, show, season, episode, …
    item_type: Option<Vec<String>>,
    /// Activity type globs, e.g. "library.update.section", "media.generate.*".
    activity: Option<Vec<String>>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Capture {
    /// The value to search: "item.folder", "item.files", "item.labels", "event.item.title"…
    from: String,
    /// A regex with named groups: '\{tmdb-(?P<tmdb>\d+)\}'.
    regex: String,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Cancel {
    /// Event names.
    events: Vec<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Test {
    /// A label for the report.
    name: Option<String>,
    /// The event: { name = "…", section = { id = "1" }, item = { id = "42" } }.
    event: Value,
    /// The metadata a fetch returns.
    item: Option<ItemFacts>,
    /// Canned responses: "GET /path" = { MediaContainer = { … } } (the JSON
    /// body inline), or "GET /path" = "file.json" (relative to the rule file).
    responses: Option<std::collections::BTreeMap<String, Value>>,
    /// Local files that exist during the test.
    files: Option<Vec<String>>,
    /// The requests expected, in order; [] when the rule must not fire.
    expect: Vec<String>,
}

/// The JSON Schema of a rule file.
pub fn rule_schema() -> Value {
    let mut root: Value = schemars::schema_for!(Rule).into();
    let events: Vec<&str> = EventName::ALL.iter().map(|e| e.as_str()).collect();
    let one_or_many =
        |items: Value| json!({ "anyOf": [items.clone(), { "type": "array", "items": items }] });
    let patches = [
        (
            "/properties/mode",
            json!({ "enum": MODES, "description": "single | restart | queued | parallel" }),
        ),
        (
            "/$defs/Trigger/properties/event",
            one_or_many(json!({ "enum": events })),
        ),
        // `check` takes one string wherever it takes a list: so does the schema.
        (
            "/$defs/Trigger/properties/events",
            one_or_many(json!({ "enum": events })),
        ),
        (
            "/$defs/Cancel/properties/events",
            one_or_many(json!({ "enum": events })),
        ),
        (
            "/$defs/Test/properties/expect",
            one_or_many(json!({ "type": "string" })),
        ),
        (
            "/$defs/Test/properties/files",
            one_or_many(json!({ "type": "string" })),
        ),
        (
            "/$defs/Trigger/properties/section",
            one_or_many(json!({ "type": ["string", "integer"] })),
        ),
        (
            "/$defs/Trigger/properties/section_type",
            one_or_many(json!({ "enum": SECTION_TYPES })),
        ),
        (
            "/$defs/Trigger/properties/item_type",
            one_or_many(json!({ "enum": ITEM_TYPES })),
        ),
        (
            "/$defs/Trigger/properties/activity",
            one_or_many(json!({ "type": "string" })),
        ),
        (
            "/properties/conditions",
            one_or_many(json!({ "type": "string" })),
        ),
        (
            "/properties/actions/items",
            json!({ "oneOf": SPECS.iter().map(action_schema).collect::<Vec<_>>() }),
        ),
    ];
    for (pointer, patch) in patches {
        if let Some(slot) = root.pointer_mut(pointer) {
            let description = slot.get("description").cloned();
            *slot = patch;
            if let (Some(d), Some(obj)) = (description, slot.as_object_mut()) {
                obj.entry("description").or_insert(d);
            }
        }
    }
    if let Some(obj) = root.as_object_mut() {
        obj.insert("title".into(), json!("metarr-plex rule"));
    }
    root
}

fn action_schema(spec: &super::action::Spec) -> Value {
    let mut properties = serde_json::Map::new();
    properties.insert(
        "action".into(),
        json!({ "const": spec.name, "description": spec.doc }),
    );
    let mut required = vec![json!("action")];
    for p in spec.params {
        let mut schema = match p.kind {
            Kind::Text => json!({ "type": "string" }),
            Kind::Texts => {
                json!({ "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }] })
            }
            Kind::Argv => json!({ "type": "array", "items": { "type": "string" }, "minItems": 1 }),
            Kind::Flag => json!({ "type": "boolean" }),
            Kind::Choice(words) => json!({ "enum": words }),
            Kind::Duration => json!({ "type": "string", "examples": ["30s", "5m"] }),
            Kind::Map => {
                json!({ "type": "object", "additionalProperties": { "type": ["string", "integer", "number", "boolean"] } })
            }
            Kind::Body => json!({ "type": ["object", "string"] }),
            Kind::Tags => json!({
                "type": "object",
                "propertyNames": { "enum": super::vocab::TAG_KINDS },
                "additionalProperties": { "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }] }
            }),
        };
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("description".into(), json!(p.doc));
        }
        properties.insert(p.name.into(), schema);
        if p.required {
            required.push(json!(p.name));
        }
    }
    let mut schema = json!({
        "type": "object",
        "description": spec.doc,
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    if !spec.one_of.is_empty()
        && let Some(obj) = schema.as_object_mut()
    {
        let all: Vec<Value> = spec
            .one_of
            .iter()
            .map(|group| json!({ "oneOf": group.iter().map(|g| json!({ "required": [g] })).collect::<Vec<_>>() }))
            .collect();
        obj.insert("allOf".into(), json!(all));
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lists_every_key_check_accepts() {
        let schema = rule_schema();
        for key in super::super::compile::KEYS {
            assert!(
                schema.pointer(&format!("/properties/{key}")).is_some(),
                "{key}"
            );
        }
        for key in super::super::trigger::KEYS {
            assert!(
                schema
                    .pointer(&format!("/$defs/Trigger/properties/{key}"))
                    .is_some(),
                "{key}"
            );
        }
        for key in super::super::test_case::KEYS {
            assert!(
                schema
                    .pointer(&format!("/$defs/Test/properties/{key}"))
                    .is_some(),
                "{key}"
            );
        }
        let actions = schema
            .pointer("/properties/actions/items/oneOf")
            .unwrap()
            .as_array()
            .unwrap();
        assert_eq!(actions.len(), SPECS.len());
        assert_eq!(
            schema.pointer("/properties/mode/enum").unwrap(),
            &json!(MODES)
        );
    }
}
