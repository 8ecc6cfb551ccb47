//! Running rule actions without changing anything on Plex: the embedded
//! `[[tests]]` (`metarr-plex test`, canned answers, no network at all) and
//! the request plans `explain` shows (reads from a live server or the
//! simulator, writes never sent).
//!
//! Both run the real executors ([`crate::action::Executor::plan`]) with
//! every request recorded, so what a test expects is what the daemon would
//! send.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use reqwest::Method;
use serde::Serialize;

use crate::action::{ActionContext, ActionOutcome, Canned, Executor, ExecutorSettings, PlanEnv};
use crate::engine::RunId;
use crate::event::{Event, SelfCauses};
use crate::plex::client::{ClientSettings, Responder};
use crate::plex::conn::identity::ClientIdentity;
use crate::plex::conn::tls::TlsSettings;
use crate::plex::conn::token::TokenSource;
use crate::plex::pathmap::PathMap;
use crate::plex::{PlexClient, PlexRequest};
use crate::rules::{
    ActionPlan, CompiledRule, EventExplanation, ItemFacts, Loaded, Metadata, Outcome,
    PlannedRequest, ReadOnly, RuleSet, RuleTest, Skip, explain_event,
};

/// What one embedded test came to.
#[derive(Debug, Clone, Serialize)]
pub struct TestOutcome {
    /// The rule id.
    pub rule: String,
    /// The test's name.
    pub test: String,
    /// The rule file.
    pub file: PathBuf,
    /// The line of the `[[tests]]` table.
    pub line: usize,
    /// The requests sent were exactly the expected ones, in order.
    pub passed: bool,
    /// The writes the test expects, as written (normalized encoding).
    pub expected: Vec<String>,
    /// The writes the rule's actions sent (every request that changes
    /// something; reads are not compared).
    pub actual: Vec<String>,
    /// The reads the actions sent, answered from the test's canned
    /// responses, for context in the report.
    pub reads: Vec<String>,
    /// Why the rule did not fire, runtime errors, and each action's outcome.
    pub notes: Vec<String>,
}

/// Runs every embedded test of every rule in `loaded`, in rule id order.
pub async fn run_tests(loaded: &Loaded) -> Vec<TestOutcome> {
    let mut out = Vec::new();
    for rule in loaded.rules.rules() {
        let source = loaded.sources.get(&rule.file).map_or("", String::as_str);
        for test in &rule.tests {
            let line = crate::diag::line_col(source, test.span.start).0;
            out.push(run_test(&loaded.rules, rule, test, line).await);
        }
    }
    out
}

/// Runs one test: the event (and the test's item metadata) through the rule,
/// then every action through the executors with canned answers.
pub async fn run_test(
    rules: &RuleSet,
    rule: &CompiledRule,
    test: &RuleTest,
    line: usize,
) -> TestOutcome {
    let mut outcome = TestOutcome {
        rule: rule.id.clone(),
        test: test.name.clone(),
        file: rule.file.clone(),
        line,
        passed: false,
        expected: test.expect.iter().map(|e| canonical(e)).collect(),
        actual: Vec::new(),
        reads: Vec::new(),
        notes: Vec::new(),
    };
    let item = test.item.clone().map(|mut f| {
        // Plex's metadata always names the section; a test may leave it out.
        if f.section_id.is_none() {
            f.section_id = test.event.section.as_ref().map(|s| s.id.clone());
        }
        f
    });
    let decision = match rules.evaluate(rule, &test.event, item.as_ref()) {
        Ok(d) => d,
        Err(e) => {
            outcome.notes.push(format!("error: {e}"));
            return outcome;
        }
    };
    if let Some(skip) = &decision.skipped {
        outcome
            .notes
            .push(format!("not fired: {}", describe_skip(skip)));
    }
    if decision.fired {
        match TestWorld::new(test, item.as_ref()) {
            Ok(world) => {
                let mut plans: Vec<ActionPlan> = decision
                    .actions
                    .into_iter()
                    .map(|action| ActionPlan {
                        action,
                        requests: Vec::new(),
                        outcome: String::new(),
                    })
                    .collect();
                let env = PlanEnv {
                    reads: Some(world.reads.clone()),
                    files: None,
                };
                plan_actions(&world.executor, &env, &rule.id, &test.event, &mut plans).await;
                // Notes speak of the test's paths, not the scratch directory.
                let scratch = world.scratch.0.to_string_lossy().into_owned();
                for p in plans {
                    let said = p.outcome.replace(&scratch, "");
                    outcome.notes.push(format!("{}: {said}", p.action.name()));
                    for r in p.requests {
                        if r.write {
                            outcome.actual.push(r.request);
                        } else {
                            outcome.reads.push(r.request);
                        }
                    }
                }
            }
            Err(e) => {
                outcome.notes.push(format!("error: {e}"));
                return outcome;
            }
        }
    }
    outcome.passed = outcome.actual.len() == outcome.expected.len()
        && outcome
            .expected
            .iter()
            .zip(&outcome.actual)
            .all(|(e, a)| request_matches(e, a));
    outcome
}

/// True when `actual` is the `expected` request; `*` in `expected` stands
/// for any run of characters (for values a test cannot know in advance,
/// such as the hash in an uploaded image's `upload://posters/…` key).
pub fn request_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split('*').collect();
    if parts.len() == 1 {
        return expected == actual;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &actual[first.len()..];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Explains `event` against a server (live or simulated), read-only: the
/// item's metadata fetched once when a rule needs it, then each firing
/// rule's actions planned through `executor` with only harmless reads sent.
pub async fn explain_on_server(
    rules: &RuleSet,
    event: &Event,
    client: &PlexClient,
    executor: &Executor,
) -> EventExplanation {
    let metadata = match &event.item {
        Some(item) if rules.needs_metadata(event) => fetch_metadata(client, &item.id).await,
        _ => Metadata::NotNeeded,
    };
    let mut x = explain_event(rules, event, metadata);
    let env = PlanEnv {
        reads: Some(Arc::new(ReadOnly)),
        files: None,
    };
    for r in x.rules.iter_mut().filter(|r| r.outcome == Outcome::Fires) {
        plan_actions(executor, &env, &r.rule, event, &mut r.actions).await;
    }
    x
}

/// The item's metadata, read once (a GET: allowed even read-only).
async fn fetch_metadata(client: &PlexClient, id: &str) -> Metadata {
    let req = crate::plex::request::item(id);
    match client.send_raw(&req).await {
        Ok(resp) => match resp.json::<serde_json::Value>(&req.endpoint()) {
            Ok(json) => match ItemFacts::from_metadata(&json) {
                Some(f) => Metadata::Fetched(Box::new(f)),
                None => Metadata::Gone,
            },
            Err(e) => Metadata::Failed(e.to_string()),
        },
        Err(e) if e.is_not_found() => Metadata::Gone,
        Err(e) => Metadata::Failed(e.to_string()),
    }
}

/// Runs each action in recording mode (reads answered by `env.reads`, or
/// by the executor's server when `None`; writes recorded, never sent),
/// filling in its requests and outcome. Stops at the first failure, as a
/// run does.
pub async fn plan_actions(
    executor: &Executor,
    env: &PlanEnv,
    rule: &str,
    event: &Event,
    plans: &mut [ActionPlan],
) {
    let ctx = ActionContext {
        rule: rule.to_owned(),
        run_id: RunId(0),
        event_id: event.id.clone(),
        item: event.item.as_ref().map(|i| i.id.clone()),
        event: serde_json::to_value(event).unwrap_or_default(),
        dry_run: true,
    };
    let mut failed = false;
    for plan in plans.iter_mut() {
        if failed {
            plan.outcome = "not run: an earlier action failed".to_owned();
            continue;
        }
        let (result, requests) = executor.plan(&plan.action, &ctx, env).await;
        plan.requests = requests
            .iter()
            .map(|r| PlannedRequest {
                request: request_line(r),
                write: r.is_write(),
            })
            .collect();
        plan.outcome = describe_outcome(&result);
        failed = matches!(result, ActionOutcome::Failed { .. });
    }
}

/// `METHOD /path?query`, encoded as on the wire, without the body size.
pub fn request_line(req: &PlexRequest) -> String {
    format!("{} {}", req.method, req.path_and_query())
}

/// One outcome in words: `done (…)`, `skipped: …`, `failed: …`.
pub fn describe_outcome(o: &ActionOutcome) -> String {
    match o {
        ActionOutcome::Done { detail, .. } if detail.is_empty() => "done".to_owned(),
        ActionOutcome::Done { detail, .. } => format!("done ({detail})"),
        ActionOutcome::Skipped { reason } => format!("skipped: {reason}"),
        ActionOutcome::Failed { error, .. } => format!("failed: {error}"),
    }
}

/// Why a rule did not fire, in words.
pub fn describe_skip(skip: &Skip) -> String {
    match skip {
        Skip::NoTrigger => "no trigger accepts the event".to_owned(),
        Skip::ItemType { kind } => format!("the item is a {kind}, not a type the triggers want"),
        Skip::Capture { from } => format!("the capture on `{from}` did not match"),
        Skip::Condition { expression } => format!("`{expression}` is false"),
        Skip::CausedBySelf => "the event was caused by our own action".to_owned(),
    }
}

/// A request as a test writes it, in the encoding the client sends:
/// `collection[0].tag.tag=A B` and `collection%5B0%5D.tag.tag=A+B` are the
/// same request.
pub fn canonical(text: &str) -> String {
    let (method, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), "/"));
    let Ok(base) = url::Url::parse("http://plex.invalid/") else {
        return text.to_owned();
    };
    let Ok(url) = base.join(rest.trim()) else {
        return text.to_owned();
    };
    let segments: Vec<String> = url
        .path_segments()
        .into_iter()
        .flatten()
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let mut req = PlexRequest::new(
        Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap_or(Method::GET),
        segments,
    );
    for (k, v) in url.query_pairs() {
        req = req.with_query(k, v);
    }
    request_line(&req)
}

/// The world one test runs in: the local files it lists (in a scratch
/// directory that stands for `/`), and canned answers for every read.
struct TestWorld {
    executor: Executor,
    reads: Arc<dyn Responder>,
    /// Stands for `/`; removed when the test ends.
    scratch: Scratch,
}

impl TestWorld {
    fn new(test: &RuleTest, item: Option<&ItemFacts>) -> Result<TestWorld, String> {
        let scratch = Scratch::new()?;
        for file in &test.files {
            let rel = inside(file).ok_or_else(|| {
                format!("test file `{file}` must be an absolute path without `..`")
            })?;
            let path = scratch.0.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create test file `{file}`: {e}"))?;
            }
            std::fs::write(&path, stand_in_bytes(Path::new(file)))
                .map_err(|e| format!("cannot create test file `{file}`: {e}"))?;
        }
        let mut canned = Canned::new();
        if let Some(item) = item {
            let body = serde_json::to_vec(&item.to_metadata()).unwrap_or_default();
            canned = canned.with(&format!("GET /library/metadata/{}", item.id), body);
        }
        for (key, response) in &test.responses {
            canned = canned.with(key, response.body()?);
        }
        // The client never reaches a server: every read is canned (unknown
        // reads answer 404) and every write is recorded by the plan. It has
        // no token either, so a request that slipped through would fail.
        let client = PlexClient::new(ClientSettings {
            base_url: url::Url::parse("http://plex.invalid/").map_err(|e| e.to_string())?,
            tokens: TokenSource::default(),
            identity: ClientIdentity::new("metarr-plex-test"),
            timeout: std::time::Duration::from_secs(1),
            tls: TlsSettings::default(),
        })
        .map_err(|e| e.to_string())?;
        let settings = ExecutorSettings {
            path_map: PathMap::new([(scratch.0.clone(), PathBuf::from("/"))]),
            artwork_roots: vec![scratch.0.clone()],
            ..ExecutorSettings::default()
        };
        Ok(TestWorld {
            executor: Executor::new(client, settings, SelfCauses::new(), None),
            reads: Arc::new(canned),
            scratch,
        })
    }
}

/// `/data/Movies/a.jpg` → `data/Movies/a.jpg`; `None` for relative paths or `..`.
fn inside(file: &str) -> Option<PathBuf> {
    let path = Path::new(file);
    if !path.is_absolute() {
        return None;
    }
    let mut rel = PathBuf::new();
    for c in path.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(p) => rel.push(p),
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    Some(rel)
}

/// Bytes that pass the upload checks for an image name (the executors look
/// at content, not names); a few plain bytes for anything else.
fn stand_in_bytes(path: &Path) -> Vec<u8> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let mut bytes = match ext.as_deref() {
        Some("jpg" | "jpeg") => vec![
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
        ],
        Some("png") => vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
        Some("gif") => b"GIF89a".to_vec(),
        Some("webp") => b"RIFF\x10\x00\x00\x00WEBPVP8 ".to_vec(),
        _ => b"metarr-plex test file\n".to_vec(),
    };
    // Distinct files get distinct bytes, so upload dedup by hash does not
    // fold two different test images into one; the same test path always
    // gets the same bytes, so hashes in requests are stable.
    bytes.extend_from_slice(path.to_string_lossy().as_bytes());
    bytes
}

/// A scratch directory removed on drop (tests run outside `cargo test`, so
/// no `tempfile`).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, String> {
        let dir = std::env::temp_dir().join(format!("metarr-plex-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
        // Canonical, so artwork roots and mapped paths agree.
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_requests_ignore_how_the_query_was_encoded() {
        assert_eq!(
            canonical("put /library/metadata/1/match?guid=plex://movie/5d&name=Amélie"),
            "PUT /library/metadata/1/match?guid=plex%3A%2F%2Fmovie%2F5d&name=Am%C3%A9lie"
        );
        assert_eq!(
            canonical(
                "PUT /library/metadata/1/match?guid=plex%3A%2F%2Fmovie%2F5d&name=Am%C3%A9lie"
            ),
            canonical("PUT /library/metadata/1/match?guid=plex://movie/5d&name=Amélie")
        );
        assert_eq!(
            canonical("GET /library/sections/1/refresh?path=/m/A B"),
            "GET /library/sections/1/refresh?path=%2Fm%2FA+B"
        );
    }

    #[test]
    fn a_star_matches_what_a_test_cannot_know() {
        assert!(request_matches(
            "PUT /a?url=upload%3A%2F%2Fposters%2F*",
            "PUT /a?url=upload%3A%2F%2Fposters%2Fab12"
        ));
        assert!(request_matches("PUT /a/*/b", "PUT /a/x/y/b"));
        assert!(!request_matches("PUT /a/*/b", "PUT /a/x/c"));
        assert!(!request_matches("PUT /a*a", "PUT /a"));
        assert!(request_matches("PUT /a", "PUT /a"));
        assert!(!request_matches("PUT /a", "PUT /ab"));
    }

    #[test]
    fn test_files_must_be_absolute_and_stay_put() {
        assert_eq!(inside("/data/a.jpg"), Some(PathBuf::from("data/a.jpg")));
        assert_eq!(inside("data/a.jpg"), None);
        assert_eq!(inside("/data/../../etc/passwd"), None);
    }
}
