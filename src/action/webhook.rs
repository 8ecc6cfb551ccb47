//! `webhook`: POST JSON to an HTTP endpoint (Metarr, Discord, ntfy…), with a
//! timeout. Connect failures, timeouts, 429 and 5xx are worth another
//! attempt; other 4xx are not. The URL is logged by host only: webhook URLs
//! often carry a secret in their path.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue, RETRY_AFTER};

use super::outcome::Step;
use super::{ActionOutcome, Call};

/// Posts `body` (the event itself when the rule gave none) to `url`.
pub(crate) async fn post(
    call: &Call<'_>,
    url: &str,
    body: &serde_json::Value,
    headers: &BTreeMap<String, String>,
    timeout: Option<Duration>,
) -> Step {
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| ActionOutcome::refused("the webhook URL is not an http(s) URL"))?;
    let host = parsed.host_str().unwrap_or("?").to_owned();
    let body = if body.is_null() {
        &call.ctx().event
    } else {
        body
    };
    if call.dry_run() {
        let ctx = call.ctx();
        tracing::info!(
            rule = %ctx.rule, run_id = %ctx.run_id, event_id = %ctx.event_id,
            item = ctx.item.as_deref().unwrap_or("-"), host = %host,
            "Dry run: webhook not posted."
        );
        return Ok(format!("would post to {host}"));
    }
    let Some(http) = &call.exec().http else {
        return Err(ActionOutcome::refused("no HTTP client for webhooks").into());
    };
    let mut req = http
        .post(parsed)
        .timeout(timeout.unwrap_or(call.settings().webhook_timeout))
        .json(body);
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| ActionOutcome::refused(format!("`{k}` is not a header name")))?;
        let mut value = HeaderValue::from_str(v).map_err(|_| {
            ActionOutcome::refused(format!("the value of header `{k}` is not valid"))
        })?;
        value.set_sensitive(true);
        req = req.header(name, value);
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out"
            } else {
                "could not connect"
            };
            return Err(ActionOutcome::transient(format!("webhook to {host} {why}")).into());
        }
    };
    let status = resp.status();
    if status.is_success() {
        return Ok(format!("posted to {host}: {}", status.as_u16()));
    }
    let retry_after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let error = format!("webhook to {host} answered {status}");
    Err(
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            ActionOutcome::Failed {
                error,
                retryable: true,
                retry_after,
            }
        } else {
            ActionOutcome::refused(error)
        }
        .into(),
    )
}
