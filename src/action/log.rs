//! `log`: one structured log line at the rule's level.

use super::Call;
use super::outcome::Step;

/// Writes `message` at `level` (`error`, `warn`, `info`, `debug`, `trace`;
/// anything else logs at info), naming the rule, run, event and item.
pub(crate) fn write(call: &Call<'_>, message: &str, level: &str) -> Step {
    let ctx = call.ctx();
    let item = ctx.item.as_deref().unwrap_or("-");
    let (rule, run_id, event_id) = (&ctx.rule, ctx.run_id, &ctx.event_id);
    match level.to_ascii_lowercase().as_str() {
        "error" => {
            tracing::error!(rule = %rule, run_id = %run_id, event_id = %event_id, item = %item, message = %message, "Rule log.")
        }
        "warn" | "warning" => {
            tracing::warn!(rule = %rule, run_id = %run_id, event_id = %event_id, item = %item, message = %message, "Rule log.")
        }
        "debug" => {
            tracing::debug!(rule = %rule, run_id = %run_id, event_id = %event_id, item = %item, message = %message, "Rule log.")
        }
        "trace" => {
            tracing::trace!(rule = %rule, run_id = %run_id, event_id = %event_id, item = %item, message = %message, "Rule log.")
        }
        _ => {
            tracing::info!(rule = %rule, run_id = %run_id, event_id = %event_id, item = %item, message = %message, "Rule log.")
        }
    }
    Ok(format!("logged at {level}"))
}
