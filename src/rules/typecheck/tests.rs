//! The checker against the real engine: what it accepts runs, what it
//! refuses fails (or can never hold).

use std::sync::Arc;

use super::*;
use crate::event::{Event, EventName};
use crate::rules::ItemFacts;
use crate::rules::vars::Vars;

fn problems(expr: &str) -> Vec<TypeProblem> {
    let program = cel::Program::compile(expr).unwrap();
    check_condition(
        program.expression(),
        program.source_info(),
        expr,
        &["tmdb".to_owned()],
    )
}

/// What the real engine does with `expr` on a typical event.
fn run(expr: &str) -> Result<cel::Value, String> {
    let mut event: Event = serde_json::from_value(serde_json::json!({
        "id": "e1", "name": "item.added", "timestamp": "2026-01-01T00:00:00Z",
        "section": { "id": "1", "title": "Movies", "type": "movie" },
        "item": { "id": "42", "type": "movie", "title": "Alien" },
        "activity": { "uuid": "u", "type": "library.update.section", "event": "ended", "progress": 100 },
        "session": { "key": "1", "state": "stopped", "view_offset_ms": 61000 },
        "raw": { "x": 1 }
    }))
    .unwrap();
    event.name = EventName::ItemAdded;
    let item = ItemFacts {
        id: "42".into(),
        kind: "movie".into(),
        title: "Alien".into(),
        year: Some(1979),
        guid: "local://42".into(),
        guids: [("tmdb".to_owned(), "348".to_owned())].into(),
        files: vec!["/m/Alien (1979)/Alien.mkv".into()],
        folder: Some("/m/Alien (1979)".into()),
        labels: vec!["4k".into()],
        ..Default::default()
    };
    let mut vars = Vars::new(&event, Some(&item));
    vars.set("tmdb", "348".into());
    let env = Arc::new(cel::Env::stdlib());
    let program = cel::Program::compile(expr).map_err(|e| e.to_string())?;
    program
        .execute(&vars.cel_context(&env))
        .map_err(|e| e.to_string())
}

/// Conditions the checker accepts really evaluate to true or false.
#[test]
fn accepted_conditions_run() {
    for expr in [
        r#"item.guid.startsWith("local://") || item.guid.startsWith("com.plexapp.agents.none://")"#,
        r#"!("Sci-Fi" in item.collections)"#,
        r#"has(event.item) && event.item.id == "42""#,
        r#"item.files.exists(f, f.endsWith(".mkv"))"#,
        r#"item.files.all(f, f.startsWith("/m/"))"#,
        r#"size(item.labels) > 0 && item.labels.size() == 1"#,
        r#"item.year == 1979 && item.year > 1970 && item.year in [1979, 1980]"#,
        r#""4k" in item.labels && "tmdb" in item.guids && item.guids.tmdb == "348""#,
        r#"event.raw.x == 1"#,
        r#"int(tmdb) > 100 && tmdb == "348""#,
        r#"item.year != null && event.item.parent_id == null"#,
        r#"event.activity.progress >= 50 && event.session.view_offset_ms > 60000"#,
        r#"item.title.matches("(?i)^alien$") && item.title.contains("li")"#,
        r#"item.labels.filter(l, l.startsWith("4")).size() == 1"#,
        r#"item.files.map(f, size(f)).exists(n, n > 3)"#,
        r#"!event.synthetic && !event.caused_by_self"#,
        r#"string(item.year) == "1979" && "y" + string(item.year) == "y1979""#,
        r#"event.section.id in ["1", "2"] && event.timestamp > "2025""#,
        r#"item.folder.endsWith(")") ? true : false"#,
    ] {
        assert_eq!(problems(expr), [], "{expr}");
        match run(expr) {
            Ok(cel::Value::Bool(_)) => {}
            other => panic!("{expr}: {other:?}"),
        }
    }
}

/// What the checker refuses fails at run time, or can never hold.
#[test]
fn refused_conditions_fail_at_run_time() {
    for (expr, message) in [
        (
            r#"item.guid.startswith("local://")"#,
            "strings have no method `startswith` (`item.guid` is a string)",
        ),
        (
            r#"item.year >= "1900""#,
            "`item.year >= \"1900\"` compares an int with a string",
        ),
        (
            r#"item.labels.contains("4k")"#,
            "lists have no method `contains` (`item.labels` is a list)",
        ),
        (
            r#"event.section.id == 1"#,
            "`event.section.id == 1` compares a string with an int: it is never true",
        ),
        (
            r#""Ali" in item.title"#,
            "`in` looks in a list or a map, and `item.title` is a string",
        ),
        (r#"len(item.files) > 1"#, "unknown function `len`"),
        (
            r#"item.title.lower() == "alien""#,
            "strings have no method `lower` (`item.title` is a string)",
        ),
        (
            r#"size(item.year) == 4"#,
            "size() takes a string, a list or a map, and `item.year` is an int",
        ),
        (
            r#""tmdb-" + item.year == "x""#,
            "`\"tmdb-\" + item.year` adds a string and an int",
        ),
        (
            r#"item.files.startsWith("/m")"#,
            "`item.files` is a list of strings, not a string",
        ),
        (
            r#"tmdb > 100"#,
            "`tmdb > 100` compares a string with an int",
        ),
        (
            r#"item.folder"#,
            "this condition gives a string, not true or false",
        ),
    ] {
        let found = problems(expr);
        assert_eq!(
            found.iter().map(|p| p.message.as_str()).collect::<Vec<_>>(),
            [message],
            "{expr}"
        );
        match run(expr) {
            Err(_) | Ok(cel::Value::Bool(false)) => {}
            Ok(cel::Value::Bool(true)) => panic!("{expr} held"),
            Ok(_) if message.contains("not true or false") => {}
            other => panic!("{expr}: {other:?}"),
        }
    }
}

#[test]
fn hints_give_the_cel_spelling() {
    let help = |expr: &str| problems(expr).remove(0).help;
    assert_eq!(
        help(r#"item.guid.startswith("local://")"#),
        r#"CEL spells it startsWith: item.guid.startsWith("local://")"#
    );
    assert_eq!(
        help(r#"item.labels.contains("4k")"#),
        r#"CEL tests membership with `in`: "4k" in item.labels"#
    );
    assert_eq!(
        help(r#"item.year >= "1900""#),
        "`item.year` is an int: write item.year >= 1900"
    );
    assert_eq!(
        help(r#"event.section.id == 1"#),
        "`event.section.id` is a string: write event.section.id == \"1\""
    );
    assert_eq!(
        help("tmdb > 100"),
        "`tmdb` is a string: write int(tmdb) > 100"
    );
    let p = problems(r#"len(item.files) > 1"#).remove(0);
    assert_eq!(p.at, 0.."len(item.files)".len());
}
