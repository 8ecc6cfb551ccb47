//! `exec` and `webhook`: argv never through a shell, the event on stdin,
//! timeouts that kill; JSON posted with headers, timeouts and the right
//! retry classification (against a local axum endpoint).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use metarr_plex::action::ActionOutcome;
use metarr_plex::rules::ResolvedAction;
use serde_json::json;

use super::action_support::*;

fn exec(argv: &[&str], timeout: Option<Duration>) -> ResolvedAction {
    ResolvedAction::Exec {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        timeout,
    }
}

#[tokio::test]
async fn exec_passes_argv_literally_and_the_event_on_stdin() {
    let r = rig().await;
    let dir = r.dir.path();
    let nasty = format!(
        "{}/a b; touch {}/PWNED $(touch {}/PWNED2) `id`",
        dir.display(),
        dir.display(),
        dir.display()
    );
    let arg_out = dir.join("arg.txt");
    let stdin_out = dir.join("stdin.json");
    // The program (chosen by the rule) writes its first argument and its
    // stdin to files; "$1" is quoted, so the argument is only data.
    let script = format!(
        "printf '%s' \"$1\" > '{}'; cat > '{}'; echo done",
        arg_out.display(),
        stdin_out.display()
    );
    let ctx = r.ctx("42");
    let out = r
        .exec
        .execute(
            &exec(&["/bin/sh", "-c", &script, "prog", &nasty], None),
            &ctx,
        )
        .await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    assert_eq!(std::fs::read_to_string(&arg_out).unwrap(), nasty);
    let stdin: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stdin_out).unwrap()).unwrap();
    assert_eq!(stdin, ctx.event);
    assert!(!dir.join("PWNED").exists() && !dir.join("PWNED2").exists());
    // The program path itself is not interpreted either.
    let out = r
        .exec
        .execute(&exec(&["/bin/true; touch /tmp/x"], None), &ctx)
        .await;
    assert!(
        matches!(&out, ActionOutcome::Failed { retryable: false, error, .. } if error.contains("cannot run")),
        "{out:?}"
    );
}

#[tokio::test]
async fn a_failing_program_fails_without_retry_and_reports_stderr() {
    let r = rig().await;
    let out = r
        .exec
        .execute(
            &exec(&["/bin/sh", "-c", "echo broken >&2; exit 3"], None),
            &r.ctx("1"),
        )
        .await;
    assert!(
        matches!(&out, ActionOutcome::Failed { retryable: false, error, .. } if error.contains("broken") && error.contains('3')),
        "{out:?}"
    );
}

#[tokio::test]
async fn exec_timeout_kills_the_program() {
    let r = rig().await;
    let pidfile = r.dir.path().join("pid");
    let script = format!("echo $$ > '{}'; exec sleep 30", pidfile.display());
    let started = std::time::Instant::now();
    let out = r
        .exec
        .execute(
            &exec(
                &["/bin/sh", "-c", &script],
                Some(Duration::from_millis(300)),
            ),
            &r.ctx("1"),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&out, ActionOutcome::Failed { retryable: false, error, .. } if error.contains("killed")),
        "{out:?}"
    );
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let proc = std::path::Path::new("/proc").join(pid.trim());
    assert!(!proc.exists(), "process {pid} still exists");
}

#[derive(Default)]
struct Hook {
    bodies: Mutex<Vec<(serde_json::Value, Option<String>)>>,
}

async fn hook_ok(
    State(h): State<Arc<Hook>>,
    headers: HeaderMap,
    body: axum::Json<serde_json::Value>,
) -> StatusCode {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    h.bodies.lock().unwrap().push((body.0, auth));
    StatusCode::NO_CONTENT
}

async fn hook_slow() -> StatusCode {
    tokio::time::sleep(Duration::from_secs(3)).await;
    StatusCode::OK
}

async fn hook_busy() -> (StatusCode, [(&'static str, &'static str); 1]) {
    (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "7")])
}

async fn hook_gone() -> StatusCode {
    StatusCode::NOT_FOUND
}

async fn endpoint() -> (String, Arc<Hook>) {
    let hook = Arc::new(Hook::default());
    let app = Router::new()
        .route("/ok", post(hook_ok))
        .route("/slow", post(hook_slow))
        .route("/busy", post(hook_busy))
        .route("/gone", post(hook_gone))
        .with_state(hook.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), hook)
}

fn webhook(url: String, body: serde_json::Value, timeout: Option<Duration>) -> ResolvedAction {
    let mut headers = BTreeMap::new();
    headers.insert("Authorization".to_string(), "Bearer s3cret".to_string());
    ResolvedAction::Webhook {
        url,
        body,
        headers,
        timeout,
    }
}

#[tokio::test]
async fn webhook_posts_json_with_headers_and_classifies_failures() {
    let r = rig().await;
    let (base, hook) = endpoint().await;
    let ctx = r.ctx("42");
    let body = json!({ "text": "Arrival & co were matched", "n": 1 });
    let out = r
        .exec
        .execute(&webhook(format!("{base}/ok"), body.clone(), None), &ctx)
        .await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    // No body given: the event itself is posted.
    let out = r
        .exec
        .execute(
            &webhook(format!("{base}/ok"), serde_json::Value::Null, None),
            &ctx,
        )
        .await;
    assert!(matches!(out, ActionOutcome::Done { .. }), "{out:?}");
    {
        let got = hook.bodies.lock().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], (body, Some("Bearer s3cret".to_string())));
        assert_eq!(got[1].0, ctx.event);
    }
    let started = std::time::Instant::now();
    let out = r
        .exec
        .execute(
            &webhook(
                format!("{base}/slow"),
                json!({}),
                Some(Duration::from_millis(200)),
            ),
            &ctx,
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(&out, ActionOutcome::Failed { retryable: true, error, .. } if error.contains("timed out")),
        "{out:?}"
    );
    let out = r
        .exec
        .execute(&webhook(format!("{base}/busy"), json!({}), None), &ctx)
        .await;
    assert!(
        matches!(out, ActionOutcome::Failed { retryable: true, retry_after: Some(d), .. } if d == Duration::from_secs(7)),
        "{out:?}"
    );
    let out = r
        .exec
        .execute(&webhook(format!("{base}/gone"), json!({}), None), &ctx)
        .await;
    assert!(
        matches!(
            out,
            ActionOutcome::Failed {
                retryable: false,
                ..
            }
        ),
        "{out:?}"
    );
    // Nothing listening: retryable.
    let out = r
        .exec
        .execute(
            &webhook("http://127.0.0.1:9/x".into(), json!({}), None),
            &ctx,
        )
        .await;
    assert!(
        matches!(
            out,
            ActionOutcome::Failed {
                retryable: true,
                ..
            }
        ),
        "{out:?}"
    );
    assert!(r.sim.requests().is_empty(), "webhooks never go to Plex");
}
