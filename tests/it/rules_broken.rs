//! The broken-rule corpus: every file in `tests/fixtures/rules/broken/` has
//! one kind of mistake, and `NAME.expected` next to it holds the exact
//! `check` output. Regenerate after a deliberate change with
//! `UPDATE_EXPECT=1 cargo test --test it rules_broken`.

use std::path::{Path, PathBuf};

use metarr_plex::rules::{self, load_sources};
use proptest::prelude::*;

const CORPUS: &str = "tests/fixtures/rules/broken";

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    cases
}

fn check_one(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let loaded = load_sources(vec![(path.to_path_buf(), text)]);
    rules::render_human(&loaded, false)
}

#[test]
fn broken_rules_give_the_expected_diagnostics() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let cases = cases();
    assert!(cases.len() >= 90, "only {} broken rule files", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = check_one(case);
        let expected_path = case.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != want {
            failures.push(format!("--- {}\n{got}", case.display()));
        }
        assert!(
            got.contains("error") || got.contains("warning"),
            "{} reports nothing",
            case.display()
        );
    }
    assert!(
        failures.is_empty(),
        "output changed (UPDATE_EXPECT=1 to accept):\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_broken_file_fails_check_except_warning_only_ones() {
    for case in cases() {
        let text = std::fs::read_to_string(&case).unwrap();
        let loaded = load_sources(vec![(case.clone(), text.clone())]);
        let warning_only = case
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("warn-");
        assert_eq!(loaded.has_errors(), !warning_only, "{}", case.display());
        assert!(!loaded.diagnostics.is_empty(), "{}", case.display());
        for d in &loaded.diagnostics {
            // Every finding in a readable file points into it.
            if d.message.contains("rule id") {
                continue;
            }
            let span = d
                .span
                .clone()
                .unwrap_or_else(|| panic!("{} has no position: {d:?}", case.display()));
            assert!(span.end <= text.len(), "{}", case.display());
        }
    }
}

fn check_text(text: &str) -> usize {
    let loaded = load_sources(vec![(PathBuf::from("p.toml"), text.to_owned())]);
    let _ = rules::render_human(&loaded, false);
    let _ = rules::render_json(&loaded);
    loaded.diagnostics.len()
}

/// Fragments that build rule-shaped TOML, so the generator reaches past the
/// parser into every check.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[[triggers]]\n".to_owned()),
        Just("[[actions]]\n".to_owned()),
        Just("[[captures]]\n".to_owned()),
        Just("[[tests]]\n".to_owned()),
        Just("[cancel]\n".to_owned()),
        (
            prop::sample::select(vec![
                "event",
                "events",
                "action",
                "item",
                "section",
                "file",
                "argv",
                "regex",
                "from",
                "debounce",
                "delay",
                "mode",
                "max",
                "key",
                "conditions",
                "path",
                "method",
                "add",
                "fields",
                "expect",
                "activity",
                "guid",
            ]),
            prop_oneof![
                "\"[^\"\\\\\\n]{0,20}\"",
                "'[^'\\n]{0,30}'",
                Just("\"{{ item.folder }}\"".to_owned()),
                Just("\"{{ evnt.x }\"".to_owned()),
                Just("'item.guid.startsWith(\"local\")'".to_owned()),
                Just("\"item.added\"".to_owned()),
                Just("[\"a\", 1]".to_owned()),
                Just("{ genre = \"A|B\" }".to_owned()),
                Just("{ name = \"item.added\", item = { id = \"1\" } }".to_owned()),
                "-?[0-9]{1,12}",
                Just("true".to_owned()),
            ]
        )
            .prop_map(|(k, v)| format!("{k} = {v}\n")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn check_never_panics_on_rule_shaped_toml(parts in prop::collection::vec(fragment(), 0..16)) {
        check_text(&parts.concat());
    }

    #[test]
    fn check_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        check_text(&text);
    }

    #[test]
    fn check_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_text(&String::from_utf8_lossy(&bytes));
    }
}
