//! Reading one parameter value out of its TOML form into a compiled
//! [`Value`], with the checks that belong to its kind.

use toml::Spanned;
use toml::de::DeValue;

use super::super::compile::Cx;
use super::super::reader::{Annotate, expect_string, kind_of, suggest, type_error};
use super::super::template::Template;
use super::super::vocab::TAG_KINDS;
use super::spec::{Kind, Param};
use super::{Body, Value};

fn collect_templates<'a>(v: &'a Value, out: &mut Vec<&'a Template>) {
    fn body<'a>(b: &'a Body, out: &mut Vec<&'a Template>) {
        match b {
            Body::Text(t) => out.push(t),
            Body::Plain(_) => {}
            Body::List(items) => items.iter().for_each(|i| body(i, out)),
            Body::Table(entries) => entries.iter().for_each(|(_, v)| body(v, out)),
        }
    }
    match v {
        Value::Text(t) => out.push(t),
        Value::Texts(ts) => out.extend(ts),
        Value::Map(m) => out.extend(m.iter().map(|(_, t)| t)),
        Value::Tags(kinds) => out.extend(kinds.iter().flat_map(|(_, ts)| ts)),
        Value::Body(b) => body(b, out),
        Value::Flag(_) | Value::Choice(_) | Value::Duration(_) => {}
    }
}

pub(super) fn value_uses_item(v: &Value) -> bool {
    let mut ts = Vec::new();
    collect_templates(v, &mut ts);
    ts.iter().any(|t| t.uses_item)
}

pub(super) fn compile_value(
    param: &Param,
    v: &Spanned<DeValue<'_>>,
    cx: &mut Cx<'_>,
) -> Option<Value> {
    let key = param.name;
    match param.kind {
        Kind::Text => {
            let s = expect_scalar_text(v, key, cx)?;
            cx.template(&s).map(Value::Text)
        }
        Kind::Texts => {
            let items: Vec<Spanned<String>> = match v.get_ref() {
                DeValue::Array(a) => a
                    .iter()
                    .filter_map(|i| expect_string(i, key, cx.sink))
                    .collect(),
                _ => vec![expect_string(v, key, cx.sink)?],
            };
            let ts: Vec<Template> = items.iter().filter_map(|s| cx.template(s)).collect();
            (ts.len() == items.len()).then_some(Value::Texts(ts))
        }
        Kind::Argv => match v.get_ref() {
            DeValue::Array(a) => {
                let items: Vec<Spanned<String>> = a
                    .iter()
                    .filter_map(|i| expect_string(i, key, cx.sink))
                    .collect();
                if items.is_empty() {
                    cx.sink
                        .error(v.span(), "`argv` is empty")
                        .help("give the program first: argv = [\"/usr/bin/notify-send\", \"…\"]");
                    return None;
                }
                if let [only] = items.as_slice()
                    && is_command_line(only.get_ref())
                {
                    let words: Vec<String> = argv_words(only.get_ref())
                        .iter()
                        .map(|w| format!("{w:?}"))
                        .collect();
                    cx.sink
                        .error(
                            only.span(),
                            "`argv` has one element holding a whole command line",
                        )
                        .label("run as one program name, spaces and all")
                        .help(format!(
                            "argv is never run through a shell; give each word its own element: argv = [{}]",
                            words.join(", ")
                        ));
                    return None;
                }
                let ts: Vec<Template> = items.iter().filter_map(|s| cx.template(s)).collect();
                (ts.len() == a.len()).then_some(Value::Texts(ts))
            }
            DeValue::String(s) => {
                let words: Vec<String> = argv_words(s).iter().map(|w| format!("\"{w}\"")).collect();
                cx.sink
                    .error(
                        v.span(),
                        "`argv` must be an array of strings, found a string",
                    )
                    .label("a command line")
                    .help(format!(
                        "argv is never run through a shell; write argv = [{}]",
                        words.join(", ")
                    ));
                None
            }
            other => {
                type_error(cx.sink, v.span(), key, "an array of strings", other);
                None
            }
        },
        Kind::Flag => match v.get_ref() {
            DeValue::Boolean(b) => Some(Value::Flag(*b)),
            other => {
                type_error(cx.sink, v.span(), key, "true or false", other);
                None
            }
        },
        Kind::Choice(words) => {
            let s = expect_string(v, key, cx.sink)?;
            match words.iter().find(|w| **w == s.get_ref()) {
                Some(w) => Some(Value::Choice(w)),
                None => {
                    cx.sink
                        .error(
                            s.span(),
                            format!("`{}` is not a valid `{key}`", s.get_ref()),
                        )
                        .help(suggest(s.get_ref(), words));
                    None
                }
            }
        }
        Kind::Duration => {
            let s = expect_string(v, key, cx.sink)?;
            cx.duration(&s, key).map(Value::Duration)
        }
        Kind::Map => {
            let DeValue::Table(t) = v.get_ref() else {
                type_error(cx.sink, v.span(), key, "a table", v.get_ref());
                return None;
            };
            let mut out = Vec::new();
            let mut ok = true;
            for (k, val) in t.iter() {
                match expect_scalar_text(val, k.get_ref(), cx).and_then(|s| cx.template(&s)) {
                    Some(tpl) => out.push((k.get_ref().to_string(), tpl)),
                    None => ok = false,
                }
            }
            ok.then_some(Value::Map(out))
        }
        Kind::Body => compile_body(v, cx).map(Value::Body),
        Kind::Tags => {
            let DeValue::Table(t) = v.get_ref() else {
                cx.sink
                    .error(
                        v.span(),
                        format!(
                            "`{key}` must be a table of tag kinds, found {}",
                            kind_of(v.get_ref())
                        ),
                    )
                    .help(format!("write {key} = {{ collection = [\"Marvel\"] }}"));
                return None;
            };
            let mut out = Vec::new();
            let mut ok = true;
            for (k, val) in t.iter() {
                let Some(kind) = TAG_KINDS.iter().find(|n| **n == k.get_ref().as_ref()) else {
                    ok = false;
                    cx.sink
                        .error(k.span(), format!("unknown tag kind `{}`", k.get_ref()))
                        .help(suggest(k.get_ref(), TAG_KINDS));
                    continue;
                };
                let items: Vec<Spanned<String>> = match val.get_ref() {
                    DeValue::Array(a) => a
                        .iter()
                        .filter_map(|i| expect_string(i, kind, cx.sink))
                        .collect(),
                    _ => expect_string(val, kind, cx.sink).into_iter().collect(),
                };
                let ts: Vec<Template> = items.iter().filter_map(|s| cx.template(s)).collect();
                ok &= ts.len() == items.len() && !items.is_empty();
                out.push((*kind, ts));
            }
            ok.then_some(Value::Tags(out))
        }
    }
}

fn compile_body(v: &Spanned<DeValue<'_>>, cx: &mut Cx<'_>) -> Option<Body> {
    Some(match v.get_ref() {
        DeValue::String(s) => Body::Text(cx.template(&Spanned::new(v.span(), s.to_string()))?),
        DeValue::Integer(i) => Body::Plain(serde_json::Value::from(
            i.as_str().replace('_', "").parse::<i64>().ok()?,
        )),
        DeValue::Float(f) => Body::Plain(serde_json::json!(
            f.as_str().replace('_', "").parse::<f64>().ok()?
        )),
        DeValue::Boolean(b) => Body::Plain(serde_json::Value::Bool(*b)),
        DeValue::Datetime(d) => Body::Plain(serde_json::Value::String(d.to_string())),
        DeValue::Array(a) => {
            let items: Vec<Body> = a.iter().filter_map(|i| compile_body(i, cx)).collect();
            if items.len() != a.len() {
                return None;
            }
            Body::List(items)
        }
        DeValue::Table(t) => {
            let mut entries = Vec::new();
            for (k, val) in t.iter() {
                entries.push((k.get_ref().to_string(), compile_body(val, cx)?));
            }
            Body::Table(entries)
        }
    })
}

/// A string; numbers and booleans are taken as their text (`year = 1999`).
fn expect_scalar_text(
    v: &Spanned<DeValue<'_>>,
    key: &str,
    cx: &mut Cx<'_>,
) -> Option<Spanned<String>> {
    match v.get_ref() {
        DeValue::String(s) => Some(Spanned::new(v.span(), s.to_string())),
        DeValue::Integer(i) => Some(Spanned::new(v.span(), i.as_str().replace('_', ""))),
        DeValue::Float(f) => Some(Spanned::new(v.span(), f.as_str().to_owned())),
        DeValue::Boolean(b) => Some(Spanned::new(
            v.span(),
            if *b { "1" } else { "0" }.to_owned(),
        )),
        other => {
            type_error(cx.sink, v.span(), key, "a string", other);
            None
        }
    }
}

/// A lone `argv` element with whitespace outside its `{{ … }}`: a command
/// line that would be run as one program name.
fn is_command_line(text: &str) -> bool {
    argv_words(text).len() > 1
}

/// Splits a command line into words the way a shell would for the `argv`
/// hint: at whitespace, with '…' and "…" quoting, each `{{ … }}` in one piece.
fn argv_words(line: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut template = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if template {
            word.push(c);
            if c == '}' && chars.peek() == Some(&'}') {
                word.push('}');
                chars.next();
                template = false;
            }
            continue;
        }
        if c == '{' && chars.peek() == Some(&'{') {
            word.push_str("{{");
            chars.next();
            template = true;
            in_word = true;
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_like_a_shell() {
        assert_eq!(
            argv_words("curl -fsS -d 'New: {{ event.item.title }}' https://ntfy.sh/x"),
            [
                "curl",
                "-fsS",
                "-d",
                "New: {{ event.item.title }}",
                "https://ntfy.sh/x"
            ]
        );
        assert_eq!(
            argv_words("notify --title {{ event.item.id }}"),
            ["notify", "--title", "{{ event.item.id }}"]
        );
        assert!(is_command_line("/usr/bin/notify-send Scan done"));
        // Spaces inside a template do not make a command line.
        assert!(!is_command_line("{{ item.folder | basename }}"));
        assert!(!is_command_line("/usr/local/bin/notify"));
    }
}
