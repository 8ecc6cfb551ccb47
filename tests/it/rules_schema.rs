//! The JSON Schema (`metarr-plex schema`, shipped as rules/rule.schema.json)
//! and `check` agree: every rule `check` accepts — the shipped rules, the
//! READMEs' examples, and rules written with a single string where a list is
//! allowed — is valid under the schema, so an editor never flags a rule that
//! runs. The schema is read by the small interpreter below, which knows
//! every keyword the schema uses and fails on any other.

use std::path::{Path, PathBuf};

use metarr_plex::rules::{self, load_sources};
use serde_json::{Value, json};

/// What is wrong with `value` under `schema` (`root` resolves `$ref`s).
fn validate(root: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let Some(obj) = schema.as_object() else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let props = obj.get("properties").and_then(Value::as_object);
    for (keyword, rule) in obj {
        let mut fail = |why: String| errors.push(format!("{at}: {why}"));
        match keyword.as_str() {
            "$ref" => {
                let pointer = rule.as_str().unwrap().trim_start_matches('#');
                let target = root
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling {pointer}"));
                errors.extend(validate(root, target, value, at));
            }
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    other => panic!("type {other}"),
                };
                if !types.iter().any(|t| has_type(value, t)) {
                    fail(format!("is not {types:?}: {value}"));
                }
            }
            "enum" => {
                if !rule.as_array().unwrap().contains(value) {
                    fail(format!("{value} is not one of the enum"));
                }
            }
            "const" => {
                if rule != value {
                    fail(format!("{value} is not {rule}"));
                }
            }
            "minimum" => {
                if value.as_f64().is_some_and(|v| v < rule.as_f64().unwrap()) {
                    fail(format!("{value} < {rule}"));
                }
            }
            "minItems" => {
                if value
                    .as_array()
                    .is_some_and(|a| (a.len() as u64) < rule.as_u64().unwrap())
                {
                    fail(format!("fewer than {rule} items"));
                }
            }
            "anyOf" | "oneOf" | "allOf" => {
                let subs = rule.as_array().unwrap();
                let n = subs
                    .iter()
                    .filter(|s| validate(root, s, value, at).is_empty())
                    .count();
                let ok = match keyword.as_str() {
                    "anyOf" => n >= 1,
                    "oneOf" => n == 1,
                    _ => n == subs.len(),
                };
                if !ok {
                    fail(format!("{keyword}: {n} of {} subschemas hold", subs.len()));
                }
            }
            "properties" => {
                for (k, v) in value.as_object().into_iter().flatten() {
                    if let Some(s) = rule.get(k) {
                        errors.extend(validate(root, s, v, &format!("{at}/{k}")));
                    }
                }
            }
            "additionalProperties" => {
                for (k, v) in value.as_object().into_iter().flatten() {
                    if props.is_some_and(|p| p.contains_key(k)) {
                        continue;
                    }
                    match rule {
                        Value::Bool(false) => errors.push(format!("{at}: unexpected key `{k}`")),
                        Value::Bool(true) => {}
                        s => errors.extend(validate(root, s, v, &format!("{at}/{k}"))),
                    }
                }
            }
            "required" => {
                if let Some(map) = value.as_object() {
                    for k in rule.as_array().unwrap() {
                        if !map.contains_key(k.as_str().unwrap()) {
                            errors.push(format!("{at}: missing `{k}`"));
                        }
                    }
                }
            }
            "propertyNames" => {
                for k in value.as_object().into_iter().flatten().map(|(k, _)| k) {
                    errors.extend(validate(root, rule, &json!(k), &format!("{at}/{k}")));
                }
            }
            "items" => {
                for (i, v) in value.as_array().into_iter().flatten().enumerate() {
                    errors.extend(validate(root, rule, v, &format!("{at}/{i}")));
                }
            }
            "$schema" | "$defs" | "title" | "description" | "default" | "examples" | "format" => {}
            other => panic!("the schema uses `{other}`, which this test does not interpret"),
        }
    }
    errors
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("type {other}"),
    }
}

/// `check` accepts `text` (as a rule file at `path`) with no finding, and
/// the schema accepts it as JSON.
fn both_accept(path: &Path, text: &str) {
    let loaded = load_sources(vec![(path.to_path_buf(), text.to_owned())]);
    assert!(
        loaded.diagnostics.is_empty(),
        "check refuses {}:\n{}",
        path.display(),
        rules::render_human(&loaded, false)
    );
    let doc: Value = serde_json::to_value(toml::from_str::<toml::Table>(text).unwrap()).unwrap();
    let schema = rules::rule_schema();
    let errors = validate(&schema, &schema, &doc, "");
    assert!(
        errors.is_empty(),
        "the schema refuses {}:\n{}",
        path.display(),
        errors.join("\n")
    );
}

/// The ```toml blocks of a README that are rules (they have `[[triggers]]`).
fn readme_rules(readme: &str) -> Vec<String> {
    let text = std::fs::read_to_string(readme).unwrap();
    text.split("```toml\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter(|block| block.contains("[[triggers]]"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn schema_accepts_every_rule_check_accepts() {
    let mut count = 0;
    for entry in std::fs::read_dir("rules").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            both_accept(&path, &std::fs::read_to_string(&path).unwrap());
            count += 1;
        }
    }
    assert!(count >= 6, "only {count} shipped rules");
    // README examples are checked as if they sat in rules/ (their fixtures do).
    for (readme, name) in [("README.md", "readme"), ("rules/README.md", "rules-readme")] {
        let blocks = readme_rules(readme);
        assert!(!blocks.is_empty(), "{readme} has no rule example");
        for (i, block) in blocks.iter().enumerate() {
            both_accept(&PathBuf::from(format!("rules/{name}-{i}.toml")), block);
        }
    }
}

#[test]
fn one_string_where_a_list_is_allowed_is_valid_for_both() {
    let rule = r#"
conditions = 'item.year > 2000'

[[triggers]]
events = "item.added"
section = "Movies"
section_type = "movie"
item_type = "movie"

[[triggers]]
event = "library.refresh.ended"
activity = "library.update.*"

[cancel]
events = "playback.started"

[[actions]]
action = "scan"
paths = "/data/movies/new"

[[tests]]
event = { name = "item.added", section = { id = "1", title = "Movies", type = "movie" }, item = { id = "42", type = "movie" } }
item = { id = "42", type = "movie", year = 2016, files = ["/data/movies/new/a.mkv"] }
files = "/data/movies/new/a.mkv"
expect = "GET /library/sections/1/refresh?path=%2Fdata%2Fmovies%2Fnew"
"#;
    let rule = rule.replace("conditions =", "delay = \"10s\"\nconditions =");
    both_accept(Path::new("rules/one-string.toml"), &rule);
}

#[test]
fn the_schema_refuses_what_check_refuses_for_list_keys() {
    let schema = rules::rule_schema();
    for (key, value) in [
        ("/$defs/Trigger/properties/events", json!(1)),
        ("/$defs/Trigger/properties/events", json!(["item.aded"])),
        ("/$defs/Cancel/properties/events", json!("item.aded")),
        ("/$defs/Test/properties/expect", json!([1])),
    ] {
        let sub = schema.pointer(key).unwrap();
        assert!(
            !validate(&schema, sub, &value, key).is_empty(),
            "{key} accepts {value}"
        );
    }
}
