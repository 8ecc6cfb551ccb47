//! The shipped rules: they pass `check`, their embedded tests agree with
//! what matching decides, and `check` behaves as a command.

use std::path::{Path, PathBuf};

use metarr_plex::rules::{
    self, Format, IfMissing, ImageKind, ImageSource, MatchTarget, ResolvedAction, ScanTarget,
    TagChange, load_dir,
};

fn shipped() -> rules::Loaded {
    load_dir(Path::new("rules")).unwrap()
}

#[test]
fn shipped_rules_pass_check_without_warnings() {
    let loaded = shipped();
    let report = rules::render_human(&loaded, false);
    assert!(loaded.diagnostics.is_empty(), "{report}");
    assert_eq!(loaded.rules.rules().len(), 7, "{report}");
    assert!(
        report.ends_with("ok: 7 rule files, 0 errors, 0 warnings\n"),
        "{report}"
    );
    for rule in loaded.rules.rules() {
        assert!(!rule.tests.is_empty(), "{} has no [[tests]]", rule.id);
        // Shipped rules act within 30 s of their trigger.
        let wait = rule.flow.debounce.or(rule.flow.delay).unwrap_or_default();
        assert!(wait.as_secs() <= 30, "{} waits {wait:?}", rule.id);
    }
}

/// Every embedded test fires exactly when it expects requests, and the
/// resolved actions are the ones the expected requests come from.
#[test]
fn shipped_rule_tests_agree_with_matching() {
    let loaded = shipped();
    let set = &loaded.rules;
    for rule in set.rules() {
        for t in &rule.tests {
            let candidate = set.candidates(&t.event).any(|r| r.id == rule.id);
            let decision = if candidate {
                if set.needs_metadata(&t.event) && t.item.is_none() {
                    // The test runner fetches metadata from canned responses; here the
                    // event's own item type is what the filter needs.
                    let facts = metarr_plex::rules::ItemFacts {
                        id: t.event.item.as_ref().unwrap().id.clone(),
                        kind: t
                            .event
                            .item
                            .as_ref()
                            .unwrap()
                            .kind
                            .clone()
                            .unwrap_or_default(),
                        ..Default::default()
                    };
                    Some(set.evaluate(rule, &t.event, Some(&facts)).unwrap())
                } else {
                    Some(set.evaluate(rule, &t.event, t.item.as_ref()).unwrap())
                }
            } else {
                None
            };
            // An upload of a file that is not there (and may be skipped) sends nothing.
            let sends = decision.is_some_and(|d| {
                d.fired
                    && d.actions.iter().any(|a| match a {
                        ResolvedAction::Upload {
                            source: ImageSource::File(f),
                            if_missing: IfMissing::Skip,
                            ..
                        } => t.files.contains(f),
                        _ => true,
                    })
            });
            assert_eq!(sends, !t.expect.is_empty(), "{} / {}", rule.id, t.name);
        }
    }
}

fn first_test_actions(id: &str) -> Vec<ResolvedAction> {
    let loaded = shipped();
    let rule = loaded.rules.get(id).unwrap();
    let t = &rule.tests[0];
    let d = loaded
        .rules
        .evaluate(rule, &t.event, t.item.as_ref())
        .unwrap();
    assert!(d.fired, "{d:?}");
    d.actions
}

#[test]
fn rematch_rule_searches_the_tagged_external_id() {
    let actions = first_test_actions("rematch-from-folder-tag");
    assert_eq!(
        actions,
        [ResolvedAction::Match {
            item: "42".into(),
            target: MatchTarget::Tmdb("329865".into()),
            agent: None
        }]
    );
}

#[test]
fn artwork_rule_uploads_from_the_item_folder() {
    let actions = first_test_actions("upload-local-artwork");
    let files: Vec<(ImageKind, String)> = actions
        .into_iter()
        .map(|a| match a {
            ResolvedAction::Upload {
                item,
                image,
                source: ImageSource::File(f),
                ..
            } => {
                assert_eq!(item, "42");
                (image, f)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        files,
        [
            (
                ImageKind::Poster,
                "/data/Movies/Arrival (2016)/folder.jpg".to_owned()
            ),
            (
                ImageKind::Poster,
                "/data/Movies/Arrival (2016)/poster.jpg".to_owned()
            ),
            (
                ImageKind::Art,
                "/data/Movies/Arrival (2016)/backdrop.jpg".to_owned()
            ),
            (
                ImageKind::Art,
                "/data/Movies/Arrival (2016)/fanart.jpg".to_owned()
            ),
        ]
    );
}

#[test]
fn collection_rules_add_the_captured_name() {
    for (id, name) in [
        ("collection-by-label", "Christmas"),
        ("collection-by-path", "Middle-earth"),
    ] {
        let actions = first_test_actions(id);
        let ResolvedAction::Tags { change, tags, .. } = &actions[0] else {
            panic!("{actions:?}")
        };
        assert_eq!(*change, TagChange::Add);
        assert_eq!(tags["collection"], [name]);
    }
}

#[test]
fn rescan_rule_targets_the_events_section() {
    let actions = first_test_actions("rescan-missing-folders");
    assert_eq!(
        actions,
        [ResolvedAction::Scan {
            target: ScanTarget::Missing {
                section: "1".into(),
                under: vec![]
            }
        }]
    );
    let loaded = shipped();
    let rule = loaded.rules.get("analyze-after-playback").unwrap();
    assert!(rule.flow.when_idle && rule.flow.delay.is_none() && rule.flow.debounce.is_none());
}

#[test]
fn shipped_schema_file_is_current() {
    let want = serde_json::to_string_pretty(&rules::rule_schema()).unwrap() + "\n";
    let path = Path::new("rules/rule.schema.json");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "rules/rule.schema.json is stale; regenerate with UPDATE_EXPECT=1"
    );
}

fn run_check(dir: &Path, format: Format) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = rules::check_command(dir, format, false, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn check_exits_0_clean_1_on_errors_2_on_io() {
    assert_eq!(run_check(Path::new("rules"), Format::Human).0, 0);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "debounce = \"3 sex\"\n").unwrap();
    // Skipped files are not read at all.
    std::fs::write(dir.path().join("_draft.toml"), "this is not toml").unwrap();
    std::fs::write(dir.path().join("old.toml.disabled"), "nor this").unwrap();
    let (code, out, _) = run_check(dir.path(), Format::Human);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("bad.toml:1:12"), "{out}");
    assert!(
        !out.contains("_draft") && !out.contains("old.toml"),
        "{out}"
    );
    let (code, _, err) = run_check(&PathBuf::from("/nonexistent/rules"), Format::Human);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot read rules directory /nonexistent/rules:"),
        "{err}"
    );
}

#[test]
fn check_json_lists_positions_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("typo.toml"),
        "debunce = \"10s\"\n\n[[triggers]]\nevent = \"item.added\"\nactivity = [\"library.update.sektion\"]\n\n[[actions]]\naction = \"refresh\"\n",
    )
    .unwrap();
    let (code, out, _) = run_check(dir.path(), Format::Json);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["files"], 1);
    assert_eq!(json["rules"], 0);
    assert_eq!(json["errors"], 2, "{out}");
    assert_eq!(json["warnings"], 1, "{out}");
    let first = &json["diagnostics"][0];
    assert_eq!(
        first["file"],
        dir.path().join("typo.toml").display().to_string()
    );
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (first["end_line"].as_u64(), first["end_column"].as_u64()),
        (Some(1), Some(8))
    );
    assert_eq!(first["severity"], "error");
    assert_eq!(first["message"], "unknown key `debunce` in rule");
    assert_eq!(first["help"], "did you mean `debounce`?");
}

#[cfg(unix)]
#[test]
fn duplicate_ids_by_case_and_symlink_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let rule = "[[triggers]]\nevent = \"item.added\"\n[[actions]]\naction = \"refresh\"\n";
    std::fs::write(dir.path().join("a.toml"), rule).unwrap();
    std::fs::write(dir.path().join("a.TOML"), rule).unwrap();
    std::os::unix::fs::symlink(dir.path().join("a.toml"), dir.path().join("b.toml")).unwrap();
    let loaded = load_dir(dir.path()).unwrap();
    let messages: Vec<&str> = loaded
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(messages.contains(&"duplicate rule id `a`"), "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("`b` is the same file as")),
        "{messages:?}"
    );
}

#[test]
fn the_binary_checks_a_directory_and_prints_the_schema() {
    let bin = env!("CARGO_BIN_EXE_metarr-plex");
    let out = std::process::Command::new(bin)
        .args(["check", "tests/fixtures/rules/broken", "--format", "json"])
        .env_remove("CONFIGURATION_DIRECTORY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["errors"].as_u64().unwrap() >= 25, "{report}");
    let out = std::process::Command::new(bin)
        .args(["check", "rules"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = std::process::Command::new(bin)
        .arg("schema")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema, rules::rule_schema());
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_its_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    // Saved as Latin-1: `é` is the single byte 0xE9.
    std::fs::write(
        dir.path().join("latin1.toml"),
        b"[[triggers]]\nevent = \"item.added\"\n\n[[actions]]\naction = \"log\"\nmessage = \"Nouveau film \xe9t\xe9\"\n",
    )
    .unwrap();
    let (code, out, _) = run_check(dir.path(), Format::Human);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error: the file is not valid UTF-8 (byte 0xE9)"),
        "{out}"
    );
    assert!(out.contains("latin1.toml:6:25"), "{out}");
    assert!(out.contains("help: save the file as UTF-8"), "{out}");
}

#[test]
fn an_empty_file_says_so_at_line_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("new.toml"), "").unwrap();
    let (code, out, _) = run_check(dir.path(), Format::Human);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("error: the file is empty\n"), "{out}");
    assert!(out.contains("new.toml:1:1"), "{out}");
    assert!(out.contains("failed: 1 rule file, 1 error"), "{out}");
    let (_, json, _) = run_check(dir.path(), Format::Json);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["diagnostics"][0]["line"], 1);
    assert_eq!(json["diagnostics"][0]["message"], "the file is empty");
}
