//! The CEL spelling of what people write the Python, JavaScript or Jinja
//! way: `startswith`, `len(x)`, `x.lower()`.

/// The CEL spelling of a method people write the Python or JavaScript way.
pub(super) fn cel_method_name(name: &str) -> &str {
    match name {
        "startswith" | "starts_with" | "hasPrefix" => "startsWith",
        "endswith" | "ends_with" | "hasSuffix" => "endsWith",
        "match" | "search" | "regex" | "test" => "matches",
        "includes" | "has" | "find" | "indexOf" => "contains",
        other => other,
    }
}

/// A hint for an unknown string method; `{on}` and `{arg}` are filled in.
pub(super) fn string_method_fix(name: &str) -> Option<&'static str> {
    Some(match name {
        "startswith" | "starts_with" | "hasPrefix" | "startWith" => {
            "CEL spells it startsWith: {on}.startsWith({arg})"
        }
        "endswith" | "ends_with" | "hasSuffix" | "endWith" => {
            "CEL spells it endsWith: {on}.endsWith({arg})"
        }
        "match" | "search" | "regex" | "test" | "fullmatch" => {
            "CEL spells it matches (a regex, found anywhere): {on}.matches({arg})"
        }
        "includes" | "has" | "find" | "indexOf" | "index" | "count" => {
            "CEL spells it contains: {on}.contains({arg})"
        }
        "lower" | "upper" | "toLowerCase" | "toUpperCase" | "lowerAscii" | "upperAscii"
        | "casefold" | "title" | "capitalize" => {
            "CEL here has no case conversion; match without case with a regex: {on}.matches(\"(?i)…\")"
        }
        "length" | "len" => "write size({on})",
        "strip" | "trim" | "split" | "replace" | "substring" | "format" | "join" => {
            "CEL here has no string editing; test the text with contains(), startsWith(), endsWith() or matches()"
        }
        _ => return None,
    })
}

/// The message and hint for a global function CEL does not have.
pub(super) fn unknown_function(name: &str) -> (String, String) {
    let help = match name {
        "len" | "length" | "count" => "CEL spells it size(x)".to_owned(),
        "str" => "CEL spells it string(x)".to_owned(),
        "float" => "CEL spells it double(x)".to_owned(),
        "lower" | "upper" => "CEL here has no case conversion; match without case with a regex: x.matches(\"(?i)…\")".to_owned(),
        "contains" | "startsWith" | "endsWith" | "startswith" | "endswith" => format!(
            "it is a method: x.{}(\"…\")",
            cel_method_name(name)
        ),
        "exists" | "all" | "filter" | "map" | "any" => {
            "it is a macro on a list: item.labels.exists(l, l.startsWith(\"x\"))".to_owned()
        }
        "defined" | "isset" | "is_defined" => "CEL spells it has(event.item)".to_owned(),
        _ => "CEL functions are size, int, uint, double, string, bool, matches, has, max, min, timestamp, duration".to_owned(),
    };
    (format!("unknown function `{name}`"), help)
}
