//! Examples for type errors: "`debounce` must be a string, found an
//! integer" is only half an answer; the other half is what to write,
//! built from the value given where it can be (`debounce = 30` → `"30s"`).

use toml::de::DeValue;

/// Keys that hold a duration.
const DURATIONS: &[&str] = &["debounce", "delay", "cooldown", "timeout"];

/// A line to write instead of `key = found`, for a key that wants `want`
/// (the phrase from the type error: "a string", "an integer", …).
pub(crate) fn fix(key: &str, want: &str, found: &DeValue<'_>) -> Option<String> {
    let text = match found {
        DeValue::String(s) => Some(s.trim().to_owned()),
        DeValue::Integer(i) => Some(i.as_str().replace('_', "")),
        DeValue::Float(f) => Some(f.as_str().to_owned()),
        DeValue::Boolean(b) => Some(b.to_string()),
        _ => None,
    };
    let value = if DURATIONS.contains(&key) {
        match found {
            DeValue::Integer(_) | DeValue::Float(_) => format!("\"{}s\"", text?),
            _ => "\"15s\"".to_owned(),
        }
    } else if want.starts_with("a boolean") || want == "true or false" {
        match text.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("yes" | "true" | "on" | "1") => "true".to_owned(),
            Some("no" | "false" | "off" | "0") => "false".to_owned(),
            _ => "true".to_owned(),
        }
    } else if want == "an integer" {
        match text.as_deref().and_then(|t| t.parse::<u32>().ok()) {
            Some(n) => n.to_string(),
            None => "10".to_owned(),
        }
    } else if want.starts_with("a string") {
        match (found, text) {
            (DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_), Some(t)) => {
                format!("\"{t}\"")
            }
            _ => return None,
        }
    } else {
        return None;
    };
    Some(format!("write {key} = {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_built_from_the_value_given() {
        let fix = |key, want, v: &str| fix(key, want, DeValue::parse(v).unwrap().get_ref());
        assert_eq!(
            fix("debounce", "a string", "30").as_deref(),
            Some("write debounce = \"30s\"")
        );
        assert_eq!(
            fix("when_idle", "a boolean (true or false)", "\"yes\"").as_deref(),
            Some("write when_idle = true")
        );
        assert_eq!(
            fix("max", "an integer", "\"10\"").as_deref(),
            Some("write max = 10")
        );
        assert_eq!(
            fix("description", "a string", "2").as_deref(),
            Some("write description = \"2\"")
        );
    }
}
